/* events — one JSON object per connection, written as one line when the
 * connection ends. C records facts of the wire here; it never judges. */
#ifndef TLSFAULT_EVENTS_H
#define TLSFAULT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "tf_limits.h"
#include "sniff.h"

struct json;

struct alert_rec {
	int code; /* -1: none */
	int level;
	int replaced; /* -1, or the alert wolfSSL chose that the wire got `code` for */
};

struct event {
	uint64_t id;
	const char *scenario;
	const char *channel; /* https | plain | ftp-control | ftp-data */
	char peer[64];
	int64_t start_ms, end_ms;
	int hello_state; /* 0: none seen, 1: decoded, -1: not a ClientHello */
	const char *hello_error;
	struct hello hello;
	const char *handshake; /* none | ok | failed */
	char version[16];
	char cipher[64];
	int resumed;
	int hello_retry; /* the server sent a HelloRetryRequest (RFC 8446 4.1.4) */
	struct alert_rec alert_received, alert_sent;
	/* Client certificate (mTLS). cert_msg_len -1: no Certificate message. */
	long cert_msg_len;
	const char *cert_len_source; /* "wire", "inferred" (TLS 1.3: encrypted) */
	int client_cert_verified;
	char client_subject[256];
	char client_issuer[256];
	char advertised_ca[512];
	/* Application layer. */
	char request_line[256];
	int http_status;
	unsigned app_records;
	uint16_t app_record_sizes[APP_RECORDS_LOGGED];
	const char *proto_key;	/* e.g. "ftp": a front-end's own record ... */
	char proto_json[4096];	/* ... as a JSON value rendered with json.c */
	const char *closed_by; /* client | server */
	char error[256];
	uint64_t bytes_in, bytes_out;
};

void event_init(struct event *e, uint64_t id, const char *scenario, const char *channel);
void event_set_error(struct event *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Serialise; returns the line length (without newline), -1 if truncated. */
int event_to_json(const struct event *e, char *buf, unsigned cap);

/* The events file (append-only). path NULL: events are dropped. If a
 * write fails (a pipe whose reader went away: EPIPE), stderr says so once,
 * the event is counted as lost and serving goes on; when writes succeed
 * again, stderr says how many were lost. */
int events_open(const char *path);
void events_write(const struct event *e);
/* One finished JSON line, newline included (a line relayed from a worker). */
void events_write_line(const char *line, size_t n);
void events_close(void);
uint64_t events_written(void);

/* ---- worker side of `serve` (supervisor.c) ----
 * A worker sends its events to the supervisor, the events file's only
 * writer, as messages on a SOCK_SEQPACKET socket (one message = one whole
 * line, however long: lines of several workers never interleave). It also
 * announces each connection when it opens (EVMSG_OPEN), so that when a
 * worker dies the supervisor knows which connections it had in flight. */
void events_use_channel(int fd);
/* Announce a connection whose event is initialised and its peer filled in
 * (EVMSG_OPEN); nothing when this process is not a worker. */
void events_announce_open(const struct event *e);

enum { EVMSG_OPEN = 1, EVMSG_EVENT = 2 };
struct evmsg {
	uint32_t type;
	uint32_t reserved;
	uint64_t id;
	int64_t start_ms;
	char channel[16];
	char peer[64];
	/* EVMSG_EVENT: the line follows, without its newline. */
};
#define EVMSG_MAX (sizeof(struct evmsg) + EVENT_LINE_MAX)

#endif
