/* conn — see conn.h. The connection core: it runs the hooks and ops of a
 * connection's configuration and includes no fault or TLS policy. */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linger.h"
#include "net.h"
#include "sniff.h"

struct conn {
	struct loop_handler h;
	int fd;
	enum conn_state state;
	const struct conn_config *cfg;
	const struct proto_ops *ops; /* cfg->ops, or a child's own */
	const struct conn_hooks *hooks;
	struct server *srv;
	WOLFSSL *ssl;
	uint32_t want_events;
	int64_t deadline_ms;
	/* Raw bytes read from the socket and not yet consumed. */
	uint8_t in[IN_BUF_SIZE];
	size_t in_off, in_len;
	int peer_eof, peer_reset;
	int send_broken;   /* a send failed: later alerts never left */
	int alert_tx_seen; /* an alert record was written to the socket */
	/* Record boundaries of what is handed to wolfSSL. */
	struct rec_track rt;
	uint8_t wire_alert[2];
	int handshake_done;
	int app_seen;	     /* the first application bytes went to the hook */
	int hello_told;	     /* the hello hook has run */
	/* ClientHello capture, alive until the hello is decoded. */
	uint8_t *hello_raw;
	size_t hello_len;
	/* Pending application output (TLS or plain). */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint64_t app_out; /* application bytes accepted by conn_write */
	int tls_write_pending; /* size of a wolfSSL_write that said WANT_WRITE */
	int close_after_flush;
	int cut; /* end without close_notify (conn_cut_when_flushed) */
	int in_hook; /* conn_write is running the before_send hook */
	int read_paused; /* the front-end wants no EPOLLIN for now */
	int peer_close_notify; /* the peer ended TLS with close_notify */
	/* A deadline that activity does not extend (a line or a login that
	 * must complete in time, however slowly it trickles); 0: none. */
	int64_t cap_deadline_ms;
	char cap_why[96];
	struct event ev;
	void *proto; /* front-end state */
	void *owner; /* a child's owner (conn_adopt_child) */
	struct conn *prev, *next;
};

static void conn_drive(struct conn *c);

struct tf_limits tf_limits = {HANDSHAKE_TIMEOUT_MS,
			      IDLE_TIMEOUT_MS,
			      MAX_CONNECTIONS,
			      FTP_UPLOAD_MAX_MB * 1024LL * 1024,
			      FTP_DATA_QUOTA_MB * 1024LL * 1024,
			      FTP_LINE_TIMEOUT_MS,
			      FTP_LOGIN_TIMEOUT_MS};

/* ---- bookkeeping -------------------------------------------------- */

static void link_conn(struct server *srv, struct conn *c)
{
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
}

static void unlink_conn(struct server *srv, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_conns--;
}

int conn_backlogged(const struct conn *c)
{
	return c->out_len - c->out_off > OUT_HIGH_WATER;
}

static void set_events(struct conn *c, uint32_t ev)
{
	if (c->read_paused || conn_backlogged(c))
		ev &= ~(uint32_t)EPOLLIN;
	if (c->state == CS_CLOSED || ev == c->want_events)
		return;
	c->want_events = ev;
	loop_mod(&c->srv->loop, c->fd, ev, &c->h);
}

static void format_peer(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int port;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		ss.ss_family = AF_UNSPEC;
	net_host_text(&ss, host, sizeof(host), &port);
	snprintf(buf, cap, ss.ss_family == AF_INET ? "%s:%d" : "[%s]:%d", host, port);
}

/* ---- raw input and ClientHello capture ---------------------------- */

static void capture_hello(struct conn *c, const uint8_t *p, size_t n)
{
	if (!c->hello_raw || c->ev.hello_state != 0)
		return;
	size_t room = HELLO_MAX_BYTES - c->hello_len;
	size_t k = n < room ? n : room;
	memcpy(c->hello_raw + c->hello_len, p, k);
	c->hello_len += k;
	int rc = sniff_client_hello(c->hello_raw, c->hello_len, &c->ev.hello);
	if (rc == SNIFF_NEED_MORE && c->hello_len < HELLO_MAX_BYTES)
		return;
	if (rc == SNIFF_NEED_MORE)
		c->ev.hello.error = "ClientHello larger than the capture limit";
	c->ev.hello_state = rc > 0 ? 1 : -1;
	c->ev.hello_error = rc > 0 ? NULL : c->ev.hello.error;
	free(c->hello_raw);
	c->hello_raw = NULL;
}

/* Start decoding a ClientHello from the next unconsumed byte. */
static void begin_capture(struct conn *c)
{
	free(c->hello_raw);
	c->hello_raw = malloc(HELLO_MAX_BYTES);
	c->hello_len = 0;
	c->ev.hello_state = 0;
	if (c->hello_raw && c->in_len > c->in_off)
		capture_hello(c, c->in + c->in_off, c->in_len - c->in_off);
}

/* Read from the socket into the staging buffer when it is empty.
 * Returns bytes available, 0 on EOF, -1 on error, CONN_AGAIN. */
static ssize_t fill(struct conn *c)
{
	if (c->in_off < c->in_len)
		return (ssize_t)(c->in_len - c->in_off);
	if (c->peer_eof)
		return 0;
	ssize_t n;
	do
		n = read(c->fd, c->in, sizeof(c->in));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_off = 0;
		c->in_len = (size_t)n;
		c->ev.bytes_in += (uint64_t)n;
		capture_hello(c, c->in, (size_t)n);
		return n;
	}
	if (n == 0) {
		c->peer_eof = 1;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return CONN_AGAIN;
	if (errno == ECONNRESET)
		c->peer_reset = 1;
	return -1;
}

const uint8_t *conn_raw(const struct conn *c, size_t *n)
{
	*n = c->in_len - c->in_off;
	return c->in + c->in_off;
}

/* ---- wolfSSL I/O callbacks ---------------------------------------- */

static void note_record(struct conn *c)
{
	if (c->rt.type == REC_APPLICATION_DATA && c->handshake_done) {
		if (c->ev.app_records < APP_RECORDS_LOGGED)
			c->ev.app_record_sizes[c->ev.app_records] = c->rt.length;
		c->ev.app_records++;
	}
}

/* A 2-byte alert record is a plaintext alert. OpenSSL clients send theirs
 * unencrypted while still reading a TLS 1.3 server's flight, and wolfSSL
 * rejects such a record without recording it, so the wire is the witness. */
static void note_plaintext_alert(struct conn *c, const uint8_t *p, size_t k)
{
	if (c->rt.hdr_fill < 5 || c->rt.type != REC_ALERT || c->rt.length != 2)
		return;
	size_t off = 2 - c->rt.body_left;
	for (size_t i = 0; i < k && off + i < 2; i++)
		c->wire_alert[off + i] = p[i];
	if (off + k >= 2) {
		c->ev.alert_received.level = c->wire_alert[0];
		c->ev.alert_received.code = c->wire_alert[1];
	}
}

int conn_io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct conn *c = ctx;
	(void)ssl;
	ssize_t avail = fill(c);
	if (avail == CONN_AGAIN)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (avail == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	if (avail < 0)
		return c->peer_reset ? WOLFSSL_CBIO_ERR_CONN_RST : WOLFSSL_CBIO_ERR_GENERAL;
	/* Hand over at most one record at a time: the front-end can then tell
	 * which record a request came from (1/n-1 split, seed 001 sc. 6). */
	size_t k = rec_track_span(&c->rt, (size_t)avail < (size_t)sz ? (size_t)avail : (size_t)sz);
	memcpy(buf, c->in + c->in_off, k);
	note_plaintext_alert(c, c->in + c->in_off, k);
	if (rec_track_advance(&c->rt, c->in + c->in_off, k) == 1) {
		note_record(c);
		/* wolfSSL may reject the record on its header alone and never
		 * read the body: look ahead in the staging buffer. */
		size_t ahead = c->in_len - c->in_off - k;
		note_plaintext_alert(c, c->in + c->in_off + k, ahead < 2 ? ahead : 2);
	}
	c->in_off += k;
	return (int)k;
}

/* wolfSSL hands over whole records: each plaintext alert among them, of
 * any level, goes through the on_alert hook, which may choose the code
 * the wire gets (seed 002: tlsctx.c, fatal ones only). Returns 0 when it
 * replaced one. */
static int swap_alert(struct conn *c, WOLFSSL *ssl, uint8_t *buf, size_t n,
		      struct alert_rec *sent)
{
	if (!c->hooks->on_alert)
		return -1;
	struct tls_record r;
	for (size_t off = 0; off < n;) {
		int whole = sniff_record(buf + off, n - off, &r);
		if (whole < 0)
			return -1;
		if (r.type == REC_ALERT && r.len == 2) {
			uint8_t *a = buf + off + 5;
			int to = c->hooks->on_alert(c, ssl, a[0], a[1]);
			if (to != a[1]) {
				sent->code = to;
				sent->level = a[0];
				sent->replaced = a[1];
				a[1] = (uint8_t)to;
				return 0;
			}
		}
		off += (size_t)whole;
	}
	return -1;
}

int conn_io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct conn *c = ctx;
	ssize_t n;
	/* RFC 8446 6 (and RFC 5246 7.2.2): after the peer's fatal alert the
	 * server sends nothing more. wolfSSL answers a client's plaintext alert
	 * in an encrypted TLS 1.3 stream with unexpected_message; no reference
	 * server does. Nothing reached the wire, so no alert_sent either. */
	if (c->ev.alert_received.level == 2) {
		c->send_broken = 1;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	if (sniff_is_hello_retry((const uint8_t *)buf, (size_t)sz))
		c->ev.hello_retry = 1;
	/* The wire carries the replacement; wolfSSL's alert history does not. */
	struct alert_rec swapped;
	int did_swap = swap_alert(c, ssl, (uint8_t *)buf, (size_t)sz, &swapped) == 0;
	do
		n = send(c->fd, buf, (size_t)sz, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		if (did_swap && n > 0)
			c->ev.alert_sent = swapped;
		c->ev.bytes_out += (uint64_t)n;
		if (n > 0 && buf[0] == REC_ALERT) /* an alert record reached the wire */
			c->alert_tx_seen = 1;
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	c->send_broken = 1;
	if (errno == ECONNRESET || errno == EPIPE) {
		c->peer_reset = 1;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	return WOLFSSL_CBIO_ERR_GENERAL;
}

/* ---- closing ------------------------------------------------------ */

static void record_alerts(struct conn *c)
{
	WOLFSSL_ALERT_HISTORY h;
	if (!c->ssl || wolfSSL_get_alert_history(c->ssl, &h) != WOLFSSL_SUCCESS)
		return;
	/* wolfSSL's history wins; else keep what note_plaintext_alert saw. */
	if (h.last_rx.code >= 0) {
		c->ev.alert_received.code = h.last_rx.code;
		c->ev.alert_received.level = h.last_rx.level;
	}
	/* wolfSSL records an alert it tried to send even when the peer had
	 * already gone; report only alerts that reached the wire. */
	int delivered = c->alert_tx_seen || !c->send_broken;
	if (h.last_tx.code >= 0 && delivered && c->ev.alert_sent.replaced < 0) {
		c->ev.alert_sent.code = h.last_tx.code;
		c->ev.alert_sent.level = h.last_tx.level;
	}
}

/* A handshake that failed on a write (the peer already reset) may never
 * have read the client's alert: pass the bytes still staged (reading once
 * more if none are) through the same record tracker and alert witness that
 * conn_io_recv uses for what it hands wolfSSL. */
static void note_pending_alert(struct conn *c)
{
	if (c->handshake_done || c->ev.alert_received.code >= 0 || !c->ssl || c->fd < 0)
		return;
	if (fill(c) <= 0)
		return;
	while (c->in_off < c->in_len) {
		const uint8_t *p = c->in + c->in_off;
		size_t k = rec_track_span(&c->rt, c->in_len - c->in_off);
		note_plaintext_alert(c, p, k);
		if (rec_track_advance(&c->rt, p, k) < 0)
			return; /* not a record stream: nothing more to read in it */
		c->in_off += k;
	}
}

static void finish(struct conn *c, const char *closed_by)
{
	if (c->state == CS_CLOSED)
		return;
	if (c->ops->on_close)
		c->ops->on_close(c);
	note_pending_alert(c);
	record_alerts(c);
	if (!c->ev.closed_by)
		c->ev.closed_by = closed_by;
	c->ev.end_ms = loop_now_ms();
	events_write(&c->ev);
	loop_del(&c->srv->loop, c->fd);
	c->state = CS_CLOSED;
}

static void close_v(struct conn *c, const char *closed_by, int linger, const char *error_fmt,
		    va_list ap)
{
	if (c->state == CS_CLOSED)
		return;
	if (error_fmt) {
		char msg[256];
		vsnprintf(msg, sizeof(msg), error_fmt, ap);
		event_set_error(&c->ev, "%s", msg);
	}
	/* Best effort close_notify: when we end the stream, and in answer to
	 * the peer's (RFC 8446 6.1; Python's ssl unwrap() waits for it). */
	if (c->ssl && c->handshake_done && !c->peer_reset && !c->cut &&
	    ((!c->peer_eof && !strcmp(closed_by, "server")) || c->peer_close_notify))
		wolfSSL_shutdown(c->ssl);
	finish(c, closed_by);
	if (linger && !c->peer_eof && !c->peer_reset)
		linger_start(&c->srv->loop, c->fd);
	else
		close(c->fd);
	c->fd = -1;
}

void conn_close(struct conn *c, const char *closed_by, const char *error_fmt, ...)
{
	va_list ap;
	va_start(ap, error_fmt);
	close_v(c, closed_by, 0, error_fmt, ap);
	va_end(ap);
}

/* conn_close, then linger: for a handshake the server has just refused,
 * and after a final reply (HTTP error, end of an FTP transfer). */
static void close_lingering(struct conn *c, const char *closed_by, const char *error_fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void close_lingering(struct conn *c, const char *closed_by, const char *error_fmt, ...)
{
	va_list ap;
	va_start(ap, error_fmt);
	close_v(c, closed_by, 1, error_fmt, ap);
	va_end(ap);
}

void conn_reset(struct conn *c, const char *error_fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, error_fmt);
	vsnprintf(msg, sizeof(msg), error_fmt, ap);
	va_end(ap);
	event_set_error(&c->ev, "%s", msg);
	/* SO_LINGER 0 makes close() send RST instead of FIN. */
	struct linger lg = {1, 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	c->ev.closed_by = "server";
	finish(c, "server");
	close(c->fd);
	c->fd = -1;
}

/* The struct itself is retired, not freed: its event may still be queued
 * in the batch being run (loop.h). */
static void conn_free(struct conn *c)
{
	unlink_conn(c->srv, c);
	if (c->ssl)
		wolfSSL_free(c->ssl);
	c->ssl = NULL;
	free(c->hello_raw);
	c->hello_raw = NULL;
	free(c->out);
	c->out = NULL;
	loop_retire(&c->srv->loop, &c->h, c);
}

void conn_close_all(struct server *srv, const char *why)
{
	while (srv->conns) {
		struct conn *c = srv->conns;
		conn_close(c, "server", "%s", why);
		conn_free(c);
	}
	linger_sweep(0, 1);
	loop_collect(&srv->loop); /* outside any batch: free what was retired */
}

void conn_sweep(void *arg, int64_t now_ms)
{
	struct server *srv = arg;
	linger_sweep(now_ms, 0);
	for (struct conn *c = srv->conns, *next; c; c = next) {
		next = c->next;
		/* Closed from another connection's handler (an FTP control
		 * connection ending its data connection): free it here, after
		 * the loop's batch, where no event can still name it. */
		if (c->state == CS_CLOSED) {
			conn_free(c);
			continue;
		}
		if (c->cap_deadline_ms && now_ms >= c->cap_deadline_ms) {
			conn_close(c, "server", "%s", c->cap_why);
			conn_free(c);
			continue;
		}
		if (c->deadline_ms && now_ms >= c->deadline_ms) {
			int in_handshake = c->state == CS_RAW_HELLO || c->state == CS_HANDSHAKE;
			conn_close(c, "server", "%s timeout after %d ms",
				   in_handshake ? "handshake" : "idle",
				   in_handshake ? tf_limits.handshake_timeout_ms
						: tf_limits.idle_timeout_ms);
			conn_free(c);
		}
	}
}

/* ---- application I/O ---------------------------------------------- */

static void touch(struct conn *c)
{
	if (c->state == CS_APP || c->state == CS_PLAIN)
		c->deadline_ms = loop_now_ms() + tf_limits.idle_timeout_ms;
}

void conn_set_cap_deadline(struct conn *c, int64_t at_ms, const char *why)
{
	c->cap_deadline_ms = at_ms;
	snprintf(c->cap_why, sizeof(c->cap_why), "%s", why ? why : "deadline passed");
}

void conn_yield(struct conn *c)
{
	if (c->state != CS_CLOSED)
		loop_again(&c->srv->loop, &c->h);
}

int conn_eof_was_clean(const struct conn *c)
{
	return !c->ssl || c->state != CS_APP || c->peer_close_notify;
}

ssize_t conn_read(struct conn *c, void *buf, size_t n)
{
	if (c->state == CS_CLOSED)
		return -1;
	if (conn_backlogged(c))
		return CONN_AGAIN; /* flush_and_watch resumes us when it drains */
	if (c->ssl && c->state == CS_APP) {
		int r = wolfSSL_read(c->ssl, buf, (int)n);
		if (r > 0) {
			touch(c);
			if (!c->app_seen++ && c->hooks->first_app_record &&
			    c->hooks->first_app_record(c, buf, (size_t)r) != 0)
				return -1;
			return r;
		}
		int err = wolfSSL_get_error(c->ssl, r);
		if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
			return CONN_AGAIN;
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			c->peer_close_notify = 1;
			return 0;
		}
		if (c->peer_eof)
			return 0;
		char msg[80];
		wolfSSL_ERR_error_string_n((unsigned long)err, msg, sizeof(msg));
		event_set_error(&c->ev, "read: %s", msg);
		return -1;
	}
	ssize_t avail = fill(c);
	if (avail <= 0)
		return avail;
	size_t k = (size_t)avail < n ? (size_t)avail : n;
	memcpy(buf, c->in + c->in_off, k);
	c->in_off += k;
	touch(c);
	return (ssize_t)k;
}

/* Push pending output. 0: all sent, 1: more pending, -1: error. */
static int flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		size_t left = c->out_len - c->out_off;
		ssize_t n;
		if (c->ssl && c->state == CS_APP) {
			/* A write that said WANT_WRITE must be retried with the same size. */
			int sz = c->tls_write_pending ? c->tls_write_pending
						      : (int)(left > 16384 ? 16384 : left);
			int r = wolfSSL_write(c->ssl, c->out + c->out_off, sz);
			if (r <= 0) {
				int err = wolfSSL_get_error(c->ssl, r);
				if (err == WOLFSSL_ERROR_WANT_WRITE || err == WOLFSSL_ERROR_WANT_READ) {
					c->tls_write_pending = sz;
					return 1;
				}
				return -1;
			}
			c->tls_write_pending = 0;
			n = r;
		} else {
			n = send(c->fd, c->out + c->out_off, left, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 1;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			c->ev.bytes_out += (uint64_t)n;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

static int flush_and_watch(struct conn *c)
{
	int r = flush(c);
	if (r < 0) {
		conn_close(c, c->peer_reset ? "client" : "server", "write failed");
		return -1;
	}
	touch(c);
	if (r == 0 && c->close_after_flush) {
		/* the reply is out; a client still sending (a pipelined or
		 * over-long request) must read it, not a RST: linger */
		close_lingering(c, "server", NULL);
		return -1;
	}
	set_events(c, EPOLLIN | (r ? EPOLLOUT : 0));
	return 0;
}

int conn_write(struct conn *c, const void *buf, size_t n)
{
	if (c->state == CS_CLOSED)
		return -1;
	if (c->hooks->before_send) {
		c->in_hook = 1; /* a cut it asks for waits for these bytes */
		size_t k = c->hooks->before_send(c, c->app_out, buf, n);
		c->in_hook = 0;
		n = k < n ? k : n;
	}
	c->app_out += n;
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + n)
			cap *= 2;
		uint8_t *p = realloc(c->out, cap);
		if (!p) {
			conn_close(c, "server", "out of memory");
			return -1;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, n);
	c->out_len += n;
	return flush_and_watch(c);
}

int conn_printf(struct conn *c, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		n = (int)sizeof(tmp) - 1;
	return conn_write(c, tmp, (size_t)n);
}

void conn_pause_read(struct conn *c, int paused)
{
	if (c->state == CS_CLOSED || c->read_paused == paused)
		return;
	c->read_paused = paused;
	uint32_t ev = c->want_events | EPOLLIN;
	c->want_events = ~0u; /* force the epoll update */
	set_events(c, ev);
}

void conn_close_when_flushed(struct conn *c)
{
	c->close_after_flush = 1;
	if (c->out_len == c->out_off)
		close_lingering(c, "server", NULL);
}

/* ---- TLS handshake ------------------------------------------------ */

static void record_peer_cert(struct conn *c)
{
	WOLFSSL_X509 *x = wolfSSL_get_peer_certificate(c->ssl);
	if (!x)
		return;
	char *sub = wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(x), NULL, 0);
	char *iss = wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_issuer_name(x), NULL, 0);
	if (sub)
		snprintf(c->ev.client_subject, sizeof(c->ev.client_subject), "%s", sub);
	if (iss)
		snprintf(c->ev.client_issuer, sizeof(c->ev.client_issuer), "%s", iss);
	XFREE(sub, NULL, DYNAMIC_TYPE_OPENSSL);
	XFREE(iss, NULL, DYNAMIC_TYPE_OPENSSL);
	wolfSSL_X509_free(x);
}

static void handshake_ok(struct conn *c)
{
	c->handshake_done = 1;
	c->state = CS_APP;
	c->ev.handshake = "ok";
	snprintf(c->ev.version, sizeof(c->ev.version), "%s", wolfSSL_get_version(c->ssl));
	snprintf(c->ev.cipher, sizeof(c->ev.cipher), "%s", wolfSSL_get_cipher_name(c->ssl));
	c->ev.resumed = wolfSSL_session_reused(c->ssl);
	if (c->cfg->s->client_auth != CAUTH_NONE) {
		record_peer_cert(c);
		c->ev.client_cert_verified = c->ev.client_subject[0] != '\0';
	}
	c->deadline_ms = loop_now_ms() + tf_limits.idle_timeout_ms;
	set_events(c, EPOLLIN);
	if (c->hooks->handshake_done)
		c->hooks->handshake_done(c);
	if (c->state == CS_APP && c->ops->on_tls_ready)
		c->ops->on_tls_ready(c);
}

static void handshake_step(struct conn *c)
{
	int r = wolfSSL_accept(c->ssl);
	if (r == WOLFSSL_SUCCESS) {
		handshake_ok(c);
		return;
	}
	int err = wolfSSL_get_error(c->ssl, r);
	if (err == WOLFSSL_ERROR_WANT_READ) {
		set_events(c, EPOLLIN);
		return;
	}
	if (err == WOLFSSL_ERROR_WANT_WRITE) {
		set_events(c, EPOLLIN | EPOLLOUT);
		return;
	}
	c->ev.handshake = "failed";
	char msg[120];
	wolfSSL_ERR_error_string_n((unsigned long)err, msg, sizeof(msg));
	if (c->cfg->s->client_auth != CAUTH_NONE) {
		record_peer_cert(c);
		/* TLS 1.3 encrypts the client's Certificate, so on_handshake_msg
		 * never sees it; wolfSSL's NO_PEER_CERT there means it was empty. */
		if (err == NO_PEER_CERT && c->ev.cert_msg_len < 0 &&
		    wolfSSL_version(c->ssl) == TLS1_3_VERSION) {
			c->ev.cert_msg_len = 0;
			c->ev.cert_len_source = "inferred";
		}
	}
	int by_client = c->peer_eof || c->peer_reset;
	WOLFSSL_ALERT_HISTORY h;
	if (c->ev.alert_received.code >= 0 ||
	    (wolfSSL_get_alert_history(c->ssl, &h) == WOLFSSL_SUCCESS && h.last_rx.code >= 0))
		by_client = 1;
	const struct alert_rec *a = &c->ev.alert_received;
	if (a->code >= 0 && sniff_alert_name(a->code))
		conn_close(c, "client", "handshake: client sent alert %s (%d)",
			   sniff_alert_name(a->code), a->code);
	else
		close_lingering(c, by_client ? "client" : "server", "handshake: %s (%d)", msg, err);
}

int conn_start_tls(struct conn *c)
{
	if (!c->cfg->ctx) {
		event_set_error(&c->ev, "no TLS context for this scenario");
		return -1;
	}
	c->ssl = wolfSSL_new(c->cfg->ctx);
	if (!c->ssl) {
		event_set_error(&c->ev, "wolfSSL_new failed");
		return -1;
	}
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	memset(&c->rt, 0, sizeof(c->rt));
	c->state = CS_HANDSHAKE;
	c->deadline_ms = loop_now_ms() + tf_limits.handshake_timeout_ms;
	begin_capture(c);
	if (c->cfg->advertised_ca[0])
		snprintf(c->ev.advertised_ca, sizeof(c->ev.advertised_ca), "%s",
			 c->cfg->advertised_ca);
	return 0;
}

/* ---- the per-connection state machine ----------------------------- */

static void raw_hello_step(struct conn *c)
{
	/* Only the ClientHello matters here: consume and keep reading. */
	for (;;) {
		ssize_t n = fill(c);
		if (n == CONN_AGAIN)
			break;
		if (n <= 0) {
			conn_close(c, "client", c->peer_reset ? "reset by client" : NULL);
			return;
		}
		c->in_off = c->in_len;
		if (c->ev.hello_state != 0)
			break;
	}
}

static void conn_drive(struct conn *c)
{
	switch (c->state) {
	case CS_RAW_HELLO:
		raw_hello_step(c);
		break;
	case CS_HANDSHAKE:
		handshake_step(c);
		/* Data may already be buffered after Finished. */
		if (c->state != CS_APP)
			break;
		__attribute__((fallthrough));
	case CS_APP:
	case CS_PLAIN:
		if (c->out_len > c->out_off && flush_and_watch(c) < 0)
			break;
		c->ops->on_readable(c);
		break;
	case CS_CLOSED:
		break;
	}
}

static void conn_on_events(struct loop_handler *h, uint32_t events)
{
	struct conn *c = (struct conn *)h;
	conn_drive(c);
	/* A front-end that starts TLS (FTP AUTH TLS) may already hold the
	 * pipelined ClientHello: drive the new handshake without waiting. */
	for (int guard = 0; guard < 4 && c->state == CS_HANDSHAKE && c->in_off < c->in_len; guard++)
		conn_drive(c);
	/* The ClientHello is in (or is not one): the scenario may act now,
	 * outside wolfSSL's callbacks. */
	if (c->state != CS_CLOSED && c->ev.hello_state != 0 && !c->hello_told) {
		c->hello_told = 1;
		if (c->hooks->hello)
			c->hooks->hello(c);
	}
	/* Hang-up or error: the peer is gone both ways (a RST). A front-end
	 * that is not reading just now (input paused behind a transfer) does
	 * not see it, and level-triggered epoll would report it forever. */
	if (c->state != CS_CLOSED && (events & (EPOLLERR | EPOLLHUP))) {
		c->peer_reset = 1;
		conn_close(c, "client", "connection reset by the peer while %s",
			   c->read_paused ? "its input waited for a transfer" : "the server was not reading");
	}
	if (c->state == CS_CLOSED)
		conn_free(c);
}

/* First state of a new connection: its configuration decides. */
static void conn_begin(struct conn *c, enum start_mode mode)
{
	switch (mode) {
	case START_RAW_HELLO:
		c->state = CS_RAW_HELLO;
		begin_capture(c);
		return;
	case START_PLAIN_CAPTURE:
		begin_capture(c);
		/* fall through */
	case START_PLAIN:
		c->state = CS_PLAIN;
		c->deadline_ms = loop_now_ms() + tf_limits.idle_timeout_ms;
		break;
	case START_TLS:
		if (conn_start_tls(c) != 0) {
			conn_close(c, "server", NULL);
			return;
		}
		break;
	}
	if (c->ops->on_open)
		c->ops->on_open(c);
}

/* The event of a connection that was accepted only to be closed; closes fd. */
static void refuse_v(struct server *srv, const struct conn_config *cfg, const char *channel,
		     int fd, const char *fmt, va_list ap)
{
	static struct event ev; /* large; the loop is single-threaded */
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	event_init(&ev, ++srv->next_id, cfg->s->name, channel);
	ev.start_ms = ev.end_ms = loop_now_ms();
	format_peer(fd, ev.peer, sizeof(ev.peer));
	ev.closed_by = "server";
	event_set_error(&ev, "%s", msg);
	events_write(&ev);
	close(fd);
}

static void refuse(struct server *srv, const struct conn_config *cfg, const char *channel, int fd,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void refuse(struct server *srv, const struct conn_config *cfg, const char *channel, int fd,
		   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	refuse_v(srv, cfg, channel, fd, fmt, ap);
	va_end(ap);
}

void conn_refuse_child(struct conn *parent, const struct proto_ops *ops, int fd, const char *fmt,
		       ...)
{
	va_list ap;
	va_start(ap, fmt);
	refuse_v(parent->srv, parent->cfg, ops->channel, fd, fmt, ap);
	va_end(ap);
}

static struct conn *adopt(struct server *srv, const struct conn_config *cfg,
			  const struct proto_ops *ops, enum start_mode mode, int fd, void *owner)
{
	if (srv->n_conns >= tf_limits.max_connections || srv->stopping) {
		/* Refuse: the limit protects every other scenario. The refusal
		 * is still a connection, so it still gets its event. */
		if (!srv->stopping)
			refuse(srv, cfg, ops->channel, fd, "refused: connection limit (%d) reached",
			       tf_limits.max_connections);
		else
			close(fd);
		return NULL;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->h.on_events = conn_on_events;
	c->fd = fd;
	/* wolfSSL sends a TLS 1.2 flight (ChangeCipherSpec, Finished) in
	 * separate writes; with Nagle, Finished waits for the client's delayed
	 * ACK: ~40 ms per handshake (measured by make bench). */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->cfg = cfg;
	c->ops = ops;
	c->hooks = &cfg->hooks;
	c->owner = owner;
	c->srv = srv;
	event_init(&c->ev, ++srv->next_id, cfg->s->name, ops->channel);
	c->ev.start_ms = loop_now_ms();
	format_peer(fd, c->ev.peer, sizeof(c->ev.peer));
	events_announce_open(&c->ev); /* the supervisor knows it is open if this worker dies */
	c->deadline_ms = c->ev.start_ms + tf_limits.handshake_timeout_ms;
	link_conn(srv, c);
	c->want_events = EPOLLIN;
	if (loop_add(&srv->loop, fd, EPOLLIN, &c->h) != 0) {
		conn_close(c, "server", "epoll: %s", strerror(errno));
		conn_free(c);
		return NULL;
	}
	if (c->hooks->accepted)
		c->hooks->accepted(c);
	if (c->state != CS_CLOSED)
		conn_begin(c, mode);
	if (c->state == CS_CLOSED) {
		conn_free(c);
		return NULL;
	}
	return c;
}

struct conn *conn_adopt_child(struct conn *parent, const struct proto_ops *ops,
			      enum start_mode mode, int fd, void *owner)
{
	return adopt(parent->srv, parent->cfg, ops, mode, fd, owner);
}

void conn_on_accept(struct loop_handler *h, uint32_t events)
{
	struct listener *lis = (struct listener *)h;
	const struct conn_config *cfg = lis->cfg;
	(void)events;
	/* A descriptor kept in reserve: out of descriptors (EMFILE), accept()
	 * fails and leaves the listener readable, and a level-triggered loop
	 * would spin on it. Freeing the spare lets us accept and refuse. */
	static int spare = -1;
	if (spare < 0)
		spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < 64; i++) {
		int fd = accept4(lis->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare >= 0) {
			close(spare);
			fd = accept4(lis->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				refuse(lis->srv, cfg, cfg->ops->channel, fd,
				       "refused: out of file descriptors");
			spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (fd < 0)
			return;
		adopt(lis->srv, cfg, cfg->ops, cfg->start, fd, NULL);
	}
}

/* ---- what a front-end may ask and do ------------------------------ */

enum conn_state conn_state(const struct conn *c)
{
	return c->state;
}

int conn_closing(const struct conn *c)
{
	return c->state == CS_CLOSED || c->close_after_flush;
}

int conn_output_pending(const struct conn *c)
{
	return c->out_len > c->out_off;
}

void conn_touch(struct conn *c)
{
	if (c->state != CS_CLOSED)
		c->deadline_ms = loop_now_ms() + tf_limits.idle_timeout_ms;
}

void conn_cut_when_flushed(struct conn *c, const char *why)
{
	if (c->state == CS_CLOSED)
		return;
	c->cut = 1;
	if (why)
		event_set_error(&c->ev, "%s", why);
	if (c->in_hook)
		c->close_after_flush = 1; /* conn_write flushes, then closes */
	else
		conn_close_when_flushed(c);
}

void conn_no_session_ticket(struct conn *c)
{
	if (c->ssl)
		wolfSSL_no_ticket_TLSv13(c->ssl);
}

void conn_capture_hello(struct conn *c)
{
	begin_capture(c);
}

int conn_peer_addr(const struct conn *c, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getpeername(c->fd, (struct sockaddr *)ss, len);
}

int conn_local_addr(const struct conn *c, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(c->fd, (struct sockaddr *)ss, len);
}

struct event *conn_event(struct conn *c)
{
	return &c->ev;
}

const struct conn_config *conn_config(const struct conn *c)
{
	return c->cfg;
}

const struct scenario *conn_scenario(const struct conn *c)
{
	return c->cfg->s;
}

struct loop *conn_loop(const struct conn *c)
{
	return &c->srv->loop;
}

void *conn_proto(const struct conn *c)
{
	return c->proto;
}

void conn_set_proto(struct conn *c, void *p)
{
	c->proto = p;
}

void *conn_owner(const struct conn *c)
{
	return c->owner;
}
