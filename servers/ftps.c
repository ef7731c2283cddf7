/* ftps — see ftps.h. Reply texts follow vsftpd 3.0.5 where it has one, so a
 * client's report reads as it would against the server of seed 000. */
#include "ftps.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ftp_cmd.h"
#include "ftp_fs.h"
#include "json.h"

#define FTP_LOG_CMDS 64	       /* commands kept in a control event */
#define FTP_LOG_CMD_LEN 96     /* logged form of one command */
#define FTP_EARLY_MAX 65536    /* data bytes accepted before their command */
#define FTP_IO_CHUNK 65536     /* file <-> data connection step */
#define FTP_TLS_FAIL_WINDOW_MS 60000 /* "after a TLS failure" look-back */

enum xfer_phase { X_NONE, X_WAIT_CONN, X_MARKED, X_RUN };

struct cmd_rec {
	char text[FTP_LOG_CMD_LEN];
	int replies[3];
	int n_replies;
};

struct ftp_sess {
	struct conn *c;
	struct server *srv;   /* outlives c: the session may be retired after it */
	struct listener dlis; /* the passive data port; dlis.fd -1 when closed */
	struct conn *dc;      /* the data connection, once it is the session's */
	/* PROT P: connections on the data port that have not completed TLS
	 * yet. The first to complete it becomes dc; a connection that never
	 * speaks TLS (a port scanner, another local user) cannot take it. */
	struct conn *cand[FTP_DATA_CANDIDATES];
	int n_cand;
	struct sockaddr_storage peer;
	struct ftp_fs fs;
	int fs_ready;
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
	uint8_t *nocert_hello;
	size_t nocert_len;
	/* Lifetime: a handler that holds the session across calls that may
	 * close the control connection takes a reference (sess_hold); the
	 * close then only marks it orphaned and the last release retires it
	 * (loop_retire: freed after the batch, where its data port's event
	 * may still be queued). */
	int refs, orphaned, in_process;
	/* The transfer in progress. */
	struct {
		enum xfer_phase phase;
		int cmd;
		char arg[FTP_PATH_MAX];
		char logged[FTP_LOG_CMD_LEN];
		long long rest;		/* where RETR starts */
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

struct ftp_data {
	struct ftp_sess *s; /* NULL once the control connection is gone */
	uint64_t control_id;
	char command[FTP_LOG_CMD_LEN];
	int protected_;
	int ok;	    /* the transfer completed */
	int too_large; /* the upload passed tf_limits.ftp_upload_max */
	int over_quota; /* ... or the data directory's quota */
	int truncated; /* TLS upload ended by a bare FIN, no close_notify */
	int result; /* the final reply it produced */
	const char *why;
	unsigned long long bytes;
	uint8_t *early;
	size_t early_len;
};

extern const struct proto_ops ftp_data_ops;

/* ---- "after a TLS failure": one row per control port -------------- */

static struct {
	const struct listener *lis;
	uint64_t conn;
	int64_t at_ms;
} tls_fails[SCN_MAX];

static void note_tls_failure(const struct conn *c)
{
	for (int i = 0; i < SCN_MAX; i++)
		if (tls_fails[i].lis == c->lis || !tls_fails[i].lis) {
			tls_fails[i].lis = c->lis;
			tls_fails[i].conn = c->ev.id;
			tls_fails[i].at_ms = loop_now_ms();
			return;
		}
}

static void check_prior_failure(struct ftp_sess *s)
{
	for (int i = 0; i < SCN_MAX && tls_fails[i].lis; i++)
		if (tls_fails[i].lis == s->c->lis) {
			int64_t ago = s->c->ev.start_ms - tls_fails[i].at_ms;
			if (ago >= 0 && ago <= FTP_TLS_FAIL_WINDOW_MS) {
				s->prior_fail_conn = tls_fails[i].conn;
				s->prior_fail_ms = ago;
			}
		}
}

/* ---- replies ------------------------------------------------------ */

static void reply(struct ftp_sess *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply(struct ftp_sess *s, int code, const char *fmt, ...)
{
	char text[FTP_LINE_MAX + 256], out[FTP_LINE_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	int n = ftp_reply_format(out, sizeof(out), code, text);
	if (n < 0)
		n = ftp_reply_format(out, sizeof(out), code, "(reply too long)");
	if (s->cur_cmd >= 0 && s->cur_cmd < s->n_cmds) {
		struct cmd_rec *r = &s->cmds[s->cur_cmd];
		if (r->n_replies < 3)
			r->replies[r->n_replies++] = code;
	}
	if (s->c && s->c->state != CS_CLOSED)
		conn_write(s->c, out, (size_t)n);
}

static int log_command(struct ftp_sess *s, const struct ftp_line *l)
{
	if (s->n_cmds == FTP_LOG_CMDS) {
		s->cmds_dropped++;
		return -1;
	}
	struct cmd_rec *r = &s->cmds[s->n_cmds];
	ftp_log_form(l, r->text, sizeof(r->text));
	r->n_replies = 0;
	return s->n_cmds++;
}

/* The control connection is closed (a reply's write may have failed). */
static int gone(const struct ftp_sess *s)
{
	return !s->c || s->c->state == CS_CLOSED;
}

static void sess_hold(struct ftp_sess *s)
{
	s->refs++;
}

static void sess_release(struct ftp_sess *s)
{
	if (--s->refs == 0 && s->orphaned)
		loop_retire(&s->srv->loop, &s->dlis.h, s);
}

/* ---- the data port ------------------------------------------------ */

static void close_data_listener(struct ftp_sess *s)
{
	if (s->dlis.fd < 0)
		return;
	loop_del(&s->srv->loop, s->dlis.fd);
	close(s->dlis.fd);
	s->dlis.fd = -1;
}

static void list_free(struct ftp_sess *s)
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

static void xfer_reset(struct ftp_sess *s)
{
	if (s->x.fd >= 0)
		close(s->x.fd);
	ftp_fs_upload_abort(&s->x.up); /* no-op once committed */
	list_free(s);
	memset(&s->x, 0, sizeof(s->x));
	s->x.fd = -1;
	s->x.list_dfd = -1;
	s->x.up.fd = s->x.up.dfd = -1;
}

static void drop_candidates(struct ftp_sess *s, const char *why)
{
	while (s->n_cand > 0) {
		struct conn *dc = s->cand[--s->n_cand];
		struct ftp_data *d = dc->proto;
		if (d)
			d->s = NULL;
		conn_close(dc, "server", "%s", why);
	}
}

/* Drop the data port and connection (a new PASV, ABOR, the end). */
static void drop_data(struct ftp_sess *s, const char *why)
{
	close_data_listener(s);
	drop_candidates(s, why);
	if (s->dc) {
		struct conn *dc = s->dc;
		struct ftp_data *d = dc->proto;
		if (d)
			d->s = NULL; /* no reply from its close: the caller answers */
		s->dc = NULL;
		conn_close(dc, "server", "%s", why);
	}
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

static void host_text(const struct sockaddr_storage *a, char *buf, size_t cap)
{
	if (a->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, buf, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, buf,
			  (socklen_t)cap);
}

static void data_on_accept(struct loop_handler *h, uint32_t events)
{
	struct listener *lis = (struct listener *)h;
	struct ftp_sess *s = lis->user;
	(void)events;
	for (int i = 0; i < 8 && s->dlis.fd >= 0 && !gone(s); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lis->fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* RFC 2577 5: only the control connection's host may take the
		 * port; every refusal is an event of its own. */
		if (!same_host(&ss, &s->peer)) {
			char from[INET6_ADDRSTRLEN] = "?", ctl[INET6_ADDRSTRLEN] = "?";
			host_text(&ss, from, sizeof(from));
			host_text(&s->peer, ctl, sizeof(ctl));
			s->data_refused++;
			conn_refuse_fd(lis, fd, "refused: data connection from %s, the control "
					       "connection is from %s", from, ctl);
			continue;
		}
		if (s->n_cand == FTP_DATA_CANDIDATES) {
			s->data_refused++;
			conn_refuse_fd(lis, fd, "refused: %d data connections already wait for TLS",
				       FTP_DATA_CANDIDATES);
			continue;
		}
		lis->data_start = s->prot_p ? 1 : 2;
		/* Plain data (PROT C) has nothing more to check: the first
		 * connection from the right host is the one. */
		if (!s->prot_p)
			close_data_listener(s);
		sess_hold(s);
		conn_adopt(lis, fd); /* data_open attaches it to the session */
		sess_release(s);
	}
}

static int open_data_port(struct ftp_sess *s, int *port, uint8_t addr4[4])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(s->c->fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, FTP_DATA_CANDIDATES) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	s->dlis.fd = fd;
	if (loop_add(&s->srv->loop, fd, EPOLLIN, &s->dlis.h) != 0) {
		close(fd);
		s->dlis.fd = -1;
		return -1;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		memcpy(addr4, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
	} else {
		memset(addr4, 0, 4);
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

/* ---- transfers ---------------------------------------------------- */

static void data_pump(struct conn *dc);
static void data_pull(struct conn *dc);
static void ctl_process(struct ftp_sess *s, int *budget);
static void ctl_readable(struct conn *c);

static const char *mark_text(struct ftp_sess *s, char *buf, size_t cap)
{
	switch (s->x.cmd) {
	case CMD_RETR: {
		struct stat st;
		long long size = fstat(s->x.fd, &st) == 0 ? (long long)st.st_size : 0;
		snprintf(buf, cap, "Opening %s mode data connection for %s (%lld bytes).",
			 s->type_ascii ? "ASCII" : "BINARY", s->x.arg, size);
		return buf;
	}
	case CMD_STOR:
	case CMD_APPE: return "Ok to send data.";
	default: return "Here comes the directory listing.";
	}
}

/* Move the transfer forward as far as the data connection allows:
 * 150 once a data connection is there, the run once its TLS is up (and
 * resumed, when the scenario requires it). */
static void xfer_advance(struct ftp_sess *s)
{
	if (s->x.phase == X_NONE || gone(s))
		return;
	struct conn *dc = s->dc;
	if (s->x.phase == X_WAIT_CONN) {
		if (!dc && !s->n_cand)
			return; /* data_open will call again */
		char buf[FTP_PATH_MAX + 128];
		reply(s, 150, "%s", mark_text(s, buf, sizeof(buf)));
		if (gone(s))
			return;
		s->x.phase = X_MARKED;
	}
	if (s->x.phase != X_MARKED || !dc || dc->state == CS_HANDSHAKE)
		return;
	struct ftp_data *d = dc->proto;
	snprintf(d->command, sizeof(d->command), "%s", s->x.logged);
	if (d->protected_ && s->c->lis->s->ftp_data_reuse && !wolfSSL_session_reused(dc->ssl)) {
		/* vsftpd, require_ssl_reuse=YES: answer 522 and end the session. */
		s->reuse_refused++;
		d->result = 522;
		d->why = "data channel TLS session is not a resumption of the control session";
		d->s = NULL;
		s->dc = NULL;
		conn_close(dc, "server", "%s", d->why);
		reply(s, 522, "SSL connection failed: session reuse required");
		xfer_reset(s);
		s->closing = 1;
		if (!gone(s))
			conn_close_when_flushed(s->c);
		return;
	}
	s->x.phase = X_RUN;
	if (!d->protected_)
		s->plain_transfers++;
	if (s->x.cmd == CMD_STOR || s->x.cmd == CMD_APPE)
		data_pull(dc);
	else
		data_pump(dc);
}

/* An upload that completed: the temporary file replaces the target. */
static int commit_upload(struct ftp_sess *s, struct ftp_data *d)
{
	if (ftp_fs_upload_commit(&s->x.up) == 0)
		return 0;
	d->result = 451;
	reply(s, 451, "Requested action aborted: could not store the file: %s",
	      ftp_fs_why(errno));
	return -1;
}

/* The data connection ended: answer the transfer on the control channel. */
static void xfer_finished(struct ftp_sess *s, struct ftp_data *d, struct conn *dc)
{
	int running = s->x.phase == X_RUN || s->x.phase == X_MARKED;
	int cmd = s->x.cmd;
	int upload = cmd == CMD_STOR || cmd == CMD_APPE;
	if (!running)
		return;
	if (d->ok) {
		if (upload && commit_upload(s, d) != 0) {
			xfer_reset(s);
			return;
		}
		d->result = 226;
		if (upload) {
			s->uploads++;
			s->bytes_stored += d->bytes;
		} else if (cmd == CMD_RETR) {
			s->downloads++;
			s->bytes_sent += d->bytes;
		} else {
			s->listings++;
		}
		reply(s, 226, cmd == CMD_RETR || upload ? "Transfer complete." : "Directory send OK.");
		xfer_reset(s);
		return;
	}
	/* The failed upload's temporary file goes before the reply: a client
	 * that looks right after it must find the previous file only. */
	if (upload)
		ftp_fs_upload_abort(&s->x.up);
	if (d->too_large || d->over_quota) {
		d->result = 552;
		reply(s, 552, "Requested file action aborted. Exceeded storage allocation.");
	} else if (!strcmp(dc->ev.handshake, "failed") || (d->protected_ && !dc->handshake_done)) {
		d->result = 522;
		reply(s, 522, "SSL connection failed");
	} else if (upload) {
		d->result = 426;
		reply(s, 426, "Failure reading network stream.");
	} else {
		d->result = 426;
		reply(s, 426, "Failure writing network stream.");
	}
	xfer_reset(s); /* an upload not committed above is removed here */
}

/* The control connection is idle while its transfer runs: a long transfer
 * must not look like an idle session to the sweep. */
static void keep_control_alive(struct ftp_sess *s)
{
	if (!gone(s))
		s->c->deadline_ms = loop_now_ms() + tf_limits.idle_timeout_ms;
}

static void entry_line(struct ftp_sess *s, int cmd, const char *name, const struct stat *st);

/* The next chunk of a listing: lines for the next names, up to a chunk.
 * 0 when the listing is done. */
static size_t list_next_chunk(struct ftp_sess *s)
{
	s->x.list_len = s->x.list_off = 0;
	while (s->x.next_name < s->x.n_names && s->x.list_len < FTP_IO_CHUNK) {
		char *name = s->x.names[s->x.next_name++];
		struct stat st;
		if (fstatat(s->x.list_dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			entry_line(s, s->x.cmd, name, &st);
		free(name);
	}
	return s->x.list_len;
}

/* Download (RETR, LIST): keep at most one chunk queued on the connection,
 * and move at most READ_BUDGET bytes per wakeup (the others' turn). */
static void data_pump(struct conn *dc)
{
	struct ftp_data *d = dc->proto;
	struct ftp_sess *s = d->s;
	if (!s || s->x.phase != X_RUN || dc->close_after_flush)
		return;
	static uint8_t buf[FTP_IO_CHUNK];
	int listing = s->x.cmd != CMD_RETR;
	size_t moved = 0;
	int at_end = 0;
	keep_control_alive(s);
	while (dc->state != CS_CLOSED && dc->out_len == dc->out_off) {
		if (moved >= READ_BUDGET) {
			conn_yield(dc);
			return;
		}
		if (listing) {
			if (s->x.list_off == s->x.list_len && list_next_chunk(s) == 0) {
				at_end = 1;
				break;
			}
			size_t k = s->x.list_len - s->x.list_off;
			d->bytes += k;
			moved += k;
			s->x.list_off += k;
			if (conn_write(dc, s->x.list + s->x.list_off - k, k) != 0)
				return;
			continue;
		}
		ssize_t n = read(s->x.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conn_close(dc, "server", "reading the file: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			at_end = 1;
			break;
		}
		d->bytes += (unsigned long long)n;
		moved += (size_t)n;
		if (conn_write(dc, buf, (size_t)n) != 0)
			return;
	}
	if (dc->state == CS_CLOSED || !at_end)
		return;
	d->ok = 1;
	conn_close_when_flushed(dc);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Store `n` more upload bytes, within the size limit and the quota. 0, or
 * -1 when the data connection was closed (a limit passed, or the write
 * failed). */
static int store_upload(struct conn *dc, struct ftp_data *d, const uint8_t *p, size_t n)
{
	struct ftp_sess *s = d->s;
	if ((long long)(d->bytes + n) > tf_limits.ftp_upload_max) {
		d->too_large = 1;
		conn_close(dc, "server", "upload larger than %lld bytes", tf_limits.ftp_upload_max);
		return -1;
	}
	if ((long long)(d->bytes + n) > s->x.quota_left) {
		d->over_quota = 1;
		conn_close(dc, "server", "data directory quota (%lld bytes) reached",
			   tf_limits.ftp_data_quota);
		return -1;
	}
	if (write_all(s->x.up.fd, p, n) != 0) {
		conn_close(dc, "server", "writing the file: %s", strerror(errno));
		return -1;
	}
	d->bytes += (unsigned long long)n;
	return 0;
}

/* The upload's stream ended. As vsftpd's default strict_ssl_read_eof=NO,
 * a TLS stream cut by a bare FIN is still taken (and said so in the
 * event); the scenario key ftp.strict_ssl_read_eof refuses it (426). */
static void upload_eof(struct conn *dc, struct ftp_data *d)
{
	d->truncated = !conn_eof_was_clean(dc);
	if (d->truncated && d->s->c->lis->s->ftp_strict_eof) {
		conn_close(dc, "client", "TLS upload ended without close_notify "
					 "(strict_ssl_read_eof): file not kept");
		return;
	}
	d->ok = 1;
	conn_close(dc, "client", NULL);
}

/* Upload (STOR, APPE): what is readable goes to the file, at most
 * READ_BUDGET bytes per wakeup. */
static void data_pull(struct conn *dc)
{
	struct ftp_data *d = dc->proto;
	struct ftp_sess *s = d->s;
	static uint8_t buf[FTP_IO_CHUNK];
	if (!s || s->x.phase != X_RUN)
		return;
	keep_control_alive(s);
	if (d->early_len) {
		size_t n = d->early_len;
		d->early_len = 0;
		if (store_upload(dc, d, d->early, n) != 0)
			return;
	}
	for (size_t moved = 0; moved < READ_BUDGET;) {
		ssize_t n = conn_read(dc, buf, sizeof(buf));
		if (n == CONN_AGAIN)
			return;
		if (n == 0) {
			upload_eof(dc, d);
			return;
		}
		if (n < 0) {
			conn_close(dc, "client", "data connection failed during upload");
			return;
		}
		if (store_upload(dc, d, buf, (size_t)n) != 0)
			return;
		moved += (size_t)n;
	}
	conn_yield(dc); /* wolfSSL may hold more than epoll can announce */
}

/* Data that arrives before its command is kept (bounded), so a client
 * that sends early loses nothing and a level-triggered loop never spins. */
static void data_early(struct conn *dc)
{
	struct ftp_data *d = dc->proto;
	for (;;) {
		uint8_t tmp[4096];
		if (!d->early) {
			d->early = malloc(FTP_EARLY_MAX);
			if (!d->early) {
				conn_close(dc, "server", "out of memory");
				return;
			}
		}
		size_t room = FTP_EARLY_MAX - d->early_len;
		ssize_t n = conn_read(dc, room ? d->early + d->early_len : tmp,
				      room ? room : sizeof(tmp));
		if (n == CONN_AGAIN)
			return;
		if (n <= 0) {
			conn_close(dc, "client", n < 0 ? "data connection failed" : NULL);
			return;
		}
		if (!room) {
			conn_close(dc, "server", "more than %d bytes before a transfer command",
				   FTP_EARLY_MAX);
			return;
		}
		d->early_len += (size_t)n;
	}
}

static void data_step(struct conn *dc, struct ftp_data *d, struct ftp_sess *s);

static void data_readable(struct conn *dc)
{
	struct ftp_data *d = dc->proto;
	struct ftp_sess *s = d ? d->s : NULL;
	if (!s) {
		conn_close(dc, "server", "control connection gone");
		return;
	}
	sess_hold(s);
	data_step(dc, d, s);
	sess_release(s);
}

static void data_step(struct conn *dc, struct ftp_data *d, struct ftp_sess *s)
{
	(void)d;
	if (s->dc != dc) {
		data_early(dc); /* a candidate: its TLS is not up yet */
		return;
	}
	if (s->x.phase != X_RUN) {
		if (s->x.phase == X_MARKED && dc->state == CS_APP) {
			xfer_advance(s);
			return;
		}
		data_early(dc);
		return;
	}
	if (s->x.cmd == CMD_STOR || s->x.cmd == CMD_APPE) {
		data_pull(dc);
		return;
	}
	/* A download: the client sends nothing; notice it leaving. */
	if (dc->out_len == dc->out_off && !dc->close_after_flush) {
		data_pump(dc);
		return;
	}
	uint8_t tmp[512];
	ssize_t n = conn_read(dc, tmp, sizeof(tmp));
	if (n == 0 || n == -1)
		conn_close(dc, "client", "data connection closed during download");
}

static void data_open(struct conn *dc)
{
	struct ftp_sess *s = dc->lis->user;
	struct ftp_data *d = calloc(1, sizeof(*d));
	if (!d) {
		conn_close(dc, "server", "out of memory");
		return;
	}
	dc->proto = d;
	d->s = s;
	d->control_id = s->c->ev.id;
	d->protected_ = dc->lis->data_start == 1;
	s->data_conns++;
	/* No TLS 1.3 session ticket on a data connection: nothing resumes
	 * from it, and an uploading client never reads it, so its close()
	 * with the ticket unread is a RST that can overtake its last bytes
	 * and close_notify (lftp, curl: "426" on a good upload). */
	if (d->protected_ && dc->ssl)
		wolfSSL_no_ticket_TLSv13(dc->ssl);
	if (d->protected_)
		s->cand[s->n_cand++] = dc; /* data_tls_ready decides */
	else
		s->dc = dc;
	sess_hold(s);
	xfer_advance(s);
	sess_release(s);
}

static void cand_remove(struct ftp_sess *s, struct conn *dc)
{
	for (int i = 0; i < s->n_cand; i++)
		if (s->cand[i] == dc) {
			s->cand[i] = s->cand[--s->n_cand];
			return;
		}
}

/* A PROT P candidate completed TLS: the first one is the data connection. */
static void data_tls_ready(struct conn *dc)
{
	struct ftp_data *d = dc->proto;
	if (!d || !d->s)
		return;
	struct ftp_sess *s = d->s;
	cand_remove(s, dc);
	if (s->dc) {
		s->data_refused++;
		d->s = NULL;
		conn_close(dc, "server", "refused: the data port is already taken");
		return;
	}
	s->dc = dc;
	close_data_listener(s);
	drop_candidates(s, "refused: another data connection completed TLS first");
	sess_hold(s);
	xfer_advance(s);
	sess_release(s);
}

static void data_render(struct conn *dc, struct ftp_data *d)
{
	struct json j;
	json_init(&j, dc->ev.proto_json, sizeof(dc->ev.proto_json));
	json_obj_open(&j);
	json_kint(&j, "control_conn", (long long)d->control_id);
	json_kbool(&j, "protected", d->protected_);
	json_kstr(&j, "command", d->command[0] ? d->command : NULL);
	json_key(&j, "result");
	if (d->result)
		json_int(&j, d->result);
	else
		json_null(&j);
	json_kint(&j, "bytes", (long long)d->bytes);
	json_kbool(&j, "truncated", d->truncated);
	json_kstr(&j, "refused", d->why);
	json_obj_close(&j);
	dc->ev.proto_key = "ftp";
	if (j.truncated)
		dc->ev.proto_json[0] = '\0';
}

static void data_close(struct conn *dc)
{
	struct ftp_data *d = dc->proto;
	if (!d)
		return;
	struct ftp_sess *s = d->s;
	if (s)
		sess_hold(s);
	if (s && s->dc == dc) {
		s->dc = NULL;
		xfer_finished(s, d, dc);
	} else if (s) {
		cand_remove(s, dc);
		/* A real client whose data TLS failed (it sent a ClientHello)
		 * gets its 522, as from vsftpd; a connection that never spoke
		 * TLS is only logged, and the port waits for the real one. */
		if (!strcmp(dc->ev.handshake, "failed") && dc->ev.hello_state == 1 && !s->dc) {
			close_data_listener(s);
			drop_candidates(s, "the data connection's TLS handshake failed");
			xfer_finished(s, d, dc);
		}
	}
	data_render(dc, d);
	free(d->early);
	free(d);
	dc->proto = NULL;
	if (!s)
		return;
	/* Commands queued behind the transfer may run now (they may sit in
	 * wolfSSL's buffer, where no epoll event would announce them). */
	if (s->c && !s->orphaned && !s->closing)
		conn_yield(s->c);
	sess_release(s);
}

const struct proto_ops ftp_data_ops = {
	.channel = "ftp-data",
	.on_open = data_open,
	.on_tls_ready = data_tls_ready,
	.on_readable = data_readable,
	.on_close = data_close,
};

/* ---- directory listings ------------------------------------------- */

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

static void entry_line(struct ftp_sess *s, int cmd, const char *name, const struct stat *st)
{
	/* A name with CR or LF would split a line; no listing can show it. */
	if (strpbrk(name, "\r\n"))
		return;
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&st->st_mtime, &tm);
	char when[32];
	if (cmd == CMD_MLSD) {
		strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
		list_append(s, "type=%s;size=%lld;modify=%s; %s\r\n",
			    S_ISDIR(st->st_mode) ? "dir" : "file", (long long)st->st_size, when,
			    name);
	} else if (cmd == CMD_NLST) {
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

static int is_upload_temp(const char *name)
{
	return !strncmp(name, FTP_FS_TEMP_PREFIX, strlen(FTP_FS_TEMP_PREFIX));
}

/* Read and sort the names to list; the lines are made as the client reads
 * (list_next_chunk). -1 with errno: ENOMEM or EFBIG (more than
 * FTP_LIST_MAX_ENTRIES names) is a 451, anything else a 550. */
static int build_listing(struct ftp_sess *s, int cmd, const char *arg)
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
		entry_line(s, cmd, base ? base + 1 : arg, &st);
		return 0;
	}
	DIR *d = ftp_fs_opendir(&s->fs, arg, &s->x.list_dfd);
	if (!d)
		return -1;
	size_t ncap = 0;
	int err = 0;
	struct dirent *e;
	while (!err && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_upload_temp(e->d_name))
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

/* ---- command handlers --------------------------------------------- */

static void feat(struct ftp_sess *s)
{
	const struct scenario *sc = s->c->lis->s;
	int tls = s->c->lis->ctx && !(sc->protocol == PROTO_FTPS_EXPLICIT &&
				      sc->ftp_auth_tls == AUTHTLS_REFUSE);
	reply(s, 211, "Features:\n%s%sEPSV\nMDTM\nMLSD type*;size*;modify*;\nPASV\n%sREST STREAM\n"
		      "SIZE\nTVFS\nUTF8\nEnd",
	      tls && sc->protocol == PROTO_FTPS_EXPLICIT ? "AUTH TLS\nAUTH SSL\n" : "",
	      tls ? "PBSZ\n" : "", tls ? "PROT\n" : "");
}

static void help(struct ftp_sess *s)
{
	char text[1024] = "The following commands are recognized.\n";
	size_t n;
	const struct ftp_cmd_row *t = ftp_cmd_table(&n);
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(text);
		snprintf(text + used, sizeof(text) - used, "%s%s", t[i].verb,
			 (i + 1) % 8 == 0 ? "\n" : " ");
	}
	size_t used = strlen(text);
	snprintf(text + used, sizeof(text) - used, "%sHelp OK.", text[used - 1] == '\n' ? "" : "\n");
	reply(s, 214, "%s", text);
}

static void status(struct ftp_sess *s)
{
	reply(s, 211,
	      "FTP server status:\nConnected to %s\nLogged in as %s\nTYPE: %s\n"
	      "Control connection is %s\nData connections will be %s\nEnd of status",
	      s->c->ev.peer, s->logged_in ? s->user : "(nobody)",
	      s->type_ascii ? "ASCII" : "BINARY", s->tls ? "protected (TLS)" : "plain text",
	      s->prot_p ? "protected (PROT P)" : "plain text (PROT C)");
}

static int ensure_fs(struct ftp_sess *s)
{
	if (s->fs_ready)
		return 0;
	char dir[FTP_PATH_MAX];
	const char *root = s->c->srv->data_root ? s->c->srv->data_root : "build/run/data";
	snprintf(dir, sizeof(dir), "%s/%s", root, s->c->lis->s->name);
	if (ftp_fs_open(&s->fs, dir) != 0) {
		event_set_error(&s->c->ev, "upload root %s: %s", dir, strerror(errno));
		return -1;
	}
	s->fs_ready = 1;
	return 0;
}

static void cmd_auth(struct ftp_sess *s, const char *arg)
{
	const struct scenario *sc = s->c->lis->s;
	if (sc->protocol == PROTO_FTPS_EXPLICIT && sc->ftp_auth_tls == AUTHTLS_REFUSE) {
		/* vsftpd with ssl_enable=NO does not know AUTH before login. */
		reply(s, 530, "Please login with USER and PASS.");
		return;
	}
	if (s->tls) {
		reply(s, 534, "Already using TLS.");
		return;
	}
	if (strcasecmp(arg, "TLS") && strcasecmp(arg, "TLS-C") && strcasecmp(arg, "SSL") &&
	    strcasecmp(arg, "TLS-P")) {
		reply(s, 504, "Unknown AUTH type.");
		return;
	}
	s->auth = !strcasecmp(arg, "SSL") ? "SSL" : "TLS";
	/* vsftpd's words; seed 000's "FTP failed to start tls: Proceed with
	 * negotiation." quotes this reply: the handshake after it failed. */
	reply(s, 234, "Proceed with negotiation.");
	if (gone(s))
		return;
	if (!sc->cert[0]) {
		s->nocert_hello = malloc(HELLO_CAPTURE_MAX);
		if (!s->nocert_hello)
			conn_close(s->c, "server", "out of memory");
		return;
	}
	if (conn_start_tls(s->c) != 0)
		conn_close(s->c, "server", NULL);
}

static void cmd_user(struct ftp_sess *s, const char *arg)
{
	const struct scenario *sc = s->c->lis->s;
	s->user_sent = 1;
	if (!s->tls)
		s->user_plain = 1;
	if (s->logged_in) {
		reply(s, 530, "Can't change to another user.");
		return;
	}
	snprintf(s->user, sizeof(s->user), "%s", arg);
	if (sc->ftp_require_tls && !s->tls) {
		s->login = "refused";
		reply(s, 530, "Non-anonymous sessions must use encryption.");
		return;
	}
	s->have_user = 1;
	reply(s, 331, "Please specify the password.");
}

static void cmd_pass(struct ftp_sess *s, const char *arg)
{
	const struct scenario *sc = s->c->lis->s;
	s->pass_sent = 1;
	if (!s->tls)
		s->pass_plain = 1;
	if (s->logged_in) {
		reply(s, 230, "Already logged in.");
		return;
	}
	if (!s->have_user) {
		reply(s, 503, "Login with USER first.");
		return;
	}
	if (sc->ftp_require_tls && !s->tls) {
		s->login = "refused";
		reply(s, 530, "Non-anonymous sessions must use encryption.");
		return;
	}
	if (strcmp(s->user, sc->ftp_user) || strcmp(arg, sc->ftp_password)) {
		s->have_user = 0;
		s->login = "failed";
		reply(s, 530, "Login incorrect.");
		return;
	}
	if (ensure_fs(s) != 0) {
		reply(s, 421, "Service not available: upload root unusable.");
		if (!gone(s))
			conn_close_when_flushed(s->c);
		return;
	}
	s->logged_in = 1;
	s->login = "ok";
	reply(s, 230, "Login successful.");
}

static void cmd_prot(struct ftp_sess *s, const char *arg)
{
	if (!s->tls) {
		reply(s, 503, "PROT not allowed on insecure control connection.");
		return;
	}
	if (!strcasecmp(arg, "P")) {
		s->prot_p = 1;
		reply(s, 200, "PROT now Private.");
	} else if (!strcasecmp(arg, "C")) {
		s->prot_p = 0;
		reply(s, 200, "PROT now Clear.");
	} else if (!strcasecmp(arg, "S") || !strcasecmp(arg, "E")) {
		reply(s, 536, "PROT level not supported.");
	} else {
		reply(s, 504, "Bad PROT level.");
	}
}

static void cmd_type(struct ftp_sess *s, const char *arg)
{
	/* ASCII is accepted but, as vsftpd's default, bytes are not converted. */
	if (!strcasecmp(arg, "A") || !strcasecmp(arg, "A N")) {
		s->type_ascii = 1;
		reply(s, 200, "Switching to ASCII mode.");
	} else if (!strcasecmp(arg, "I") || !strcasecmp(arg, "L 8")) {
		s->type_ascii = 0;
		reply(s, 200, "Switching to Binary mode.");
	} else {
		reply(s, 504, "Bad TYPE command.");
	}
}

static void fs_fail(struct ftp_sess *s, int code, const char *what)
{
	reply(s, code, "%s: %s", what, ftp_fs_why(errno));
}

static void cmd_pasv(struct ftp_sess *s, int epsv, const char *arg)
{
	if (epsv && arg[0]) {
		if (!strcasecmp(arg, "ALL")) {
			reply(s, 200, "EPSV ALL ok.");
			return;
		}
		if (strcmp(arg, "1") && strcmp(arg, "2")) {
			reply(s, 501, "Bad EPSV argument.");
			return;
		}
	}
	if (s->x.phase != X_NONE) {
		reply(s, 425, "A transfer is in progress.");
		return;
	}
	drop_data(s, "replaced by a new PASV/EPSV");
	int port;
	uint8_t a[4];
	if (open_data_port(s, &port, a) != 0) {
		reply(s, 425, "Cannot open a passive port: %s", strerror(errno));
		return;
	}
	char text[128];
	if (epsv)
		ftp_epsv_text(text, sizeof(text), port);
	else
		ftp_pasv_text(text, sizeof(text), a, port);
	reply(s, epsv ? 229 : 227, "%s", text);
}

static void cmd_xfer(struct ftp_sess *s, int cmd, const char *arg, const char *logged)
{
	/* RFC 3659 5: REST applies to the transfer command right after it. */
	long long rest = s->rest;
	s->rest = 0;
	if (!s->dc && s->dlis.fd < 0 && !s->n_cand) {
		reply(s, 425, "Use PORT or PASV first.");
		return;
	}
	xfer_reset(s);
	s->x.cmd = cmd;
	snprintf(s->x.arg, sizeof(s->x.arg), "%s", arg);
	snprintf(s->x.logged, sizeof(s->x.logged), "%s", logged);
	struct stat st;
	if (cmd == CMD_RETR) {
		s->x.fd = ftp_fs_open_read(&s->fs, arg, &st);
		if (s->x.fd < 0) {
			fs_fail(s, 550, "Failed to open file");
			xfer_reset(s);
			return;
		}
		if (rest > (long long)st.st_size) {
			/* RFC 3659 5.5: a marker past the end of the file */
			reply(s, 554, "Restart position %lld is beyond the end of the file (%lld bytes).",
			      rest, (long long)st.st_size);
			xfer_reset(s);
			return;
		}
		if (rest && lseek(s->x.fd, rest, SEEK_SET) < 0) {
			fs_fail(s, 550, "Failed to open file");
			xfer_reset(s);
			return;
		}
		s->x.rest = rest;
	} else if (cmd == CMD_STOR || cmd == CMD_APPE) {
		s->x.quota_left = tf_limits.ftp_data_quota - ftp_fs_usage(&s->fs);
		if (s->x.quota_left <= 0) {
			reply(s, 552, "Requested file action aborted. Exceeded storage allocation.");
			xfer_reset(s);
			return;
		}
		/* APPE keeps the whole file, REST n + STOR its first n bytes. */
		long long keep = cmd == CMD_APPE ? -1 : rest;
		if (ftp_fs_upload_begin(&s->fs, arg, keep, &s->x.up) != 0) {
			int e = errno;
			xfer_reset(s);
			errno = e;
			if (e == ESPIPE)
				reply(s, 554, "Restart position %lld is beyond the end of the file.", rest);
			else
				fs_fail(s, 553, "Could not create file");
			return;
		}
	} else if (build_listing(s, cmd, arg[0] ? arg : NULL) != 0) {
		int e = errno;
		xfer_reset(s);
		errno = e;
		if (e == EFBIG)
			reply(s, 451, "Requested action aborted: more than %d entries to list.",
			      FTP_LIST_MAX_ENTRIES);
		else if (e == ENOMEM)
			reply(s, 451, "Requested action aborted: out of memory for the listing.");
		else
			fs_fail(s, 550, "Failed to open directory");
		return;
	}
	s->x.phase = X_WAIT_CONN;
	xfer_advance(s);
}

static void cmd_abor(struct ftp_sess *s)
{
	if (s->x.phase == X_NONE) {
		drop_data(s, "ABOR");
		reply(s, 225, "No transfer to ABOR.");
		return;
	}
	drop_data(s, "transfer aborted by ABOR");
	xfer_reset(s);
	reply(s, 426, "Failure writing network stream.");
	reply(s, 226, "ABOR successful.");
}

static void with_path(struct ftp_sess *s, int id, const char *arg)
{
	struct stat st;
	char vpath[FTP_PATH_MAX], quoted[FTP_PATH_MAX * 2 + 3];
	switch (id) {
	case CMD_PWD:
		ftp_quote_path(quoted, sizeof(quoted), s->fs.cwd);
		reply(s, 257, "%s is the current directory", quoted);
		return;
	case CMD_CWD:
	case CMD_CDUP:
		if (ftp_fs_chdir(&s->fs, id == CMD_CDUP ? ".." : arg) == 0)
			reply(s, 250, "Directory successfully changed.");
		else
			fs_fail(s, 550, "Failed to change directory");
		return;
	case CMD_MKD:
		if (ftp_fs_mkdir(&s->fs, arg, vpath, sizeof(vpath)) == 0 &&
		    ftp_quote_path(quoted, sizeof(quoted), vpath) > 0)
			reply(s, 257, "%s created", quoted);
		else
			fs_fail(s, 550, "Create directory operation failed");
		return;
	case CMD_RMD:
		if (ftp_fs_rmdir(&s->fs, arg) == 0)
			reply(s, 250, "Remove directory operation successful.");
		else
			fs_fail(s, 550, "Remove directory operation failed");
		return;
	case CMD_DELE:
		if (ftp_fs_unlink(&s->fs, arg) == 0)
			reply(s, 250, "Delete operation successful.");
		else
			fs_fail(s, 550, "Delete operation failed");
		return;
	case CMD_SIZE:
		if (ftp_fs_stat(&s->fs, arg, &st) == 0 && S_ISREG(st.st_mode))
			reply(s, 213, "%lld", (long long)st.st_size);
		else
			reply(s, 550, "Could not get file size.");
		return;
	case CMD_MDTM:
		if (ftp_fs_stat(&s->fs, arg, &st) == 0 && S_ISREG(st.st_mode)) {
			struct tm tm;
			char when[32];
			gmtime_r(&st.st_mtime, &tm);
			strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
			reply(s, 213, "%s", when);
		} else {
			reply(s, 550, "Could not get file modification time.");
		}
		return;
	case CMD_RNFR:
		if (ftp_fs_stat(&s->fs, arg, &st) == 0) {
			snprintf(s->rnfr, sizeof(s->rnfr), "%s", arg);
			s->have_rnfr = 1;
			reply(s, 350, "Ready for RNTO.");
		} else {
			fs_fail(s, 550, "RNFR command failed");
		}
		return;
	case CMD_RNTO:
		if (!s->have_rnfr) {
			reply(s, 503, "RNFR required first.");
			return;
		}
		s->have_rnfr = 0;
		if (ftp_fs_rename(&s->fs, s->rnfr, arg) == 0)
			reply(s, 250, "Rename successful.");
		else
			fs_fail(s, 550, "Rename failed");
		return;
	}
}

static void dispatch(struct ftp_sess *s, const struct ftp_cmd_row *r, const struct ftp_line *l,
		     const char *logged)
{
	const char *arg = l->arg;
	if (r->id != CMD_RNTO)
		s->have_rnfr = r->id == CMD_RNFR ? s->have_rnfr : 0;
	switch (r->id) {
	case CMD_USER: cmd_user(s, arg); return;
	case CMD_PASS: cmd_pass(s, arg); return;
	case CMD_AUTH: cmd_auth(s, arg); return;
	case CMD_PBSZ:
		if (!s->tls)
			reply(s, 503, "PBSZ not allowed on insecure control connection.");
		else {
			s->pbsz = 1;
			reply(s, 200, "PBSZ=0");
		}
		return;
	case CMD_PROT: cmd_prot(s, arg); return;
	case CMD_CCC: reply(s, 534, "CCC refused: the control channel stays protected."); return;
	case CMD_FEAT: feat(s); return;
	case CMD_SYST: reply(s, 215, "UNIX Type: L8"); return;
	case CMD_TYPE: cmd_type(s, arg); return;
	case CMD_MODE:
		if (!strcasecmp(arg, "S"))
			reply(s, 200, "Mode set to S.");
		else
			reply(s, 504, "Bad MODE command.");
		return;
	case CMD_STRU:
		if (!strcasecmp(arg, "F"))
			reply(s, 200, "Structure set to F.");
		else
			reply(s, 504, "Bad STRU command.");
		return;
	case CMD_PASV: cmd_pasv(s, 0, arg); return;
	case CMD_EPSV: cmd_pasv(s, 1, arg); return;
	case CMD_PORT:
	case CMD_EPRT: reply(s, 502, "Active mode is not supported; use PASV or EPSV."); return;
	case CMD_LIST:
	case CMD_NLST:
	case CMD_MLSD:
	case CMD_RETR:
	case CMD_STOR:
	case CMD_APPE: cmd_xfer(s, r->id, arg, logged); return;
	case CMD_REST: {
		char *end;
		errno = 0;
		long long v = strtoll(arg, &end, 10);
		if (errno || end == arg || *end || v < 0) {
			reply(s, 501, "Bad REST argument.");
			return;
		}
		s->rest = v;
		reply(s, 350, "Restart position accepted (%lld).", v);
		return;
	}
	case CMD_NOOP: reply(s, 200, "NOOP ok."); return;
	case CMD_QUIT:
		reply(s, 221, "Goodbye.");
		s->closing = 1;
		if (gone(s))
			return;
		drop_data(s, "QUIT");
		conn_close_when_flushed(s->c);
		return;
	case CMD_ABOR: cmd_abor(s); return;
	case CMD_OPTS:
		if (!strcasecmp(arg, "UTF8 ON") || !strcasecmp(arg, "UTF8"))
			reply(s, 200, "Always in UTF8 mode.");
		else if (!strncasecmp(arg, "MLST ", 5))
			reply(s, 200, "MLST OPTS type;size;modify;");
		else
			reply(s, 501, "Option not understood.");
		return;
	case CMD_ALLO: reply(s, 202, "ALLO command ignored."); return;
	case CMD_HELP: help(s); return;
	case CMD_STAT:
		if (arg[0])
			reply(s, 502, "STAT with a path is not implemented; use LIST.");
		else
			status(s);
		return;
	default: with_path(s, r->id, arg); return;
	}
}

/* One parsed line: policy from the table's flags, then the handler. */
static void handle_line(struct ftp_sess *s, const struct ftp_line *l)
{
	char logged[FTP_LOG_CMD_LEN];
	s->cur_cmd = log_command(s, l);
	ftp_log_form(l, logged, sizeof(logged));
	if (l->error) {
		reply(s, 500, "%s.", l->error);
		return;
	}
	const struct ftp_cmd_row *r = ftp_cmd_find(l->verb);
	if (!r) {
		reply(s, 500, "Unknown command.");
		return;
	}
	if ((r->flags & FTP_F_ARG) && !l->arg_len) {
		reply(s, 501, "%s needs an argument.", r->verb);
		return;
	}
	if ((r->flags & FTP_F_NOARG) && l->arg_len) {
		reply(s, 501, "%s takes no argument.", r->verb);
		return;
	}
	if ((r->flags & FTP_F_LOGIN) && !s->logged_in) {
		reply(s, 530, "Please login with USER and PASS.");
		return;
	}
	dispatch(s, r, l, logged);
}

/* ---- the control connection --------------------------------------- */

/* Plaintext input is taken one line at a time, straight from the staging
 * buffer: after AUTH TLS the client's ClientHello must still be there for
 * the handshake, not in our line buffer (RFC 4217 4). */
static ssize_t ctl_read(struct conn *c, uint8_t *dst, size_t cap)
{
	if (c->state == CS_APP)
		return conn_read(c, dst, cap);
	size_t n;
	const uint8_t *p = conn_raw(c, &n);
	if (n == 0)
		return conn_read(c, dst, 1); /* fills the staging buffer */
	const uint8_t *lf = memchr(p, '\n', n);
	size_t k = lf ? (size_t)(lf - p) + 1 : n;
	return conn_read(c, dst, k < cap ? k : cap);
}

/* Run every complete buffered line; stop at a command that must wait for
 * the transfer in progress (RFC 959 queues them; so do we). */
static void ctl_process(struct ftp_sess *s, int *budget)
{
	struct conn *c = s->c;
	while (c->state == CS_APP || c->state == CS_PLAIN) {
		if (s->closing || c->close_after_flush || s->nocert_hello)
			return;
		/* Replies the client does not read stop the commands that make
		 * them (conn.c resumes us once the backlog drains), and a
		 * wakeup runs a bounded number of them (the others' turn). */
		if (conn_backlogged(c) || *budget <= 0)
			return;
		if (s->discarding) {
			int done;
			size_t k = ftp_skip_line(s->in, s->in_len, &done);
			memmove(s->in, s->in + k, s->in_len - k);
			s->in_len -= k;
			if (!done)
				return;
			s->discarding = 0;
			continue;
		}
		struct ftp_line l;
		int rc = ftp_parse_line(s->in, s->in_len, &l);
		if (rc == FTP_NEED_MORE)
			return;
		if (rc == FTP_TOO_LONG) {
			l.error = "line too long";
			s->cur_cmd = log_command(s, &l);
			reply(s, 500, "Command line too long (limit %d bytes).", FTP_LINE_MAX);
			s->discarding = 1;
			continue;
		}
		if (s->x.phase != X_NONE) {
			const struct ftp_cmd_row *r = l.error ? NULL : ftp_cmd_find(l.verb);
			if (!r || !(r->flags & FTP_F_ANYTIME))
				return; /* keep it for after the transfer */
		}
		/* Consume first: the handler may end a transfer and so run
		 * this loop's caller again. */
		memmove(s->in, s->in + rc, s->in_len - (size_t)rc);
		s->in_len -= (size_t)rc;
		s->line_started_ms = 0;
		--*budget;
		handle_line(s, &l);
		if (c->state == CS_HANDSHAKE)
			return; /* AUTH TLS: the handshake reads next */
	}
}

/* No certificate: there is nothing to negotiate with. An OpenSSL server
 * (vsftpd) in this state reads the ClientHello, finds no usable suite and
 * sends a fatal handshake_failure alert (RFC 5246 7.2.2, RFC 8446 6.2). */
static void nocert_readable(struct conn *c, struct ftp_sess *s)
{
	for (;;) {
		size_t room = HELLO_CAPTURE_MAX - s->nocert_len;
		ssize_t n = room ? conn_read(c, s->nocert_hello + s->nocert_len, room) : 0;
		if (n == CONN_AGAIN)
			return;
		if (n <= 0 && room) {
			c->ev.handshake = "failed";
			conn_close(c, "client", "closed before a ClientHello (no certificate configured)");
			return;
		}
		s->nocert_len += (size_t)n;
		int rc = sniff_client_hello(s->nocert_hello, s->nocert_len, &c->ev.hello);
		if (rc == SNIFF_NEED_MORE && room)
			continue;
		c->ev.hello_state = rc > 0 ? 1 : -1;
		c->ev.hello_error = rc > 0 ? NULL : c->ev.hello.error;
		break;
	}
	static const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40}; /* fatal handshake_failure */
	c->ev.handshake = "failed";
	c->ev.alert_sent.code = 40;
	c->ev.alert_sent.level = 2;
	event_set_error(&c->ev, "no certificate configured: answered the ClientHello with "
				"handshake_failure");
	if (conn_write(c, alert, sizeof(alert)) == 0)
		conn_close_when_flushed(c);
}

/* A command line must end within the line timeout of its first byte, and
 * the login succeed within the login timeout of the connect, however
 * slowly the bytes come (each byte extends only the idle deadline). */
static void ctl_deadlines(struct ftp_sess *s)
{
	struct conn *c = s->c;
	if (s->in_len == 0 && !s->discarding)
		s->line_started_ms = 0;
	else if (!s->line_started_ms)
		s->line_started_ms = loop_now_ms();
	int64_t line_at = s->line_started_ms ? s->line_started_ms + tf_limits.ftp_line_timeout_ms : 0;
	int64_t login_at = s->logged_in ? 0 : s->login_deadline_ms;
	char why[96];
	if (line_at && (!login_at || line_at < login_at)) {
		snprintf(why, sizeof(why), "command line not completed within %d ms",
			 tf_limits.ftp_line_timeout_ms);
		conn_set_cap_deadline(c, line_at, why);
	} else if (login_at) {
		snprintf(why, sizeof(why), "login not completed within %d ms",
			 tf_limits.ftp_login_timeout_ms);
		conn_set_cap_deadline(c, login_at, why);
	} else {
		conn_set_cap_deadline(c, 0, NULL);
	}
}

static void ctl_readable(struct conn *c)
{
	struct ftp_sess *s = c->proto;
	if (!s || s->in_process)
		return; /* the outer call goes on with the next line */
	if (s->nocert_hello) {
		nocert_readable(c, s);
		return;
	}
	sess_hold(s);
	s->in_process = 1;
	int budget = FTP_CMDS_PER_WAKEUP;
	for (;;) {
		ctl_process(s, &budget);
		if (s->orphaned || (c->state != CS_APP && c->state != CS_PLAIN))
			break;
		if (s->nocert_hello) {
			nocert_readable(c, s);
			break;
		}
		if (s->closing || c->close_after_flush || conn_backlogged(c))
			break;
		if (budget <= 0) {
			conn_yield(c); /* more may be buffered where epoll cannot see */
			break;
		}
		if (s->in_len == sizeof(s->in)) {
			/* A full buffer waits for the transfer: stop reading. */
			conn_pause_read(c, 1);
			break;
		}
		conn_pause_read(c, 0);
		ssize_t n = ctl_read(c, s->in + s->in_len, sizeof(s->in) - s->in_len);
		if (n == CONN_AGAIN)
			break;
		if (n <= 0) {
			conn_close(c, "client", n < 0 ? "control connection failed" : NULL);
			break;
		}
		s->in_len += (size_t)n;
	}
	if (!s->orphaned && (c->state == CS_APP || c->state == CS_PLAIN))
		ctl_deadlines(s);
	s->in_process = 0;
	sess_release(s);
}

static void greet(struct ftp_sess *s)
{
	reply(s, 220, "tlsfault FTP server (scenario %s) ready.", s->c->lis->s->name);
}

static void ctl_open(struct conn *c)
{
	struct ftp_sess *s = calloc(1, sizeof(*s));
	if (!s) {
		conn_close(c, "server", "out of memory");
		return;
	}
	c->proto = s;
	s->c = c;
	s->srv = c->srv;
	s->cur_cmd = -1;
	s->x.fd = -1;
	s->x.list_dfd = -1;
	s->x.up.fd = s->x.up.dfd = -1;
	s->fs.root_fd = -1;
	s->dlis.fd = -1;
	s->dlis.h.on_events = data_on_accept;
	s->dlis.s = c->lis->s;
	s->dlis.ctx = c->lis->ctx;
	s->dlis.ops = &ftp_data_ops;
	s->dlis.srv = c->srv;
	s->dlis.user = s;
	socklen_t len = sizeof(s->peer);
	getpeername(c->fd, (struct sockaddr *)&s->peer, &len);
	check_prior_failure(s);
	s->login_deadline_ms = loop_now_ms() + tf_limits.ftp_login_timeout_ms;
	ctl_deadlines(s);
	if (c->state == CS_PLAIN)
		greet(s); /* explicit FTPS; implicit greets once TLS is up */
}

static void ctl_tls_ready(struct conn *c)
{
	struct ftp_sess *s = c->proto;
	if (!s)
		return;
	int implicit = !s->tls && !s->auth;
	s->tls = 1;
	/* RFC 4217 4: after AUTH the session starts over. */
	s->in_len = 0;
	if (implicit)
		greet(s);
}

static void ctl_render(struct ftp_sess *s, int max_cmds)
{
	struct conn *c = s->c;
	struct json j;
	json_init(&j, c->ev.proto_json, sizeof(c->ev.proto_json));
	json_obj_open(&j);
	json_kstr(&j, "mode", c->lis->s->protocol == PROTO_FTPS_IMPLICIT ? "implicit" : "explicit");
	json_kstr(&j, "auth", s->auth);
	json_kbool(&j, "control_tls", s->tls);
	json_kbool(&j, "tls_failed", s->tls_failed);
	json_kbool(&j, "pbsz", s->pbsz);
	json_kstr(&j, "prot", s->prot_p ? "P" : "C");
	json_kstr(&j, "user", s->user_sent ? s->user : NULL);
	json_kbool(&j, "user_sent", s->user_sent);
	json_kbool(&j, "user_plaintext", s->user_plain);
	json_kbool(&j, "pass_sent", s->pass_sent);
	json_kbool(&j, "pass_plaintext", s->pass_plain);
	json_kstr(&j, "login", s->login);
	json_key(&j, "after_tls_failure");
	if (s->prior_fail_conn) {
		json_obj_open(&j);
		json_kint(&j, "conn", (long long)s->prior_fail_conn);
		json_kint(&j, "ms_before", s->prior_fail_ms);
		json_obj_close(&j);
	} else {
		json_null(&j);
	}
	json_kint(&j, "data_connections", s->data_conns);
	json_kint(&j, "plain_transfers", s->plain_transfers);
	json_kint(&j, "uploads", s->uploads);
	json_kint(&j, "downloads", s->downloads);
	json_kint(&j, "listings", s->listings);
	json_kint(&j, "bytes_stored", (long long)s->bytes_stored);
	json_kint(&j, "bytes_sent", (long long)s->bytes_sent);
	json_kint(&j, "data_reuse_refused", s->reuse_refused);
	json_kint(&j, "data_connections_refused", s->data_refused);
	json_key(&j, "commands");
	json_arr_open(&j);
	int shown = s->n_cmds < max_cmds ? s->n_cmds : max_cmds;
	for (int i = 0; i < shown; i++) {
		json_obj_open(&j);
		json_kstr(&j, "cmd", s->cmds[i].text);
		json_key(&j, "replies");
		json_arr_open(&j);
		for (int k = 0; k < s->cmds[i].n_replies; k++)
			json_int(&j, s->cmds[i].replies[k]);
		json_arr_close(&j);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_kint(&j, "commands_dropped", s->cmds_dropped + (s->n_cmds - shown));
	json_obj_close(&j);
	c->ev.proto_key = "ftp";
	if (j.truncated) {
		c->ev.proto_json[0] = '\0';
		if (max_cmds > 0)
			ctl_render(s, max_cmds / 2);
	}
}

static void ctl_close(struct conn *c)
{
	struct ftp_sess *s = c->proto;
	if (!s)
		return;
	if (!strcmp(c->ev.handshake, "failed")) {
		s->tls_failed = 1;
		note_tls_failure(c);
	}
	s->closing = 1;
	drop_data(s, "control connection closed");
	xfer_reset(s);
	ftp_fs_close(&s->fs);
	free(s->nocert_hello);
	s->nocert_hello = NULL;
	ctl_render(s, FTP_LOG_CMDS);
	c->proto = NULL;
	s->c = NULL;
	s->orphaned = 1;
	if (!s->refs)
		loop_retire(&s->srv->loop, &s->dlis.h, s);
}

const struct proto_ops ftps_ops = {
	.channel = "ftp-control",
	.on_open = ctl_open,
	.on_tls_ready = ctl_tls_ready,
	.on_readable = ctl_readable,
	.on_close = ctl_close,
};
