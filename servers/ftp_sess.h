/* ftp_sess — what the FTP front-end's files share, and nothing outside
 * them includes: the control session, a data connection's state, and
 * the calls between the parts:
 *   ftp_ctl.c   control connection: line input, replies, policy, event
 *   ftp_cmds.c  the command table, one row and one handler per command
 *   ftp_data.c  the passive data port, its connections, transfers
 *   ftp_list.c  directory listings, streamed chunk by chunk
 *   ftp_fs.c    the upload root (jail), see ftp_fs.h
 * Reply texts follow vsftpd 3.0.5 where it has one, so a client's report
 * reads as it would against the server of seed 000. */
#ifndef TLSFAULT_FTP_SESS_H
#define TLSFAULT_FTP_SESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conn.h"
#include "ftp_cmd.h"
#include "ftp_fs.h"
#include "loop.h"

enum xfer_phase { X_NONE, X_WAIT_CONN, X_MARKED, X_RUN };
/* What a transfer command moves over the data connection. */
enum ftp_xfer { XFER_LIST, XFER_NLST, XFER_MLSD, XFER_RETR, XFER_STOR, XFER_APPE };

struct cmd_rec {
	char text[FTP_LOG_CMD_LEN];
	int replies[3];
	int n_replies;
};

/* The passive data port: a listening socket on the session's loop. */
struct ftp_port {
	struct loop_handler h;
	int fd; /* -1 when closed */
	struct ftp_sess *s;
};

struct ftp_sess {
	struct conn *c;
	struct loop *loop;    /* outlives c: the session may be retired after it */
	struct ftp_port port; /* its handler is the session's loop_retire handle */
	struct conn *dc;     /* the data connection, once it is the session's */
	/* PROT P: connections on the data port that have not completed TLS
	 * yet. The first to complete it becomes dc; a connection that never
	 * speaks TLS (a port scanner, another local user) cannot take it. */
	struct conn *cand[FTP_DATA_CANDIDATES];
	int n_cand;
	struct sockaddr_storage peer;
	struct ftp_fs fs; /* open (root_fd >= 0) from the first login on */
	/* Control input: at most one line buffered (plus a partial one). */
	uint8_t in[FTP_LINE_MAX];
	size_t in_len;
	int discarding;
	int64_t line_started_ms;  /* first byte of the partial line; 0 none */
	int64_t login_deadline_ms;
	/* Session state. */
	int tls;	/* control channel protected */
	int pbsz, prot_p;
	char user[64];
	int have_user, logged_in;
	int type_ascii;
	long long rest; /* REST: applies to the next transfer command only */
	char rnfr[FTP_PATH_MAX];
	int have_rnfr;
	int closing;
	/* Seed 000, "no certificate": AUTH TLS said 234, the ClientHello is
	 * read raw and answered as OpenSSL would with no certificate. */
	int nocert;
	/* Lifetime: a handler that holds the session across calls that may
	 * close the control connection takes a reference (ftp_sess_hold); the
	 * close then only marks it orphaned and the last release retires it
	 * (loop_retire: freed after the batch, where its data port's event
	 * may still be queued). */
	int refs, orphaned, in_process;
	/* The transfer in progress. */
	struct {
		enum xfer_phase phase;
		enum ftp_xfer kind;
		char arg[FTP_PATH_MAX];
		char logged[FTP_LOG_CMD_LEN];
		int fd;			/* RETR: the file */
		struct ftp_upload up;	/* STOR/APPE: the temporary file */
		long long quota_left;	/* STOR/APPE: bytes the data quota allows */
		/* LIST/NLST/MLSD: the sorted names, turned into lines chunk by
		 * chunk as the client reads (no whole listing in memory). */
		char **names;
		size_t n_names, next_name;
		int list_dfd;
		char *list; /* the chunk being sent */
		size_t list_len, list_off;
	} x;
	/* The event record. */
	struct cmd_rec cmds[FTP_LOG_CMDS];
	int n_cmds, cmds_dropped;
	int cur_cmd; /* index of the command being answered, -1 none */
	const char *auth;
	const char *login;
	int user_sent, user_plain, pass_sent, pass_plain;
	int tls_failed; /* the AUTH TLS handshake on this connection failed */
	uint64_t prior_fail_conn;
	long long prior_fail_ms;
	int data_conns, uploads, downloads, listings, reuse_refused, plain_transfers;
	int data_refused; /* data-port connections turned away */
	unsigned long long bytes_stored, bytes_sent;
};

/* ftp_ctl.c */
void ftp_reply(struct ftp_sess *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The control connection is closed (a reply's write may have failed). */
int ftp_gone(const struct ftp_sess *s);
void ftp_sess_hold(struct ftp_sess *s);
void ftp_sess_release(struct ftp_sess *s);

/* ftp_cmds.c: check the row's policy flags, then run its handler. */
void ftp_cmd_run(struct ftp_sess *s, const struct ftp_line *l, const char *logged);

/* ftp_data.c */
/* A new session's data side: no port, no transfer. */
void ftp_data_init(struct ftp_sess *s);
/* Listen on the control connection's local address, any port. */
int ftp_port_open(struct ftp_sess *s, int *port, uint8_t addr4[4]);
void ftp_port_close(struct ftp_sess *s);
/* Drop the data port and connection (a new PASV, ABOR, the end). */
void ftp_drop_data(struct ftp_sess *s, const char *why);
int ftp_has_data(const struct ftp_sess *s);
/* End the transfer's state (files, listing); x.phase becomes X_NONE. */
void ftp_xfer_reset(struct ftp_sess *s);
/* Move the transfer forward as far as the data connection allows. */
void ftp_xfer_advance(struct ftp_sess *s);

/* ftp_list.c: read and sort the names to list; the lines are made as the
 * client reads (ftp_list_next_chunk). -1 with errno: ENOMEM or EFBIG (more
 * than FTP_LIST_MAX_ENTRIES names) is a 451, anything else a 550. */
int ftp_list_build(struct ftp_sess *s, enum ftp_xfer kind, const char *arg);
/* The next chunk of a listing into x.list; 0 when the listing is done. */
size_t ftp_list_next_chunk(struct ftp_sess *s);
void ftp_list_free(struct ftp_sess *s);

#endif
