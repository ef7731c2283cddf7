#include "tlsctx.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void path_in(char *buf, size_t cap, const char *dir, const char *file)
{
	snprintf(buf, cap, "%s/%s", dir, file);
}

static const char *wolf_err(int rc)
{
	static char msg[120];
	wolfSSL_ERR_error_string_n((unsigned long)rc, msg, sizeof(msg));
	return msg;
}

static int version_code(int bit)
{
	switch (bit) {
	case V_TLS10: return TLS1_VERSION;
	case V_TLS11: return TLS1_1_VERSION;
	case V_TLS12: return TLS1_2_VERSION;
	default: return TLS1_3_VERSION;
	}
}

static int set_versions(WOLFSSL_CTX *ctx, int versions)
{
	int low = versions & -versions, high = low;
	while ((high << 1) & versions)
		high <<= 1;
	if (wolfSSL_CTX_set_min_proto_version(ctx, version_code(low)) != WOLFSSL_SUCCESS)
		return -1;
	return wolfSSL_CTX_set_max_proto_version(ctx, version_code(high)) == WOLFSSL_SUCCESS ? 0 : -1;
}

static int readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Seed 001, scenarios 1-2: the certificate is installed but its private
 * key is missing or cannot be used. Record why; the server then behaves
 * as Schannel does (faults.c). A key that loads is a scenario error. */
static int load_unusable_credential(struct listener *lis, const char *dir, char *err, size_t cap)
{
	const struct scenario *s = lis->s;
	char path[SCN_PATH_MAX * 2];
	if (!s->key[0]) {
		snprintf(lis->cred_error, sizeof(lis->cred_error),
			 "certificate %s has no private key (Schannel: no credential); reset", s->cert);
		return 0;
	}
	path_in(path, sizeof(path), dir, s->key);
	if (!readable(path)) {
		snprintf(err, cap, "%s: key file %s: cannot read", s->name, path);
		return -1;
	}
	int rc = wolfSSL_CTX_use_PrivateKey_file(lis->ctx, path, WOLFSSL_FILETYPE_PEM);
	if (rc == WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: [fault] credential-unusable, but key %s loaded fine", s->name,
			 path);
		return -1;
	}
	unsigned long code = wolfSSL_ERR_get_error();
	snprintf(lis->cred_error, sizeof(lis->cred_error),
		 "private key %s unusable: %s (Schannel 0x8009001a); reset", s->key,
		 code ? wolf_err(-(int)(code & 0xffff)) : "cannot decode key");
	return 0;
}

static int load_credential(struct listener *lis, const char *dir, char *err, size_t cap)
{
	const struct scenario *s = lis->s;
	char path[SCN_PATH_MAX * 2];
	if (!s->cert[0])
		return 0; /* seed 000: a server with no certificate at all */
	path_in(path, sizeof(path), dir, s->cert);
	int rc = wolfSSL_CTX_use_certificate_chain_file(lis->ctx, path);
	if (rc != WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: cert %s: %s", s->name, path,
			 readable(path) ? wolf_err(rc) : "cannot read");
		return -1;
	}
	if (s->fault == FAULT_CREDENTIAL_UNUSABLE)
		return load_unusable_credential(lis, dir, err, cap);
	/* key-mismatch: the key that signs is not the certificate's. */
	path_in(path, sizeof(path), dir, s->fault == FAULT_KEY_MISMATCH ? s->fault_key : s->key);
	rc = wolfSSL_CTX_use_PrivateKey_file(lis->ctx, path, WOLFSSL_FILETYPE_PEM);
	if (rc != WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: key %s: %s", s->name, path,
			 readable(path) ? wolf_err(rc) : "cannot read");
		return -1;
	}
	return 0;
}

static void names_oneline(WOLF_STACK_OF(WOLFSSL_X509_NAME) * names, char *buf, size_t cap)
{
	buf[0] = '\0';
	int n = wolfSSL_sk_X509_NAME_num(names);
	for (int i = 0; i < n; i++) {
		char *one = wolfSSL_X509_NAME_oneline(wolfSSL_sk_X509_NAME_value(names, i), NULL, 0);
		if (!one)
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, cap - used, "%s%s", i ? "; " : "", one);
		XFREE(one, NULL, DYNAMIC_TYPE_OPENSSL);
	}
}

/* Seed 002: which CAs are trusted for client certs and which CA names
 * the CertificateRequest advertises are separate on purpose. */
static int setup_client_auth(struct listener *lis, const char *dir, char *err, size_t cap)
{
	const struct scenario *s = lis->s;
	if (s->client_auth == CAUTH_NONE)
		return 0;
	char path[SCN_PATH_MAX * 2];
	path_in(path, sizeof(path), dir, s->client_ca);
	if (wolfSSL_CTX_load_verify_locations(lis->ctx, path, NULL) != WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: client_ca %s: cannot load", s->name, path);
		return -1;
	}
	int mode = WOLFSSL_VERIFY_PEER;
	if (s->client_auth == CAUTH_REQUIRE)
		mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	wolfSSL_CTX_set_verify(lis->ctx, mode, NULL);
	path_in(path, sizeof(path), dir, s->advertised_ca[0] ? s->advertised_ca : s->client_ca);
	WOLF_STACK_OF(WOLFSSL_X509_NAME) *names = wolfSSL_load_client_CA_file(path);
	if (!names) {
		snprintf(err, cap, "%s: advertised_ca %s: cannot load", s->name, path);
		return -1;
	}
	names_oneline(names, lis->advertised_ca, sizeof(lis->advertised_ca));
	wolfSSL_CTX_set_client_CA_list(lis->ctx, names); /* takes ownership */
	return 0;
}

int tlsctx_build(struct listener *lis, const char *certs_dir, char *err, size_t errcap)
{
	const struct scenario *s = lis->s;
	lis->ctx = NULL;
	if (s->fault == FAULT_NO_BINDING || s->fault == FAULT_PLAINTEXT_SERVICE)
		return 0;
	if (s->protocol == PROTO_FTPS_EXPLICIT && s->ftp_auth_tls == AUTHTLS_REFUSE)
		return 0;
	lis->ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	if (!lis->ctx) {
		snprintf(err, errcap, "%s: wolfSSL_CTX_new failed", s->name);
		return -1;
	}
	if (set_versions(lis->ctx, s->versions) != 0) {
		snprintf(err, errcap, "%s: versions not supported by this wolfSSL build", s->name);
		return -1;
	}
	if (s->ciphers[0] && wolfSSL_CTX_set_cipher_list(lis->ctx, s->ciphers) != WOLFSSL_SUCCESS) {
		snprintf(err, errcap, "%s: cipher list '%s' not supported by this wolfSSL build", s->name,
			 s->ciphers);
		return -1;
	}
	wolfSSL_CTX_SetIORecv(lis->ctx, conn_io_recv);
	wolfSSL_CTX_SetIOSend(lis->ctx, conn_io_send);
	if (load_credential(lis, certs_dir, err, errcap) != 0)
		return -1;
	return setup_client_auth(lis, certs_dir, err, errcap);
}
