/* sniff — see sniff.h. Every read goes through struct rd, whose end narrows
 * as it enters a length-prefixed vector, so no field can over-read. */
#include "sniff.h"
#include "tf_names.h"

#include <string.h>

struct rd {
	const uint8_t *p;
	size_t n;
	int bad;
};

static struct rd rd_make(const uint8_t *p, size_t n)
{
	struct rd r = {p, n, 0};
	return r;
}

static unsigned rd_u8(struct rd *r)
{
	if (r->bad || r->n < 1) {
		r->bad = 1;
		return 0;
	}
	unsigned v = r->p[0];
	r->p++, r->n--;
	return v;
}

static unsigned rd_u16(struct rd *r)
{
	unsigned hi = rd_u8(r);
	return (hi << 8) | rd_u8(r);
}

static unsigned rd_u24(struct rd *r)
{
	unsigned hi = rd_u16(r);
	return (hi << 8) | rd_u8(r);
}

static void rd_skip(struct rd *r, size_t k)
{
	if (r->bad || r->n < k) {
		r->bad = 1;
		return;
	}
	r->p += k, r->n -= k;
}

/* Enter a vector of `k` bytes: returns a reader over it, skips it here. */
static struct rd rd_sub(struct rd *r, size_t k)
{
	struct rd s = {r->p, k, 0};
	if (r->bad || r->n < k) {
		r->bad = 1;
		s.n = 0;
		s.bad = 1;
		return s;
	}
	rd_skip(r, k);
	return s;
}

static int bad(struct hello *h, const char *why)
{
	h->error = why;
	return SNIFF_BAD;
}

static int read_u16_list(struct rd *r, uint16_t *dst, size_t max, size_t *count)
{
	*count = 0;
	while (r->n >= 2) {
		unsigned v = rd_u16(r);
		if (*count < max)
			dst[(*count)++] = (uint16_t)v;
	}
	return r->n == 0 && !r->bad;
}

static int ext_server_name(struct rd e, struct hello *h)
{
	struct rd list = rd_sub(&e, rd_u16(&e));
	while (list.n > 0 && !list.bad) {
		unsigned type = rd_u8(&list);
		struct rd name = rd_sub(&list, rd_u16(&list));
		if (list.bad || name.n == 0) /* HostName is <1..2^16-1> */
			return 0;
		if (type == 0 && h->sni[0] == '\0') {
			size_t k = name.n < HELLO_NAME_MAX - 1 ? name.n : HELLO_NAME_MAX - 1;
			memcpy(h->sni, name.p, k);
			h->sni[k] = '\0';
		}
	}
	return !list.bad && !e.bad;
}

static int ext_alpn(struct rd e, struct hello *h)
{
	struct rd list = rd_sub(&e, rd_u16(&e));
	while (list.n > 0 && !list.bad) {
		struct rd proto = rd_sub(&list, rd_u8(&list));
		if (list.bad || proto.n == 0)
			return 0;
		if (h->n_alpn < HELLO_MAX_ALPN) {
			size_t k = proto.n < HELLO_ALPN_LEN - 1 ? proto.n : HELLO_ALPN_LEN - 1;
			memcpy(h->alpn[h->n_alpn], proto.p, k);
			h->alpn[h->n_alpn][k] = '\0';
			h->n_alpn++;
		}
	}
	return !list.bad && !e.bad;
}

static int ext_u16_vector(struct rd e, int len_bytes, uint16_t *dst, size_t max,
			  size_t *count)
{
	size_t len = len_bytes == 1 ? rd_u8(&e) : rd_u16(&e);
	struct rd list = rd_sub(&e, len);
	if (e.bad || len % 2)
		return 0;
	return read_u16_list(&list, dst, max, count);
}

/* KeyShareClientHello: client_shares<0..2^16-1> of {group, key_exchange<1..2^16-1>}. */
static int ext_key_share(struct rd e, struct hello *h)
{
	struct rd list = rd_sub(&e, rd_u16(&e));
	while (list.n > 0 && !list.bad) {
		unsigned group = rd_u16(&list);
		struct rd key = rd_sub(&list, rd_u16(&list));
		if (list.bad || key.n == 0)
			return 0;
		if (h->n_key_shares < HELLO_MAX_KEY_SHARES)
			h->key_shares[h->n_key_shares++] = (uint16_t)group;
	}
	return !list.bad && !e.bad && e.n == 0;
}

static int parse_extension(unsigned type, struct rd body, struct hello *h)
{
	switch (type) {
	case 0: /* server_name, RFC 6066 3 */
		return ext_server_name(body, h);
	case 16: /* ALPN, RFC 7301 3.1 */
		return ext_alpn(body, h);
	case 10: /* supported_groups */
		return ext_u16_vector(body, 2, h->groups, HELLO_MAX_GROUPS, &h->n_groups);
	case 13: /* signature_algorithms */
		return ext_u16_vector(body, 2, h->sigalgs, HELLO_MAX_SIGALGS, &h->n_sigalgs);
	case 43: /* supported_versions, RFC 8446 4.2.1 */
		return ext_u16_vector(body, 1, h->versions, HELLO_MAX_VERSIONS, &h->n_versions);
	case 51: /* key_share, RFC 8446 4.2.8 */
		return ext_key_share(body, h);
	case 35: /* session_ticket */
		h->has_session_ticket = 1;
		return 1;
	default:
		return 1;
	}
}

static int parse_hello_body(struct rd b, struct hello *h)
{
	h->client_version = (uint16_t)rd_u16(&b);
	rd_skip(&b, 32); /* random */
	struct rd sid = rd_sub(&b, rd_u8(&b));
	h->session_id_len = sid.n;
	if (b.bad || sid.n > 32)
		return bad(h, "truncated or oversized session id");
	unsigned suites_len = rd_u16(&b);
	struct rd suites = rd_sub(&b, suites_len);
	if (b.bad || suites_len == 0 || suites_len % 2)
		return bad(h, "bad cipher suite list length");
	read_u16_list(&suites, h->suites, HELLO_MAX_SUITES, &h->n_suites);
	struct rd comp = rd_sub(&b, rd_u8(&b));
	if (b.bad || comp.n == 0)
		return bad(h, "bad compression method list");
	if (b.n == 0)
		return 0; /* no extensions: legal before TLS 1.3 */
	struct rd exts = rd_sub(&b, rd_u16(&b));
	if (b.bad || b.n != 0)
		return bad(h, "bad extensions length");
	while (exts.n > 0) {
		unsigned type = rd_u16(&exts);
		struct rd body = rd_sub(&exts, rd_u16(&exts));
		if (exts.bad)
			return bad(h, "truncated extension");
		if (!parse_extension(type, body, h))
			return bad(h, "malformed extension");
	}
	return 0;
}

/* Gather the handshake bytes of the leading handshake records into `msg`. */
static int gather_handshake(const uint8_t *p, size_t n, uint8_t *msg,
			    size_t *msg_len, size_t *consumed, struct hello *h)
{
	size_t off = 0, have = 0, need = 0;
	while (1) {
		struct tls_record rec = {0};
		int whole = sniff_record(p + off, n - off, &rec);
		if (n - off < 5)
			return SNIFF_NEED_MORE;
		unsigned type = rec.type, version = rec.version;
		size_t len = rec.len;
		if (type != REC_HANDSHAKE)
			return bad(h, type == REC_ALERT ? "alert instead of ClientHello"
							: "not a TLS handshake record");
		if ((version >> 8) != 3)
			return bad(h, "not a TLS record version");
		if (len == 0 || len > 16384 + 2048)
			return bad(h, "bad record length");
		if (h->n_records == 0)
			h->record_version = (uint16_t)version;
		if (whole == SNIFF_NEED_MORE)
			return SNIFF_NEED_MORE;
		if (have + len > HELLO_MAX_BYTES)
			return bad(h, "ClientHello too large");
		memcpy(msg + have, p + off + 5, len);
		have += len;
		off += 5 + len;
		h->n_records++;
		if (need == 0 && have >= 4) {
			if (msg[0] != 1)
				return bad(h, "first handshake message is not a ClientHello");
			need = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]);
			if (need > HELLO_MAX_BYTES)
				return bad(h, "ClientHello too large");
		}
		if (need != 0 && have >= need) {
			*msg_len = need;
			*consumed = off;
			return 0;
		}
	}
}

int sniff_client_hello(const uint8_t *p, size_t n, struct hello *out)
{
	uint8_t msg[HELLO_MAX_BYTES];
	size_t msg_len = 0, consumed = 0;
	memset(out, 0, sizeof(*out));
	int rc = gather_handshake(p, n, msg, &msg_len, &consumed, out);
	if (rc != 0)
		return rc;
	struct rd r = rd_make(msg, msg_len);
	rd_skip(&r, 1);
	struct rd body = rd_sub(&r, rd_u24(&r));
	if (r.bad)
		return bad(out, "truncated ClientHello");
	if (parse_hello_body(body, out) != 0)
		return SNIFF_BAD;
	return (int)consumed;
}

int sniff_record(const uint8_t *p, size_t n, struct tls_record *r)
{
	if (n < 5)
		return SNIFF_NEED_MORE;
	struct rd hdr = rd_make(p, 5);
	r->type = rd_u8(&hdr);
	r->version = rd_u16(&hdr);
	r->len = rd_u16(&hdr);
	r->body = p + 5;
	return n - 5 < r->len ? SNIFF_NEED_MORE : (int)(5 + r->len);
}

int sniff_is_hello_retry(const uint8_t *p, size_t n)
{
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	/* record header (5), handshake type and length (4), legacy_version
	 * (2), then the random: all in the buffer, so the header is decoded */
	if (n < 5 + 4 + 2 + 32)
		return 0;
	struct tls_record r;
	sniff_record(p, n, &r);
	return r.type == REC_HANDSHAKE && r.body[0] == 2 && memcmp(r.body + 6, hrr_random, 32) == 0;
}

const char *sniff_alert_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
#define TF_ALERT_ROW(code, name) {code, name},
		TF_ALERTS(TF_ALERT_ROW)
#undef TF_ALERT_ROW
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

size_t rec_track_span(const struct rec_track *t, size_t avail)
{
	size_t limit = t->hdr_fill < 5 ? 5 - t->hdr_fill : t->body_left;
	return avail < limit ? avail : limit;
}

int rec_track_advance(struct rec_track *t, const uint8_t *p, size_t n)
{
	if (t->hdr_fill < 5) {
		memcpy(t->hdr + t->hdr_fill, p, n);
		t->hdr_fill += n;
		if (t->hdr_fill < 5)
			return 0;
		struct tls_record r;
		sniff_record(t->hdr, 5, &r);
		t->type = (uint8_t)r.type;
		t->length = (uint16_t)r.len;
		t->body_left = t->length;
		if (t->type < 20 || t->type > 24 || (r.version >> 8) != 3)
			return SNIFF_BAD;
		if (t->body_left == 0)
			t->hdr_fill = 0; /* empty record: next byte starts a header */
		return 1;
	}
	t->body_left -= n;
	if (t->body_left == 0)
		t->hdr_fill = 0;
	return 0;
}
