/* output — PEM/DER/PKCS#8/PKCS#12 files for one made profile. Keys are
 * PKCS#8 ("BEGIN PRIVATE KEY"), which curl, OpenSSL, GnuTLS, Node, Python
 * and wolfSSL all read. */
#include "output.h"

#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#define PEM_MAX 8192

static int write_file(const char *dir, const char *name, const char *ext, const void *buf,
		      size_t len, char *err, size_t cap)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int to_pem(const unsigned char *der, int der_len, int type, char *pem, char *err,
		  size_t cap)
{
	int n = wc_DerToPem(der, (word32)der_len, (byte *)pem, PEM_MAX - 1, type);
	if (n <= 0) {
		snprintf(err, cap, "PEM encoding failed: %s", wc_GetErrorString(n));
		return -1;
	}
	pem[n] = '\0';
	return n;
}

/* PKCS#8 DER of the key; returns its length or -1. */
static int key_pkcs8(const struct issued *it, unsigned char *out, word32 cap)
{
	if (it->p->key_type == KEY_ECC256) {
		word32 len = cap;
		int rc = wc_EccKeyToPKCS8((ecc_key *)&it->ecc, out, &len);
		return rc > 0 ? rc : -1;
	}
	unsigned char rsa[X509_DER_MAX];
	int n = wc_RsaKeyToDer((RsaKey *)&it->key, rsa, sizeof(rsa));
	if (n <= 0)
		return -1;
	word32 len = cap;
	int rc = wc_CreatePKCS8Key(out, &len, rsa, (word32)n, RSAk, NULL, 0);
	return rc > 0 ? rc : -1;
}

/* A key file that looks like PEM but whose DER starts with a bad tag, so
 * every loader fails to parse it (IIS scenario 2: key present, corrupt). */
static void corrupt_pem(char *pem)
{
	char *body = strchr(pem, '\n');
	if (body && strlen(body) > 5)
		memcpy(body + 1, "AAAA", 4);
}

static int write_key(const struct issued *it, const char *dir, char *err, size_t cap)
{
	unsigned char der[X509_DER_MAX];
	char pem[PEM_MAX];
	int n = key_pkcs8(it, der, sizeof(der));
	if (n < 0) {
		snprintf(err, cap, "[%s] key encoding failed", it->p->name);
		return -1;
	}
	int pn = to_pem(der, n, PKCS8_PRIVATEKEY_TYPE, pem, err, cap);
	if (pn < 0)
		return -1;
	if (it->p->corrupt_key)
		corrupt_pem(pem);
	return write_file(dir, it->p->name, ".key", pem, (size_t)pn, err, cap);
}

/* Leaf then issuers, without the self-signed root as servers usually send
 * it; with chain_root the root too, as a server configured with the full
 * chain file sends it (seed 001: a chain up to a root the client lacks). */
static int write_chain(const struct issued *it, const char *dir, char *err, size_t cap)
{
	char chain[PEM_MAX * 4] = "";
	for (const struct issued *c = it; c; c = c->issuer) {
		if (c != it && !c->issuer && !it->p->chain_root)
			break;
		char pem[PEM_MAX];
		if (to_pem(c->der, c->der_len, CERT_TYPE, pem, err, cap) < 0)
			return -1;
		if (strlen(chain) + strlen(pem) >= sizeof(chain))
			return -1;
		strcat(chain, pem);
	}
	return write_file(dir, it->p->name, ".chain.pem", chain, strlen(chain), err, cap);
}

/* PKCS#12 through `openssl pkcs12 -export`: wolfCrypt 5.5.4's
 * wc_PKCS12_create writes no localKeyID bag attributes, and without them
 * Java's KeyStore cannot pair the key with its certificate (keytool shows
 * "Certificate chain length: 0", so a Java client would send no cert). */
static int write_p12(const struct issued *it, const char *dir, char *err, size_t cap)
{
	char in[512], key[512], chain[512], out[512];
	const char *name = it->p->name;
	snprintf(in, sizeof(in), "%s/%s.pem", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	snprintf(out, sizeof(out), "%s/%s.p12", dir, name);
	snprintf(chain, sizeof(chain), "%s/%s.chain.pem", dir, it->issuer ? it->issuer->p->name : name);
	char *argv[] = {"openssl", "pkcs12", "-export", "-in", in, "-inkey", key, "-certfile",
			chain, "-name", (char *)name, "-passout", "pass:" P12_PASSWORD, "-out", out,
			NULL};
	pid_t pid;
	int status = 0;
	if (posix_spawnp(&pid, "openssl", NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, cap, "[%s] openssl pkcs12 -export failed", name);
		return -1;
	}
	return 0;
}

int output_write(const struct issued *it, const char *dir, char *err, size_t cap)
{
	if (write_key(it, dir, err, cap))
		return -1;
	if (it->p->kind == PK_KEY_ONLY)
		return 0;
	char pem[PEM_MAX];
	int pn = to_pem(it->der, it->der_len, CERT_TYPE, pem, err, cap);
	if (pn < 0 || write_file(dir, it->p->name, ".pem", pem, (size_t)pn, err, cap) ||
	    write_file(dir, it->p->name, ".der", it->der, (size_t)it->der_len, err, cap) ||
	    write_chain(it, dir, err, cap))
		return -1;
	return it->p->p12 ? write_p12(it, dir, err, cap) : 0;
}

int output_alias(const char *dir, const char *name, const char *alias, char *err, size_t cap)
{
	char src[512], dst[512], buf[PEM_MAX];
	snprintf(src, sizeof(src), "%s/%s.pem", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, alias);
	FILE *in = fopen(src, "rb");
	size_t n = in ? fread(buf, 1, sizeof(buf), in) : 0;
	if (in)
		fclose(in);
	if (!n) {
		snprintf(err, cap, "%s: cannot read", src);
		return -1;
	}
	FILE *out = fopen(dst, "wb");
	if (!out || fwrite(buf, 1, n, out) != n || fclose(out) != 0) {
		snprintf(err, cap, "%s: %s", dst, strerror(errno));
		return -1;
	}
	return 0;
}
