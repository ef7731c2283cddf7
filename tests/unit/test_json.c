/* Unit tests for servers/json.c (bounded writer, escaping, truncation)
 * and for the event line built on it (servers/events.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <unistd.h>

#include "events.h"
#include "json.h"
#include "sniff.h"
#include "unit_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Strings and structure are balanced, outside strings no control byte:
 * a cheap well-formedness check for lines built by json.c. */
static int json_balanced(const char *s)
{
	char stack[64];
	int depth = 0, in_str = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (in_str) {
			if (c < 0x20 || c >= 0x7f)
				return 0;
			if (c == '\\')
				s++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (depth == (int)sizeof(stack))
				return 0;
			stack[depth++] = (char)c;
		} else if (c == '}' || c == ']') {
			if (!depth || stack[--depth] != (c == '}' ? '{' : '['))
				return 0;
		} else if (c < 0x20) {
			return 0;
		}
	}
	return depth == 0 && !in_str;
}

static void test_nested(void **state)
{
	(void)state;
	char buf[256];
	struct json j;
	json_init(&j, buf, sizeof(buf));
	json_obj_open(&j);
	json_key(&j, "a");
	json_obj_open(&j);
	json_key(&j, "b");
	json_arr_open(&j);
	json_int(&j, 1);
	json_int(&j, -2);
	json_obj_open(&j);
	json_key(&j, "c");
	json_null(&j);
	json_obj_close(&j);
	json_arr_open(&j);
	json_arr_close(&j);
	json_arr_close(&j);
	json_kbool(&j, "d", 1);
	json_obj_close(&j);
	json_kbool(&j, "e", 0);
	json_kstr(&j, "f", NULL);
	json_kint(&j, "g", LLONG_MIN);
	json_key(&j, "h");
	json_raw(&j, "{\"x\":[1]}");
	json_obj_close(&j);
	assert_int_equal(j.truncated, 0);
	assert_string_equal(buf, "{\"a\":{\"b\":[1,-2,{\"c\":null},[]],\"d\":true},\"e\":false,"
				 "\"f\":null,\"g\":-9223372036854775808,\"h\":{\"x\":[1]}}");
	assert_int_equal(j.len, strlen(buf));
	assert_true(json_balanced(buf));
}

static void test_empty_containers(void **state)
{
	(void)state;
	char buf[16];
	struct json j;
	json_init(&j, buf, sizeof(buf));
	json_arr_open(&j);
	json_obj_open(&j);
	json_obj_close(&j);
	json_str(&j, "");
	json_arr_close(&j);
	assert_string_equal(buf, "[{},\"\"]");
}

/* Render one string value with json_strn. */
static const char *str_json(const char *s, size_t n, char *buf, size_t cap)
{
	struct json j;
	json_init(&j, buf, cap);
	json_strn(&j, s, n);
	assert_int_equal(j.truncated, 0);
	return buf;
}

#define STR(lit, buf) str_json(lit, sizeof(lit) - 1, buf, sizeof(buf))

static void test_escaping(void **state)
{
	(void)state;
	char b[128];
	assert_string_equal(STR("plain text/ok", b), "\"plain text/ok\"");
	assert_string_equal(STR("a\"b", b), "\"a\\\"b\"");
	assert_string_equal(STR("a\\b", b), "\"a\\\\b\"");
	/* json.c writes every control byte as \u00XX, \n and \t included. */
	assert_string_equal(STR("\n", b), "\"\\u000a\"");
	assert_string_equal(STR("\t", b), "\"\\u0009\"");
	assert_string_equal(STR("\x01", b), "\"\\u0001\"");
	assert_string_equal(STR("\r\x1f", b), "\"\\u000d\\u001f\"");
	assert_string_equal(STR("a\0b", b), "\"a\\u0000b\"");
	assert_string_equal(STR("\x7f", b), "\"\\u007f\"");
	/* Non-ASCII bytes are not trusted to be UTF-8: one escape per byte. */
	assert_string_equal(STR("caf\xc3\xa9", b), "\"caf\\u00c3\\u00a9\"");
	assert_string_equal(STR("\x80\xff", b), "\"\\u0080\\u00ff\"");
	/* Keys are escaped the same way. */
	struct json j;
	json_init(&j, b, sizeof(b));
	json_obj_open(&j);
	json_kstr(&j, "k\"\n", "v");
	json_obj_close(&j);
	assert_string_equal(b, "{\"k\\\"\\u000a\":\"v\"}");
}

static void test_numbers(void **state)
{
	(void)state;
	char b[128];
	struct json j;
	json_init(&j, b, sizeof(b));
	json_arr_open(&j);
	json_int(&j, 0);
	json_int(&j, -1);
	json_int(&j, LLONG_MAX);
	json_bool(&j, 1);
	json_null(&j);
	json_arr_close(&j);
	assert_string_equal(b, "[0,-1,9223372036854775807,true,null]");
}

/* The same document written into every capacity from 0 to one past its
 * size: never a byte past cap, always a NUL-terminated prefix of the
 * full text, and `truncated` exactly when it did not fit. */
static void write_doc(struct json *j)
{
	json_obj_open(j);
	json_kstr(j, "sni", "evil\"\x01\xff");
	json_key(j, "list");
	json_arr_open(j);
	json_int(j, 12345);
	json_str(j, "\\");
	json_arr_close(j);
	json_kbool(j, "ok", 0);
	json_obj_close(j);
}

static void test_truncation_every_capacity(void **state)
{
	(void)state;
	char full[256];
	struct json j;
	json_init(&j, full, sizeof(full));
	write_doc(&j);
	assert_int_equal(j.truncated, 0);
	size_t len = j.len;
	assert_string_equal(full, "{\"sni\":\"evil\\\"\\u0001\\u00ff\",\"list\":[12345,\"\\\\\"],"
				  "\"ok\":false}");
	for (size_t cap = 0; cap <= len + 1; cap++) {
		char area[300];
		memset(area, 0xAA, sizeof(area));
		json_init(&j, area, cap);
		write_doc(&j);
		for (size_t i = cap; i < sizeof(area); i++)
			assert_int_equal((unsigned char)area[i], 0xAA);
		assert_int_equal(j.truncated, cap < len + 1);
		if (cap == 0)
			continue;
		assert_true(j.len < cap);
		assert_int_equal(strlen(area), j.len);
		assert_memory_equal(area, full, j.len);
	}
}

/* An escape is written whole or not at all, and nothing is appended
 * after the first write that did not fit (no silent gap). */
static void test_truncation_is_sticky(void **state)
{
	(void)state;
	char b[4];
	struct json j;
	json_init(&j, b, sizeof(b));
	json_str(&j, "\x01");
	assert_int_equal(j.truncated, 1);
	assert_string_equal(b, "\"");
	json_init(&j, b, sizeof(b));
	json_str(&j, "abcdef");
	json_int(&j, 1);
	assert_int_equal(j.truncated, 1);
	assert_string_equal(b, "\"ab");
	assert_int_equal(j.len, 3);
}

/* ---- events ---- */

static void base_event(struct event *e)
{
	event_init(e, 7, "https-valid", "https");
	snprintf(e->peer, sizeof(e->peer), "127.0.0.1:5555");
	e->start_ms = 1000, e->end_ms = 1025;
	e->bytes_in = 517;
}

static void render(const struct event *e, char *buf, unsigned cap)
{
	int n = event_to_json(e, buf, cap);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_null(strchr(buf, '\n'));
	assert_true(json_balanced(buf));
}

static void assert_has(const char *line, const char *part)
{
	if (!strstr(line, part))
		fail_msg("missing %s in %s", part, line);
}

static void test_event_defaults(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	base_event(&e);
	render(&e, line, sizeof(line));
	/* Pieces, not the whole line, so a new member elsewhere does not
	 * break this test; each piece is exact. */
	static const char head[] =
		"{\"id\":7,\"scenario\":\"https-valid\",\"channel\":\"https\",\"peer\":\"127.0.0.1:5555\","
		"\"duration_ms\":25,\"hello\":null,\"handshake\":\"none\",\"version\":null,"
		"\"cipher\":null,\"resumed\":false,\"hello_retry\":false,\"alert_received\":null,\"alert_sent\":null,"
		"\"client_cert\":{\"message\":false,\"length\":null,";
	static const char tail[] =
		"\"app\":{\"request_line\":null,\"http_status\":null,\"records\":0,"
		"\"record_sizes\":[]},\"closed_by\":null,\"error\":null,\"bytes_in\":517,"
		"\"bytes_out\":0}";
	assert_memory_equal(line, head, sizeof(head) - 1);
	assert_string_equal(line + strlen(line) - (sizeof(tail) - 1), tail);
	assert_has(line, ",\"presented\":false,\"verified\":false,\"subject\":null,"
			 "\"issuer\":null,\"advertised_ca\":null},\"app\":");
}

static void test_event_alerts(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	base_event(&e);
	e.alert_sent.code = 48, e.alert_sent.level = 2;
	e.alert_received.code = 0, e.alert_received.level = 1;
	render(&e, line, sizeof(line));
	assert_has(line, "\"alert_sent\":{\"name\":\"unknown_ca\",\"code\":48,\"level\":\"fatal\"}");
	assert_has(line, "\"alert_received\":{\"name\":\"close_notify\",\"code\":0,"
			 "\"level\":\"warning\"}");
	e.alert_sent.code = 200;
	render(&e, line, sizeof(line));
	assert_has(line, "\"alert_sent\":{\"name\":\"unknown\",\"code\":200,\"level\":\"fatal\"}");
}

/* The hello of a real curl ClientHello, through the sniffer. */
static void test_event_hello(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	size_t n;
	unsigned char *p = unit_load("fixtures/curl-hello.bin", &n);
	base_event(&e);
	assert_int_equal(sniff_client_hello(p, n, &e.hello), (int)n);
	e.hello_state = 1;
	render(&e, line, sizeof(line));
	assert_has(line, "\"hello\":{\"record_version\":\"TLSv1\",\"client_version\":\"TLSv1.2\","
			 "\"versions\":[\"TLSv1.3\",\"TLSv1.2\",\"TLSv1.1\",\"TLSv1\"],"
			 "\"suites\":[\"0x1302\",\"0x1303\",\"0x1301\",\"0xc02c\",");
	/* wolfSSL names what it knows; the rest (here the SCSV) stays hex. */
	assert_has(line, ",\"0x002f\",\"0x00ff\"],\"suite_names\":[\"TLS13-AES256-GCM-SHA384\","
			 "\"TLS13-CHACHA20-POLY1305-SHA256\",\"TLS13-AES128-GCM-SHA256\","
			 "\"ECDHE-ECDSA-AES256-GCM-SHA384\",");
	assert_has(line, ",\"AES256-SHA\",\"AES128-SHA\",\"0x00ff\"],\"sni\":");
	assert_has(line, "\"sni\":\"localhost\",\"alpn\":[\"h2\",\"http/1.1\"],"
			 "\"groups\":[\"0x001d\",\"0x0017\",\"0x001e\",\"0x0019\",\"0x0018\","
			 "\"0x0100\",\"0x0101\",\"0x0102\",\"0x0103\",\"0x0104\"],"
			 "\"key_shares\":[\"0x001d\"],\"sigalgs\":[\"0x0403\",");
	assert_has(line, ",\"0x0602\"],\"records\":1,\"session_ticket\":false},\"handshake\":");
	free(p);
}

/* Peer-controlled strings are escaped in the event line. */
static void test_event_escapes_peer_strings(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	base_event(&e);
	e.hello_state = 1;
	snprintf(e.hello.sni, sizeof(e.hello.sni), "a\"b\\c\n\xc3");
	snprintf(e.request_line, sizeof(e.request_line), "GET /\x01\x7f HTTP/1.1");
	render(&e, line, sizeof(line));
	assert_has(line, "\"sni\":\"a\\\"b\\\\c\\u000a\\u00c3\"");
	assert_has(line, "\"request_line\":\"GET /\\u0001\\u007f HTTP/1.1\"");
	assert_has(line, "\"record_version\":null,\"client_version\":null,\"versions\":[],"
			 "\"suites\":[],\"suite_names\":[],");
}

static void test_event_hello_error(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	base_event(&e);
	e.hello_state = -1;
	e.hello_error = "not a TLS handshake record";
	render(&e, line, sizeof(line));
	assert_has(line, ",\"hello\":{\"error\":\"not a TLS handshake record\"},\"handshake\":");
}

static void test_event_app_and_proto(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	base_event(&e);
	e.http_status = 200;
	e.app_records = APP_RECORDS_LOGGED + 2;
	for (unsigned i = 0; i < APP_RECORDS_LOGGED; i++)
		e.app_record_sizes[i] = (uint16_t)(i + 1);
	e.proto_key = "ftp";
	snprintf(e.proto_json, sizeof(e.proto_json), "{\"user\":\"x\"}");
	e.closed_by = "client";
	render(&e, line, sizeof(line));
	assert_has(line, "\"http_status\":200,\"records\":10,\"record_sizes\":[1,2,3,4,5,6,7,8]}");
	assert_has(line, "},\"ftp\":{\"user\":\"x\"},\"closed_by\":\"client\",");
}

static void test_event_error_first_wins(void **state)
{
	(void)state;
	struct event e;
	base_event(&e);
	event_set_error(&e, "read: %s (%d)", "reset", 104);
	event_set_error(&e, "later %d", 2);
	assert_string_equal(e.error, "read: reset (104)");
}

static void test_event_truncated(void **state)
{
	(void)state;
	struct event e;
	static char line[EVENT_LINE_MAX];
	base_event(&e);
	int n = event_to_json(&e, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(event_to_json(&e, line, (unsigned)n + 1), n);
	assert_int_equal(event_to_json(&e, line, (unsigned)n), -1);
	assert_int_equal(event_to_json(&e, line, 10), -1);
}

/* Fill every peer string with escapes so the line exceeds the limit. */
static void huge_event(struct event *e)
{
	base_event(e);
	e->hello_state = 1;
	memset(e->hello.sni, 1, sizeof(e->hello.sni) - 1);
	memset(e->request_line, 1, sizeof(e->request_line) - 1);
	memset(e->client_subject, 1, sizeof(e->client_subject) - 1);
	memset(e->client_issuer, 1, sizeof(e->client_issuer) - 1);
	memset(e->advertised_ca, 1, sizeof(e->advertised_ca) - 1);
	memset(e->error, 1, sizeof(e->error) - 1);
	e->proto_key = "ftp";
	memset(e->proto_json, '1', sizeof(e->proto_json) - 1);
	e->hello.n_suites = HELLO_MAX_SUITES;
	for (size_t i = 0; i < HELLO_MAX_SUITES; i++)
		e->hello.suites[i] = 0xfefe;
	e->hello.n_alpn = HELLO_MAX_ALPN;
	for (size_t i = 0; i < HELLO_MAX_ALPN; i++)
		memset(e->hello.alpn[i], 1, HELLO_ALPN_LEN - 1);
}

/* events_write: one line per event, and an event too large for a line
 * still leaves a line with its id. */
static void test_events_file(void **state)
{
	(void)state;
	char path[] = "/tmp/tlsfault-unit-events-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	static struct event e;
	static char want[EVENT_LINE_MAX], big[EVENT_LINE_MAX];
	uint64_t before = events_written();
	assert_int_equal(events_open(path), 0);
	base_event(&e);
	render(&e, want, sizeof(want));
	events_write(&e);
	huge_event(&e);
	assert_int_equal(event_to_json(&e, big, sizeof(big)), -1);
	events_write(&e);
	events_close();
	assert_int_equal(events_written(), before + 2);
	size_t n;
	char *got = (char *)unit_load(path, &n);
	unlink(path);
	size_t first = strlen(want);
	assert_true(n > first);
	assert_memory_equal(got, want, first);
	static const char fallback[] =
		"\n{\"id\":7,\"scenario\":\"https-valid\",\"error\":\"event too large\"}\n";
	assert_int_equal(n, first + sizeof(fallback) - 1);
	assert_memory_equal(got + first, fallback, sizeof(fallback) - 1);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_truncation_every_capacity),
		cmocka_unit_test(test_truncation_is_sticky),
		cmocka_unit_test(test_event_defaults),
		cmocka_unit_test(test_event_alerts),
		cmocka_unit_test(test_event_hello),
		cmocka_unit_test(test_event_escapes_peer_strings),
		cmocka_unit_test(test_event_hello_error),
		cmocka_unit_test(test_event_app_and_proto),
		cmocka_unit_test(test_event_error_first_wins),
		cmocka_unit_test(test_event_truncated),
		cmocka_unit_test(test_events_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
