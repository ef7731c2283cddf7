/* sniff — pure decoders for the raw TLS byte stream, no I/O, no allocation.
 *
 * sniff_client_hello() reads the start of a connection (one or more TLS
 * records) and fills a struct hello with what the client offered. Like
 * picohttpparser it returns bytes consumed (> 0), SNIFF_NEED_MORE or
 * SNIFF_BAD; on SNIFF_BAD, hello->error says why.
 *
 * struct rec_track follows record boundaries in a stream so the I/O layer
 * can hand wolfSSL at most one record at a time and count records by type
 * (the 1/n-1 split of seed 001, scenario 6, is visible only at this level).
 */
#ifndef TLSFAULT_SNIFF_H
#define TLSFAULT_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#include "tf_limits.h" /* HELLO_MAX_BYTES */

#define SNIFF_NEED_MORE (-2)
#define SNIFF_BAD (-1)

#define HELLO_MAX_SUITES 128
#define HELLO_MAX_VERSIONS 16
#define HELLO_MAX_ALPN 8
#define HELLO_MAX_GROUPS 32
#define HELLO_MAX_SIGALGS 48
#define HELLO_MAX_KEY_SHARES 8
#define HELLO_NAME_MAX 256
#define HELLO_ALPN_LEN 32

enum { REC_CHANGE_CIPHER_SPEC = 20, REC_ALERT = 21, REC_HANDSHAKE = 22,
       REC_APPLICATION_DATA = 23 };

struct hello {
	uint16_t record_version;
	uint16_t client_version; /* legacy_version in the ClientHello body */
	uint16_t versions[HELLO_MAX_VERSIONS]; /* supported_versions ext */
	size_t n_versions;
	uint16_t suites[HELLO_MAX_SUITES];
	size_t n_suites;
	uint16_t groups[HELLO_MAX_GROUPS];
	size_t n_groups;
	/* groups of the key_share entries (RFC 8446 4.2.8): which group the
	 * client bet on; a server supporting none of them must retry */
	uint16_t key_shares[HELLO_MAX_KEY_SHARES];
	size_t n_key_shares;
	uint16_t sigalgs[HELLO_MAX_SIGALGS];
	size_t n_sigalgs;
	char sni[HELLO_NAME_MAX]; /* raw bytes, NUL-terminated, escape on output */
	char alpn[HELLO_MAX_ALPN][HELLO_ALPN_LEN];
	size_t n_alpn;
	size_t n_records; /* records the ClientHello spanned */
	int has_session_ticket;
	size_t session_id_len;
	const char *error; /* static string, set on SNIFF_BAD */
};

/* Decode a ClientHello from the first bytes of a connection. */
int sniff_client_hello(const uint8_t *p, size_t n, struct hello *out);

/* Whether a buffer the server writes starts with a HelloRetryRequest
 * record: a ServerHello whose random is SHA-256("HelloRetryRequest"),
 * RFC 8446 4.1.3. */
int sniff_is_hello_retry(const uint8_t *p, size_t n);

/* Name of an alert description (RFC 8446 6, RFC 5246 7.2), or NULL. */
const char *sniff_alert_name(int code);

/* One TLS record in a buffer: the only place its header is decoded. */
struct tls_record {
	unsigned type, version;
	const uint8_t *body;
	size_t len;
};

/* The record at the start of p: fills *r as soon as its header is in
 * (n >= 5) and returns its whole size (5 + length) once its body is in
 * too; SNIFF_NEED_MORE before. The header is not judged: callers check
 * type and version for what they expect. */
int sniff_record(const uint8_t *p, size_t n, struct tls_record *r);

/* Record boundary tracker over a byte stream. */
struct rec_track {
	uint8_t hdr[5];
	size_t hdr_fill;
	size_t body_left;
	uint8_t type;
	uint16_t length;
};

/* How many of the next `avail` stream bytes can be passed on without
 * crossing a record boundary (at least 1 when avail > 0). */
size_t rec_track_span(const struct rec_track *t, size_t avail);

/* Account for `n` bytes (n <= rec_track_span()) passed on. Returns 1 when
 * those bytes completed a record header (t->type/length now valid), 0
 * otherwise, SNIFF_BAD when the header is not a TLS record. */
int rec_track_advance(struct rec_track *t, const uint8_t *p, size_t n);

#endif
