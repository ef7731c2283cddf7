/* faults — see faults.h. */
#include "faults.h"

#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "http.h"

/* Seed 001, scenario 3: another process answers on the TLS port. It
 * speaks plaintext HTTP, so the client's ClientHello gets an HTTP 400 and
 * the client reports a non-TLS reply ("wrong version number"). */
static void plain_service_readable(struct conn *c)
{
	uint8_t buf[1024];
	ssize_t n;
	while ((n = conn_read(c, buf, sizeof(buf))) > 0) {
		if (conn_closing(c))
			continue;
		static const char body[] = "This port is served by another, plaintext HTTP service.\n";
		conn_printf(c,
			    "HTTP/1.1 400 Bad Request\r\nServer: other-service/1.0\r\n"
			    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s",
			    sizeof(body) - 1, body);
		conn_event(c)->http_status = 400;
		conn_close_when_flushed(c);
		return;
	}
	if (n == 0 || n == -1)
		conn_close(c, "client", NULL);
}

static const struct proto_ops plain_service_ops = {
	.channel = "plain",
	.on_readable = plain_service_readable,
};

/* Seed 001, scenarios 1-2 and 4: the server reads the ClientHello and
 * resets the connection; tlsctx.c says why for an unusable key. */
static void reset_after_hello(struct conn *c)
{
	const char *why = conn_config(c)->reset_why;
	conn_reset(c, "%s", why[0] ? why : "fault: reset after ClientHello");
}

/* Seed 001, scenario 6: a server that takes the first application record
 * as the whole request. A client that splits records 1/n-1 (or sends an
 * empty record first, 0/n) leaves it without a request line, and it
 * closes without an answer: the "incomplete request" of the seed. */
static int split_intolerant(struct conn *c, const uint8_t *p, size_t n)
{
	/* Records handed to wolfSSL so far: more than one means the first
	 * record carried no bytes (0/n split), so the request it saw was "". */
	size_t seen = conn_event(c)->app_records > 1 ? 0 : n;
	struct http_req r;
	if (http_parse_request_line((const char *)p, seen, &r) > 0)
		return 0;
	conn_close(c, "server",
		   "split-intolerant: first application record held %zu byte(s) and no request "
		   "line; closed without a response",
		   seen);
	return -1;
}

/* A server (or a middlebox) that ends the stream after the first
 * TRUNCATE_AFTER bytes of its response, with a FIN and no close_notify:
 * the client gets a status line and part of the body its Content-Length
 * promised (RFC 8446 6.1: a truncation attack looks the same). */
#define TRUNCATE_AFTER 128
static size_t truncate_response(struct conn *c, uint64_t sent, const uint8_t *p, size_t n)
{
	(void)p;
	size_t room = sent < TRUNCATE_AFTER ? (size_t)(TRUNCATE_AFTER - sent) : 0;
	if (n <= room)
		return n;
	char why[96];
	snprintf(why, sizeof(why), "fault: response cut after %d of %zu bytes, without close_notify",
		 TRUNCATE_AFTER, (size_t)sent + n);
	conn_cut_when_flushed(c, why);
	/* The front-end's status never reaches the client whole: no answer. */
	conn_event(c)->http_status = 0;
	return room;
}

#define FRONT_END (-1) /* start as the protocol's front-end does */

struct fault_row {
	enum scn_fault kind;
	int start;		     /* enum start_mode, or FRONT_END */
	int no_tls;		     /* the faulty server never speaks TLS */
	const struct proto_ops *ops; /* replaces the front-end, or NULL */
	const char *reset_why;	     /* reset_after_hello's words, or NULL */
	struct conn_hooks hooks;
};

static const struct fault_row rows[] = {
	{FAULT_NONE, FRONT_END, 0, NULL, NULL, {0}},
	/* Seed 001, scenario 4: HTTP.sys finds no certificate hash bound to
	 * the IP:port, reads the ClientHello and resets the connection. */
	{FAULT_NO_BINDING, START_RAW_HELLO, 1, NULL,
	 "no certificate bound to this IP:port (HTTP.sys SSL binding has an empty hash); reset",
	 {.hello = reset_after_hello}},
	/* Seed 001, scenarios 1-2: Schannel cannot acquire the credential's
	 * private key and drops the connection after the ClientHello. */
	{FAULT_CREDENTIAL_UNUSABLE, START_RAW_HELLO, 0, NULL, NULL, {.hello = reset_after_hello}},
	{FAULT_PLAINTEXT_SERVICE, START_PLAIN_CAPTURE, 1, &plain_service_ops, NULL, {0}},
	{FAULT_SPLIT_INTOLERANT, FRONT_END, 0, NULL, NULL, {.first_app_record = split_intolerant}},
	{FAULT_KEY_MISMATCH, FRONT_END, 0, NULL, NULL, {0}},
	{FAULT_TRUNCATED_RESPONSE, FRONT_END, 0, NULL, NULL, {.before_send = truncate_response}},
};

int faults_configure(struct conn_config *cfg)
{
	const struct fault_row *r = &rows[0];
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if ((int)rows[i].kind == cfg->s->fault)
			r = &rows[i];
	if (r->start != FRONT_END)
		cfg->start = (enum start_mode)r->start;
	if (r->ops)
		cfg->ops = r->ops;
	if (r->reset_why)
		snprintf(cfg->reset_why, sizeof(cfg->reset_why), "%s", r->reset_why);
	cfg->hooks = r->hooks;
	return r->no_tls;
}
