/* Unit tests for servers/ftp_fs.c: the textual normaliser (table of
 * cwd, argument, result or errno) and the jail on a real temporary tree
 * with planted symbolic links, files outside the root and a FIFO. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftp_fs.h"
#include "unit_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct norm_case {
	const char *cwd, *arg, *out;
	int err; /* 0: success */
};

static const struct norm_case norms[] = {
	{"/", "a", "/a", 0},
	{"/", "/a/b/", "/a/b", 0},
	{"/x", "a//b/./c", "/x/a/b/c", 0},
	{"/x/y", "..", "/x", 0},
	{"/x/y", "../..", "/", 0},
	{"/x", "/", "/", 0},
	{"/", ".", "/", 0},
	{"/x", "/etc/passwd", "/etc/passwd", 0}, /* inside the jail, not the host's */
	{"/", "..", NULL, EACCES},
	{"/", "../x", NULL, EACCES},
	{"/x", "../../x", NULL, EACCES},
	{"/", "/../x", NULL, EACCES},
	{"/", "a/../../b", NULL, EACCES},
	{"/", "a/b/../../..", NULL, EACCES},
	{"/", "", NULL, EINVAL},
	{"/", "...", "/...", 0}, /* a legal name, not a parent */
};

static void test_normalize(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(norms); i++) {
		char out[FTP_PATH_MAX];
		errno = 0;
		int rc = ftp_fs_normalize(norms[i].cwd, norms[i].arg, out, sizeof(out));
		if (norms[i].err) {
			if (rc != -1 || errno != norms[i].err)
				fail_msg("case %zu (%s + %s): rc %d errno %d, want errno %d", i,
					 norms[i].cwd, norms[i].arg, rc, errno, norms[i].err);
		} else {
			if (rc != 0)
				fail_msg("case %zu: rc %d errno %d", i, rc, errno);
			assert_string_equal(out, norms[i].out);
		}
	}
	char small[4];
	assert_int_equal(ftp_fs_normalize("/", "abcdef", small, sizeof(small)), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	char big[FTP_PATH_MAX * 3];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char out[FTP_PATH_MAX];
	assert_int_equal(ftp_fs_normalize("/", big, out, sizeof(out)), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* A tree:  base/outside.txt, base/root/{in.txt, dir/, link-file ->
 * ../outside.txt, link-dir -> .., dir/deep -> /etc, fifo} */
struct tree {
	char base[PATH_MAX], root[PATH_MAX];
	struct ftp_fs fs;
};

static void put(const char *base, const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	snprintf(t->base, sizeof(t->base), "/tmp/tlsfault-ftpfs-XXXXXX");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->root, sizeof(t->root), "%s/data/scenario", t->base);
	assert_int_equal(ftp_fs_open(&t->fs, t->root), 0); /* creates the parents */
	put(t->base, "outside.txt", "secret\n");
	put(t->root, "in.txt", "hello\n");
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/dir", t->root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/link-file", t->root);
	assert_int_equal(symlink("../../outside.txt", p), 0);
	snprintf(p, sizeof(p), "%s/link-dir", t->root);
	assert_int_equal(symlink("..", p), 0);
	snprintf(p, sizeof(p), "%s/dir/deep", t->root);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", t->root);
	assert_int_equal(mkfifo(p, 0644), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	ftp_fs_close(&t->fs);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->base);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void expect_err(int rc, int err)
{
	assert_int_equal(rc, -1);
	assert_int_equal(errno, err);
}

static void test_read_inside(void **state)
{
	struct tree *t = *state;
	struct stat st;
	int fd = ftp_fs_open_read(&t->fs, "in.txt", &st);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 6);
	close(fd);
	fd = ftp_fs_open_read(&t->fs, "/dir/../in.txt", &st);
	assert_true(fd >= 0);
	close(fd);
	expect_err(ftp_fs_open_read(&t->fs, "dir", &st), EISDIR);
	expect_err(ftp_fs_open_read(&t->fs, "fifo", &st), EISDIR); /* never blocks */
	expect_err(ftp_fs_open_read(&t->fs, "nope", &st), ENOENT);
}

static void test_escapes_refused(void **state)
{
	struct tree *t = *state;
	struct stat st;
	expect_err(ftp_fs_open_read(&t->fs, "../../outside.txt", &st), EACCES);
	expect_err(ftp_fs_open_read(&t->fs, "/../outside.txt", &st), EACCES);
	expect_err(ftp_fs_open_read(&t->fs, "link-file", &st), ELOOP);
	expect_err(ftp_fs_open_read(&t->fs, "link-dir/in.txt", &st), ELOOP);
	expect_err(ftp_fs_open_read(&t->fs, "dir/deep/passwd", &st), ELOOP);
	expect_err(ftp_fs_open_read(&t->fs, "/etc/passwd", &st), ENOENT);
	expect_err(ftp_fs_chdir(&t->fs, "link-dir"), ELOOP);
	expect_err(ftp_fs_chdir(&t->fs, ".."), EACCES);
	assert_string_equal(t->fs.cwd, "/");
	struct ftp_upload u;
	expect_err(ftp_fs_upload_begin(&t->fs, "link-file", 0, &u), ELOOP);
	expect_err(ftp_fs_upload_begin(&t->fs, "../x", 0, &u), EACCES);
	expect_err(ftp_fs_upload_begin(&t->fs, "link-dir/x", 0, &u), ELOOP);
	expect_err(ftp_fs_upload_begin(&t->fs, "link-file", -1, &u), ELOOP); /* APPE */
	expect_err(ftp_fs_stat(&t->fs, "link-file", &st), ELOOP);
	expect_err(ftp_fs_unlink(&t->fs, "link-file"), ELOOP);
	expect_err(ftp_fs_rename(&t->fs, "link-file", "x"), ELOOP);
	expect_err(ftp_fs_rename(&t->fs, "in.txt", "../moved"), EACCES);
	expect_err(ftp_fs_rmdir(&t->fs, "/"), EACCES);
	char v[FTP_PATH_MAX];
	expect_err(ftp_fs_mkdir(&t->fs, "../made", v, sizeof(v)), EACCES);
	int dfd;
	assert_null(ftp_fs_opendir(&t->fs, "link-dir", &dfd));
	assert_int_equal(errno, ELOOP);
	/* Nothing outside changed. */
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/outside.txt", t->base);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 7);
	snprintf(p, sizeof(p), "%s/data/x", t->base);
	assert_int_not_equal(access(p, F_OK), 0);
}

static void test_write_and_manage(void **state)
{
	struct tree *t = *state;
	char v[FTP_PATH_MAX];
	assert_int_equal(ftp_fs_mkdir(&t->fs, "new", v, sizeof(v)), 0);
	assert_string_equal(v, "/new");
	expect_err(ftp_fs_mkdir(&t->fs, "new", v, sizeof(v)), EEXIST);
	assert_int_equal(ftp_fs_chdir(&t->fs, "new"), 0);
	assert_string_equal(t->fs.cwd, "/new");
	struct ftp_upload u;
	assert_int_equal(ftp_fs_upload_begin(&t->fs, "f", 0, &u), 0);
	assert_int_equal(write(u.fd, "abc", 3), 3);
	assert_int_equal(ftp_fs_upload_commit(&u), 0);
	/* APPE: the whole file is kept, then the new bytes follow. */
	assert_int_equal(ftp_fs_upload_begin(&t->fs, "/new/f", -1, &u), 0);
	assert_int_equal(write(u.fd, "de", 2), 2);
	struct stat st;
	assert_int_equal(ftp_fs_stat(&t->fs, "f", &st), 0);
	assert_int_equal(st.st_size, 3); /* not visible before the commit */
	assert_int_equal(ftp_fs_upload_commit(&u), 0);
	assert_int_equal(ftp_fs_stat(&t->fs, "f", &st), 0);
	assert_int_equal(st.st_size, 5);
	/* REST 2 + STOR: two bytes kept; an aborted upload changes nothing. */
	assert_int_equal(ftp_fs_upload_begin(&t->fs, "f", 2, &u), 0);
	assert_int_equal(write(u.fd, "XYZ", 3), 3);
	ftp_fs_upload_abort(&u);
	assert_int_equal(ftp_fs_stat(&t->fs, "f", &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(ftp_fs_upload_begin(&t->fs, "f", 2, &u), 0);
	assert_int_equal(write(u.fd, "XYZ", 3), 3);
	assert_int_equal(ftp_fs_upload_commit(&u), 0);
	int rfd = ftp_fs_open_read(&t->fs, "f", &st);
	char got[8] = {0};
	assert_int_equal(read(rfd, got, sizeof(got)), 5);
	close(rfd);
	assert_memory_equal(got, "abXYZ", 5);
	/* REST past the end is refused, and the temporary names are hidden
	 * from the client (no upload to one). */
	expect_err(ftp_fs_upload_begin(&t->fs, "f", 99, &u), ESPIPE);
	expect_err(ftp_fs_upload_begin(&t->fs, FTP_FS_TEMP_PREFIX "x", 0, &u), EACCES);
	assert_int_equal(ftp_fs_usage(&t->fs) >= 5, 1);
	assert_int_equal(ftp_fs_rename(&t->fs, "f", "/g"), 0);
	expect_err(ftp_fs_rmdir(&t->fs, "/new/missing"), ENOENT);
	assert_int_equal(ftp_fs_chdir(&t->fs, ".."), 0);
	assert_int_equal(ftp_fs_rmdir(&t->fs, "new"), 0);
	assert_int_equal(ftp_fs_unlink(&t->fs, "g"), 0);
	int dfd;
	DIR *d = ftp_fs_opendir(&t->fs, NULL, &dfd);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	assert_int_equal(n, 5); /* in.txt dir link-file link-dir fifo */
	closedir(d);
	close(dfd);
	assert_string_equal(ftp_fs_why(EACCES),
			    "Permission denied: the path leaves the upload root.");
	assert_string_equal(ftp_fs_why(ELOOP),
			    "Permission denied: symbolic links are not followed.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test_setup_teardown(test_read_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_manage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
