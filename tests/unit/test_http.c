/* Unit tests for servers/http.c, the request-head parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"
#include "tf_limits.h"
#include "unit_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Parse `len` bytes of s from an exact-size heap copy (ASan sees any
 * read past the end). The slices in r dangle afterwards: tests that look
 * at them call http_parse_request() directly. */
static int parse(const char *s, size_t len, struct http_req *r)
{
	unsigned char *q = unit_dup(s, len);
	int rc = http_parse_request((const char *)q, len, r);
	free(q);
	return rc;
}

static void assert_slice(struct http_slice s, const char *want)
{
	assert_int_equal(s.n, strlen(want));
	assert_memory_equal(s.p, want, s.n);
}

static void assert_bad(const char *s, size_t len, const char *why)
{
	struct http_req r;
	int rc = parse(s, len, &r);
	if (rc != HTTP_BAD || !r.error || strcmp(r.error, why))
		fail_msg("%.*s: rc %d error %s, want %s", (int)len, s, rc,
			 r.error ? r.error : "(null)", why);
}

#define BAD(lit, why) assert_bad(lit, sizeof(lit) - 1, why)

static void test_get(void **state)
{
	(void)state;
	static const char req[] = "GET /index.html?x=1 HTTP/1.1\r\nHost: localhost:8443\r\n"
				  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\nBODY";
	struct http_req r;
	assert_int_equal(http_parse_request(req, sizeof(req) - 1, &r), (int)sizeof(req) - 1 - 4);
	assert_slice(r.method, "GET");
	assert_slice(r.target, "/index.html?x=1");
	assert_int_equal(r.minor_version, 1);
	assert_slice(r.line, "GET /index.html?x=1 HTTP/1.1");
	assert_int_equal(r.n_headers, 3);
	assert_slice(r.header_names[0], "Host");
	assert_slice(r.header_values[0], "localhost:8443");
	assert_slice(r.header_names[1], "User-Agent");
	assert_slice(r.header_values[1], "curl/7.88.1");
	assert_slice(r.header_names[2], "Accept");
	assert_slice(r.header_values[2], "*/*");
	assert_null(r.error);
}

static void test_head_http10_no_headers(void **state)
{
	(void)state;
	static const char req[] = "HEAD / HTTP/1.0\r\n\r\n";
	struct http_req r;
	assert_int_equal(http_parse_request(req, sizeof(req) - 1, &r), 19);
	assert_slice(r.method, "HEAD");
	assert_slice(r.target, "/");
	assert_int_equal(r.minor_version, 0);
	assert_int_equal(r.n_headers, 0);
}

/* Optional whitespace around a value is not part of it (RFC 9110 5.5). */
static void test_header_value_trimmed(void **state)
{
	(void)state;
	static const char req[] = "GET / HTTP/1.1\r\nX-A: \t a b \t\r\nX-Empty:\r\nX-Sp:   \r\n\r\n";
	struct http_req r;
	assert_int_equal(http_parse_request(req, sizeof(req) - 1, &r), (int)sizeof(req) - 1);
	assert_int_equal(r.n_headers, 3);
	assert_slice(r.header_values[0], "a b");
	assert_slice(r.header_names[1], "X-Empty");
	assert_slice(r.header_values[1], "");
	assert_slice(r.header_values[2], "");
}

/* A head with `n` headers "hN: v". */
static size_t head_with_headers(char *buf, size_t cap, int n)
{
	size_t o = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, cap - o, "h%d: v%d\r\n", i, i);
	o += (size_t)snprintf(buf + o, cap - o, "\r\n");
	return o;
}

static void test_header_limit(void **state)
{
	(void)state;
	char buf[4096];
	struct http_req r;
	size_t n = head_with_headers(buf, sizeof(buf), HTTP_MAX_HEADERS);
	assert_int_equal(parse(buf, n, &r), (int)n);
	assert_int_equal(r.n_headers, HTTP_MAX_HEADERS);
	n = head_with_headers(buf, sizeof(buf), HTTP_MAX_HEADERS + 1);
	assert_bad(buf, n, "too many headers");
}

/* Until the blank line arrives every prefix is "need more". */
static void test_prefixes_need_more(void **state)
{
	(void)state;
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_req r;
	for (size_t k = 0; k < sizeof(req) - 1; k++)
		assert_int_equal(parse(req, k, &r), HTTP_NEED_MORE);
	assert_int_equal(parse(req, sizeof(req) - 1, &r), (int)sizeof(req) - 1);
	/* A line ended by CR alone is not ended. */
	assert_int_equal(parse("GET / HTTP/1.1\r", 15, &r), HTTP_NEED_MORE);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\r", 25, &r), HTTP_NEED_MORE);
}

/* Bare LF ends a line like CRLF does (RFC 9112 2.2 allows it). */
static void test_bare_lf(void **state)
{
	(void)state;
	static const char lf[] = "GET /x HTTP/1.1\nHost: a\n\n";
	static const char mixed[] = "GET /x HTTP/1.1\r\nHost: a\n\r\n";
	struct http_req r;
	assert_int_equal(http_parse_request(lf, sizeof(lf) - 1, &r), (int)sizeof(lf) - 1);
	assert_slice(r.line, "GET /x HTTP/1.1");
	assert_slice(r.header_values[0], "a");
	assert_int_equal(http_parse_request(mixed, sizeof(mixed) - 1, &r), (int)sizeof(mixed) - 1);
	assert_int_equal(r.n_headers, 1);
}

/* The split-intolerant server's entry point: one line ending in LF. */
static void test_request_line_only(void **state)
{
	(void)state;
	struct http_req r;
	assert_int_equal(http_parse_request_line("GET / HTTP/1.1\r\nHost", 20, &r), 16);
	assert_slice(r.line, "GET / HTTP/1.1");
	assert_int_equal(http_parse_request_line("GET / HTTP/1.0\n", 15, &r), 15);
	assert_int_equal(r.minor_version, 0);
	assert_int_equal(http_parse_request_line("GET / HTTP/1.1", 14, &r), HTTP_NEED_MORE);
	assert_int_equal(http_parse_request_line("", 0, &r), HTTP_NEED_MORE);
	assert_int_equal(http_parse_request_line("G", 1, &r), HTTP_NEED_MORE);
	assert_int_equal(http_parse_request_line("\r\n", 2, &r), HTTP_BAD);
	assert_string_equal(r.error, "bad method");
}

/* The parser has no size limit of its own: a head that does not end
 * within HTTP_HEAD_MAX bytes stays "need more", and https.c answers 431
 * when its HTTP_HEAD_MAX buffer is full (tf_limits.h). */
static void test_over_long_head(void **state)
{
	(void)state;
	static char buf[HTTP_HEAD_MAX];
	static const char line[] = "GET / HTTP/1.1\r\nX-Long: ";
	struct http_req r;
	memcpy(buf, line, sizeof(line) - 1);
	memset(buf + sizeof(line) - 1, 'a', sizeof(buf) - (sizeof(line) - 1));
	assert_int_equal(parse(buf, sizeof(buf), &r), HTTP_NEED_MORE);
	/* Exactly HTTP_HEAD_MAX bytes, ending in the blank line: accepted. */
	memcpy(buf + sizeof(buf) - 4, "\r\n\r\n", 4);
	assert_int_equal(parse(buf, sizeof(buf), &r), HTTP_HEAD_MAX);
	/* The same head without its last line end is not parsed early. */
	assert_int_equal(parse(buf, sizeof(buf) - 4, &r), HTTP_NEED_MORE);
}

static void test_bad_method(void **state)
{
	(void)state;
	BAD("G@T / HTTP/1.1\r\n\r\n", "bad method");
	BAD(" GET / HTTP/1.1\r\n\r\n", "bad method");
	BAD("GET\r\n\r\n", "bad method");
	BAD("GET\t/ HTTP/1.1\r\n\r\n", "bad method");
	BAD("\x16\x03\x01\x02\x00\x01\r\n\r\n", "bad method"); /* TLS on the plain port */
	/* Any token is a method; case is the application's business. */
	struct http_req r;
	assert_int_equal(parse("get / HTTP/1.1\r\n\r\n", 18, &r), 18);
}

static void test_bad_target(void **state)
{
	(void)state;
	BAD("GET  / HTTP/1.1\r\n\r\n", "bad request target");
	BAD("GET /\r\n\r\n", "bad request target");
	BAD("GET /a\x7f HTTP/1.1\r\n\r\n", "bad request target");
	BAD("GET /a\tb HTTP/1.1\r\n\r\n", "bad request target");
}

static void test_bad_version(void **state)
{
	(void)state;
	BAD("GET / HTTP/2.0\r\n\r\n", "bad HTTP version");
	BAD("GET / HTTP/1.2\r\n\r\n", "bad HTTP version");
	BAD("GET / HTTP/1.10\r\n\r\n", "bad HTTP version");
	BAD("GET / http/1.1\r\n\r\n", "bad HTTP version");
	BAD("GET / HTTP/1.1 \r\n\r\n", "bad HTTP version");
	BAD("GET / HTTP/1.1\r\r\n\r\n", "bad HTTP version");
	BAD("GET / \r\n\r\n", "bad HTTP version");
}

static void test_bad_headers(void **state)
{
	(void)state;
	BAD("GET / HTTP/1.1\r\nNoColon\r\n\r\n", "bad header line");
	BAD("GET / HTTP/1.1\r\n: empty-name\r\n\r\n", "bad header line");
	BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "bad header name");
	/* obs-fold (RFC 9112 5.2) is refused, not joined. */
	BAD("GET / HTTP/1.1\r\nX: a\r\n folded: b\r\n\r\n", "bad header name");
	BAD("GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", "bad header value");
	BAD("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", "bad header value");
	BAD("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", "bad header value");
}

/* NUL bytes anywhere in the head are refused, never a C-string cut. */
static void test_nul_bytes(void **state)
{
	(void)state;
	BAD("G\0T / HTTP/1.1\r\n\r\n", "bad method");
	BAD("\0GET / HTTP/1.1\r\n\r\n", "bad method");
	BAD("GET /\0 HTTP/1.1\r\n\r\n", "bad request target");
	BAD("GET / HTTP/1.1\0\r\n\r\n", "bad HTTP version");
	BAD("GET / HTTP/1.1\r\nX\0: a\r\n\r\n", "bad header name");
	BAD("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", "bad header value");
	/* After the head, bytes are the body's and not looked at. */
	struct http_req r;
	static const char req[] = "GET / HTTP/1.1\r\n\r\n\0\0";
	assert_int_equal(parse(req, sizeof(req) - 1, &r), 18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_head_http10_no_headers),
		cmocka_unit_test(test_header_value_trimmed),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_prefixes_need_more),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_request_line_only),
		cmocka_unit_test(test_over_long_head),
		cmocka_unit_test(test_bad_method),
		cmocka_unit_test(test_bad_target),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_nul_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
