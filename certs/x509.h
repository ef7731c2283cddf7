/* x509 — make one key and certificate with wolfCrypt from a profile. */
#ifndef CERTGEN_X509_H
#define CERTGEN_X509_H

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "profile.h"

#define X509_DER_MAX 4096

/* A made certificate, kept so later profiles can be signed by it. */
struct issued {
	const struct profile *p;
	const struct issued *issuer; /* NULL when self-signed */
	RsaKey key;	/* p->key_type == KEY_RSA2048 */
	ecc_key ecc;	/* p->key_type == KEY_ECC256 */
	int key_ready;
	unsigned char der[X509_DER_MAX];
	int der_len; /* 0 for a key-only profile */
};

/* Generate p's key and, unless key-only, its certificate signed by
 * `issuer` (NULL = self-signed). Returns 0, or -1 with `err` filled. */
int x509_make(struct issued *out, const struct issued *issuer, WC_RNG *rng, char *err, size_t cap);
void x509_free(struct issued *it);

/* Encode "DNS:a, IP:127.0.0.1, IP:::1" as DER GeneralNames.
 * Returns the length, or -1 on a bad entry. Pure; unit-testable. */
int x509_encode_san(const char *spec, unsigned char *out, size_t cap);
/* DER UTCTime/GeneralizedTime (tag, length, text) for now + days. */
int x509_encode_time(long long unix_time, unsigned char *out, size_t cap);

#endif
