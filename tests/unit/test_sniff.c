/* Unit tests for servers/sniff.c: ClientHello decoding on real captured
 * hellos (fixtures/, see fixtures/README.md), need-more on every
 * prefix, malformed input, the record tracker and alert names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sniff.h"
#include "unit_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- expected values, read from the fixtures by an independent decoder */

static const uint16_t curl_suites[] = {0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
static const uint16_t curl_groups[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104};
static const uint16_t curl_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602};
static const uint16_t curl_tls10_suites[] = {0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x0035, 0x002f, 0x00ff};
static const uint16_t curl_tls10_groups[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018};
static const uint16_t gnutls_suites[] = {0x1302, 0x1303, 0x1301, 0x1304, 0xc02c, 0xcca9, 0xc0ad, 0xc00a, 0xc02b, 0xc0ac, 0xc009, 0xc030, 0xcca8, 0xc014, 0xc02f, 0xc013, 0x009d, 0xc09d, 0x0035, 0x009c, 0xc09c, 0x002f, 0x009f, 0xccaa, 0xc09f, 0x0039, 0x009e, 0xc09e, 0x0033};
static const uint16_t gnutls_groups[] = {0x0017, 0x0018, 0x0019, 0x001d, 0x001e, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104};
static const uint16_t gnutls_sigalgs[] = {0x0401, 0x0809, 0x0804, 0x0403, 0x0807, 0x0501, 0x080a, 0x0805, 0x0503, 0x0808, 0x0601, 0x080b, 0x0806, 0x0603, 0x0201, 0x0203};
static const uint16_t openssl_tls12_suites[] = {0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
static const uint16_t tls13_versions[] = {0x0304, 0x0303, 0x0302, 0x0301};
/* key_share entries: OpenSSL 3.0 bets on X25519 alone, GnuTLS on P-256 and X25519. */
static const uint16_t x25519_share[] = {0x001d};
static const uint16_t gnutls_shares[] = {0x0017, 0x001d};

struct expect {
	const char *file;
	size_t size;
	uint16_t record_version, client_version;
	const uint16_t *versions, *suites, *groups, *sigalgs;
	size_t n_versions, n_suites, n_groups, n_sigalgs;
	const uint16_t *key_shares;
	size_t n_key_shares;
	const char *alpn[2];
	size_t n_alpn;
	int ticket;
	size_t session_id_len;
};

/* curl and openssl s_client share OpenSSL 3.0's defaults. */
static const struct expect curl = {
	"fixtures/curl-hello.bin", 517, 0x0301, 0x0303,
	tls13_versions, curl_suites, curl_groups, curl_sigalgs,
	N(tls13_versions), N(curl_suites), N(curl_groups), N(curl_sigalgs),
	x25519_share, N(x25519_share),
	{"h2", "http/1.1"}, 2, 0, 32,
};
static const struct expect curl_tls10 = {
	"fixtures/curl-tls10-hello.bin", 136, 0x0301, 0x0301,
	NULL, curl_tls10_suites, curl_tls10_groups, NULL,
	0, N(curl_tls10_suites), N(curl_tls10_groups), 0,
	NULL, 0,
	{"h2", "http/1.1"}, 2, 0, 0,
};
static const struct expect openssl = {
	"fixtures/openssl-hello.bin", 315, 0x0301, 0x0303,
	tls13_versions, curl_suites, curl_groups, curl_sigalgs,
	N(tls13_versions), N(curl_suites), N(curl_groups), N(curl_sigalgs),
	x25519_share, N(x25519_share),
	{NULL, NULL}, 0, 1, 32,
};
static const struct expect openssl_tls12 = {
	"fixtures/openssl-tls12-hello.bin", 206, 0x0301, 0x0303,
	NULL, openssl_tls12_suites, curl_tls10_groups, curl_sigalgs,
	0, N(openssl_tls12_suites), N(curl_tls10_groups), N(curl_sigalgs),
	NULL, 0,
	{NULL, NULL}, 0, 1, 0,
};
static const struct expect gnutls = {
	"fixtures/gnutls-hello.bin", 391, 0x0301, 0x0303,
	tls13_versions, gnutls_suites, gnutls_groups, gnutls_sigalgs,
	N(tls13_versions), N(gnutls_suites), N(gnutls_groups), N(gnutls_sigalgs),
	gnutls_shares, N(gnutls_shares),
	{NULL, NULL}, 0, 1, 32,
};
static const struct expect *const all_fixtures[] = {&curl, &curl_tls10, &openssl,
						    &openssl_tls12, &gnutls};

static void assert_u16s(const uint16_t *got, size_t n_got, const uint16_t *want, size_t n_want)
{
	assert_int_equal(n_got, n_want);
	for (size_t i = 0; i < n_want; i++)
		assert_int_equal(got[i], want[i]);
}

/* Everything a decoded hello must hold, whatever records carried it. */
static void assert_hello(const struct hello *h, const struct expect *x)
{
	assert_null(h->error);
	assert_int_equal(h->record_version, x->record_version);
	assert_int_equal(h->client_version, x->client_version);
	assert_u16s(h->versions, h->n_versions, x->versions, x->n_versions);
	assert_u16s(h->suites, h->n_suites, x->suites, x->n_suites);
	assert_u16s(h->groups, h->n_groups, x->groups, x->n_groups);
	assert_u16s(h->sigalgs, h->n_sigalgs, x->sigalgs, x->n_sigalgs);
	assert_u16s(h->key_shares, h->n_key_shares, x->key_shares, x->n_key_shares);
	assert_string_equal(h->sni, "localhost");
	assert_int_equal(h->n_alpn, x->n_alpn);
	for (size_t i = 0; i < x->n_alpn; i++)
		assert_string_equal(h->alpn[i], x->alpn[i]);
	assert_int_equal(h->has_session_ticket, x->ticket);
	assert_int_equal(h->session_id_len, x->session_id_len);
}

static void check_fixture(const struct expect *x)
{
	size_t n;
	unsigned char *p = unit_load(x->file, &n);
	struct hello h;
	assert_int_equal(n, x->size);
	assert_int_equal(sniff_client_hello(p, n, &h), (int)n);
	assert_hello(&h, x);
	assert_int_equal(h.n_records, 1);
	free(p);
}

static void test_curl(void **state) { (void)state; check_fixture(&curl); }
static void test_curl_tls10(void **state) { (void)state; check_fixture(&curl_tls10); }
static void test_openssl(void **state) { (void)state; check_fixture(&openssl); }
static void test_openssl_tls12(void **state) { (void)state; check_fixture(&openssl_tls12); }
static void test_gnutls(void **state) { (void)state; check_fixture(&gnutls); }

/* The I/O layer calls the sniffer on whatever has arrived: a strict
 * prefix is never an error, only "need more". */
static void test_every_prefix_needs_more(void **state)
{
	(void)state;
	for (size_t f = 0; f < N(all_fixtures); f++) {
		size_t n;
		unsigned char *p = unit_load(all_fixtures[f]->file, &n);
		for (size_t k = 0; k < n; k++) {
			unsigned char *q = unit_dup(p, k);
			struct hello h;
			int rc = sniff_client_hello(q, k, &h);
			if (rc != SNIFF_NEED_MORE)
				fail_msg("%s: prefix %zu returned %d", all_fixtures[f]->file, k, rc);
			free(q);
		}
		free(p);
	}
}

/* Bytes after the ClientHello's records are not consumed. */
static void test_trailing_record_not_consumed(void **state)
{
	(void)state;
	size_t n;
	unsigned char *p = unit_load(curl.file, &n);
	unsigned char buf[600];
	static const unsigned char ccs[] = {20, 3, 3, 0, 1, 1};
	memcpy(buf, p, n);
	memcpy(buf + n, ccs, sizeof(ccs));
	struct hello h;
	assert_int_equal(sniff_client_hello(buf, n + sizeof(ccs), &h), (int)n);
	assert_hello(&h, &curl);
	free(p);
}

/* Re-frame the handshake bytes of a one-record fixture into records of
 * the given sizes (the last one takes the rest). Returns the new length. */
static size_t reframe(const unsigned char *p, size_t n, const size_t *sizes, size_t n_sizes,
		      unsigned char *out)
{
	const unsigned char *msg = p + 5;
	size_t left = n - 5, o = 0;
	for (size_t i = 0; i < n_sizes && left; i++) {
		size_t k = (i == n_sizes - 1 || sizes[i] > left) ? left : sizes[i];
		memcpy(out + o, p, 3); /* type and record version */
		out[o + 3] = (unsigned char)(k >> 8), out[o + 4] = (unsigned char)k;
		memcpy(out + o + 5, msg, k);
		o += 5 + k, msg += k, left -= k;
	}
	return o;
}

static void check_split(const size_t *sizes, size_t n_sizes, size_t want_records)
{
	size_t n;
	unsigned char *p = unit_load(curl.file, &n);
	unsigned char buf[1024];
	size_t m = reframe(p, n, sizes, n_sizes, buf);
	assert_int_equal(m, n + 5 * (want_records - 1));
	struct hello h;
	assert_int_equal(sniff_client_hello(buf, m, &h), (int)m);
	assert_hello(&h, &curl);
	assert_int_equal(h.n_records, want_records);
	for (size_t k = 0; k < m; k++) {
		unsigned char *q = unit_dup(buf, k);
		assert_int_equal(sniff_client_hello(q, k, &h), SNIFF_NEED_MORE);
		free(q);
	}
	free(p);
}

/* A ClientHello split across records, including inside the 4-byte
 * handshake header. */
static void test_split_across_records(void **state)
{
	(void)state;
	static const size_t halves[] = {256, 0};
	static const size_t tiny[] = {1, 2, 1, 0};
	check_split(halves, N(halves), 2);
	check_split(tiny, N(tiny), 4);
}

/* A non-handshake record before the ClientHello is complete. */
static void test_interleaved_record_is_bad(void **state)
{
	(void)state;
	size_t n;
	unsigned char *p = unit_load(curl.file, &n);
	static const size_t halves[] = {256, 0};
	unsigned char buf[1024];
	size_t m = reframe(p, n, halves, 2, buf);
	buf[5 + 256] = REC_APPLICATION_DATA;
	struct hello h;
	assert_int_equal(sniff_client_hello(buf, m, &h), SNIFF_BAD);
	assert_string_equal(h.error, "not a TLS handshake record");
	free(p);
}

/* Random single-byte corruption: a valid result code, never a crash. */
static void test_mutations_never_crash(void **state)
{
	(void)state;
	static const unsigned char vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	for (size_t f = 0; f < N(all_fixtures); f++) {
		size_t n;
		unsigned char *p = unit_load(all_fixtures[f]->file, &n);
		for (size_t i = 0; i < n; i++)
			for (size_t v = 0; v < N(vals); v++) {
				unsigned char *q = unit_dup(p, n);
				q[i] = vals[v];
				struct hello h;
				int rc = sniff_client_hello(q, n, &h);
				assert_true(rc == SNIFF_NEED_MORE || rc == SNIFF_BAD ||
					    (rc > 0 && (size_t)rc <= n));
				assert_true((rc == SNIFF_BAD) == (h.error != NULL));
				free(q);
			}
		free(p);
	}
}

/* ---- synthetic hellos for malformed input ---- */

struct buf {
	unsigned char b[20000];
	size_t n;
};

static void put8(struct buf *b, unsigned v) { b->b[b->n++] = (unsigned char)v; }
static void put16(struct buf *b, unsigned v) { put8(b, v >> 8), put8(b, v & 0xff); }
static void put24(struct buf *b, unsigned v) { put8(b, v >> 16), put16(b, v & 0xffff); }
static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* Version and random: the fixed 34 bytes that start every body. */
static void body_start(struct buf *b)
{
	put16(b, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(b, 0x11);
}

/* A well-formed body: no session id, two suites, null compression, then
 * `ext` as the whole extensions block (with its length) when given. */
static void body_with_exts(struct buf *b, const unsigned char *ext, size_t ext_n)
{
	static const unsigned char rest[] = {0, 0, 4, 0x13, 0x01, 0xc0, 0x2f, 1, 0};
	body_start(b);
	put(b, rest, sizeof(rest));
	if (ext) {
		put16(b, (unsigned)ext_n);
		put(b, ext, ext_n);
	}
}

/* Wrap a body into one handshake record. */
static size_t wrap(const struct buf *body, unsigned char *out)
{
	struct buf r = {.n = 0};
	put8(&r, REC_HANDSHAKE), put16(&r, 0x0301), put16(&r, (unsigned)body->n + 4);
	put8(&r, 1), put24(&r, (unsigned)body->n);
	put(&r, body->b, body->n);
	memcpy(out, r.b, r.n);
	return r.n;
}

/* Sniff `len` bytes from an exact-size copy; return the result code. */
static int sniff(const unsigned char *p, size_t len, struct hello *h)
{
	unsigned char *q = unit_dup(p, len);
	int rc = sniff_client_hello(q, len, h);
	free(q);
	return rc;
}

static void assert_bad(const unsigned char *p, size_t len, const char *why)
{
	struct hello h;
	assert_int_equal(sniff(p, len, &h), SNIFF_BAD);
	assert_non_null(h.error);
	assert_string_equal(h.error, why);
}

static void test_minimal_hello_ok(void **state)
{
	(void)state;
	static const unsigned char sni[] = {0, 0, 0, 14, 0, 12, 0, 0, 9, 'l', 'o', 'c', 'a',
					    'l', 'h', 'o', 's', 't'};
	struct buf b = {.n = 0};
	unsigned char rec[512];
	body_with_exts(&b, sni, sizeof(sni));
	size_t n = wrap(&b, rec);
	struct hello h;
	assert_int_equal(sniff(rec, n, &h), (int)n);
	assert_int_equal(h.n_suites, 2);
	assert_int_equal(h.suites[0], 0x1301);
	assert_int_equal(h.suites[1], 0xc02f);
	assert_string_equal(h.sni, "localhost");
	/* No extensions block at all is legal before TLS 1.3. */
	b.n = 0;
	body_with_exts(&b, NULL, 0);
	n = wrap(&b, rec);
	assert_int_equal(sniff(rec, n, &h), (int)n);
	assert_int_equal(h.n_versions, 0);
	assert_string_equal(h.sni, "");
}

static void test_wrong_record_type(void **state)
{
	(void)state;
	static const unsigned char alert[] = {21, 3, 1, 0, 2, 2, 40};
	static const unsigned char appdata[] = {23, 3, 3, 0, 1, 0};
	static const unsigned char http[] = "GET / HTTP/1.1\r\n\r\n";
	/* SSLv2-compatible ClientHello header: not a TLS record. */
	static const unsigned char sslv2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15};
	assert_bad(alert, sizeof(alert), "alert instead of ClientHello");
	assert_bad(appdata, sizeof(appdata), "not a TLS handshake record");
	assert_bad(http, sizeof(http) - 1, "not a TLS handshake record");
	assert_bad(sslv2, sizeof(sslv2), "not a TLS handshake record");
}

static void test_bad_record_header(void **state)
{
	(void)state;
	static const unsigned char major2[] = {22, 2, 0, 0, 1, 1};
	static const unsigned char empty[] = {22, 3, 1, 0, 0};
	static const unsigned char huge[] = {22, 3, 1, 0xff, 0xff, 1};
	assert_bad(major2, sizeof(major2), "not a TLS record version");
	assert_bad(empty, sizeof(empty), "bad record length");
	assert_bad(huge, sizeof(huge), "bad record length");
}

static void test_not_client_hello(void **state)
{
	(void)state;
	struct buf b = {.n = 0};
	unsigned char rec[512];
	body_with_exts(&b, NULL, 0);
	size_t n = wrap(&b, rec);
	rec[5] = 2; /* ServerHello */
	assert_bad(rec, n, "first handshake message is not a ClientHello");
}

/* Handshake length fields that disagree with what follows. */
static void test_handshake_length_fields(void **state)
{
	(void)state;
	struct buf b = {.n = 0};
	unsigned char rec[512];
	struct hello h;
	body_with_exts(&b, NULL, 0);
	size_t n = wrap(&b, rec);
	/* Absurd: 16 MiB announced. */
	rec[6] = rec[7] = rec[8] = 0xff;
	assert_bad(rec, n, "ClientHello too large");
	/* Longer than the record: the rest may come in the next record... */
	n = wrap(&b, rec);
	rec[8] += 10;
	assert_int_equal(sniff(rec, n, &h), SNIFF_NEED_MORE);
	/* ...but not in a record of another type. */
	static const unsigned char ccs[] = {20, 3, 3, 0, 1, 1};
	memcpy(rec + n, ccs, sizeof(ccs));
	assert_bad(rec, n + sizeof(ccs), "not a TLS handshake record");
	/* Shorter than the body: the cut-off body loses its compression list. */
	n = wrap(&b, rec);
	rec[8] -= 2;
	assert_bad(rec, n, "bad compression method list");
}

/* Wrapped into a record, `b` must fail with `why`. */
static void check_body(const struct buf *b, const char *why)
{
	unsigned char rec[20100];
	size_t n = wrap(b, rec);
	assert_bad(rec, n, why);
}

static void test_session_id(void **state)
{
	(void)state;
	struct buf b = {.n = 0};
	body_start(&b);
	put8(&b, 33);
	for (int i = 0; i < 33; i++)
		put8(&b, 0);
	put16(&b, 2), put16(&b, 0x1301), put8(&b, 1), put8(&b, 0);
	check_body(&b, "truncated or oversized session id");
	b.n = 0;
	body_start(&b);
	put8(&b, 0xff), put16(&b, 2);
	check_body(&b, "truncated or oversized session id");
	b.n = 0;
	put16(&b, 0x0303); /* body ends inside the random */
	check_body(&b, "truncated or oversized session id");
}

static void test_cipher_list(void **state)
{
	(void)state;
	static const unsigned char zero[] = {0, 0, 0, 1, 0};
	static const unsigned char odd[] = {0, 0, 3, 0x13, 0x01, 0xc0, 1, 0};
	static const unsigned char cut[] = {0, 0, 8, 0x13, 0x01, 0xc0, 0x2f};
	static const unsigned char absurd[] = {0, 0xff, 0xff, 0x13, 0x01, 1, 0};
	static const unsigned char *const cases[] = {zero, odd, cut, absurd};
	static const size_t lens[] = {sizeof(zero), sizeof(odd), sizeof(cut), sizeof(absurd)};
	for (size_t i = 0; i < N(cases); i++) {
		struct buf b = {.n = 0};
		body_start(&b);
		put(&b, cases[i], lens[i]);
		check_body(&b, "bad cipher suite list length");
	}
}

static void test_compression_list(void **state)
{
	(void)state;
	static const unsigned char none[] = {0, 0, 2, 0x13, 0x01, 0};
	static const unsigned char missing[] = {0, 0, 2, 0x13, 0x01};
	struct buf b = {.n = 0};
	body_start(&b);
	put(&b, none, sizeof(none));
	check_body(&b, "bad compression method list");
	b.n = 0;
	body_start(&b);
	put(&b, missing, sizeof(missing));
	check_body(&b, "bad compression method list");
}

static void test_extensions_block_length(void **state)
{
	(void)state;
	struct buf b = {.n = 0};
	body_with_exts(&b, NULL, 0);
	put16(&b, 10), put16(&b, 0xff01); /* 10 announced, 2 present */
	check_body(&b, "bad extensions length");
	b.n = 0;
	body_with_exts(&b, NULL, 0);
	put16(&b, 0), put8(&b, 0); /* a byte after the block */
	check_body(&b, "bad extensions length");
	b.n = 0;
	body_with_exts(&b, NULL, 0);
	put8(&b, 0); /* half a length */
	check_body(&b, "bad extensions length");
	b.n = 0;
	body_with_exts(&b, NULL, 0);
	put16(&b, 0xffff);
	check_body(&b, "bad extensions length");
}

struct ext_case {
	const char *what;
	unsigned char ext[16];
	size_t n;
	const char *error;
};

static const struct ext_case ext_cases[] = {
	{"extension length past end", {0, 0xff, 0, 9, 1}, 5, "truncated extension"},
	{"extension header cut", {0, 0xff, 0}, 3, "truncated extension"},
	{"one byte of extension", {0}, 1, "truncated extension"},
	{"sni zero-length name", {0, 0, 0, 5, 0, 3, 0, 0, 0}, 9, "malformed extension"},
	{"sni empty extension", {0, 0, 0, 0}, 4, "malformed extension"},
	{"sni list past end", {0, 0, 0, 5, 0, 9, 0, 0, 1}, 9, "malformed extension"},
	{"sni name past list", {0, 0, 0, 6, 0, 4, 0, 0, 9, 'a'}, 10, "malformed extension"},
	{"alpn empty protocol", {0, 16, 0, 3, 0, 1, 0}, 7, "malformed extension"},
	{"alpn protocol past list", {0, 16, 0, 4, 0, 2, 5, 'h'}, 8, "malformed extension"},
	{"versions odd length", {0, 43, 0, 4, 3, 3, 4, 3}, 8, "malformed extension"},
	{"versions past end", {0, 43, 0, 3, 4, 3, 4}, 7, "malformed extension"},
	{"groups odd length", {0, 10, 0, 5, 0, 3, 0, 0x1d, 0}, 9, "malformed extension"},
	{"sigalgs past end", {0, 13, 0, 4, 0, 8, 4, 3}, 8, "malformed extension"},
};

static void test_malformed_extensions(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(ext_cases); i++) {
		const struct ext_case *c = &ext_cases[i];
		struct buf b = {.n = 0};
		unsigned char rec[512];
		body_with_exts(&b, c->ext, c->n);
		size_t n = wrap(&b, rec);
		struct hello h;
		int rc = sniff(rec, n, &h);
		if (rc != SNIFF_BAD || !h.error || strcmp(h.error, c->error))
			fail_msg("%s: rc %d error %s, want %s", c->what, rc,
				 h.error ? h.error : "(null)", c->error);
	}
}

/* A body of exactly `total` bytes, padded with a padding extension. */
static void padded_body(struct buf *b, size_t total)
{
	body_with_exts(b, NULL, 0);
	size_t pad = total - b->n - 2 - 4;
	put16(b, (unsigned)(pad + 4));
	put16(b, 21), put16(b, (unsigned)pad);
	for (size_t i = 0; i < pad; i++)
		put8(b, 0);
}

/* HELLO_MAX_BYTES is the largest handshake message reassembled. */
static void test_size_limit(void **state)
{
	(void)state;
	static struct buf b;
	static unsigned char rec[20100];
	struct hello h;
	b.n = 0;
	padded_body(&b, HELLO_MAX_BYTES - 4);
	size_t n = wrap(&b, rec);
	assert_int_equal(sniff(rec, n, &h), (int)n);
	b.n = 0;
	padded_body(&b, HELLO_MAX_BYTES - 3);
	n = wrap(&b, rec);
	assert_bad(rec, n, "ClientHello too large");
}

/* ---- record tracker ---- */

/* Walk a stream through rec_track in pieces of at most `chunk` bytes;
 * count records per type and check header completion points. */
static void track(const unsigned char *p, size_t n, size_t chunk, size_t *by_type)
{
	struct rec_track t;
	memset(&t, 0, sizeof(t));
	for (size_t off = 0; off < n;) {
		size_t avail = n - off < chunk ? n - off : chunk;
		size_t k = rec_track_span(&t, avail);
		assert_true(k >= 1 && k <= avail);
		int rc = rec_track_advance(&t, p + off, k);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			assert_int_equal(t.type, p[off + k - 5]);
			assert_int_equal(t.length, p[off + k - 2] << 8 | p[off + k - 1]);
			by_type[t.type]++;
		}
		off += k;
	}
	assert_int_equal(t.hdr_fill, 0); /* ended on a record boundary */
}

static void test_rec_track_stream(void **state)
{
	(void)state;
	size_t n;
	unsigned char *p = unit_load(curl.file, &n);
	static const unsigned char tail[] = {20, 3, 3, 0, 1, 1,	      /* CCS */
					     23, 3, 3, 0, 0,	      /* empty app data */
					     23, 3, 3, 0, 3, 'a', 'b', 'c', /* app data */
					     21, 3, 3, 0, 2, 1, 0};   /* close_notify */
	unsigned char buf[600];
	memcpy(buf, p, n);
	memcpy(buf + n, tail, sizeof(tail));
	static const size_t chunks[] = {1, 2, 3, 5, 7, 100, 4096};
	for (size_t c = 0; c < N(chunks); c++) {
		size_t by_type[256] = {0};
		track(buf, n + sizeof(tail), chunks[c], by_type);
		assert_int_equal(by_type[REC_HANDSHAKE], 1);
		assert_int_equal(by_type[REC_CHANGE_CIPHER_SPEC], 1);
		assert_int_equal(by_type[REC_APPLICATION_DATA], 2);
		assert_int_equal(by_type[REC_ALERT], 1);
	}
	free(p);
}

/* Spans never cross a boundary: header, body, header, ... */
static void test_rec_track_spans(void **state)
{
	(void)state;
	static const unsigned char s[] = {23, 3, 3, 0, 3, 'a', 'b', 'c', 23, 3, 3, 0, 0,
					  23, 3, 3, 0, 1, 'x'};
	static const size_t want[] = {5, 3, 5, 5, 1};
	struct rec_track t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(rec_track_span(&t, 0), 0);
	assert_int_equal(rec_track_span(&t, 2), 2);
	size_t off = 0;
	for (size_t i = 0; i < N(want); i++) {
		size_t k = rec_track_span(&t, sizeof(s) - off);
		assert_int_equal(k, want[i]);
		rec_track_advance(&t, s + off, k);
		off += k;
	}
	assert_int_equal(off, sizeof(s));
}

static void test_rec_track_split_header(void **state)
{
	(void)state;
	static const unsigned char h[] = {22, 3, 1, 0x02, 0x00};
	struct rec_track t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(rec_track_advance(&t, h, 2), 0);
	assert_int_equal(rec_track_span(&t, 100), 3);
	assert_int_equal(rec_track_advance(&t, h + 2, 3), 1);
	assert_int_equal(t.type, REC_HANDSHAKE);
	assert_int_equal(t.length, 512);
	assert_int_equal(rec_track_span(&t, 10000), 512);
}

static void test_rec_track_bad_header(void **state)
{
	(void)state;
	static const unsigned char bad[][5] = {
		{'G', 'E', 'T', ' ', '/'}, {19, 3, 3, 0, 1}, {25, 3, 3, 0, 1}, {22, 2, 0, 0, 1},
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct rec_track t;
		memset(&t, 0, sizeof(t));
		assert_int_equal(rec_track_advance(&t, bad[i], 5), SNIFF_BAD);
	}
	static const unsigned char heartbeat[] = {24, 3, 3, 0, 1};
	struct rec_track t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(rec_track_advance(&t, heartbeat, 5), 1);
}

/* ---- alert names ---- */

static void test_alert_names(void **state)
{
	(void)state;
	assert_string_equal(sniff_alert_name(0), "close_notify");
	assert_string_equal(sniff_alert_name(10), "unexpected_message");
	assert_string_equal(sniff_alert_name(40), "handshake_failure");
	assert_string_equal(sniff_alert_name(42), "bad_certificate");
	assert_string_equal(sniff_alert_name(48), "unknown_ca");
	assert_string_equal(sniff_alert_name(70), "protocol_version");
	assert_string_equal(sniff_alert_name(112), "unrecognized_name");
	assert_string_equal(sniff_alert_name(116), "certificate_required");
	assert_string_equal(sniff_alert_name(120), "no_application_protocol");
	assert_null(sniff_alert_name(-1));
	assert_null(sniff_alert_name(1));
	assert_null(sniff_alert_name(121));
	assert_null(sniff_alert_name(255));
	assert_null(sniff_alert_name(256 + 40)); /* no truncation to a byte */
	size_t known = 0;
	for (int c = 0; c < 256; c++)
		known += sniff_alert_name(c) != NULL;
	assert_int_equal(known, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_curl_tls10),
		cmocka_unit_test(test_openssl),
		cmocka_unit_test(test_openssl_tls12),
		cmocka_unit_test(test_gnutls),
		cmocka_unit_test(test_every_prefix_needs_more),
		cmocka_unit_test(test_trailing_record_not_consumed),
		cmocka_unit_test(test_split_across_records),
		cmocka_unit_test(test_interleaved_record_is_bad),
		cmocka_unit_test(test_mutations_never_crash),
		cmocka_unit_test(test_minimal_hello_ok),
		cmocka_unit_test(test_wrong_record_type),
		cmocka_unit_test(test_bad_record_header),
		cmocka_unit_test(test_not_client_hello),
		cmocka_unit_test(test_handshake_length_fields),
		cmocka_unit_test(test_session_id),
		cmocka_unit_test(test_cipher_list),
		cmocka_unit_test(test_compression_list),
		cmocka_unit_test(test_extensions_block_length),
		cmocka_unit_test(test_malformed_extensions),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_rec_track_stream),
		cmocka_unit_test(test_rec_track_spans),
		cmocka_unit_test(test_rec_track_split_header),
		cmocka_unit_test(test_rec_track_bad_header),
		cmocka_unit_test(test_alert_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
