/* ftp_fs — see ftp_fs.h. */
#include "ftp_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ftp_fs_normalize(const char *cwd, const char *arg, char *out, size_t cap)
{
	char tmp[FTP_PATH_MAX * 2 + 2];
	if (!arg || !arg[0]) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(arg) + strlen(cwd) + 2 > sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (arg[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", arg);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", cwd, arg);
	/* out is built as a stack of components; `len` is its length. */
	size_t len = 0;
	if (cap < 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	out[0] = '\0';
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (len == 0) {
				errno = EACCES; /* climbs above the root: refused */
				return -1;
			}
			while (len > 0 && out[len - 1] != '/')
				len--;
			len--; /* the '/' itself */
			out[len] = '\0';
			continue;
		}
		size_t cl = strlen(c);
		if (len + 1 + cl + 1 > cap) {
			errno = ENAMETOOLONG;
			return -1;
		}
		out[len++] = '/';
		memcpy(out + len, c, cl);
		len += cl;
		out[len] = '\0';
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return 0;
}

int ftp_fs_open(struct ftp_fs *fs, const char *dir)
{
	char path[FTP_PATH_MAX];
	fs->root_fd = -1;
	snprintf(fs->cwd, sizeof(fs->cwd), "/");
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* mkdir -p: the run's data directory may not exist yet. */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	fs->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fs->root_fd < 0 ? -1 : 0;
}

void ftp_fs_close(struct ftp_fs *fs)
{
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	fs->root_fd = -1;
}

/* openat without following a link. When the name is a symbolic link,
 * errno is ELOOP whatever openat said (O_DIRECTORY on a link gives
 * ENOTDIR), so the reply can name the refused link. */
static int openat_nofollow(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	struct stat st;
	if (fd < 0 && (e == ENOTDIR || e == ELOOP) &&
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		e = S_ISLNK(st.st_mode) ? ELOOP : e;
	errno = e;
	return fd;
}

/* Walk the directories of `vpath` from the root without following any
 * link. Returns a descriptor of the parent directory and copies the last
 * component into leaf ("" for the root itself, whose "parent" is the root
 * descriptor duplicated). */
static int walk_parent(struct ftp_fs *fs, const char *vpath, char *leaf, size_t leafcap)
{
	char tmp[FTP_PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", vpath);
	char *last = strrchr(tmp, '/');
	snprintf(leaf, leafcap, "%s", last ? last + 1 : tmp);
	if (last)
		*last = '\0';
	int dfd = fcntl(fs->root_fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -1;
	for (char *save = NULL, *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = openat_nofollow(dfd, c, O_RDONLY | O_DIRECTORY);
		int e = errno;
		close(dfd);
		if (next < 0) {
			errno = e;
			return -1;
		}
		dfd = next;
	}
	return dfd;
}

/* Resolve `arg` to (parent descriptor, leaf). */
static int resolve(struct ftp_fs *fs, const char *arg, char *leaf, size_t leafcap, char *vpath,
		   size_t vcap)
{
	char tmp[FTP_PATH_MAX];
	if (!vpath) {
		vpath = tmp;
		vcap = sizeof(tmp);
	}
	if (ftp_fs_normalize(fs->cwd, arg, vpath, vcap) != 0)
		return -1;
	return walk_parent(fs, vpath, leaf, leafcap);
}

/* Open `arg` itself (a directory or the root) without following links. */
static int open_node(struct ftp_fs *fs, const char *arg, int flags, char *vpath, size_t vcap)
{
	char leaf[FTP_PATH_MAX];
	int dfd = resolve(fs, arg, leaf, sizeof(leaf), vpath, vcap);
	if (dfd < 0)
		return -1;
	if (!leaf[0])
		return dfd; /* the root */
	int fd = openat_nofollow(dfd, leaf, flags);
	int e = errno;
	close(dfd);
	errno = e;
	return fd;
}

int ftp_fs_chdir(struct ftp_fs *fs, const char *arg)
{
	char vpath[FTP_PATH_MAX];
	int fd = open_node(fs, arg, O_RDONLY | O_DIRECTORY, vpath, sizeof(vpath));
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(fs->cwd, sizeof(fs->cwd), "%s", vpath);
	return 0;
}

int ftp_fs_stat(struct ftp_fs *fs, const char *arg, struct stat *st)
{
	char leaf[FTP_PATH_MAX];
	int dfd = resolve(fs, arg, leaf, sizeof(leaf), NULL, 0);
	if (dfd < 0)
		return -1;
	int rc = leaf[0] ? fstatat(dfd, leaf, st, AT_SYMLINK_NOFOLLOW) : fstat(dfd, st);
	int e = errno;
	close(dfd);
	if (rc == 0 && S_ISLNK(st->st_mode)) {
		errno = ELOOP;
		return -1;
	}
	errno = e;
	return rc;
}

int ftp_fs_open_read(struct ftp_fs *fs, const char *arg, struct stat *st)
{
	int fd = open_node(fs, arg, O_RDONLY | O_NONBLOCK, NULL, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	/* O_NONBLOCK only kept a FIFO from blocking the open; files ignore it. */
	fcntl(fd, F_SETFL, 0);
	return fd;
}

/* Copy `n` bytes (-1: to the end) of `src` into `dst`. */
static int copy_prefix(int src, int dst, long long n)
{
	char buf[65536];
	while (n != 0) {
		size_t want = n < 0 || n > (long long)sizeof(buf) ? sizeof(buf) : (size_t)n;
		ssize_t r = read(src, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (n > 0) {
				errno = ESPIPE; /* REST past the end of the file */
				return -1;
			}
			return 0;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(dst, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			off += w;
		}
		if (n > 0)
			n -= r;
	}
	return 0;
}

int ftp_fs_is_upload_temp(const char *name)
{
	return !strncmp(name, FTP_FS_TEMP_PREFIX, strlen(FTP_FS_TEMP_PREFIX));
}

static void upload_reset(struct ftp_upload *u)
{
	u->fd = u->dfd = -1;
	u->leaf[0] = u->tmp[0] = '\0';
}

int ftp_fs_upload_begin(struct ftp_fs *fs, const char *arg, long long keep, struct ftp_upload *u)
{
	upload_reset(u);
	char leaf[FTP_PATH_MAX];
	int dfd = resolve(fs, arg, leaf, sizeof(leaf), NULL, 0);
	if (dfd < 0)
		return -1;
	int e = 0;
	struct stat st;
	if (!leaf[0] || ftp_fs_is_upload_temp(leaf))
		e = leaf[0] ? EACCES : EISDIR;
	else if (strlen(leaf) >= sizeof(u->leaf))
		e = ENAMETOOLONG;
	else if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
		e = S_ISLNK(st.st_mode) ? ELOOP : EISDIR;
	if (e) {
		close(dfd);
		errno = e;
		return -1;
	}
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		snprintf(u->tmp, sizeof(u->tmp), FTP_FS_TEMP_PREFIX "%d.%08lx", (int)getpid(),
			 (unsigned long)random());
		fd = openat(dfd, u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e = errno;
		close(dfd);
		upload_reset(u);
		errno = e;
		return -1;
	}
	snprintf(u->leaf, sizeof(u->leaf), "%s", leaf);
	u->fd = fd;
	u->dfd = dfd;
	if (keep != 0) {
		int src = openat_nofollow(dfd, leaf, O_RDONLY | O_NONBLOCK);
		int rc = 0;
		if (src >= 0) {
			fcntl(src, F_SETFL, 0);
			rc = copy_prefix(src, fd, keep);
			e = errno;
			close(src);
		} else if (errno != ENOENT || keep > 0) {
			rc = -1;
			e = errno == ENOENT ? ESPIPE : errno;
		}
		if (rc != 0) {
			ftp_fs_upload_abort(u);
			errno = e;
			return -1;
		}
	}
	return 0;
}

int ftp_fs_upload_commit(struct ftp_upload *u)
{
	if (u->fd < 0) {
		errno = EBADF;
		return -1;
	}
	int rc = close(u->fd);
	u->fd = -1;
	if (rc == 0)
		rc = renameat(u->dfd, u->tmp, u->dfd, u->leaf);
	int e = errno;
	if (rc != 0)
		unlinkat(u->dfd, u->tmp, 0);
	close(u->dfd);
	upload_reset(u);
	errno = e;
	return rc;
}

void ftp_fs_upload_abort(struct ftp_upload *u)
{
	if (u->dfd < 0)
		return;
	int e = errno;
	if (u->fd >= 0)
		close(u->fd);
	unlinkat(u->dfd, u->tmp, 0);
	close(u->dfd);
	upload_reset(u);
	errno = e;
}

/* Depth-limited (FTP_USAGE_DEPTH): a tree deeper is not walked further
 * (the quota then undercounts; FTP_PATH_MAX already bounds what MKD can
 * make). */

static long long usage_of(int dfd, int depth)
{
	long long total = 0;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			total += (long long)st.st_size;
		else if (S_ISDIR(st.st_mode) && depth < FTP_USAGE_DEPTH) {
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += usage_of(sub, depth + 1);
		}
	}
	closedir(d);
	return total;
}

long long ftp_fs_usage(struct ftp_fs *fs)
{
	/* A new open file description: a dup would share (and move) the
	 * directory offset of root_fd. */
	int dfd = openat(fs->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? 0 : usage_of(dfd, 0);
}

DIR *ftp_fs_opendir(struct ftp_fs *fs, const char *arg, int *dir_fd)
{
	int fd = open_node(fs, arg && arg[0] ? arg : ".", O_RDONLY | O_DIRECTORY, NULL, 0);
	if (fd < 0)
		return NULL;
	int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		if (keep >= 0)
			close(keep);
		errno = e;
		return NULL;
	}
	*dir_fd = keep; /* for fstatat on the entries; caller closes */
	rewinddir(d); /* the root's descriptor may be a dup with a moved offset */
	return d;
}

int ftp_fs_mkdir(struct ftp_fs *fs, const char *arg, char *vpath, size_t cap)
{
	char leaf[FTP_PATH_MAX];
	int dfd = resolve(fs, arg, leaf, sizeof(leaf), vpath, cap);
	if (dfd < 0)
		return -1;
	int rc = leaf[0] ? mkdirat(dfd, leaf, 0755) : (errno = EEXIST, -1);
	int e = errno;
	close(dfd);
	errno = e;
	return rc;
}

static int remove_node(struct ftp_fs *fs, const char *arg, int flags)
{
	char leaf[FTP_PATH_MAX];
	int dfd = resolve(fs, arg, leaf, sizeof(leaf), NULL, 0);
	if (dfd < 0)
		return -1;
	struct stat st;
	int rc = -1;
	if (!leaf[0])
		errno = EACCES; /* never the root itself */
	else if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
		rc = -1;
	else if (S_ISLNK(st.st_mode))
		errno = ELOOP;
	else
		rc = unlinkat(dfd, leaf, flags);
	int e = errno;
	close(dfd);
	errno = e;
	return rc;
}

int ftp_fs_rmdir(struct ftp_fs *fs, const char *arg)
{
	return remove_node(fs, arg, AT_REMOVEDIR);
}

int ftp_fs_unlink(struct ftp_fs *fs, const char *arg)
{
	return remove_node(fs, arg, 0);
}

int ftp_fs_rename(struct ftp_fs *fs, const char *from, const char *to)
{
	char a[FTP_PATH_MAX], b[FTP_PATH_MAX];
	int d1 = resolve(fs, from, a, sizeof(a), NULL, 0);
	if (d1 < 0)
		return -1;
	int d2 = resolve(fs, to, b, sizeof(b), NULL, 0);
	if (d2 < 0) {
		int e = errno;
		close(d1);
		errno = e;
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (!a[0] || !b[0])
		errno = EACCES;
	else if (fstatat(d1, a, &st, AT_SYMLINK_NOFOLLOW) != 0)
		rc = -1;
	else if (S_ISLNK(st.st_mode))
		errno = ELOOP;
	else
		rc = renameat(d1, a, d2, b);
	int e = errno;
	close(d1);
	close(d2);
	errno = e;
	return rc;
}

const char *ftp_fs_why(int err)
{
	switch (err) {
	case EACCES: return "Permission denied: the path leaves the upload root.";
	case ELOOP: return "Permission denied: symbolic links are not followed.";
	case ENOENT: return "No such file or directory.";
	case ENOTDIR: return "Not a directory.";
	case EISDIR: return "Not a plain file.";
	case EEXIST: return "File exists.";
	case ENOTEMPTY: return "Directory not empty.";
	case ENAMETOOLONG: return "File name too long.";
	case EINVAL: return "Bad path.";
	case ESPIPE: return "Restart position beyond the end of the file.";
	case ENOSPC: return "No space left on the device.";
	case EDQUOT: return "Quota exceeded.";
	default: return "Requested action not taken.";
	}
}
