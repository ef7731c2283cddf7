/* ftp_list — directory listings (LIST, NLST, MLSD): the names are read
 * and sorted once, the lines made chunk by chunk as the data connection
 * drains (no whole listing in memory). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ftp_sess.h"

/* Append one line to the chunk being built (at most FTP_IO_CHUNK plus one
 * line: the buffer is allocated once per listing). */
static void list_append(struct ftp_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void list_append(struct ftp_sess *s, const char *fmt, ...)
{
	char line[FTP_PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return; /* an entry that cannot be shown whole is left out */
	memcpy(s->x.list + s->x.list_len, line, (size_t)n);
	s->x.list_len += (size_t)n;
}

static void mode_string(mode_t m, char out[11])
{
	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	out[10] = '\0';
}

static void entry_line(struct ftp_sess *s, enum ftp_xfer kind, const char *name, const struct stat *st)
{
	/* A name with CR or LF would split a line; no listing can show it. */
	if (strpbrk(name, "\r\n"))
		return;
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&st->st_mtime, &tm);
	char when[32];
	if (kind == XFER_MLSD) {
		strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
		list_append(s, "type=%s;size=%lld;modify=%s; %s\r\n",
			    S_ISDIR(st->st_mode) ? "dir" : "file", (long long)st->st_size, when,
			    name);
	} else if (kind == XFER_NLST) {
		list_append(s, "%s\r\n", name);
	} else {
		char mode[11];
		mode_string(st->st_mode, mode);
		/* ls -l style as vsftpd: the year for entries older than 6 months. */
		if (now - st->st_mtime > 180L * 86400 || st->st_mtime > now + 3600)
			strftime(when, sizeof(when), "%b %d  %Y", &tm);
		else
			strftime(when, sizeof(when), "%b %d %H:%M", &tm);
		list_append(s, "%s %4lu %-8s %-8s %12lld %s %s\r\n", mode,
			    (unsigned long)st->st_nlink, "ftp", "ftp", (long long)st->st_size,
			    when, name);
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ftp_list_build(struct ftp_sess *s, enum ftp_xfer kind, const char *arg)
{
	/* LIST -la, NLST -a: options are not paths. */
	while (arg && arg[0] == '-') {
		const char *sp = strchr(arg, ' ');
		arg = sp ? sp + 1 : NULL;
	}
	s->x.list = malloc(FTP_IO_CHUNK + FTP_PATH_MAX + 256);
	if (!s->x.list) {
		errno = ENOMEM;
		return -1;
	}
	struct stat st;
	if (arg && arg[0] && ftp_fs_stat(&s->fs, arg, &st) == 0 && !S_ISDIR(st.st_mode)) {
		const char *base = strrchr(arg, '/');
		entry_line(s, kind, base ? base + 1 : arg, &st);
		return 0;
	}
	DIR *d = ftp_fs_opendir(&s->fs, arg, &s->x.list_dfd);
	if (!d)
		return -1;
	size_t ncap = 0;
	int err = 0;
	struct dirent *e;
	while (!err && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    ftp_fs_is_upload_temp(e->d_name))
			continue;
		if (s->x.n_names == FTP_LIST_MAX_ENTRIES) {
			err = EFBIG;
			break;
		}
		if (s->x.n_names == ncap) {
			size_t nc = ncap ? ncap * 2 : 64;
			char **p = realloc(s->x.names, nc * sizeof(*p));
			if (!p) {
				err = ENOMEM;
				break;
			}
			s->x.names = p;
			ncap = nc;
		}
		if (!(s->x.names[s->x.n_names] = strdup(e->d_name)))
			err = ENOMEM;
		else
			s->x.n_names++;
	}
	closedir(d);
	if (err) {
		errno = err;
		return -1;
	}
	if (s->x.n_names)
		qsort(s->x.names, s->x.n_names, sizeof(*s->x.names), cmp_names);
	return 0;
}


size_t ftp_list_next_chunk(struct ftp_sess *s)
{
	s->x.list_len = s->x.list_off = 0;
	while (s->x.next_name < s->x.n_names && s->x.list_len < FTP_IO_CHUNK) {
		char *name = s->x.names[s->x.next_name++];
		struct stat st;
		if (fstatat(s->x.list_dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			entry_line(s, s->x.kind, name, &st);
		free(name);
	}
	return s->x.list_len;
}

void ftp_list_free(struct ftp_sess *s)
{
	for (size_t i = s->x.next_name; i < s->x.n_names; i++)
		free(s->x.names[i]);
	free(s->x.names);
	s->x.names = NULL;
	s->x.n_names = s->x.next_name = 0;
	if (s->x.list_dfd >= 0)
		close(s->x.list_dfd);
	s->x.list_dfd = -1;
	free(s->x.list);
	s->x.list = NULL;
	s->x.list_len = s->x.list_off = 0;
}
