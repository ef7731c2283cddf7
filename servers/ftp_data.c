/* ftp_data — the data channel: the passive port (PASV/EPSV), the
 * connections it accepts (PROT P candidates racing to complete TLS, the
 * control's host only), and the transfers over the one that wins: 150,
 * the bytes, then 226 or the failure's reply on the control channel. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ftp_sess.h"
#include "json.h"
#include "net.h"

struct ftp_data {
	struct ftp_sess *s; /* NULL once the control connection is gone */
	uint64_t control_id;
	char command[FTP_LOG_CMD_LEN];
	int protected_;
	int ok;	    /* the transfer completed */
	int over_limit; /* the upload passed tf_limits.ftp_upload_max or the quota: 552 */
	int truncated; /* TLS upload ended by a bare FIN, no close_notify */
	int result; /* the final reply it produced */
	const char *why;
	unsigned long long bytes;
	uint8_t *early;
	size_t early_len;
};

static const struct proto_ops ftp_data_ops;

/* ---- the data port ------------------------------------------------ */

void ftp_port_close(struct ftp_sess *s)
{
	if (s->port.fd < 0)
		return;
	loop_del(s->loop, s->port.fd);
	close(s->port.fd);
	s->port.fd = -1;
}

/* No transfer: zeroed, and every descriptor -1 (not 0, stdin). */
static void xfer_clear(struct ftp_sess *s)
{
	memset(&s->x, 0, sizeof(s->x));
	s->x.fd = -1;
	s->x.list_dfd = -1;
	s->x.up.fd = s->x.up.dfd = -1;
}

void ftp_xfer_reset(struct ftp_sess *s)
{
	if (s->x.fd >= 0)
		close(s->x.fd);
	ftp_fs_upload_abort(&s->x.up); /* no-op once committed */
	ftp_list_free(s);
	xfer_clear(s);
}

static void drop_candidates(struct ftp_sess *s, const char *why)
{
	while (s->n_cand > 0) {
		struct conn *dc = s->cand[--s->n_cand];
		struct ftp_data *d = conn_proto(dc);
		if (d)
			d->s = NULL;
		conn_close(dc, "server", "%s", why);
	}
}

void ftp_drop_data(struct ftp_sess *s, const char *why)
{
	ftp_port_close(s);
	drop_candidates(s, why);
	if (s->dc) {
		struct conn *dc = s->dc;
		struct ftp_data *d = conn_proto(dc);
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

static void data_on_accept(struct loop_handler *h, uint32_t events)
{
	struct ftp_sess *s = ((struct ftp_port *)h)->s;
	(void)events;
	for (int i = 0; i < 8 && s->port.fd >= 0 && !ftp_gone(s); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(s->port.fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* RFC 2577 5: only the control connection's host may take the
		 * port; every refusal is an event of its own. */
		if (!same_host(&ss, &s->peer)) {
			char from[INET6_ADDRSTRLEN], ctl[INET6_ADDRSTRLEN];
			int port;
			net_host_text(&ss, from, sizeof(from), &port);
			net_host_text(&s->peer, ctl, sizeof(ctl), &port);
			s->data_refused++;
			conn_refuse_child(s->c, &ftp_data_ops, fd,
					  "refused: data connection from %s, the control "
					  "connection is from %s", from, ctl);
			continue;
		}
		if (s->n_cand == FTP_DATA_CANDIDATES) {
			s->data_refused++;
			conn_refuse_child(s->c, &ftp_data_ops, fd,
					  "refused: %d data connections already wait for TLS",
					  FTP_DATA_CANDIDATES);
			continue;
		}
		int prot_p = s->prot_p;
		/* Plain data (PROT C) has nothing more to check: the first
		 * connection from the right host is the one. */
		if (!prot_p)
			ftp_port_close(s);
		ftp_sess_hold(s);
		/* data_open attaches it to the session */
		conn_adopt_child(s->c, &ftp_data_ops, prot_p ? START_TLS : START_PLAIN, fd, s);
		ftp_sess_release(s);
	}
}

int ftp_port_open(struct ftp_sess *s, int *port, uint8_t addr4[4])
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (conn_local_addr(s->c, &ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	int fd = net_listen((struct sockaddr *)&ss, len, FTP_DATA_CANDIDATES, port);
	if (fd < 0)
		return -1;
	s->port.fd = fd;
	if (loop_add(s->loop, fd, EPOLLIN, &s->port.h) != 0) {
		close(fd);
		s->port.fd = -1;
		return -1;
	}
	if (ss.ss_family == AF_INET)
		memcpy(addr4, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memset(addr4, 0, 4);
	return 0;
}

/* ---- transfers ---------------------------------------------------- */

static void data_pump(struct conn *dc);
static void data_pull(struct conn *dc);

static const char *mark_text(struct ftp_sess *s, char *buf, size_t cap)
{
	switch (s->x.kind) {
	case XFER_RETR: {
		struct stat st;
		long long size = fstat(s->x.fd, &st) == 0 ? (long long)st.st_size : 0;
		snprintf(buf, cap, "Opening %s mode data connection for %s (%lld bytes).",
			 s->type_ascii ? "ASCII" : "BINARY", s->x.arg, size);
		return buf;
	}
	case XFER_STOR:
	case XFER_APPE: return "Ok to send data.";
	default: return "Here comes the directory listing.";
	}
}

/* 150 once a data connection is there, the run once its TLS is up (and
 * resumed, when the scenario requires it). */
void ftp_xfer_advance(struct ftp_sess *s)
{
	if (s->x.phase == X_NONE || ftp_gone(s))
		return;
	struct conn *dc = s->dc;
	if (s->x.phase == X_WAIT_CONN) {
		if (!dc && !s->n_cand)
			return; /* data_open will call again */
		char buf[FTP_PATH_MAX + 128];
		ftp_reply(s, 150, "%s", mark_text(s, buf, sizeof(buf)));
		if (ftp_gone(s))
			return;
		s->x.phase = X_MARKED;
	}
	if (s->x.phase != X_MARKED || !dc || conn_state(dc) == CS_HANDSHAKE)
		return;
	struct ftp_data *d = conn_proto(dc);
	snprintf(d->command, sizeof(d->command), "%s", s->x.logged);
	if (d->protected_ && conn_scenario(s->c)->ftp_data_reuse && !conn_event(dc)->resumed) {
		/* vsftpd, require_ssl_reuse=YES: answer 522 and end the session. */
		s->reuse_refused++;
		d->result = 522;
		d->why = "data channel TLS session is not a resumption of the control session";
		d->s = NULL;
		s->dc = NULL;
		conn_close(dc, "server", "%s", d->why);
		ftp_reply(s, 522, "SSL connection failed: session reuse required");
		ftp_xfer_reset(s);
		s->closing = 1;
		if (!ftp_gone(s))
			conn_close_when_flushed(s->c);
		return;
	}
	s->x.phase = X_RUN;
	if (!d->protected_)
		s->plain_transfers++;
	if (s->x.kind == XFER_STOR || s->x.kind == XFER_APPE)
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
	ftp_reply(s, 451, "Requested action aborted: could not store the file: %s",
	      ftp_fs_why(errno));
	return -1;
}

/* The data connection ended: answer the transfer on the control channel. */
static void xfer_finished(struct ftp_sess *s, struct ftp_data *d, struct conn *dc)
{
	int running = s->x.phase == X_RUN || s->x.phase == X_MARKED;
	int cmd = s->x.kind;
	int upload = cmd == XFER_STOR || cmd == XFER_APPE;
	if (!running)
		return;
	if (d->ok) {
		if (upload && commit_upload(s, d) != 0) {
			ftp_xfer_reset(s);
			return;
		}
		d->result = 226;
		if (upload) {
			s->uploads++;
			s->bytes_stored += d->bytes;
		} else if (cmd == XFER_RETR) {
			s->downloads++;
			s->bytes_sent += d->bytes;
		} else {
			s->listings++;
		}
		ftp_reply(s, 226, cmd == XFER_RETR || upload ? "Transfer complete." : "Directory send OK.");
		ftp_xfer_reset(s);
		return;
	}
	/* The failed upload's temporary file goes before the reply: a client
	 * that looks right after it must find the previous file only. */
	if (upload)
		ftp_fs_upload_abort(&s->x.up);
	if (d->over_limit) {
		d->result = 552;
		ftp_reply(s, 552, "Requested file action aborted. Exceeded storage allocation.");
	} else if (!strcmp(conn_event(dc)->handshake, "failed") || (d->protected_ && strcmp(conn_event(dc)->handshake, "ok"))) {
		d->result = 522;
		ftp_reply(s, 522, "SSL connection failed");
	} else if (upload) {
		d->result = 426;
		ftp_reply(s, 426, "Failure reading network stream.");
	} else {
		d->result = 426;
		ftp_reply(s, 426, "Failure writing network stream.");
	}
	ftp_xfer_reset(s); /* an upload not committed above is removed here */
}

/* The control connection is idle while its transfer runs: a long transfer
 * must not look like an idle session to the sweep. */
static void keep_control_alive(struct ftp_sess *s)
{
	if (!ftp_gone(s))
		conn_touch(s->c);
}

/* Download (RETR, LIST): keep at most one chunk queued on the connection,
 * and move at most READ_BUDGET bytes per wakeup (the others' turn). */
static void data_pump(struct conn *dc)
{
	struct ftp_data *d = conn_proto(dc);
	struct ftp_sess *s = d->s;
	if (!s || s->x.phase != X_RUN || conn_closing(dc))
		return;
	static uint8_t buf[FTP_IO_CHUNK];
	int listing = s->x.kind != XFER_RETR;
	size_t moved = 0;
	int at_end = 0;
	keep_control_alive(s);
	while (conn_state(dc) != CS_CLOSED && !conn_output_pending(dc)) {
		if (moved >= READ_BUDGET) {
			conn_yield(dc);
			return;
		}
		if (listing) {
			if (s->x.list_off == s->x.list_len && ftp_list_next_chunk(s) == 0) {
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
	if (conn_state(dc) == CS_CLOSED || !at_end)
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
		d->over_limit = 1;
		conn_close(dc, "server", "upload larger than %lld bytes", tf_limits.ftp_upload_max);
		return -1;
	}
	if ((long long)(d->bytes + n) > s->x.quota_left) {
		d->over_limit = 1;
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
	if (d->truncated && conn_scenario(dc)->ftp_strict_eof) {
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
	struct ftp_data *d = conn_proto(dc);
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
	struct ftp_data *d = conn_proto(dc);
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

static void data_step(struct conn *dc, struct ftp_sess *s)
{
	if (s->dc != dc) {
		data_early(dc); /* a candidate: its TLS is not up yet */
		return;
	}
	if (s->x.phase != X_RUN) {
		if (s->x.phase == X_MARKED && conn_state(dc) == CS_APP) {
			ftp_xfer_advance(s);
			return;
		}
		data_early(dc);
		return;
	}
	if (s->x.kind == XFER_STOR || s->x.kind == XFER_APPE) {
		data_pull(dc);
		return;
	}
	/* A download: the client sends nothing; notice it leaving. */
	if (!conn_output_pending(dc) && !conn_closing(dc)) {
		data_pump(dc);
		return;
	}
	uint8_t tmp[512];
	ssize_t n = conn_read(dc, tmp, sizeof(tmp));
	if (n == 0 || n == -1)
		conn_close(dc, "client", "data connection closed during download");
}

static void data_readable(struct conn *dc)
{
	struct ftp_data *d = conn_proto(dc);
	struct ftp_sess *s = d ? d->s : NULL;
	if (!s) {
		conn_close(dc, "server", "control connection gone");
		return;
	}
	ftp_sess_hold(s);
	data_step(dc, s);
	ftp_sess_release(s);
}

static void data_open(struct conn *dc)
{
	struct ftp_sess *s = conn_owner(dc);
	struct ftp_data *d = calloc(1, sizeof(*d));
	if (!d) {
		conn_close(dc, "server", "out of memory");
		return;
	}
	conn_set_proto(dc, d);
	d->s = s;
	d->control_id = conn_event(s->c)->id;
	d->protected_ = conn_state(dc) == CS_HANDSHAKE; /* started TLS: PROT P */
	s->data_conns++;
	/* No TLS 1.3 session ticket on a data connection: nothing resumes
	 * from it, and an uploading client never reads it, so its close()
	 * with the ticket unread is a RST that can overtake its last bytes
	 * and close_notify (lftp, curl: "426" on a good upload). */
	if (d->protected_) {
		conn_no_session_ticket(dc);
		s->cand[s->n_cand++] = dc; /* data_tls_ready decides */
	} else {
		s->dc = dc;
	}
	ftp_sess_hold(s);
	ftp_xfer_advance(s);
	ftp_sess_release(s);
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
	struct ftp_data *d = conn_proto(dc);
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
	ftp_port_close(s);
	drop_candidates(s, "refused: another data connection completed TLS first");
	ftp_sess_hold(s);
	ftp_xfer_advance(s);
	ftp_sess_release(s);
}

static void data_render(struct conn *dc, struct ftp_data *d)
{
	struct json j;
	json_init(&j, conn_event(dc)->proto_json, sizeof(conn_event(dc)->proto_json));
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
	conn_event(dc)->proto_key = "ftp";
	if (j.truncated)
		conn_event(dc)->proto_json[0] = '\0';
}

static void data_close(struct conn *dc)
{
	struct ftp_data *d = conn_proto(dc);
	if (!d)
		return;
	struct ftp_sess *s = d->s;
	if (s)
		ftp_sess_hold(s);
	if (s && s->dc == dc) {
		s->dc = NULL;
		xfer_finished(s, d, dc);
	} else if (s) {
		cand_remove(s, dc);
		/* A real client whose data TLS failed (it sent a ClientHello)
		 * gets its 522, as from vsftpd; a connection that never spoke
		 * TLS is only logged, and the port waits for the real one. */
		if (!strcmp(conn_event(dc)->handshake, "failed") && conn_event(dc)->hello_state == 1 && !s->dc) {
			ftp_port_close(s);
			drop_candidates(s, "the data connection's TLS handshake failed");
			xfer_finished(s, d, dc);
		}
	}
	data_render(dc, d);
	free(d->early);
	free(d);
	conn_set_proto(dc, NULL);
	if (!s)
		return;
	/* Commands queued behind the transfer may run now (they may sit in
	 * wolfSSL's buffer, where no epoll event would announce them). */
	if (s->c && !s->orphaned && !s->closing)
		conn_yield(s->c);
	ftp_sess_release(s);
}

static const struct proto_ops ftp_data_ops = {
	.channel = "ftp-data",
	.on_open = data_open,
	.on_tls_ready = data_tls_ready,
	.on_readable = data_readable,
	.on_close = data_close,
};


int ftp_has_data(const struct ftp_sess *s)
{
	return s->dc || s->port.fd >= 0 || s->n_cand;
}

void ftp_data_init(struct ftp_sess *s)
{
	xfer_clear(s);
	s->port.fd = -1;
	s->port.h.on_events = data_on_accept;
	s->port.s = s;
}
