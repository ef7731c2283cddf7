/* conn — one TCP connection: its fd, its WOLFSSL*, its deadline and its
 * event. The front-ends (https.c, ftps.c) see only this API; all socket
 * reads and writes are here and in the wolfSSL I/O callbacks below.
 *
 * Lifetime: conn_close() marks a connection closed and writes its event;
 * the memory is freed when control returns to the loop, so a front-end may
 * call conn_close() and simply return. */
#ifndef TLSFAULT_CONN_H
#define TLSFAULT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "events.h"
#include "tf_limits.h"
#include "loop.h"
#include "scenario.h"
#include "sniff.h"

#define CONN_AGAIN (-2)

struct conn;
struct server;

/* A protocol front-end: a small ops table (DESIGN.md). */
struct proto_ops {
	const char *channel;			/* event channel name */
	void (*on_open)(struct conn *c);	/* accepted; plaintext phase */
	void (*on_tls_ready)(struct conn *c);	/* handshake completed */
	void (*on_readable)(struct conn *c);	/* bytes may be readable */
	void (*on_close)(struct conn *c);	/* free front-end state */
};

struct listener {
	struct loop_handler h;
	int fd;
	int port;
	const struct scenario *s;
	WOLFSSL_CTX *ctx;	     /* NULL when the scenario has no TLS path */
	const struct proto_ops *ops;
	struct server *srv;
	char cred_error[256];	     /* credential-unusable: why the key is unusable */
	char advertised_ca[512];     /* CA names sent in CertificateRequest */
	void *user;		     /* front-end data (an FTP data listener's owner) */
	int data_start;		     /* 0: the scenario's fault decides how a connection
				      * starts; FTP data listeners: 1 TLS (PROT P), 2 plain */
};

struct server {
	struct loop loop;
	struct listener *lis[SCN_MAX];
	int n_lis;
	struct conn *conns; /* all open connections, for the sweep */
	int n_conns;
	uint64_t next_id;
	int stopping;
	const char *data_root; /* FTP upload roots live under here */
};

enum conn_state { CS_RAW_HELLO, CS_PLAIN, CS_HANDSHAKE, CS_APP, CS_CLOSED };

struct conn {
	struct loop_handler h;
	int fd;
	enum conn_state state;
	struct listener *lis;
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
	/* ClientHello capture, alive until the hello is decoded. */
	uint8_t *hello_raw;
	size_t hello_len;
	/* Pending application output (TLS or plain). */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	int tls_write_pending; /* size of a wolfSSL_write that said WANT_WRITE */
	int close_after_flush;
	int read_paused; /* the front-end wants no EPOLLIN for now */
	int peer_close_notify; /* the peer ended TLS with close_notify */
	/* A deadline that activity does not extend (a line or a login that
	 * must complete in time, however slowly it trickles); 0: none. */
	int64_t cap_deadline_ms;
	char cap_why[96];
	struct event ev;
	void *proto; /* front-end state */
	struct conn *prev, *next;
};

/* Accept handler for listeners. */
void conn_on_accept(struct loop_handler *h, uint32_t events);
/* Adopt an accepted socket as a connection of `lis` (a front-end's own
 * listener, e.g. an FTP data port). NULL if it was refused or closed. */
struct conn *conn_adopt(struct listener *lis, int fd);
/* Turn away an accepted socket with an event saying why; closes fd. */
void conn_refuse_fd(struct listener *lis, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Periodic deadline check (loop sweep callback). */
void conn_sweep(void *srv, int64_t now_ms);
/* Close every connection (shutdown); writes their events. */
void conn_close_all(struct server *srv, const char *why);

/* Front-end API. */
ssize_t conn_read(struct conn *c, void *buf, size_t n); /* >0, 0 = EOF, -1, CONN_AGAIN */
int conn_write(struct conn *c, const void *buf, size_t n);
int conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conn_close_when_flushed(struct conn *c);
/* Stop (1) or resume (0) watching for input, e.g. an FTP data connection
 * that is connected before its command arrived. */
void conn_pause_read(struct conn *c, int paused);
void conn_close(struct conn *c, const char *closed_by, const char *error_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Begin the TLS handshake on this connection (FTP AUTH TLS, implicit). */
int conn_start_tls(struct conn *c);
/* Reset the TCP connection (RST, as Schannel/HTTP.sys do). */
void conn_reset(struct conn *c, const char *error_fmt, ...) __attribute__((format(printf, 2, 3)));
/* Output queued above OUT_HIGH_WATER: conn_read() then says CONN_AGAIN
 * and EPOLLIN is off until the peer has read enough (backpressure). */
int conn_backlogged(const struct conn *c);
/* Call the front-end's on_readable again after every other ready
 * connection had its turn: for a handler that used its per-wakeup budget
 * with input still buffered where epoll cannot see it. */
void conn_yield(struct conn *c);
/* Close the connection at `at_ms` whatever it does until then, with
 * `why` as the event's error; 0 clears it. */
void conn_set_cap_deadline(struct conn *c, int64_t at_ms, const char *why);
/* After conn_read() returned 0: 1 when the peer ended the stream properly
 * (TLS close_notify, or a FIN on a plain connection), 0 for a TLS stream
 * cut by a bare FIN (truncation, RFC 8446 6.1). */
int conn_eof_was_clean(const struct conn *c);
/* Peek at raw staged bytes without consuming (plain front-ends). */
const uint8_t *conn_raw(const struct conn *c, size_t *n);

/* wolfSSL I/O callbacks (set on every CTX by tlsctx.c). */
int conn_io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx);
int conn_io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx);

#endif
