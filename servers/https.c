#include "https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "http.h"

struct https_state {
	size_t len;
	char *head; /* HTTP_HEAD_MAX bytes, allocated when the first byte comes:
		     * an idle connection costs no head buffer (make bench) */
};

static void respond(struct conn *c, int status, const char *reason, const char *body)
{
	c->ev.http_status = status;
	conn_set_cap_deadline(c, 0, NULL); /* the head is in: the idle timeout governs */
	conn_printf(c,
		    "HTTP/1.1 %d %s\r\nServer: tlsfault\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    status, reason, strlen(body), body);
	if (c->state != CS_CLOSED)
		conn_close_when_flushed(c);
}

static void respond_ok(struct conn *c)
{
	char body[1024];
	int n = snprintf(body, sizeof(body), "tlsfault scenario %s\nTLS: %s %s\n", c->lis->s->name,
			 c->ev.version, c->ev.cipher);
	if (c->ev.client_subject[0])
		snprintf(body + n, sizeof(body) - (size_t)n, "verified client: %s\n",
			 c->ev.client_subject);
	respond(c, 200, "OK", body);
}

static void record_line(struct conn *c, const struct http_req *r)
{
	size_t n = r->line.n < sizeof(c->ev.request_line) - 1 ? r->line.n
							       : sizeof(c->ev.request_line) - 1;
	memcpy(c->ev.request_line, r->line.p, n);
	c->ev.request_line[n] = '\0';
}

/* Seed 001, scenario 6: a server that takes the first application record
 * as the whole request. A client that splits records 1/n-1 (or sends an
 * empty record first, 0/n) leaves it without a request line, and it
 * closes without an answer: the "incomplete request" of the seed. */
static void split_intolerant_request(struct conn *c, struct https_state *st)
{
	/* Records handed to wolfSSL so far: more than one means the first
	 * record carried no bytes (0/n split), so the request it saw was "". */
	size_t seen = c->ev.app_records > 1 ? 0 : st->len;
	struct http_req r;
	if (http_parse_request_line(st->head, seen, &r) > 0) {
		record_line(c, &r);
		respond_ok(c);
		return;
	}
	conn_close(c, "server",
		   "split-intolerant: first application record held %zu byte(s) and no request "
		   "line; closed without a response",
		   seen);
}

static void https_readable(struct conn *c)
{
	struct https_state *st = c->proto;
	if (!st->head && !(st->head = malloc(HTTP_HEAD_MAX))) {
		conn_close(c, "server", "out of memory");
		return;
	}
	while (c->state == CS_APP && !c->close_after_flush) {
		if (st->len == HTTP_HEAD_MAX) {
			respond(c, 431, "Request Header Fields Too Large", "request head too large\n");
			return;
		}
		ssize_t n = conn_read(c, st->head + st->len, HTTP_HEAD_MAX - st->len);
		if (n == CONN_AGAIN)
			return;
		if (n <= 0) {
			conn_close(c, "client", NULL);
			return;
		}
		st->len += (size_t)n;
		if (c->lis->s->fault == FAULT_SPLIT_INTOLERANT) {
			split_intolerant_request(c, st);
			return;
		}
		struct http_req r;
		int rc = http_parse_request(st->head, st->len, &r);
		if (rc == HTTP_NEED_MORE)
			continue;
		if (rc == HTTP_BAD) {
			if (r.line.n)
				record_line(c, &r);
			event_set_error(&c->ev, "bad request: %s", r.error);
			respond(c, 400, "Bad Request", "bad request\n");
			return;
		}
		record_line(c, &r);
		respond_ok(c);
		return;
	}
}

static void https_tls_ready(struct conn *c)
{
	struct https_state *st = calloc(1, sizeof(*st));
	c->proto = st;
	if (!st) {
		conn_close(c, "server", "out of memory");
		return;
	}
	/* The whole head within one idle period of the handshake: each byte
	 * extends only the idle deadline, so a slowloris client sending a
	 * byte at a time cannot hold the connection longer. */
	char why[64];
	snprintf(why, sizeof(why), "idle timeout after %d ms", tf_limits.idle_timeout_ms);
	conn_set_cap_deadline(c, loop_now_ms() + tf_limits.idle_timeout_ms, why);
}

static void https_close(struct conn *c)
{
	struct https_state *st = c->proto;
	if (st)
		free(st->head);
	free(c->proto);
	c->proto = NULL;
}

const struct proto_ops https_ops = {
	.channel = "https",
	.on_tls_ready = https_tls_ready,
	.on_readable = https_readable,
	.on_close = https_close,
};
