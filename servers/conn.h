/* conn — one TCP connection: its fd, its WOLFSSL*, its deadlines and its
 * event. struct conn is opaque (conn.c): front-ends (https.c, ftp_*.c)
 * and the hooks of faults.c and tlsctx.c use it only through the calls
 * below; all reads and writes of a connection's socket are in conn.c and
 * its wolfSSL I/O callbacks (once it is closed, linger.c may drain it).
 *
 * A connection runs under the configuration of the listener that
 * accepted it (struct conn_config), built whole from its scenario at
 * start-up and never changed: the front-end's ops, how a connection
 * starts, the TLS context and the hooks a scenario's fault puts at named
 * points of a connection's life. conn.c runs the hooks it is given and
 * knows no fault or TLS policy.
 *
 * Lifetime: conn_close() marks a connection closed and writes its event;
 * the memory is freed when control returns to the loop, so a front-end may
 * call conn_close() and simply return. */
#ifndef TLSFAULT_CONN_H
#define TLSFAULT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "events.h"
#include "loop.h"
#include "scenario.h"
#include "tf_limits.h"

#define CONN_AGAIN (-2)

struct conn;

/* A protocol front-end: a small ops table. */
struct proto_ops {
	const char *channel;			/* event channel name */
	void (*on_open)(struct conn *c);	/* accepted; plaintext phase */
	void (*on_tls_ready)(struct conn *c);	/* handshake completed */
	void (*on_readable)(struct conn *c);	/* bytes may be readable */
	void (*on_close)(struct conn *c);	/* free front-end state */
};

/* How a new connection starts. */
enum start_mode {
	START_TLS,	     /* handshake from the first byte (https, implicit FTPS) */
	START_PLAIN,	     /* plaintext front-end first (explicit FTPS, FTP PROT C data) */
	START_PLAIN_CAPTURE, /* plaintext service that still decodes a ClientHello */
	START_RAW_HELLO,     /* read the ClientHello only; the hello hook ends it */
};

/* Points of a connection's life where a scenario acts; NULL: nothing. */
struct conn_hooks {
	void (*accepted)(struct conn *c);	/* before it starts */
	void (*hello)(struct conn *c);		/* ClientHello decoded (or not) */
	void (*handshake_done)(struct conn *c); /* before the front-end's on_tls_ready */
	/* The first application bytes read, the plaintext of the first
	 * record: 0 to go on, -1 when the hook ended the connection. */
	int (*first_app_record)(struct conn *c, const uint8_t *p, size_t n);
	/* Application bytes a front-end writes, `sent` of them before these,
	 * before they are queued: how many of them may go (the rest is
	 * dropped). */
	size_t (*before_send)(struct conn *c, uint64_t sent, const uint8_t *p, size_t n);
	/* A plaintext alert the TLS engine is about to send: the code the
	 * wire gets instead (or `code`). */
	int (*on_alert)(struct conn *c, WOLFSSL *ssl, int level, int code);
};

/* A listener's configuration, complete and immutable once built. */
struct conn_config {
	const struct scenario *s;
	const struct proto_ops *ops;
	enum start_mode start;
	struct conn_hooks hooks;
	WOLFSSL_CTX *ctx;	  /* NULL when the scenario never speaks TLS */
	char reset_why[256];	  /* START_RAW_HELLO: why the server resets */
	char advertised_ca[512];  /* CA names sent in CertificateRequest */
	const char *data_root;	  /* FTP upload roots live under here */
};

/* ---- the server side: listeners, accept, sweep (server.c) ---------- */

struct server;

struct listener {
	struct loop_handler h;
	int fd;
	int port;
	const struct conn_config *cfg;
	struct server *srv;
};

struct server {
	struct loop loop;
	struct listener *lis[SCN_MAX];
	int n_lis;
	struct conn *conns; /* all open connections, for the sweep */
	int n_conns;
	uint64_t next_id;
	int stopping;
};

/* Accept handler for listeners. */
void conn_on_accept(struct loop_handler *h, uint32_t events);
/* Periodic deadline check (loop sweep callback). */
void conn_sweep(void *srv, int64_t now_ms);
/* Close every connection (shutdown); writes their events. */
void conn_close_all(struct server *srv, const char *why);

/* ---- the front-end API --------------------------------------------- */

enum conn_state { CS_RAW_HELLO, CS_PLAIN, CS_HANDSHAKE, CS_APP, CS_CLOSED };

/* >0, 0 = EOF, -1, CONN_AGAIN */
ssize_t conn_read(struct conn *c, void *buf, size_t n);
/* Peek at raw staged bytes without consuming (plain front-ends). */
const uint8_t *conn_raw(const struct conn *c, size_t *n);
int conn_write(struct conn *c, const void *buf, size_t n);
int conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conn_close(struct conn *c, const char *closed_by, const char *error_fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conn_close_when_flushed(struct conn *c);
/* Reset the TCP connection (RST, as Schannel/HTTP.sys do). */
void conn_reset(struct conn *c, const char *error_fmt, ...) __attribute__((format(printf, 2, 3)));
/* End the stream once the output is flushed, with a FIN and no
 * close_notify: a response cut short (RFC 8446 6.1, truncation). */
void conn_cut_when_flushed(struct conn *c, const char *why);
/* Begin the TLS handshake on this connection (FTP AUTH TLS). */
int conn_start_tls(struct conn *c);
/* Decode a ClientHello from the next bytes read (a front-end that reads
 * one raw: FTP's AUTH TLS on a server without a certificate). */
void conn_capture_hello(struct conn *c);
/* No TLS 1.3 session ticket on this connection (an FTP data
 * connection: nothing resumes from it). */
void conn_no_session_ticket(struct conn *c);
/* Stop (1) or resume (0) watching for input, e.g. an FTP data connection
 * that is connected before its command arrived. */
void conn_pause_read(struct conn *c, int paused);
/* Call the front-end's on_readable again after every other ready
 * connection had its turn: for a handler that used its per-wakeup budget
 * with input still buffered where epoll cannot see it. */
void conn_yield(struct conn *c);
/* Activity elsewhere keeps this connection alive (an FTP control
 * connection while its transfer runs): extend its idle deadline. */
void conn_touch(struct conn *c);
/* Close the connection at `at_ms` whatever it does until then, with
 * `why` as the event's error; 0 clears it. */
void conn_set_cap_deadline(struct conn *c, int64_t at_ms, const char *why);

enum conn_state conn_state(const struct conn *c);
/* Closed, or to close once its output is flushed. */
int conn_closing(const struct conn *c);
/* Output queued and not yet sent. */
int conn_output_pending(const struct conn *c);
/* Output queued above OUT_HIGH_WATER: conn_read() then says CONN_AGAIN
 * and EPOLLIN is off until the peer has read enough (backpressure). */
int conn_backlogged(const struct conn *c);
/* After conn_read() returned 0: 1 when the peer ended the stream properly
 * (TLS close_notify, or a FIN on a plain connection), 0 for a TLS stream
 * cut by a bare FIN (truncation, RFC 8446 6.1). */
int conn_eof_was_clean(const struct conn *c);
/* The socket's addresses; 0 or -1. */
int conn_peer_addr(const struct conn *c, struct sockaddr_storage *ss, socklen_t *len);
int conn_local_addr(const struct conn *c, struct sockaddr_storage *ss, socklen_t *len);

/* The facts the connection records (events.h owns the struct); written
 * when it closes. */
struct event *conn_event(struct conn *c);
const struct conn_config *conn_config(const struct conn *c);
const struct scenario *conn_scenario(const struct conn *c);
struct loop *conn_loop(const struct conn *c);
/* The front-end's own state. */
void *conn_proto(const struct conn *c);
void conn_set_proto(struct conn *c, void *p);

/* A connection a front-end accepted on its own socket (an FTP data port)
 * under `parent`'s configuration, with its own ops and start; `owner` is
 * for ops->on_open (conn_owner). NULL if it was refused or closed. */
struct conn *conn_adopt_child(struct conn *parent, const struct proto_ops *ops,
			      enum start_mode mode, int fd, void *owner);
void *conn_owner(const struct conn *c);
/* Turn away such a socket with an event (channel ops->channel) saying
 * why; closes fd. */
void conn_refuse_child(struct conn *parent, const struct proto_ops *ops, int fd,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* wolfSSL I/O callbacks (set on every CTX by tlsctx.c). */
int conn_io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx);
int conn_io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx);

#endif
