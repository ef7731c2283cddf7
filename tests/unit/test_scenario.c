/* Unit tests for servers/scenario.c, the scenario loader. Fixtures:
 * fixtures/scenarios/good/ (one file per protocol and fault kind) and
 * fixtures/scenarios/bad/ (one file per kind of error, exact output). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "scenario.h"
#include "unit_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define GOOD "fixtures/scenarios/good"
#define BAD_DIR "fixtures/scenarios/bad"
#define P BAD_DIR "/"

/* Load one file; the error text goes to a malloc'd string in *text. */
static int load(const char *path, struct scenario *s, char **text, int *n_errors)
{
	size_t size;
	FILE *err = open_memstream(text, &size);
	assert_non_null(err);
	*n_errors = -1;
	int rc = scenario_load_file(path, s, err, n_errors);
	fclose(err);
	return rc;
}

/* ---- bad files: every error, in one run, as file:line: message ---- */

struct bad_case {
	const char *file;
	int n_errors;
	const char *text;
};

/* Sorted by file name, the order scenario_load_dir() reports them in. */
static const struct bad_case bad_cases[] = {
	{"bad-bool.ini", 3,
	 P "bad-bool.ini:13: [ftp] require_tls: expected yes or no\n"
	 P "bad-bool.ini:14: [ftp] data_reuse: expected yes or no\n"
	 P "bad-bool.ini:15: [ftp] auth_tls: bad value 'perhaps' (one of: accept, refuse)\n"},
	{"bad-enum.ini", 3,
	 P "bad-enum.ini:8: [server] protocol: bad value 'http' (one of: https, ftps-explicit, ftps-implicit)\n"
	 P "bad-enum.ini:9: [server] client_auth: bad value 'always' (one of: none, request, require)\n"
	 P "bad-enum.ini:12: [fault] kind: bad value 'broken-everything' (one of: none, no-binding, credential-unusable, plaintext-service, split-intolerant, key-mismatch, truncated-response)\n"},
	{"bad-values.ini", 5,
	 P "bad-values.ini:9: [server] versions: a contiguous list of tls1.0, tls1.1, tls1.2, tls1.3\n"
	 P "bad-values.ini:10: [server] cert: path must be relative to the certs dir, without '..'\n"
	 P "bad-values.ini:11: [server] key: path must be relative to the certs dir, without '..'\n"
	 P "bad-values.ini:14: [expect] class: unknown failure class 'broken'\n"
	 P "bad-values.ini:15: [expect] alert: unknown alert 'unknown_cat' (use names like unknown_ca)\n"},
	/* category: one of tf_names.h's TF_CATEGORIES, and required. */
	{"category-missing.ini", 1,
	 P "category-missing.ini:12: missing required key [scenario] category\n"},
	{"category-unknown.ini", 1,
	 P "category-unknown.ini:5: [scenario] category: bad value 'certificates' (one of: certificate, chain, revocation, protocol, cipher, key-exchange, extension, mtls, ftps, deployment)\n"},
	/* An indented line after a gap does not continue the text. */
	{"continuation-gap.ini", 1,
	 P "continuation-gap.ini:8: [scenario] description: duplicate key (first on line 6)\n"},
	{"cross-fault.ini", 2,
	 P "cross-fault.ini:15: [fault] kind = credential-unusable needs [server] cert\n"
	 P "cross-fault.ini:15: [server] client_auth needs client_ca\n"},
	{"cross-ftps.ini", 2,
	 P "cross-ftps.ini:16: [fault] kind = key-mismatch needs [fault] sign_key\n"
	 P "cross-ftps.ini:16: [ftp] user and password are required for ftps-* protocols\n"},
	{"cross-https.ini", 4,
	 P "cross-https.ini:19: [server] key is required unless [fault] kind = credential-unusable\n"
	 P "cross-https.ini:19: [fault] sign_key is only for kind = key-mismatch\n"
	 P "cross-https.ini:19: [server] client_ca/advertised_ca need client_auth = request|require\n"
	 P "cross-https.ini:19: [ftp] keys are only for ftps-* protocols\n"},
	{"duplicate-key.ini", 3,
	 P "duplicate-key.ini:6: [scenario] summary: duplicate key (first on line 3)\n"
	 P "duplicate-key.ini:8: [scenario] description: duplicate key (first on line 7)\n"
	 P "duplicate-key.ini:13: [server] port: duplicate key (first on line 12)\n"},
	{"ftp-on-https.ini", 1,
	 P "ftp-on-https.ini:15: [ftp] keys are only for ftps-* protocols\n"},
	{"long-line.ini", 2,
	 P "long-line.ini:12: line longer than 198 characters; continue a description on indented lines\n"
	 P "long-line.ini:13: [expect] alert: unknown alert 'nonsense' (use names like unknown_ca)\n"},
	{"long-value.ini", 2,
	 P "long-value.ini:2: [scenario] name: value too long\n"
	 P "long-value.ini:2: [scenario] name '' must equal the file name 'long-value'\n"},
	{"many.ini", 7,
	 P "many.ini:4: [scenario] summary: duplicate key (first on line 3)\n"
	 P "many.ini:8: [server] protocol: bad value 'gopher' (one of: https, ftps-explicit, ftps-implicit)\n"
	 P "many.ini:9: [server] port: port must be an integer 0-65535\n"
	 P "many.ini:10: unknown key [server] bogus\n"
	 P "many.ini:13: [expect] class: unknown failure class 'nope'\n"
	 P "many.ini:14: [expect] profile.x: unknown failure class 'nope'\n"
	 P "many.ini:14: missing required key [scenario] source\n"},
	{"missing-required.ini", 5,
	 P "missing-required.ini:2: missing required key [scenario] summary\n"
	 P "missing-required.ini:2: missing required key [scenario] source\n"
	 P "missing-required.ini:2: missing required key [scenario] category\n"
	 P "missing-required.ini:2: missing required key [server] protocol\n"
	 P "missing-required.ini:2: missing required key [expect] class\n"},
	{"name-mismatch.ini", 1,
	 P "name-mismatch.ini:2: [scenario] name 'something-else' must equal the file name 'name-mismatch'\n"},
	/* A NUL would cut the value (cert = "leaf") without a word. */
	{"nul-byte.ini", 1,
	 P "nul-byte.ini:13: NUL byte at column 12\n"},
	{"port-negative.ini", 1,
	 P "port-negative.ini:9: [server] port: port must be an integer 0-65535\n"},
	{"port-number.ini", 1,
	 P "port-number.ini:9: [server] port: port must be an integer 0-65535\n"},
	{"port-range.ini", 1,
	 P "port-range.ini:9: [server] port: port must be an integer 0-65535\n"},
	{"syntax.ini", 2,
	 P "syntax.ini:10: [server] port: port must be an integer 0-65535\n"
	 P "syntax.ini:9: syntax error (expected [section] or key = value)\n"},
	{"text-too-long.ini", 1,
	 P "text-too-long.ini:17: [scenario] description: text too long\n"},
	{"too-many-variants.ini", 1,
	 P "too-many-variants.ini:36: [expect]: too many variants (max 24)\n"},
	{"unknown-key.ini", 2,
	 P "unknown-key.ini:9: unknown key [server] prot\n"
	 P "unknown-key.ini:11: unknown key [scenario] nmae\n"},
	{"unknown-section.ini", 1,
	 P "unknown-section.ini:11: unknown key [servre] port\n"},
	/* A verify-none expectation without its insecure workaround in words;
	 * the secure workaround key does not stand in for it. */
	{"unlabelled-insecure.ini", 1,
	 P "unlabelled-insecure.ini:17: [expect] workaround.verify-none needs [scenario] workaround_insecure (the insecure workaround, in words)\n"},
	{"variants.ini", 5,
	 P "variants.ini:12: unknown key [expect] profile.\n"
	 P "variants.ini:13: [expect] client.java: unknown failure class 'bogus'\n"
	 P "variants.ini:15: [expect] workaround.x: duplicate key\n"
	 P "variants.ini:16: unknown key [expect] frob.x\n"
	 P "variants.ini:17: [expect] client.jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj: too long\n"},
	{"versions-empty.ini", 1,
	 P "versions-empty.ini:9: [server] versions: a contiguous list of tls1.0, tls1.1, tls1.2, tls1.3\n"},
};

static void test_bad_file(void **state)
{
	const struct bad_case *c = *state;
	char path[256], *text;
	static struct scenario s;
	int n;
	snprintf(path, sizeof(path), P "%s", c->file);
	assert_int_equal(load(path, &s, &text, &n), -1);
	assert_string_equal(text, c->text);
	assert_int_equal(n, c->n_errors);
	free(text);
}

static void test_missing_file(void **state)
{
	(void)state;
	char *text;
	static struct scenario s;
	int n;
	assert_int_equal(load(P "nonexistent.ini", &s, &text, &n), -1);
	assert_string_equal(text, P "nonexistent.ini:0: cannot open: No such file or directory\n");
	assert_int_equal(n, 1);
	free(text);
}

/* Loading the bad directory reports every file's errors in name order
 * and keeps none of them; this also fails if a bad fixture has no case. */
static void test_bad_dir(void **state)
{
	(void)state;
	static struct scenario_set set;
	char *text;
	size_t size, want_len = 0;
	FILE *err = open_memstream(&text, &size);
	assert_int_equal(scenario_load_dir(BAD_DIR, &set, err), -1);
	fclose(err);
	assert_int_equal(set.n, 0);
	for (size_t i = 0; i < N(bad_cases); i++)
		want_len += strlen(bad_cases[i].text);
	char *want = calloc(1, want_len + 1);
	for (size_t i = 0; i < N(bad_cases); i++)
		strcat(want, bad_cases[i].text);
	assert_string_equal(text, want);
	free(want);
	free(text);
}

/* ---- good files ---- */

static const struct scenario *load_good(const char *name)
{
	static struct scenario s;
	char path[256], *text;
	int n;
	snprintf(path, sizeof(path), GOOD "/%s.ini", name);
	int rc = load(path, &s, &text, &n);
	assert_string_equal(text, "");
	assert_int_equal(rc, 0);
	assert_int_equal(n, 0);
	free(text);
	assert_string_equal(s.name, name);
	assert_string_equal(s.file, path);
	return &s;
}

static void assert_variant(const struct scenario *s, int i, const char *key, const char *value)
{
	assert_true(i < s->n_variants);
	assert_string_equal(s->variants[i].key, key);
	assert_string_equal(s->variants[i].value, value);
}

static void test_https_valid(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-valid");
	assert_string_equal(s->summary, "Good chain from the suite's root CA (control)");
	assert_string_equal(s->source, "seed 001: the working case every scenario is compared with");
	/* A continued description keeps its line break, not the indent. */
	assert_string_equal(s->description,
			    "The control: a leaf for localhost/127.0.0.1/::1 issued by the suite's "
			    "intermediate CA, served with\nthe intermediate. Any client given the "
			    "suite's CA bundle must succeed.");
	assert_string_equal(s->try_cmd, "curl -sS --cacert {certs}/ca.pem https://localhost:{port}/");
	assert_int_equal(s->protocol, PROTO_HTTPS);
	assert_int_equal(s->port, 8443);
	assert_string_equal(s->cert, "leaf-valid.chain.pem");
	assert_string_equal(s->key, "leaf-valid.key");
	assert_int_equal(s->versions, V_TLS12 | V_TLS13); /* the default */
	assert_string_equal(s->ciphers, "");
	assert_int_equal(s->client_auth, CAUTH_NONE);
	assert_int_equal(s->fault, FAULT_NONE);
	assert_string_equal(s->expect_class, "ok");
	assert_string_equal(s->expect_alert, "none");
	assert_string_equal(s->expect_report,
			    "success: HTTP 200 when the client trusts build/certs/ca.pem");
	assert_int_equal(s->n_variants, 0);
}

static void test_https_no_binding(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-no-binding");
	assert_int_equal(s->fault, FAULT_NO_BINDING);
	assert_int_equal(s->port, 8451);
	assert_string_equal(s->cert, "");
	assert_string_equal(s->key, "");
	assert_string_equal(s->expect_class, "reset");
}

static void test_https_cert_without_key(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-cert-without-key");
	assert_int_equal(s->fault, FAULT_CREDENTIAL_UNUSABLE);
	assert_string_equal(s->cert, "leaf-valid.chain.pem");
	assert_string_equal(s->key, "");
	assert_string_equal(s->expect_alert, "none");
}

static void test_https_port_taken(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-port-taken");
	assert_int_equal(s->fault, FAULT_PLAINTEXT_SERVICE);
	assert_int_equal(s->port, 8450);
	assert_string_equal(s->expect_class, "not-tls");
}

static void test_https_split_intolerant(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-split-record-intolerant");
	assert_int_equal(s->fault, FAULT_SPLIT_INTOLERANT);
	assert_int_equal(s->versions, V_TLS10);
	assert_string_equal(s->ciphers, "AES128-SHA");
	assert_string_equal(s->expect_class, "incomplete-response");
	assert_int_equal(s->n_variants, 1);
	assert_variant(s, 0, "profile.no-split", "ok");
	/* Two continuation lines. */
	assert_non_null(strstr(s->description, "whole request;\na client"));
	assert_non_null(strstr(s->description, "connection is\nclosed without"));
}

static void test_https_key_mismatch(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-key-mismatch");
	assert_int_equal(s->fault, FAULT_KEY_MISMATCH);
	assert_string_equal(s->fault_key, "other-key.key");
	assert_string_equal(s->expect_class, "bad-signature");
	assert_string_equal(s->expect_alert, "decrypt_error");
}

static void test_https_tls10_only(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-tls10-only");
	assert_int_equal(s->versions, V_TLS10);
	assert_string_equal(s->ciphers, "AES128-SHA:DES-CBC3-SHA:ECDHE-RSA-AES128-SHA");
	assert_string_equal(s->expect_alert, "protocol_version");
	assert_variant(s, 0, "profile.legacy", "ok");
}

static void test_ftps_explicit(void **state)
{
	(void)state;
	const struct scenario *s = load_good("ftps-explicit-valid");
	assert_int_equal(s->protocol, PROTO_FTPS_EXPLICIT);
	assert_int_equal(s->port, 0);
	assert_int_equal(s->versions, V_TLS12);
	assert_string_equal(s->ftp_user, "tester");
	assert_string_equal(s->ftp_password, "secret");
	assert_int_equal(s->ftp_auth_tls, AUTHTLS_ACCEPT);
	assert_int_equal(s->ftp_require_tls, 1);
	assert_int_equal(s->ftp_data_reuse, 1);
	assert_string_equal(s->description, "AUTH TLS on the control channel; the data channel "
					    "must resume\nthe control session.");
	assert_int_equal(s->n_variants, 1);
	assert_variant(s, 0, "client.python", "incomplete-response");
}

static void test_ftps_implicit_mtls(void **state)
{
	(void)state;
	const struct scenario *s = load_good("ftps-implicit-mtls");
	assert_int_equal(s->protocol, PROTO_FTPS_IMPLICIT);
	assert_int_equal(s->port, 990);
	assert_int_equal(s->versions, V_TLS10 | V_TLS11 | V_TLS12 | V_TLS13);
	assert_int_equal(s->client_auth, CAUTH_REQUIRE);
	assert_string_equal(s->client_ca, "ca.pem");
	assert_string_equal(s->advertised_ca, "other-ca.pem");
	assert_string_equal(s->ftp_user, "anonymous");
	assert_int_equal(s->ftp_auth_tls, AUTHTLS_REFUSE);
	assert_int_equal(s->ftp_require_tls, 0);
	assert_int_equal(s->ftp_data_reuse, 0);
	assert_string_equal(s->description, "");
	assert_string_equal(s->expect_alert, "certificate_required");
	assert_int_equal(s->n_variants, 2);
	assert_variant(s, 0, "profile.with-cert", "ok");
	assert_variant(s, 1, "workaround.none", "cert-required");
}

/* category, cause, fix and the two workaround keys: read, continued,
 * and in `show --json`, the secure and the insecure workaround apart. */
static void test_https_self_signed_keys(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-self-signed");
	assert_int_equal(s->category, CAT_CERTIFICATE);
	assert_string_equal(s->cause, "The server presents a self-signed test certificate.");
	assert_string_equal(s->fix, "Install a certificate issued by a trusted CA.");
	assert_string_equal(s->workaround, "Trust that very certificate:\ncurl --cacert server.pem");
	assert_string_equal(s->workaround_insecure,
			    "Turn verification off (curl -k): the client can no longer tell this "
			    "server\nfrom an attacker's.");
	assert_variant(s, 0, "workaround.verify-none", "ok");
	assert_int_equal(s->variants[0].line, 22);
	static char buf[16384];
	struct json j;
	json_init(&j, buf, sizeof(buf));
	scenario_to_json(s, &j);
	assert_int_equal(j.truncated, 0);
	assert_non_null(strstr(buf, "\"source\":\"seed 001 scenario 2 (test certificate)\","
				    "\"category\":\"certificate\",\"description\":"));
	assert_non_null(strstr(buf, "\"cause\":\"The server presents a self-signed test "
				    "certificate.\",\"fix\":\"Install a certificate issued by a "
				    "trusted CA.\",\"workaround\":\"Trust that very certificate:"
				    "\\u000acurl --cacert server.pem\",\"workaround_insecure\":\"Turn "));
	/* A scenario without them shows them empty, never absent. */
	s = load_good("https-valid");
	json_init(&j, buf, sizeof(buf));
	scenario_to_json(s, &j);
	assert_non_null(strstr(buf, "\"cause\":\"\",\"fix\":\"\",\"workaround\":\"\","
				    "\"workaround_insecure\":\"\""));
}

static void test_good_dir(void **state)
{
	(void)state;
	static const char *const names[] = {
		"ftps-explicit-valid", "ftps-implicit-mtls", "https-cert-without-key",
		"https-key-mismatch", "https-no-binding", "https-port-taken",
		"https-self-signed", "https-split-record-intolerant", "https-tls10-only", "https-valid",
	};
	static struct scenario_set set;
	char *text;
	size_t size;
	FILE *err = open_memstream(&text, &size);
	assert_int_equal(scenario_load_dir(GOOD, &set, err), 0);
	fclose(err);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(set.n, N(names));
	for (size_t i = 0; i < N(names); i++) {
		assert_string_equal(set.items[i].name, names[i]);
		assert_ptr_equal(scenario_find(&set, names[i]), &set.items[i]);
	}
	assert_null(scenario_find(&set, "https-nope"));
}

/* `show --json`: the harness's only view of a scenario. */
static void test_to_json(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-split-record-intolerant");
	static char buf[16384];
	struct json j;
	json_init(&j, buf, sizeof(buf));
	scenario_to_json(s, &j);
	assert_int_equal(j.truncated, 0);
	assert_non_null(strstr(buf, "{\"file\":\"" GOOD "/https-split-record-intolerant.ini\","
				    "\"scenario\":{\"name\":\"https-split-record-intolerant\","));
	assert_non_null(strstr(buf, "\"server\":{\"protocol\":\"https\",\"port\":8453,"
				    "\"cert\":\"leaf-valid.chain.pem\",\"key\":\"leaf-valid.key\","
				    "\"versions\":\"tls1.0\",\"ciphers\":\"AES128-SHA\","
				    "\"client_auth\":\"none\","));
	assert_non_null(strstr(buf, "\"fault\":{\"kind\":\"split-intolerant\",\"sign_key\":\"\"}"));
	assert_non_null(strstr(buf, "\"require_tls\":false,"));
	assert_non_null(strstr(buf, "\"variants\":{\"profile.no-split\":\"ok\"}}}"));
	assert_int_equal(buf[j.len - 1], '}');
}

static void test_names(void **state)
{
	(void)state;
	char v[64];
	assert_string_equal(scenario_protocol_name(PROTO_FTPS_IMPLICIT), "ftps-implicit");
	assert_string_equal(scenario_fault_name(FAULT_KEY_MISMATCH), "key-mismatch");
	assert_string_equal(scenario_client_auth_name(CAUTH_REQUEST), "request");
	assert_string_equal(scenario_category_name(CAT_CERTIFICATE), "certificate");
	assert_string_equal(scenario_category_name(CAT_KEY_EXCHANGE), "key-exchange");
	assert_string_equal(scenario_category_name(CAT_DEPLOYMENT), "deployment");
	/* SSL 3.0 is a wire-only row of TF_TLS_VERSIONS: never a config name. */
	scenario_versions_str(V_SSL30 | V_TLS10, v, sizeof(v));
	assert_string_equal(v, "tls1.0");
	assert_int_equal(V_TLS11, V_TLS10 << 1);
	assert_int_equal(V_TLS13, V_TLS12 << 1);
	scenario_versions_str(V_TLS12 | V_TLS13, v, sizeof(v));
	assert_string_equal(v, "tls1.2,tls1.3");
	scenario_versions_str(V_TLS10 | V_TLS11 | V_TLS12 | V_TLS13, v, 12);
	assert_string_equal(v, "tls1.0,tls1"); /* bounded by cap */
	assert_true(scenario_is_class("hostname-mismatch"));
	assert_false(scenario_is_class("Hostname-mismatch"));
	assert_false(scenario_is_class(""));
}

/* Files a scenario names are checked in the certs dir, as tlsctx.c opens
 * them, each error at the line of its key. */
static void test_check_files(void **state)
{
	(void)state;
	const struct scenario *s = load_good("https-valid");
	char dir[] = "/tmp/tlsfault-unit-XXXXXX", path[128], *text;
	size_t size;
	assert_non_null(mkdtemp(dir));
	FILE *err = open_memstream(&text, &size);
	assert_int_equal(scenario_check_files(s, dir, err, "", SCN_KEYS_MAX), 2);
	fclose(err);
	char want[1024];
	snprintf(want, sizeof(want),
		 GOOD "/https-valid.ini:13: [server] cert: %s/leaf-valid.chain.pem: cannot read: "
		      "No such file or directory\n"
		 GOOD "/https-valid.ini:14: [server] key: %s/leaf-valid.key: cannot read: "
		      "No such file or directory\n", dir, dir);
	assert_string_equal(text, want);
	free(text);
	/* At most max_errors, with the caller's prefix; a directory is not a file. */
	snprintf(path, sizeof(path), "%s/leaf-valid.chain.pem", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	err = open_memstream(&text, &size);
	assert_int_equal(scenario_check_files(s, dir, err, "tlsfault: ", 1), 1);
	fclose(err);
	snprintf(want, sizeof(want), "tlsfault: " GOOD "/https-valid.ini:13: [server] cert: "
		 "%s/leaf-valid.chain.pem: cannot read: not a regular file\n", dir);
	assert_string_equal(text, want);
	free(text);
	assert_int_equal(rmdir(path), 0);
	/* Both present: nothing to say. */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, i ? "leaf-valid.key" : "leaf-valid.chain.pem");
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
	err = open_memstream(&text, &size);
	assert_int_equal(scenario_check_files(s, dir, err, "", SCN_KEYS_MAX), 0);
	fclose(err);
	assert_string_equal(text, "");
	free(text);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, i ? "leaf-valid.key" : "leaf-valid.chain.pem");
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_dir),
		cmocka_unit_test(test_https_valid),
		cmocka_unit_test(test_https_no_binding),
		cmocka_unit_test(test_https_cert_without_key),
		cmocka_unit_test(test_https_port_taken),
		cmocka_unit_test(test_https_split_intolerant),
		cmocka_unit_test(test_https_key_mismatch),
		cmocka_unit_test(test_https_tls10_only),
		cmocka_unit_test(test_ftps_explicit),
		cmocka_unit_test(test_ftps_implicit_mtls),
		cmocka_unit_test(test_https_self_signed_keys),
		cmocka_unit_test(test_good_dir),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_files),
	};
	/* One named test per bad file, so a failure says which file. */
	static struct CMUnitTest tests[N(fixed) + N(bad_cases)];
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < N(bad_cases); i++) {
		struct CMUnitTest *t = &tests[N(fixed) + i];
		t->name = bad_cases[i].file;
		t->test_func = test_bad_file;
		t->initial_state = (void *)&bad_cases[i];
	}
	return _cmocka_run_group_tests("test_scenario", tests, N(tests), NULL, NULL);
}
