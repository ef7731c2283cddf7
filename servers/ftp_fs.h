/* ftp_fs — the FTP session's file system, jailed under one directory (the
 * scenario's upload root).
 *
 * The client sees a virtual tree whose "/" is the root. A client path is
 * first normalised as text against the current directory (an absolute path
 * starts at the virtual "/", never at the host's); a ".." that would climb
 * above "/" is refused, not clamped. The result is then opened one
 * component at a time with openat(O_NOFOLLOW) from a descriptor of the
 * root, so a symbolic link anywhere on the path is refused too (ELOOP),
 * even one planted after the check: no path is ever handed to the kernel
 * as a whole.
 *
 * Functions return 0 / a descriptor, or -1 with errno set; EACCES means
 * "the path escapes the root" (ftp_fs_why() words it for a 550 reply). */
#ifndef TLSFAULT_FTP_FS_H
#define TLSFAULT_FTP_FS_H

#include <dirent.h>
#include <stddef.h>
#include <sys/stat.h>

#include "tf_limits.h" /* FTP_PATH_MAX, FTP_USAGE_DEPTH */

struct ftp_fs {
	int root_fd;
	char cwd[FTP_PATH_MAX]; /* virtual, absolute, normalised: "/" or "/a/b" */
};

/* Pure: resolve `arg` against `cwd` into a normalised virtual path.
 * 0, or -1 with errno EACCES (escapes the root), ENAMETOOLONG, EINVAL
 * (empty argument). */
int ftp_fs_normalize(const char *cwd, const char *arg, char *out, size_t cap);

/* Create `dir` (and missing parents; mode 0755) and open it as the root. */
int ftp_fs_open(struct ftp_fs *fs, const char *dir);
void ftp_fs_close(struct ftp_fs *fs);

int ftp_fs_chdir(struct ftp_fs *fs, const char *arg);
int ftp_fs_stat(struct ftp_fs *fs, const char *arg, struct stat *st);
/* Open a regular file for reading (O_RDONLY, never a directory). */
int ftp_fs_open_read(struct ftp_fs *fs, const char *arg, struct stat *st);
/* An upload is written to a new temporary file in the target's directory
 * and renamed over the target only when it completed: an aborted, reset
 * or over-limit upload leaves the previous file as it was, and two
 * uploads to one name each leave a whole file, the later one winning.
 * Temporary names start with FTP_FS_TEMP_PREFIX (listings hide them). */
#define FTP_FS_TEMP_PREFIX ".tlsfault-upload."
/* A temporary name: hidden from listings, refused as an upload target. */
int ftp_fs_is_upload_temp(const char *name);
struct ftp_upload {
	int fd;	 /* the temporary file, open for writing; -1 none */
	int dfd; /* its directory */
	char leaf[256], tmp[64];
};
/* Begin an upload to `arg`. `keep` bytes of the existing file are first
 * copied into it: -1 for all (APPE), n for REST n + STOR, 0 for none.
 * A missing target counts as empty; REST past its end is ESPIPE. */
int ftp_fs_upload_begin(struct ftp_fs *fs, const char *arg, long long keep, struct ftp_upload *u);
/* Rename the temporary file over the target. 0, or -1 with errno. */
int ftp_fs_upload_commit(struct ftp_upload *u);
/* Remove the temporary file (no-op when none is open). */
void ftp_fs_upload_abort(struct ftp_upload *u);
/* Bytes of regular files under the root (for the data quota). */
long long ftp_fs_usage(struct ftp_fs *fs);
/* Open a directory for listing; `arg` NULL or "" means the cwd. The
 * result owns its descriptor (closedir frees it). */
DIR *ftp_fs_opendir(struct ftp_fs *fs, const char *arg, int *dir_fd);
int ftp_fs_mkdir(struct ftp_fs *fs, const char *arg, char *vpath, size_t cap);
int ftp_fs_rmdir(struct ftp_fs *fs, const char *arg);
int ftp_fs_unlink(struct ftp_fs *fs, const char *arg);
int ftp_fs_rename(struct ftp_fs *fs, const char *from, const char *to);

/* Reply text for an errno from the functions above. */
const char *ftp_fs_why(int err);

#endif
