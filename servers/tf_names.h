/* tf_names — every name list of tlsfault, defined once as an X-macro.
 *
 * A list is a macro taking X; each row is X(id, name, ...). The enums of
 * scenario.h, the name tables of scenario.c, events.c and sniff.c and the
 * version codes of tlsctx.c are all expanded from these rows, so a name
 * and its value cannot drift apart. Adding a protocol, fault, category,
 * class or alert is adding a row here (and, for a fault or a protocol,
 * the code that implements it). */
#ifndef TLSFAULT_TF_NAMES_H
#define TLSFAULT_TF_NAMES_H

/* [server] protocol: X(id, config name) */
#define TF_PROTOCOLS(X)                          \
	X(PROTO_HTTPS, "https")                  \
	X(PROTO_FTPS_EXPLICIT, "ftps-explicit")  \
	X(PROTO_FTPS_IMPLICIT, "ftps-implicit")

/* [server] client_auth: X(id, config name) */
#define TF_CLIENT_AUTHS(X)           \
	X(CAUTH_NONE, "none")        \
	X(CAUTH_REQUEST, "request")  \
	X(CAUTH_REQUIRE, "require")

/* [fault] kind: X(id, config name) */
#define TF_FAULTS(X)                                                                          \
	X(FAULT_NONE, "none")                                                                 \
	X(FAULT_NO_BINDING, "no-binding")		    /* seed 001 scenario 4: read ClientHello, reset */ \
	X(FAULT_CREDENTIAL_UNUSABLE, "credential-unusable") /* seed 001 scenarios 1-2: cert, no usable key */ \
	X(FAULT_PLAINTEXT_SERVICE, "plaintext-service")	    /* seed 001 scenario 3: another process on the port */ \
	X(FAULT_SPLIT_INTOLERANT, "split-intolerant")	    /* seed 001 scenario 6: first record = request */ \
	X(FAULT_KEY_MISMATCH, "key-mismatch")		    /* signs with a key that is not the cert's */ \
	X(FAULT_TRUNCATED_RESPONSE, "truncated-response")   /* ends the stream inside its response */

/* [ftp] auth_tls: X(id, config name) */
#define TF_AUTH_TLS(X)                \
	X(AUTHTLS_ACCEPT, "accept")   \
	X(AUTHTLS_REFUSE, "refuse")

/* [scenario] category: the grouping of README tables, reports and the
 * pytest helpers. X(id, config name) */
#define TF_CATEGORIES(X)                        \
	X(CAT_CERTIFICATE, "certificate")       \
	X(CAT_CHAIN, "chain")                   \
	X(CAT_REVOCATION, "revocation")         \
	X(CAT_PROTOCOL, "protocol")             \
	X(CAT_CIPHER, "cipher")                 \
	X(CAT_KEY_EXCHANGE, "key-exchange")     \
	X(CAT_EXTENSION, "extension")           \
	X(CAT_MTLS, "mtls")                     \
	X(CAT_FTPS, "ftps")                     \
	X(CAT_DEPLOYMENT, "deployment")

/* TLS versions: X(id, config name, wire code, display name). The wire
 * code is also the value wolfSSL_CTX_set_min/max_proto_version take. The
 * display name is what wolfSSL_get_version says (events' "version"), also
 * used for the versions a ClientHello offers. SSL 3.0 is only ever seen
 * on the wire (config name NULL): a scenario cannot select it. */
#define TF_TLS_VERSIONS(X)                              \
	X(V_SSL30, NULL, 0x0300, "SSLv3")             \
	X(V_TLS10, "tls1.0", 0x0301, "TLSv1")         \
	X(V_TLS11, "tls1.1", 0x0302, "TLSv1.1")       \
	X(V_TLS12, "tls1.2", 0x0303, "TLSv1.2")       \
	X(V_TLS13, "tls1.3", 0x0304, "TLSv1.3")

/* TLS alert descriptions (RFC 8446 6, RFC 5246 7.2): X(code, name) */
#define TF_ALERTS(X)                               \
	X(0, "close_notify")                       \
	X(10, "unexpected_message")                \
	X(20, "bad_record_mac")                    \
	X(21, "decryption_failed")                 \
	X(22, "record_overflow")                   \
	X(30, "decompression_failure")             \
	X(40, "handshake_failure")                 \
	X(41, "no_certificate")                    \
	X(42, "bad_certificate")                   \
	X(43, "unsupported_certificate")           \
	X(44, "certificate_revoked")               \
	X(45, "certificate_expired")               \
	X(46, "certificate_unknown")               \
	X(47, "illegal_parameter")                 \
	X(48, "unknown_ca")                        \
	X(49, "access_denied")                     \
	X(50, "decode_error")                      \
	X(51, "decrypt_error")                     \
	X(60, "export_restriction")                \
	X(70, "protocol_version")                  \
	X(71, "insufficient_security")             \
	X(80, "internal_error")                    \
	X(86, "inappropriate_fallback")            \
	X(90, "user_canceled")                     \
	X(100, "no_renegotiation")                 \
	X(109, "missing_extension")                \
	X(110, "unsupported_extension")            \
	X(112, "unrecognized_name")                \
	X(113, "bad_certificate_status_response")  \
	X(115, "unknown_psk_identity")             \
	X(116, "certificate_required")             \
	X(120, "no_application_protocol")

/* The failure-class vocabulary shared by scenarios ([expect] class and
 * variants), the harness's classifier and the reports. X(id, name) */
#define TF_CLASSES(X)                                         \
	X(CLS_OK, "ok")                                       \
	X(CLS_UNTRUSTED_ISSUER, "untrusted-issuer")           \
	X(CLS_UNTRUSTED_ROOT, "untrusted-root")               \
	X(CLS_SELF_SIGNED, "self-signed")                     \
	X(CLS_HOSTNAME_MISMATCH, "hostname-mismatch")         \
	X(CLS_EXPIRED, "expired")                             \
	X(CLS_NOT_YET_VALID, "not-yet-valid")                 \
	X(CLS_BAD_PURPOSE, "bad-purpose")                     \
	X(CLS_BAD_SIGNATURE, "bad-signature")                 \
	X(CLS_WEAK_SIGNATURE, "weak-signature")               \
	X(CLS_NO_SHARED_CIPHER, "no-shared-cipher")           \
	X(CLS_PROTOCOL_VERSION, "protocol-version")           \
	X(CLS_NOT_TLS, "not-tls")                             \
	X(CLS_RESET, "reset")                                 \
	X(CLS_HANDSHAKE_FAILURE, "handshake-failure")         \
	X(CLS_PEER_REJECTED_CERT, "peer-rejected-cert")       \
	X(CLS_CERT_REQUIRED, "cert-required")                 \
	X(CLS_TLS_REQUIRED, "tls-required")                   \
	X(CLS_AUTH_TLS_REFUSED, "auth-tls-refused")           \
	X(CLS_INCOMPLETE_RESPONSE, "incomplete-response")     \
	X(CLS_TIMEOUT, "timeout")                             \
	X(CLS_SESSION_REUSE_REQUIRED, "session-reuse-required") \
	X(CLS_REFUSED, "refused")

/* Expanders shared by every user of the lists above. */
#define TF_ENUM_ID(id, name, ...) id,
#define TF_ENUM_NAME(id, name, ...) name,

#endif
