/* profile — one certificate profile from certs/profiles.ini.
 * Every certificate the suite uses is a row there; certgen.c makes them
 * in file order, so an issuer is always made before what it signs. */
#ifndef CERTGEN_PROFILE_H
#define CERTGEN_PROFILE_H

#define PROF_NAME_MAX 64
#define PROF_TEXT_MAX 256
#define PROF_MAX 48

#include "tf_names.h" /* TF_ENUM_ID, TF_ENUM_NAME */

/* The value lists of profiles.ini, X(id, name) as in tf_names.h. */
#define PROF_KINDS(X)          \
	X(PK_CA, "ca")         \
	X(PK_LEAF, "leaf")     \
	X(PK_KEY_ONLY, "key")
#define PROF_KEY_TYPES(X)              \
	X(KEY_RSA2048, "rsa2048")      \
	X(KEY_ECC256, "ecc256")

/* The hash the issuer signs with: X(id, name, RSA sigType, ECDSA sigType);
 * the sigType columns are wolfCrypt's CTC_* (expanded in x509.c only). */
#define PROF_HASHES(X)                                              \
	X(HASH_SHA256, "sha256", CTC_SHA256wRSA, CTC_SHA256wECDSA)  \
	X(HASH_SHA1, "sha1", CTC_SHAwRSA, CTC_SHAwECDSA)

enum prof_kind { PROF_KINDS(TF_ENUM_ID) };
enum prof_key { PROF_KEY_TYPES(TF_ENUM_ID) };
enum prof_hash { PROF_HASHES(TF_ENUM_ID) };

struct profile {
	char name[PROF_NAME_MAX];
	int kind;
	int key_type;		     /* enum prof_key: rsa2048 (default) | ecc256 */
	int hash;		     /* enum prof_hash: sha256 (default) | sha1 */
	char subject_cn[PROF_TEXT_MAX];
	char issuer[PROF_NAME_MAX];  /* "self" or an earlier profile */
	int not_before_days;	     /* relative to now; negative = past */
	int not_after_days;
	char san[PROF_TEXT_MAX];     /* "DNS:localhost, IP:127.0.0.1, IP:::1" */
	char eku[PROF_TEXT_MAX];     /* "serverAuth,clientAuth"; "" = none */
	int path_len;		     /* CA only; -1 = unlimited */
	int corrupt_key;	     /* write a key file that does not parse */
	int p12;		     /* also write NAME.p12 */
	int chain_root;		     /* NAME.chain.pem ends with the self-signed root */
	int line;		     /* where the section starts, for errors */
};

struct profile_set {
	struct profile items[PROF_MAX];
	int n;
};

/* Parse and check `path`. Errors go to stderr as file:line: message.
 * Returns 0 when the whole file is valid. */
int profiles_load(const char *path, struct profile_set *set);
/* The profile named `name`, or NULL. */
const struct profile *profiles_find(const struct profile_set *set, const char *name);

#endif
