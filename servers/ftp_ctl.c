/* ftp_ctl — the FTP(S) control connection: the session's state, its
 * line input (one line at a time from the staging buffer while plaintext,
 * so the ClientHello after AUTH TLS stays for the handshake), replies,
 * the deadlines of a line and a login, and the control event. Commands
 * are rows of ftp_cmds.c; data connections are ftp_data.c's. */
#include "ftps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ftp_sess.h"
#include "json.h"

/* ---- "after a TLS failure": one row per control port -------------- */

static struct {
	const struct conn_config *port;
	uint64_t conn;
	int64_t at_ms;
} tls_fails[SCN_MAX];

static void note_tls_failure(struct conn *c)
{
	for (int i = 0; i < SCN_MAX; i++)
		if (tls_fails[i].port == conn_config(c) || !tls_fails[i].port) {
			tls_fails[i].port = conn_config(c);
			tls_fails[i].conn = conn_event(c)->id;
			tls_fails[i].at_ms = loop_now_ms();
			return;
		}
}

static void check_prior_failure(struct ftp_sess *s)
{
	for (int i = 0; i < SCN_MAX && tls_fails[i].port; i++)
		if (tls_fails[i].port == conn_config(s->c)) {
			int64_t ago = conn_event(s->c)->start_ms - tls_fails[i].at_ms;
			if (ago >= 0 && ago <= FTP_TLS_FAIL_WINDOW_MS) {
				s->prior_fail_conn = tls_fails[i].conn;
				s->prior_fail_ms = ago;
			}
		}
}

/* ---- replies ------------------------------------------------------ */

void ftp_reply(struct ftp_sess *s, int code, const char *fmt, ...)
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
	if (s->c && conn_state(s->c) != CS_CLOSED)
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

int ftp_gone(const struct ftp_sess *s)
{
	return !s->c || conn_state(s->c) == CS_CLOSED;
}

void ftp_sess_hold(struct ftp_sess *s)
{
	s->refs++;
}

void ftp_sess_release(struct ftp_sess *s)
{
	if (--s->refs == 0 && s->orphaned)
		loop_retire(s->loop, &s->port.h, s);
}


/* One parsed line: logged, then answered by its row (ftp_cmds.c). */
static void handle_line(struct ftp_sess *s, const struct ftp_line *l)
{
	char logged[FTP_LOG_CMD_LEN];
	s->cur_cmd = log_command(s, l);
	ftp_log_form(l, logged, sizeof(logged));
	if (l->error) {
		ftp_reply(s, 500, "%s.", l->error);
		return;
	}
	ftp_cmd_run(s, l, logged);
}

/* ---- the control connection --------------------------------------- */

/* Plaintext input is taken one line at a time, straight from the staging
 * buffer: after AUTH TLS the client's ClientHello must still be there for
 * the handshake, not in our line buffer (RFC 4217 4). */
static ssize_t ctl_read(struct conn *c, uint8_t *dst, size_t cap)
{
	if (conn_state(c) == CS_APP)
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
	while (conn_state(c) == CS_APP || conn_state(c) == CS_PLAIN) {
		if (s->closing || conn_closing(c) || s->nocert)
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
			ftp_reply(s, 500, "Command line too long (limit %d bytes).", FTP_LINE_MAX);
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
		if (conn_state(c) == CS_HANDSHAKE)
			return; /* AUTH TLS: the handshake reads next */
	}
}

/* No certificate: there is nothing to negotiate with. An OpenSSL server
 * (vsftpd) in this state reads the ClientHello, finds no usable suite and
 * sends a fatal handshake_failure alert (RFC 5246 7.2.2, RFC 8446 6.2). */
static void nocert_readable(struct conn *c)
{
	struct event *ev = conn_event(c);
	uint8_t sink[4096];
	while (ev->hello_state == 0) { /* conn.c decodes it as it comes */
		ssize_t n = conn_read(c, sink, sizeof(sink));
		if (n == CONN_AGAIN)
			return;
		if (n <= 0) {
			ev->handshake = "failed";
			conn_close(c, "client", "closed before a ClientHello (no certificate configured)");
			return;
		}
	}
	static const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40}; /* fatal handshake_failure */
	conn_event(c)->handshake = "failed";
	conn_event(c)->alert_sent.code = 40;
	conn_event(c)->alert_sent.level = 2;
	event_set_error(conn_event(c), "no certificate configured: answered the ClientHello with "
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
	struct ftp_sess *s = conn_proto(c);
	if (!s || s->in_process)
		return; /* the outer call goes on with the next line */
	if (s->nocert) {
		nocert_readable(c);
		return;
	}
	ftp_sess_hold(s);
	s->in_process = 1;
	int budget = FTP_CMDS_PER_WAKEUP;
	for (;;) {
		ctl_process(s, &budget);
		if (s->orphaned || (conn_state(c) != CS_APP && conn_state(c) != CS_PLAIN))
			break;
		if (s->nocert) {
			nocert_readable(c);
			break;
		}
		if (s->closing || conn_closing(c) || conn_backlogged(c))
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
	if (!s->orphaned && (conn_state(c) == CS_APP || conn_state(c) == CS_PLAIN))
		ctl_deadlines(s);
	s->in_process = 0;
	ftp_sess_release(s);
}

static void greet(struct ftp_sess *s)
{
	ftp_reply(s, 220, "tlsfault FTP server (scenario %s) ready.", conn_scenario(s->c)->name);
}

static void ctl_open(struct conn *c)
{
	struct ftp_sess *s = calloc(1, sizeof(*s));
	if (!s) {
		conn_close(c, "server", "out of memory");
		return;
	}
	conn_set_proto(c, s);
	s->c = c;
	s->loop = conn_loop(c);
	s->cur_cmd = -1;
	s->fs.root_fd = -1;
	ftp_data_init(s);
	socklen_t len;
	conn_peer_addr(c, &s->peer, &len);
	check_prior_failure(s);
	s->login_deadline_ms = loop_now_ms() + tf_limits.ftp_login_timeout_ms;
	ctl_deadlines(s);
	if (conn_state(c) == CS_PLAIN)
		greet(s); /* explicit FTPS; implicit greets once TLS is up */
}

static void ctl_tls_ready(struct conn *c)
{
	struct ftp_sess *s = conn_proto(c);
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
	json_init(&j, conn_event(c)->proto_json, sizeof(conn_event(c)->proto_json));
	json_obj_open(&j);
	json_kstr(&j, "mode", conn_scenario(c)->protocol == PROTO_FTPS_IMPLICIT ? "implicit" : "explicit");
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
	conn_event(c)->proto_key = "ftp";
	if (j.truncated) {
		conn_event(c)->proto_json[0] = '\0';
		if (max_cmds > 0)
			ctl_render(s, max_cmds / 2);
	}
}

static void ctl_close(struct conn *c)
{
	struct ftp_sess *s = conn_proto(c);
	if (!s)
		return;
	if (!strcmp(conn_event(c)->handshake, "failed")) {
		s->tls_failed = 1;
		note_tls_failure(c);
	}
	s->closing = 1;
	ftp_drop_data(s, "control connection closed");
	ftp_xfer_reset(s);
	ftp_fs_close(&s->fs);
	ctl_render(s, FTP_LOG_CMDS);
	conn_set_proto(c, NULL);
	s->c = NULL;
	s->orphaned = 1;
	if (!s->refs)
		loop_retire(s->loop, &s->port.h, s);
}

int ftps_offers_tls(const struct scenario *s)
{
	return !(s->protocol == PROTO_FTPS_EXPLICIT && s->ftp_auth_tls == AUTHTLS_REFUSE);
}

const struct proto_ops ftps_ops = {
	.channel = "ftp-control",
	.on_open = ctl_open,
	.on_tls_ready = ctl_tls_ready,
	.on_readable = ctl_readable,
	.on_close = ctl_close,
};
