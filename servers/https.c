/* https — see https.h. */
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
	conn_event(c)->http_status = status;
	conn_set_cap_deadline(c, 0, NULL); /* the head is in: the idle timeout governs */
	conn_printf(c,
		    "HTTP/1.1 %d %s\r\nServer: tlsfault\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    status, reason, strlen(body), body);
	if (conn_state(c) != CS_CLOSED)
		conn_close_when_flushed(c);
}

static void respond_ok(struct conn *c)
{
	const struct event *ev = conn_event(c);
	char body[1024];
	int n = snprintf(body, sizeof(body), "tlsfault scenario %s\nTLS: %s %s\n",
			 conn_scenario(c)->name, ev->version, ev->cipher);
	if (ev->client_subject[0])
		snprintf(body + n, sizeof(body) - (size_t)n, "verified client: %s\n",
			 ev->client_subject);
	respond(c, 200, "OK", body);
}

static void record_line(struct conn *c, const struct http_req *r)
{
	struct event *ev = conn_event(c);
	size_t n = r->line.n < sizeof(ev->request_line) - 1 ? r->line.n
							     : sizeof(ev->request_line) - 1;
	memcpy(ev->request_line, r->line.p, n);
	ev->request_line[n] = '\0';
}

static void https_readable(struct conn *c)
{
	struct https_state *st = conn_proto(c);
	if (!st->head && !(st->head = malloc(HTTP_HEAD_MAX))) {
		conn_close(c, "server", "out of memory");
		return;
	}
	while (conn_state(c) == CS_APP && !conn_closing(c)) {
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
		struct http_req r;
		int rc = http_parse_request(st->head, st->len, &r);
		if (rc == HTTP_NEED_MORE)
			continue;
		if (rc == HTTP_BAD) {
			if (r.line.n)
				record_line(c, &r);
			event_set_error(conn_event(c), "bad request: %s", r.error);
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
	conn_set_proto(c, st);
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
	struct https_state *st = conn_proto(c);
	if (st)
		free(st->head);
	free(st);
	conn_set_proto(c, NULL);
}

const struct proto_ops https_ops = {
	.channel = "https",
	.on_tls_ready = https_tls_ready,
	.on_readable = https_readable,
	.on_close = https_close,
};
