/* tlsctx — see tlsctx.h. */
#include "tlsctx.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

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

/* A `versions` bit's wire code, which is what wolfSSL's min/max take. */
static int version_code(int bit)
{
#define TF_VERSION_WIRE(id, config, wire, display) if (bit == id) return wire;
	TF_TLS_VERSIONS(TF_VERSION_WIRE)
#undef TF_VERSION_WIRE
	return TLS1_3_VERSION;
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
static int load_unusable_credential(struct conn_config *cfg, const char *dir, char *err, size_t cap)
{
	const struct scenario *s = cfg->s;
	char path[SCN_PATH_MAX * 2];
	if (!s->key[0]) {
		snprintf(cfg->reset_why, sizeof(cfg->reset_why),
			 "certificate %s has no private key (Schannel: no credential); reset", s->cert);
		return 0;
	}
	path_in(path, sizeof(path), dir, s->key);
	if (!readable(path)) {
		snprintf(err, cap, "%s: key file %s: cannot read", s->name, path);
		return -1;
	}
	int rc = wolfSSL_CTX_use_PrivateKey_file(cfg->ctx, path, WOLFSSL_FILETYPE_PEM);
	if (rc == WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: [fault] credential-unusable, but key %s loaded fine", s->name,
			 path);
		return -1;
	}
	unsigned long code = wolfSSL_ERR_get_error();
	snprintf(cfg->reset_why, sizeof(cfg->reset_why),
		 "private key %s unusable: %s (Schannel 0x8009001a); reset", s->key,
		 code ? wolf_err(-(int)(code & 0xffff)) : "cannot decode key");
	return 0;
}

static int load_credential(struct conn_config *cfg, const char *dir, char *err, size_t cap)
{
	const struct scenario *s = cfg->s;
	char path[SCN_PATH_MAX * 2];
	if (!s->cert[0])
		return 0; /* seed 000: a server with no certificate at all */
	path_in(path, sizeof(path), dir, s->cert);
	int rc = wolfSSL_CTX_use_certificate_chain_file(cfg->ctx, path);
	if (rc != WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: cert %s: %s", s->name, path,
			 readable(path) ? wolf_err(rc) : "cannot read");
		return -1;
	}
	if (s->fault == FAULT_CREDENTIAL_UNUSABLE)
		return load_unusable_credential(cfg, dir, err, cap);
	/* key-mismatch: the key that signs is not the certificate's. */
	path_in(path, sizeof(path), dir, s->fault == FAULT_KEY_MISMATCH ? s->fault_key : s->key);
	rc = wolfSSL_CTX_use_PrivateKey_file(cfg->ctx, path, WOLFSSL_FILETYPE_PEM);
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

/* ---- client authentication (seed 002) ----------------------------- */

/* wolfSSL picks the alert for a rejected client certificate itself; where
 * the servers the seeds describe send another one, the scenario's server
 * replaces it on the wire. Only a plaintext alert can be replaced, i.e.
 * TLS 1.2 before the server's ChangeCipherSpec, which is where every
 * client-certificate alert of TLS 1.2 falls. */
struct alert_swap {
	int from, to;
};
/* Seed 002's capture: an empty Certificate answered with bad_certificate,
 * as JSSE servers do; wolfSSL (like OpenSSL, per RFC 5246 7.4.6) sends
 * handshake_failure. */
static const struct alert_swap swap_empty_cert = {handshake_failure, bad_certificate};
/* A client cert without the clientAuth EKU: wolfSSL rejects it with
 * bad_certificate; OpenSSL servers send unsupported_certificate for
 * X509_V_ERR_INVALID_PURPOSE, and so do we. */
static const struct alert_swap swap_bad_purpose = {bad_certificate, unsupported_certificate};

static int swap_idx = -1; /* WOLFSSL ex_data slot: the armed alert_swap */

static void arm_swap(WOLFSSL *ssl, const struct alert_swap *sw)
{
	if (swap_idx >= 0)
		wolfSSL_set_ex_data(ssl, swap_idx, (void *)sw);
}

/* The on_alert hook: the armed swap, once, for the fatal alert it names. */
static int swap_alert(struct conn *c, WOLFSSL *ssl, int level, int code)
{
	(void)c;
	const struct alert_swap *sw = swap_idx >= 0 ? wolfSSL_get_ex_data(ssl, swap_idx) : NULL;
	if (!sw || level != 2 || code != sw->from)
		return code;
	wolfSSL_set_ex_data(ssl, swap_idx, NULL);
	return sw->to;
}

/* Received handshake messages, in plaintext only (wolfSSL calls this
 * before encryption is on: TLS 1.2 up to ChangeCipherSpec). Records the
 * client's Certificate message and the length of its certificate_list
 * (RFC 5246 7.4.6), 0 being the seed's "Certificate Length: 0". */
static void on_handshake_msg(int write_p, int version, int content_type, const void *buf,
			     size_t len, WOLFSSL *ssl, void *arg)
{
	(void)version;
	(void)arg;
	const uint8_t *p = buf;
	struct conn *c = wolfSSL_GetIOReadCtx(ssl);
	if (write_p || content_type != 22 || len < 7 || p[0] != 11 || !c)
		return;
	struct event *ev = conn_event(c);
	ev->cert_msg_len = (long)p[4] << 16 | (long)p[5] << 8 | p[6];
	ev->cert_len_source = "wire";
	if (ev->cert_msg_len == 0 && conn_scenario(c)->client_auth == CAUTH_REQUIRE)
		arm_swap(ssl, &swap_empty_cert);
}

/* Called by wolfSSL on a client-certificate error (and only then: no
 * WOLFSSL_ALWAYS_VERIFY_CB). wolfSSL itself enforces the clientAuth EKU
 * (EXTKEYUSE_AUTH_E); this only chooses the alert. Never overrides. */
static int on_verify(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	WOLFSSL *ssl = wolfSSL_X509_STORE_CTX_get_ex_data(store,
							  wolfSSL_get_ex_data_X509_STORE_CTX_idx());
	if (!preverify && ssl && wolfSSL_X509_STORE_CTX_get_error(store) == EXTKEYUSE_AUTH_E)
		arm_swap(ssl, &swap_bad_purpose);
	return preverify;
}

/* Seed 002: which CAs are trusted for client certs and which CA names
 * the CertificateRequest advertises are separate on purpose. */
static int setup_client_auth(struct conn_config *cfg, const char *dir, char *err, size_t cap)
{
	const struct scenario *s = cfg->s;
	if (s->client_auth == CAUTH_NONE)
		return 0;
	char path[SCN_PATH_MAX * 2];
	path_in(path, sizeof(path), dir, s->client_ca);
	if (wolfSSL_CTX_load_verify_locations(cfg->ctx, path, NULL) != WOLFSSL_SUCCESS) {
		snprintf(err, cap, "%s: client_ca %s: cannot load", s->name, path);
		return -1;
	}
	int mode = WOLFSSL_VERIFY_PEER;
	if (s->client_auth == CAUTH_REQUIRE) {
		mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		/* Without it wolfSSL's TLS 1.2 server meets an empty Certificate
		 * only at ClientKeyExchange and closes without any alert; with it
		 * the alert follows the Certificate, as in the seed's capture. */
		wolfSSL_CTX_mutual_auth(cfg->ctx, 1);
	}
	if (swap_idx < 0)
		swap_idx = wolfSSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	wolfSSL_CTX_set_verify(cfg->ctx, mode, on_verify);
	wolfSSL_CTX_set_msg_callback(cfg->ctx, on_handshake_msg);
	if (cfg->hooks.on_alert) {
		snprintf(err, cap, "%s: the fault already has an on_alert hook", s->name);
		return -1;
	}
	cfg->hooks.on_alert = swap_alert;
	/* "none": a CertificateRequest with an empty certificate_authorities
	 * list (TLS 1.3: no such extension), any certificate may be offered. */
	if (strcmp(s->advertised_ca, "none") == 0)
		return 0;
	path_in(path, sizeof(path), dir, s->advertised_ca[0] ? s->advertised_ca : s->client_ca);
	WOLF_STACK_OF(WOLFSSL_X509_NAME) *names = wolfSSL_load_client_CA_file(path);
	if (!names) {
		snprintf(err, cap, "%s: advertised_ca %s: cannot load", s->name, path);
		return -1;
	}
	names_oneline(names, cfg->advertised_ca, sizeof(cfg->advertised_ca));
	wolfSSL_CTX_set_client_CA_list(cfg->ctx, names); /* takes ownership */
	return 0;
}

/* Key exchange groups in the order OpenSSL 3 (and so nginx and Apache on
 * it) prefers them: X25519 first, the key share curl, OpenSSL and Node
 * send, so their TLS 1.3 handshakes need no HelloRetryRequest. */
static int set_groups(WOLFSSL_CTX *ctx)
{
	int groups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_X448,
			WOLFSSL_ECC_SECP521R1, WOLFSSL_ECC_SECP384R1};
	return wolfSSL_CTX_set_groups(ctx, groups, (int)(sizeof(groups) / sizeof(groups[0])))
		       == WOLFSSL_SUCCESS ? 0 : -1;
}

int tlsctx_build(struct conn_config *cfg, const char *certs_dir, char *err, size_t errcap)
{
	const struct scenario *s = cfg->s;
	cfg->ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	if (!cfg->ctx) {
		snprintf(err, errcap, "%s: wolfSSL_CTX_new failed", s->name);
		return -1;
	}
	if (set_groups(cfg->ctx) != 0) {
		snprintf(err, errcap, "%s: X25519/X448 missing from this wolfSSL build", s->name);
		return -1;
	}
	if (set_versions(cfg->ctx, s->versions) != 0) {
		snprintf(err, errcap, "%s: versions not supported by this wolfSSL build", s->name);
		return -1;
	}
	if (s->ciphers[0] && wolfSSL_CTX_set_cipher_list(cfg->ctx, s->ciphers) != WOLFSSL_SUCCESS) {
		snprintf(err, errcap, "%s: cipher list '%s' not supported by this wolfSSL build", s->name,
			 s->ciphers);
		return -1;
	}
	wolfSSL_CTX_SetIORecv(cfg->ctx, conn_io_recv);
	wolfSSL_CTX_SetIOSend(cfg->ctx, conn_io_send);
	if (load_credential(cfg, certs_dir, err, errcap) != 0)
		return -1;
	return setup_client_auth(cfg, certs_dir, err, errcap);
}
