/* scenario — the scenario model, loaded from scenarios/NAME.ini.
 *
 * Every key is one row of SCENARIO_KEYS (scenario_keys.h): parsing,
 * validation, defaults and `show --json` all come from that table.
 * Errors are reported as "file:line: message", all of them in one run;
 * a file with any error is refused whole. */
#ifndef TLSFAULT_SCENARIO_H
#define TLSFAULT_SCENARIO_H

#include <stdio.h>

#define SCN_NAME_MAX 64
#define SCN_TEXT_MAX 2048
#define SCN_PATH_MAX 256
#define SCN_MAX_VARIANTS 24
#define SCN_MAX 64
#define SCN_KEYS_MAX 48 /* rows of scenario_keys.h, with room */

#include "tf_names.h"

enum scn_protocol { TF_PROTOCOLS(TF_ENUM_ID) };
enum scn_client_auth { TF_CLIENT_AUTHS(TF_ENUM_ID) };
enum scn_fault { TF_FAULTS(TF_ENUM_ID) };
enum scn_auth_tls { TF_AUTH_TLS(TF_ENUM_ID) };
enum scn_category { TF_CATEGORIES(TF_ENUM_ID) };

/* TLS version bits for `versions`: V_TLS12 is 1 << VI_V_TLS12, in the
 * order of TF_TLS_VERSIONS (oldest first, so a range is contiguous). */
#define TF_VERSION_INDEX(id, ...) VI_##id,
#define TF_VERSION_BIT(id, ...) id = 1 << VI_##id,
enum { TF_TLS_VERSIONS(TF_VERSION_INDEX) VI_COUNT };
enum scn_version { TF_TLS_VERSIONS(TF_VERSION_BIT) };

struct scn_variant {
	char key[SCN_NAME_MAX];	  /* e.g. "profile.rocky9", "client.java" */
	char value[SCN_NAME_MAX]; /* a failure class */
	int line;		  /* where the file sets it */
};

struct scenario {
	char file[SCN_PATH_MAX];
	/* [scenario] */
	char name[SCN_NAME_MAX];
	char summary[256];
	char source[256];
	int category; /* enum scn_category */
	char description[SCN_TEXT_MAX];
	char cause[SCN_TEXT_MAX];
	char fix[SCN_TEXT_MAX];
	char workaround[SCN_TEXT_MAX];
	char workaround_insecure[SCN_TEXT_MAX];
	char try_cmd[512];
	/* [server] */
	int protocol;
	int port;
	char cert[SCN_PATH_MAX];
	char key[SCN_PATH_MAX];
	int versions;
	char ciphers[512];
	int client_auth;
	char client_ca[SCN_PATH_MAX];
	char advertised_ca[SCN_PATH_MAX];
	/* [fault] */
	int fault;
	char fault_key[SCN_PATH_MAX];
	/* [ftp] */
	char ftp_user[SCN_NAME_MAX];
	char ftp_password[SCN_NAME_MAX];
	int ftp_auth_tls;
	int ftp_require_tls;
	int ftp_data_reuse;
	int ftp_strict_eof;
	/* [client] */
	char client_cert[SCN_NAME_MAX];
	int client_plaintext;
	/* [expect] */
	char expect_class[SCN_NAME_MAX];
	char expect_alert[SCN_NAME_MAX];
	char expect_report[256];
	struct scn_variant variants[SCN_MAX_VARIANTS];
	int n_variants;
	/* Line of each key of scenario_keys.h in the file (0: not set): the
	 * loader's duplicate and required-key checks, and checks after
	 * loading, which can still say file:line. */
	int key_line[SCN_KEYS_MAX];
};

struct scenario_set {
	struct scenario items[SCN_MAX];
	int n;
};

/* Load and validate one file; errors go to `err` as file:line: message.
 * Returns 0, or -1 with the number of errors printed in *n_errors. */
int scenario_load_file(const char *path, struct scenario *s, FILE *err, int *n_errors);

/* Load every *.ini in `dir`, sorted by name. -1 if any file has an error
 * (all files are still checked so every error is reported in one run). */
int scenario_load_dir(const char *dir, struct scenario_set *set, FILE *err);

/* The files a scenario names (cert, key, client_ca, advertised_ca,
 * sign_key), resolved as tlsctx.c does (certs_dir/value), must be readable
 * regular files. Reports file:line: messages to `err` after `prefix`, at
 * most `max_errors` of them; returns how many it found (0: all there). */
int scenario_check_files(const struct scenario *s, const char *certs_dir, FILE *err,
			 const char *prefix, int max_errors);

const struct scenario *scenario_find(const struct scenario_set *set, const char *name);

/* Enum names, for output. */
const char *scenario_protocol_name(int v);
const char *scenario_fault_name(int v);
const char *scenario_client_auth_name(int v);
const char *scenario_category_name(int v); /* NULL past the last */
/* "tls1.2,tls1.3" style list of `versions` into buf. */
void scenario_versions_str(int versions, char *buf, size_t cap);

/* The failure-class vocabulary shared by scenarios, classifier and reports. */
extern const char *const scenario_classes[];
int scenario_is_class(const char *s);

struct json;
/* Every field of the table, for `show --json` (the harness's only view). */
void scenario_to_json(const struct scenario *s, struct json *j);

#endif
