/* floor — the crypto floor of one full server handshake, with the same
 * wolfCrypt (build/wolfssl, SP math, AES-NI) and the same keys the server
 * uses. Times are CPU time of this process (CLOCK_PROCESS_CPUTIME_ID), the
 * same clock as the server's utime+stime.
 *
 *   floor --rsa-key leaf-valid.key --ecc-key leaf-ecdsa.key [--seconds S] [--ops a,b]
 *
 * Prints one JSON object, microseconds per operation:
 *   rsa_pss_sign      RSA-2048 PSS/SHA-256 sign (TLS 1.3 CertificateVerify,
 *                     TLS 1.2 ServerKeyExchange with rsa_pss_rsae_sha256)
 *   rsa_pkcs1_sign    RSA-2048 PKCS#1 v1.5 SHA-256 sign (reference)
 *   rsa_pss_verify    wolfSSL verifies its own RSA signature after signing
 *                     (VerifyRsaSign, a fault check); reported separately
 *   ecdsa_p256_sign   ECDSA P-256 SHA-256 sign
 *   ecdhe_p256        ephemeral P-256 key generation + import of the peer's
 *                     point + shared secret: the server's key exchange
 * Each signature includes hashing the signed content (TLS 1.3: 64 spaces,
 * context string, transcript hash = 130 bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_der(const char *path, unsigned char *der, int cap)
{
	static unsigned char pem[16384];
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(pem, 1, sizeof(pem), f);
	fclose(f);
	return wc_KeyPemToDer(pem, (int)n, der, cap, NULL);
}

static unsigned char content[130];

static void digest(unsigned char out[32])
{
	wc_Sha256Hash(content, sizeof(content), out);
}

typedef int (*op_fn)(void *arg);

/* Run op until `seconds` of CPU have passed (at least `min` times). */
static double bench(op_fn op, void *arg, double seconds, int min, long *iters)
{
	long n = 0;
	double t0 = cpu_now(), t = t0;
	while (n < min || t - t0 < seconds) {
		if (op(arg) != 0) {
			fprintf(stderr, "floor: operation failed\n");
			exit(1);
		}
		n++;
		if ((n & 7) == 0)
			t = cpu_now();
	}
	t = cpu_now();
	*iters = n;
	return (t - t0) / (double)n * 1e6;
}

static WC_RNG rng;
static RsaKey rsa;
static ecc_key ecc;
static ecc_key peer; /* the client's ephemeral key, made once */
static unsigned char peer_pub[65];
static word32 peer_pub_len = sizeof(peer_pub);
static unsigned char sig[512];
static word32 sig_len;

static int op_rsa_pss_sign(void *a)
{
	(void)a;
	unsigned char h[32];
	digest(h);
	int r = wc_RsaPSS_Sign(h, 32, sig, sizeof(sig), WC_HASH_TYPE_SHA256, WC_MGF1SHA256, &rsa,
			       &rng);
	if (r <= 0)
		return -1;
	sig_len = (word32)r;
	return 0;
}

static int op_rsa_pss_verify(void *a)
{
	(void)a;
	unsigned char h[32], out[512];
	digest(h);
	int r = wc_RsaPSS_Verify(sig, sig_len, out, sizeof(out), WC_HASH_TYPE_SHA256,
				 WC_MGF1SHA256, &rsa);
	if (r <= 0)
		return -1;
	return wc_RsaPSS_CheckPadding(h, 32, out, (word32)r, WC_HASH_TYPE_SHA256) == 0 ? 0 : -1;
}

static int op_rsa_pkcs1_sign(void *a)
{
	(void)a;
	unsigned char h[32], enc[64];
	digest(h);
	/* DigestInfo(SHA-256) || hash, as TLS 1.2 rsa_pkcs1_sha256 signs. */
	int el = (int)wc_EncodeSignature(enc, h, 32, SHA256h);
	int r = wc_RsaSSL_Sign(enc, (word32)el, sig, sizeof(sig), &rsa, &rng);
	return r > 0 ? 0 : -1;
}

static int op_ecdsa_sign(void *a)
{
	(void)a;
	unsigned char h[32], s[80];
	word32 sl = sizeof(s);
	digest(h);
	return wc_ecc_sign_hash(h, 32, s, &sl, &rng, &ecc);
}

static int op_ecdhe(void *a)
{
	(void)a;
	ecc_key eph, pk;
	unsigned char pub[65], secret[32];
	word32 pl = sizeof(pub), sl = sizeof(secret);
	int r = wc_ecc_init(&eph);
	if (r == 0)
		r = wc_ecc_make_key_ex(&rng, 32, &eph, ECC_SECP256R1);
	if (r == 0)
		r = wc_ecc_export_x963(&eph, pub, &pl); /* our key_share / SKE point */
	if (r == 0)
		r = wc_ecc_init(&pk);
	if (r == 0)
		r = wc_ecc_import_x963_ex(peer_pub, peer_pub_len, &pk, ECC_SECP256R1);
	if (r == 0)
		r = wc_ecc_set_rng(&eph, &rng);
	if (r == 0)
		r = wc_ecc_shared_secret(&eph, &pk, secret, &sl);
	wc_ecc_free(&pk);
	wc_ecc_free(&eph);
	return r;
}

int main(int argc, char **argv)
{
	const char *rsa_path = NULL, *ecc_path = NULL, *only = NULL;
	double seconds = 0.5;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rsa-key"))
			rsa_path = argv[i + 1];
		else if (!strcmp(argv[i], "--ecc-key"))
			ecc_path = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--ops"))
			only = argv[i + 1];
	}
	if (!rsa_path || !ecc_path) {
		fprintf(stderr, "usage: floor --rsa-key FILE --ecc-key FILE [--seconds S]\n");
		return 2;
	}
	static unsigned char der[8192];
	word32 idx = 0;
	int n;
	memset(content, 0x20, 64);
	memcpy(content + 64, "TLS 1.3, server CertificateVerify", 33);
	if (wc_InitRng(&rng) != 0 || wc_InitRsaKey(&rsa, NULL) != 0 || wc_ecc_init(&ecc) != 0 ||
	    wc_ecc_init(&peer) != 0)
		return fprintf(stderr, "floor: init failed\n"), 1;
	if ((n = load_der(rsa_path, der, sizeof(der))) <= 0 ||
	    wc_RsaPrivateKeyDecode(der, &idx, &rsa, (word32)n) != 0)
		return fprintf(stderr, "floor: cannot load RSA key %s\n", rsa_path), 1;
	wc_RsaSetRNG(&rsa, &rng); /* blinding, as wolfSSL's server does */
	idx = 0;
	if ((n = load_der(ecc_path, der, sizeof(der))) <= 0 ||
	    wc_EccPrivateKeyDecode(der, &idx, &ecc, (word32)n) != 0)
		return fprintf(stderr, "floor: cannot load ECC key %s\n", ecc_path), 1;
	if (wc_ecc_make_key_ex(&rng, 32, &peer, ECC_SECP256R1) != 0 ||
	    wc_ecc_export_x963(&peer, peer_pub, &peer_pub_len) != 0)
		return fprintf(stderr, "floor: cannot make the peer key\n"), 1;

	struct {
		const char *name;
		op_fn fn;
		int min;
	} ops[] = {
		{"rsa_pss_sign", op_rsa_pss_sign, 50},
		{"rsa_pss_verify", op_rsa_pss_verify, 200},
		{"rsa_pkcs1_sign", op_rsa_pkcs1_sign, 50},
		{"ecdsa_p256_sign", op_ecdsa_sign, 200},
		{"ecdhe_p256", op_ecdhe, 200},
	};
	/* Warm caches and the CPU's clock once before timing. */
	long iters;
	bench(op_rsa_pss_sign, NULL, 0.1, 10, &iters);
	printf("{\"wolfssl\":\"%s\",\"clock\":\"CLOCK_PROCESS_CPUTIME_ID\",\"us\":{",
	       LIBWOLFSSL_VERSION_STRING);
	/* `seconds` of CPU in all, shared by the operations timed. */
	size_t n_ops = sizeof(ops) / sizeof(ops[0]), n_on = 0;
	int on[sizeof(ops) / sizeof(ops[0])];
	for (size_t i = 0; i < n_ops; i++) {
		on[i] = !only || strstr(only, ops[i].name) != NULL;
		n_on += (size_t)on[i];
	}
	for (size_t i = 0, k = 0; i < n_ops; i++) {
		if (!on[i])
			continue;
		double us = bench(ops[i].fn, NULL, seconds / (double)n_on, ops[i].min, &iters);
		printf("%s\"%s\":{\"us\":%.3f,\"iters\":%ld}", k++ ? "," : "", ops[i].name, us,
		       iters);
	}
	printf("}}\n");
	wc_FreeRsaKey(&rsa);
	wc_ecc_free(&ecc);
	wc_ecc_free(&peer);
	wc_FreeRng(&rng);
	return 0;
}
