/* faults — see faults.h. */
#include "faults.h"

#include <string.h>

#include "conn.h"

/* Seed 001, scenario 3: another process answers on the TLS port. It
 * speaks plaintext HTTP, so the client's ClientHello gets an HTTP 400 and
 * the client reports a non-TLS reply ("wrong version number"). */
static void plain_service_readable(struct conn *c)
{
	uint8_t buf[1024];
	ssize_t n;
	while ((n = conn_read(c, buf, sizeof(buf))) > 0) {
		if (c->out_len || c->close_after_flush)
			continue;
		static const char body[] = "This port is served by another, plaintext HTTP service.\n";
		conn_printf(c,
			    "HTTP/1.1 400 Bad Request\r\nServer: other-service/1.0\r\n"
			    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s",
			    sizeof(body) - 1, body);
		c->ev.http_status = 400;
		if (c->state != CS_CLOSED)
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

struct fault_row {
	enum scn_fault kind;
	enum start_mode start;
	const struct proto_ops *ops;
	const char *after_hello; /* why the server resets, for the event */
};

static const struct fault_row rows[] = {
	{FAULT_NONE, START_TLS, NULL, NULL},
	/* Seed 001, scenario 4: HTTP.sys finds no certificate hash bound to
	 * the IP:port, reads the ClientHello and resets the connection. */
	{FAULT_NO_BINDING, START_RAW_HELLO, NULL,
	 "no certificate bound to this IP:port (HTTP.sys SSL binding has an empty hash); reset"},
	/* Seed 001, scenarios 1-2: Schannel cannot acquire the credential's
	 * private key and drops the connection after the ClientHello. */
	{FAULT_CREDENTIAL_UNUSABLE, START_RAW_HELLO, NULL, NULL},
	{FAULT_PLAINTEXT_SERVICE, START_PLAIN_CAPTURE, &plain_service_ops, NULL},
	{FAULT_SPLIT_INTOLERANT, START_TLS, NULL, NULL},
	{FAULT_KEY_MISMATCH, START_TLS, NULL, NULL},
};

static const struct fault_row *row_of(const struct scenario *s)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if ((int)rows[i].kind == s->fault)
			return &rows[i];
	return &rows[0];
}

enum start_mode faults_start_mode(const struct scenario *s)
{
	const struct fault_row *r = row_of(s);
	if (r->start == START_TLS && s->protocol == PROTO_FTPS_EXPLICIT)
		return START_PLAIN;
	return r->start;
}

const struct proto_ops *faults_override_ops(const struct scenario *s)
{
	return row_of(s)->ops;
}

void faults_after_hello(struct conn *c)
{
	const struct fault_row *r = row_of(c->lis->s);
	const char *why = r->after_hello ? r->after_hello : c->lis->cred_error;
	conn_reset(c, "%s", why[0] ? why : "fault: reset after ClientHello");
}
