#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "tf_names.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

static int events_fd = -1;
static const char *events_path;
static uint64_t n_written;
static uint64_t n_lost;	 /* since the sink last failed */
static int sink_failing; /* stderr has said so; quiet until it recovers */

/* Worker side: the supervisor's socket. */
static int chan_fd = -1;

static void chan_send(const struct evmsg *m, const char *line, size_t n)
{
	struct iovec iov[2] = {{(void *)m, sizeof(*m)}, {(void *)line, n}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = n ? 2 : 1};
	ssize_t w;
	do
		w = sendmsg(chan_fd, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0 && !sink_failing) {
		sink_failing = 1;
		fprintf(stderr, "tlsfault: worker %d: cannot pass events to the supervisor: %s\n",
			(int)getpid(), strerror(errno));
	}
}

static void fill_msg(struct evmsg *m, uint32_t type, const struct event *e)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->id = e->id;
	m->start_ms = e->start_ms;
	snprintf(m->channel, sizeof(m->channel), "%s", e->channel ? e->channel : "");
	snprintf(m->peer, sizeof(m->peer), "%s", e->peer);
}

void events_use_channel(int fd)
{
	chan_fd = fd;
}

void events_announce_open(const struct event *e)
{
	if (chan_fd < 0)
		return;
	struct evmsg m;
	fill_msg(&m, EVMSG_OPEN, e);
	chan_send(&m, NULL, 0);
}

void event_init(struct event *e, uint64_t id, const char *scenario, const char *channel)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->scenario = scenario;
	e->channel = channel;
	e->handshake = "none";
	e->alert_received.code = e->alert_sent.code = -1;
	e->alert_received.replaced = e->alert_sent.replaced = -1;
	e->cert_msg_len = -1;
}

void event_set_error(struct event *e, const char *fmt, ...)
{
	if (e->error[0])
		return; /* the first error is the cause; later ones are fallout */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->error, sizeof(e->error), fmt, ap);
	va_end(ap);
}

static void put_alert(struct json *j, const char *key, const struct alert_rec *a)
{
	json_key(j, key);
	if (a->code < 0) {
		json_null(j);
		return;
	}
	json_obj_open(j);
	json_kstr(j, "name", sniff_alert_name(a->code) ? sniff_alert_name(a->code) : "unknown");
	json_kint(j, "code", a->code);
	json_kstr(j, "level", a->level == 1 ? "warning" : "fatal");
	if (a->replaced >= 0) {
		/* The scenario's server sent this instead of wolfSSL's choice. */
		json_key(j, "replaces");
		json_obj_open(j);
		json_kstr(j, "name", sniff_alert_name(a->replaced) ? sniff_alert_name(a->replaced)
								  : "unknown");
		json_kint(j, "code", a->replaced);
		json_obj_close(j);
	}
	json_obj_close(j);
}

static void put_hex16(struct json *j, uint16_t v)
{
	char tmp[8];
	snprintf(tmp, sizeof(tmp), "0x%04x", v);
	json_str(j, tmp);
}

static void put_u16_hex_list(struct json *j, const char *key, const uint16_t *v, size_t n)
{
	json_key(j, key);
	json_arr_open(j);
	for (size_t i = 0; i < n; i++)
		put_hex16(j, v[i]);
	json_arr_close(j);
}

static const char *version_name(uint16_t v)
{
#define TF_VERSION_CASE(id, config, wire, display) case wire: return display;
	switch (v) {
	TF_TLS_VERSIONS(TF_VERSION_CASE)
	default: return NULL;
	}
#undef TF_VERSION_CASE
}

static void put_version_list(struct json *j, const char *key, const uint16_t *v, size_t n)
{
	json_key(j, key);
	json_arr_open(j);
	for (size_t i = 0; i < n; i++) {
		if (version_name(v[i]))
			json_str(j, version_name(v[i]));
		else
			put_hex16(j, v[i]);
	}
	json_arr_close(j);
}

static void put_hello(struct json *j, const struct event *e)
{
	const struct hello *h = &e->hello;
	json_key(j, "hello");
	if (e->hello_state == 0) {
		json_null(j);
		return;
	}
	json_obj_open(j);
	if (e->hello_state < 0) {
		json_kstr(j, "error", e->hello_error);
		json_obj_close(j);
		return;
	}
	json_kstr(j, "record_version", version_name(h->record_version));
	json_kstr(j, "client_version", version_name(h->client_version));
	put_version_list(j, "versions", h->versions, h->n_versions);
	put_u16_hex_list(j, "suites", h->suites, h->n_suites);
	json_key(j, "suite_names");
	json_arr_open(j);
	for (size_t i = 0; i < h->n_suites; i++) {
		const char *name = wolfSSL_get_cipher_name_from_suite(
			(unsigned char)(h->suites[i] >> 8), (unsigned char)h->suites[i]);
		if (name && strcmp(name, "None"))
			json_str(j, name);
		else
			put_hex16(j, h->suites[i]);
	}
	json_arr_close(j);
	json_kstr(j, "sni", h->sni[0] ? h->sni : NULL);
	json_key(j, "alpn");
	json_arr_open(j);
	for (size_t i = 0; i < h->n_alpn; i++)
		json_str(j, h->alpn[i]);
	json_arr_close(j);
	put_u16_hex_list(j, "groups", h->groups, h->n_groups);
	put_u16_hex_list(j, "key_shares", h->key_shares, h->n_key_shares);
	put_u16_hex_list(j, "sigalgs", h->sigalgs, h->n_sigalgs);
	json_kint(j, "records", (long long)h->n_records);
	json_kbool(j, "session_ticket", h->has_session_ticket); /* RFC 5077 extension offered */
	json_obj_close(j);
}

static void put_client_cert(struct json *j, const struct event *e)
{
	json_key(j, "client_cert");
	json_obj_open(j);
	/* A presented cert came in a Certificate message even when TLS 1.3
	 * hid its length from us. */
	json_kbool(j, "message", e->cert_msg_len >= 0 || e->client_subject[0] != '\0');
	json_key(j, "length");
	if (e->cert_msg_len >= 0)
		json_int(j, e->cert_msg_len);
	else
		json_null(j);
	json_kstr(j, "length_source", e->cert_msg_len >= 0 ? e->cert_len_source : NULL);
	json_kbool(j, "presented", e->client_subject[0] != '\0');
	json_kbool(j, "verified", e->client_cert_verified);
	json_kstr(j, "subject", e->client_subject[0] ? e->client_subject : NULL);
	json_kstr(j, "issuer", e->client_issuer[0] ? e->client_issuer : NULL);
	json_kstr(j, "advertised_ca", e->advertised_ca[0] ? e->advertised_ca : NULL);
	json_obj_close(j);
}

static void put_app(struct json *j, const struct event *e)
{
	json_key(j, "app");
	json_obj_open(j);
	json_kstr(j, "request_line", e->request_line[0] ? e->request_line : NULL);
	json_key(j, "http_status");
	if (e->http_status)
		json_int(j, e->http_status);
	else
		json_null(j);
	json_kint(j, "records", e->app_records);
	json_key(j, "record_sizes");
	json_arr_open(j);
	for (unsigned i = 0; i < e->app_records && i < APP_RECORDS_LOGGED; i++)
		json_int(j, e->app_record_sizes[i]);
	json_arr_close(j);
	json_obj_close(j);
}

int event_to_json(const struct event *e, char *buf, unsigned cap)
{
	struct json j;
	json_init(&j, buf, cap);
	json_obj_open(&j);
	json_kint(&j, "id", (long long)e->id);
	json_kstr(&j, "scenario", e->scenario);
	json_kstr(&j, "channel", e->channel);
	json_kstr(&j, "peer", e->peer);
	json_kint(&j, "duration_ms", e->end_ms - e->start_ms);
	put_hello(&j, e);
	json_kstr(&j, "handshake", e->handshake);
	json_kstr(&j, "version", e->version[0] ? e->version : NULL);
	json_kstr(&j, "cipher", e->cipher[0] ? e->cipher : NULL);
	json_kbool(&j, "resumed", e->resumed);
	json_kbool(&j, "hello_retry", e->hello_retry);
	put_alert(&j, "alert_received", &e->alert_received);
	put_alert(&j, "alert_sent", &e->alert_sent);
	put_client_cert(&j, e);
	put_app(&j, e);
	if (e->proto_key && e->proto_json[0]) {
		/* A front-end's own record, already rendered as JSON by json.c. */
		json_key(&j, e->proto_key);
		json_raw(&j, e->proto_json);
	}
	json_kstr(&j, "closed_by", e->closed_by);
	json_kstr(&j, "error", e->error[0] ? e->error : NULL);
	json_kint(&j, "bytes_in", (long long)e->bytes_in);
	json_kint(&j, "bytes_out", (long long)e->bytes_out);
	json_obj_close(&j);
	return j.truncated ? -1 : (int)j.len;
}

int events_open(const char *path)
{
	if (!path)
		return 0;
	events_path = path;
	events_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return events_fd < 0 ? -1 : 0;
}

void events_write_line(const char *line, size_t n)
{
	if (events_fd < 0)
		return;
	/* One write per line: O_APPEND keeps concurrent writers' lines whole
	 * (in a regular file; `serve` has one writer, the supervisor). */
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(events_fd, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			n_lost++;
			if (!sink_failing)
				fprintf(stderr, "tlsfault: events file %s: %s; events are lost until "
						"it can be written again (serving goes on)\n",
					events_path, w < 0 ? strerror(errno) : "short write");
			sink_failing = 1;
			return;
		}
		off += (size_t)w;
	}
	if (sink_failing) {
		fprintf(stderr, "tlsfault: events file %s: writable again; %llu event(s) lost\n",
			events_path, (unsigned long long)n_lost);
		sink_failing = 0;
		n_lost = 0;
	}
}

void events_write(const struct event *e)
{
	static char line[EVENT_LINE_MAX + 1];
	n_written++;
	if (events_fd < 0 && chan_fd < 0)
		return;
	int n = event_to_json(e, line, EVENT_LINE_MAX);
	if (n < 0) {
		/* Never lose an event: fall back to the facts that always fit. */
		n = snprintf(line, EVENT_LINE_MAX,
			     "{\"id\":%llu,\"scenario\":\"%s\",\"error\":\"event too large\"}",
			     (unsigned long long)e->id, e->scenario);
	}
	if (chan_fd >= 0) {
		struct evmsg m;
		fill_msg(&m, EVMSG_EVENT, e);
		chan_send(&m, line, (size_t)n);
		return;
	}
	line[n++] = '\n';
	events_write_line(line, (size_t)n);
}

void events_close(void)
{
	if (events_fd >= 0)
		close(events_fd);
	events_fd = -1;
}

uint64_t events_written(void)
{
	return n_written;
}
