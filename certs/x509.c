/* x509 — keys and certificates with wolfCrypt's certificate generator.
 * Validity is set explicitly from the profile (relative to now), which
 * Cert.daysValid cannot express for expired and not-yet-valid certs. */
#include "x509.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#define RSA_BITS 2048
#define ECC_BYTES 32 /* P-256 */

static int der_length(size_t len, unsigned char *out, size_t cap)
{
	if (len < 0x80 && cap >= 1) {
		out[0] = (unsigned char)len;
		return 1;
	}
	if (len <= 0xffff && cap >= 3) {
		out[0] = 0x82;
		out[1] = (unsigned char)(len >> 8);
		out[2] = (unsigned char)len;
		return 3;
	}
	return -1;
}

/* One GeneralName: dNSName [2] or iPAddress [7]. */
static int encode_general_name(const char *entry, unsigned char *out, size_t cap)
{
	unsigned char ip[16];
	const unsigned char *val;
	size_t len;
	unsigned char tag;
	if (!strncmp(entry, "DNS:", 4) && entry[4]) {
		tag = 0x82;
		val = (const unsigned char *)entry + 4;
		len = strlen(entry + 4);
	} else if (!strncmp(entry, "IP:", 3) && inet_pton(AF_INET, entry + 3, ip) == 1) {
		tag = 0x87, val = ip, len = 4;
	} else if (!strncmp(entry, "IP:", 3) && inet_pton(AF_INET6, entry + 3, ip) == 1) {
		tag = 0x87, val = ip, len = 16;
	} else {
		return -1;
	}
	if (len >= 0x80 || cap < len + 2)
		return -1;
	out[0] = tag;
	out[1] = (unsigned char)len;
	memcpy(out + 2, val, len);
	return (int)len + 2;
}

int x509_encode_san(const char *spec, unsigned char *out, size_t cap)
{
	unsigned char body[1024];
	size_t body_len = 0;
	char copy[512];
	if (strlen(spec) >= sizeof(copy))
		return -1;
	strcpy(copy, spec);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && end[-1] == ' ')
			*--end = '\0';
		int n = encode_general_name(tok, body + body_len, sizeof(body) - body_len);
		if (n < 0)
			return -1;
		body_len += (size_t)n;
	}
	if (!body_len || cap < 1)
		return -1;
	out[0] = 0x30;
	int ln = der_length(body_len, out + 1, cap - 1);
	if (ln < 0 || cap < 1 + (size_t)ln + body_len)
		return -1;
	memcpy(out + 1 + ln, body, body_len);
	return 1 + ln + (int)body_len;
}

int x509_encode_time(long long unix_time, unsigned char *out, size_t cap)
{
	time_t t = (time_t)unix_time;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || cap < 17)
		return -1;
	/* RFC 5280: UTCTime through 2049, GeneralizedTime after. */
	int utc = tm.tm_year + 1900 < 2050;
	const char *fmt = utc ? "%y%m%d%H%M%SZ" : "%Y%m%d%H%M%SZ";
	char text[16];
	size_t n = strftime(text, sizeof(text), fmt, &tm);
	if (n != (utc ? 13u : 15u))
		return -1;
	out[0] = utc ? 0x17 : 0x18;
	out[1] = (unsigned char)n;
	memcpy(out + 2, text, n);
	return (int)n + 2;
}

static int set_validity(Cert *cert, const struct profile *p)
{
	long long now = (long long)time(NULL);
	cert->beforeDateSz = x509_encode_time(now + 86400LL * p->not_before_days,
					      cert->beforeDate, sizeof(cert->beforeDate));
	cert->afterDateSz = x509_encode_time(now + 86400LL * p->not_after_days,
					     cert->afterDate, sizeof(cert->afterDate));
	return cert->beforeDateSz > 0 && cert->afterDateSz > 0 ? 0 : -1;
}

static void set_subject(Cert *cert, const struct profile *p)
{
	snprintf(cert->subject.commonName, sizeof(cert->subject.commonName), "%s", p->subject_cn);
	snprintf(cert->subject.org, sizeof(cert->subject.org), "tlsfault TEST ONLY");
	snprintf(cert->subject.country, sizeof(cert->subject.country), "JP");
}

static int set_usage(Cert *cert, const struct profile *p)
{
	if (p->kind == PK_CA) {
		cert->isCA = 1;
		if (p->path_len >= 0) {
			cert->pathLen = (unsigned char)p->path_len;
			cert->pathLenSet = 1;
		}
		return wc_SetKeyUsage(cert, "keyCertSign,cRLSign,digitalSignature");
	}
	/* An ECDSA key signs only (RFC 5480 3); an RSA key also enciphers. */
	int rc = wc_SetKeyUsage(cert, p->key_type == KEY_ECC256 ? "digitalSignature"
								 : "digitalSignature,keyEncipherment");
	if (rc == 0 && p->eku[0])
		rc = wc_SetExtKeyUsage(cert, p->eku);
	if (rc == 0 && p->san[0]) {
		cert->altNamesSz = x509_encode_san(p->san, cert->altNames, sizeof(cert->altNames));
		if (cert->altNamesSz < 0)
			return -1;
	}
	return rc;
}

static RsaKey *rsa_of(const struct issued *it)
{
	return it->p->key_type == KEY_RSA2048 ? (RsaKey *)&it->key : NULL;
}

static ecc_key *ecc_of(const struct issued *it)
{
	return it->p->key_type == KEY_ECC256 ? (ecc_key *)&it->ecc : NULL;
}

static int set_issuer(Cert *cert, struct issued *out, const struct issued *issuer)
{
	int rc = wc_SetSubjectKeyIdFromPublicKey(cert, rsa_of(out), ecc_of(out));
	if (rc)
		return rc;
	if (!issuer)
		return wc_SetAuthKeyIdFromPublicKey(cert, rsa_of(out), ecc_of(out));
	rc = wc_SetIssuerBuffer(cert, issuer->der, issuer->der_len);
	if (rc)
		return rc;
	return wc_SetAuthKeyIdFromCert(cert, issuer->der, issuer->der_len);
}

static int sig_type(int hash, int ecdsa)
{
#define SIG_TYPE(id, name, rsa, ecc) if (hash == id) return ecdsa ? ecc : rsa;
	PROF_HASHES(SIG_TYPE)
#undef SIG_TYPE
	return ecdsa ? CTC_SHA256wECDSA : CTC_SHA256wRSA;
}

static int make_cert(struct issued *out, const struct issued *issuer, WC_RNG *rng, char *err,
		     size_t cap)
{
	const struct profile *p = out->p;
	Cert cert;
	int rc = wc_InitCert(&cert);
	/* The signer's key and the profile's hash decide the signature algorithm. */
	const struct issued *signer = issuer ? issuer : out;
	if (rc == 0) {
		cert.sigType = sig_type(p->hash, signer->p->key_type == KEY_ECC256);
		set_subject(&cert, p);
		rc = set_validity(&cert, p);
	}
	if (rc == 0)
		rc = set_usage(&cert, p);
	if (rc == 0)
		rc = set_issuer(&cert, out, issuer);
	if (rc != 0) {
		snprintf(err, cap, "[%s] cannot build the certificate (%d)", p->name, rc);
		return -1;
	}
	rc = wc_MakeCert(&cert, out->der, sizeof(out->der), rsa_of(out), ecc_of(out), rng);
	if (rc > 0)
		rc = wc_SignCert(cert.bodySz, cert.sigType, out->der, sizeof(out->der),
				 rsa_of(signer), ecc_of(signer), rng);
	if (rc <= 0) {
		snprintf(err, cap, "[%s] cannot sign the certificate: %s", p->name,
			 wc_GetErrorString(rc));
		return -1;
	}
	out->der_len = rc;
	out->issuer = issuer;
	return 0;
}

static int make_key(struct issued *out, WC_RNG *rng)
{
	int ecc = out->p->key_type == KEY_ECC256;
	int rc = ecc ? wc_ecc_init(&out->ecc) : wc_InitRsaKey(&out->key, NULL);
	if (rc)
		return rc;
	out->key_ready = 1;
	return ecc ? wc_ecc_make_key_ex(rng, ECC_BYTES, &out->ecc, ECC_SECP256R1)
		   : wc_MakeRsaKey(&out->key, RSA_BITS, WC_RSA_EXPONENT, rng);
}

int x509_make(struct issued *out, const struct issued *issuer, WC_RNG *rng, char *err, size_t cap)
{
	int rc = make_key(out, rng);
	if (rc != 0) {
		snprintf(err, cap, "[%s] key generation failed: %s", out->p->name,
			 wc_GetErrorString(rc));
		return -1;
	}
	out->der_len = 0;
	if (out->p->kind == PK_KEY_ONLY)
		return 0;
	return make_cert(out, issuer, rng, err, cap);
}

void x509_free(struct issued *it)
{
	if (it->key_ready && it->p->key_type == KEY_ECC256)
		wc_ecc_free(&it->ecc);
	else if (it->key_ready)
		wc_FreeRsaKey(&it->key);
	it->key_ready = 0;
}
