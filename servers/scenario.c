/* scenario — see scenario.h. */
#include "scenario.h"
#include "textval.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini_file.h"
#include "json.h"
#include "sniff.h"

enum key_type { T_STR, T_TEXT, T_PORT, T_PATH, T_ENUM, T_VERSIONS, T_BOOL, T_CLASS, T_ALERT };

static const char *const protocol_names[] = {TF_PROTOCOLS(TF_ENUM_NAME) NULL};
static const char *const client_auth_names[] = {TF_CLIENT_AUTHS(TF_ENUM_NAME) NULL};
static const char *const fault_names[] = {TF_FAULTS(TF_ENUM_NAME) NULL};
static const char *const auth_tls_names[] = {TF_AUTH_TLS(TF_ENUM_NAME) NULL};
static const char *const category_names[] = {TF_CATEGORIES(TF_ENUM_NAME) NULL};

const char *const scenario_classes[] = {TF_CLASSES(TF_ENUM_NAME) NULL};

struct key_row {
	const char *section, *key;
	enum key_type type;
	size_t offset, size;
	const char *const *names;
	const char *help;
};

#define SCN_KEY(sec, k, t, field, nm, h) \
	{#sec, #k, t, offsetof(struct scenario, field), sizeof(((struct scenario *)0)->field), nm, h},
static const struct key_row key_rows[] = {
#include "scenario_keys.h"
};
#undef SCN_KEY
#define N_ROWS (sizeof(key_rows) / sizeof(key_rows[0]))
_Static_assert(N_ROWS <= SCN_KEYS_MAX, "raise SCN_KEYS_MAX in scenario.h");

/* Config names of TF_TLS_VERSIONS by bit index; NULL: not selectable. */
#define TF_VERSION_CONFIG(id, config, ...) config,
static const char *const version_names[VI_COUNT] = {TF_TLS_VERSIONS(TF_VERSION_CONFIG)};

struct loader {
	struct scenario *s;
	const char *path;
	FILE *err;
	struct ini_file ini; /* its line: where inih is */
	int n_errors;
	int last_row, last_line; /* for multi-line T_TEXT continuation */
};

static void report(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(ld->err, "%s:%d: ", ld->path, line);
	vfprintf(ld->err, fmt, ap);
	fputc('\n', ld->err);
	va_end(ap);
	ld->n_errors++;
}

static void list_names(const char *const *names, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; names[i]; i++) {
		strncat(buf, i ? ", " : "", cap - strlen(buf) - 1);
		strncat(buf, names[i], cap - strlen(buf) - 1);
	}
}

int scenario_is_class(const char *s)
{
	int i;
	return textval_enum(scenario_classes, s, &i) == 0;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int parse_versions(const char *v, int *out)
{
	char tmp[128];
	if (copy_str(tmp, sizeof(tmp), v) != 0)
		return -1;
	int bits = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		int i = 0;
		while (i < VI_COUNT && !(version_names[i] && !strcmp(version_names[i], tok)))
			i++;
		if (i == VI_COUNT)
			return -1;
		bits |= 1 << i;
	}
	/* Contiguous only: wolfSSL takes a min and a max version. */
	int low = bits & -bits;
	if (bits == 0 || ((bits / low) & ((bits / low) + 1)) != 0)
		return -1;
	*out = bits;
	return 0;
}

static int is_alert_name(const char *v)
{
	if (!strcmp(v, "none"))
		return 1;
	for (int c = 0; c < 256; c++) {
		const char *n = sniff_alert_name(c);
		if (n && !strcmp(n, v))
			return 1;
	}
	return 0;
}

/* Store one value by its row type; returns an error message or NULL. */
static const char *store(struct loader *ld, const struct key_row *r, const char *v,
			 int continuation)
{
	char *field = (char *)ld->s + r->offset;
	int *ifield = (int *)field;
	static char msg[256];
	switch (r->type) {
	case T_TEXT:
		if (continuation) {
			size_t used = strlen(field);
			if (used + 1 + strlen(v) >= r->size)
				return "text too long";
			field[used] = '\n';
			strcpy(field + used + 1, v);
			return NULL;
		}
		/* fall through */
	case T_STR:
		return copy_str(field, r->size, v) ? "value too long" : NULL;
	case T_PATH:
		if (v[0] == '/' || strstr(v, ".."))
			return "path must be relative to the certs dir, without '..'";
		return copy_str(field, r->size, v) ? "value too long" : NULL;
	case T_PORT:
		return textval_int(v, 0, 65535, ifield) ? "port must be an integer 0-65535" : NULL;
	case T_BOOL:
		return textval_bool(v, ifield) ? "expected yes or no" : NULL;
	case T_VERSIONS:
		return parse_versions(v, ifield)
			       ? "a contiguous list of tls1.0, tls1.1, tls1.2, tls1.3"
			       : NULL;
	case T_ENUM:
		if (textval_enum(r->names, v, ifield)) {
			char all[200];
			list_names(r->names, all, sizeof(all));
			snprintf(msg, sizeof(msg), "bad value '%.60s' (one of: %s)", v, all);
			return msg;
		}
		return NULL;
	case T_CLASS:
		if (!scenario_is_class(v)) {
			snprintf(msg, sizeof(msg), "unknown failure class '%.60s'", v);
			return msg;
		}
		return copy_str(field, r->size, v) ? "value too long" : NULL;
	case T_ALERT:
		if (!is_alert_name(v)) {
			snprintf(msg, sizeof(msg), "unknown alert '%.60s' (use names like unknown_ca)", v);
			return msg;
		}
		return copy_str(field, r->size, v) ? "value too long" : NULL;
	}
	return "internal: bad key type";
}

/* [expect] profile.NAME / client.NAME / trait.NAME / workaround.NAME = class
 * (trait names are the harness's vocabulary: harness/tlsfault_harness/clients/base.py) */
static int store_variant(struct loader *ld, const char *key, const char *v)
{
	static const char *const prefixes[] = {"profile.", "client.", "trait.", "workaround.", NULL};
	int ok = 0;
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(key, prefixes[i], strlen(prefixes[i])) && key[strlen(prefixes[i])])
			ok = 1;
	if (!ok)
		return 0;
	if (!scenario_is_class(v)) {
		report(ld, ld->ini.line, "[expect] %s: unknown failure class '%.60s'", key, v);
		return 1;
	}
	for (int i = 0; i < ld->s->n_variants; i++)
		if (!strcmp(ld->s->variants[i].key, key)) {
			report(ld, ld->ini.line, "[expect] %s: duplicate key", key);
			return 1;
		}
	if (ld->s->n_variants == SCN_MAX_VARIANTS) {
		report(ld, ld->ini.line, "[expect]: too many variants (max %d)", SCN_MAX_VARIANTS);
		return 1;
	}
	struct scn_variant *var = &ld->s->variants[ld->s->n_variants];
	if (copy_str(var->key, sizeof(var->key), key) || copy_str(var->value, sizeof(var->value), v)) {
		report(ld, ld->ini.line, "[expect] %s: too long", key);
		return 1;
	}
	var->line = ld->ini.line;
	ld->s->n_variants++;
	return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct loader *ld = user;
	for (size_t i = 0; i < N_ROWS; i++) {
		const struct key_row *r = &key_rows[i];
		if (strcmp(r->section, section) || strcmp(r->key, key))
			continue;
		/* Only an indented line continues: "key = a" twice in a row is
		 * a duplicate, not one value on two lines. */
		int continuation = r->type == T_TEXT && ld->ini.indented &&
				   ld->last_row == (int)i && ld->last_line == ld->ini.line - 1;
		if (ld->s->key_line[i] && !continuation) {
			report(ld, ld->ini.line, "[%s] %s: duplicate key (first on line %d)", section,
			       key, ld->s->key_line[i]);
			return 1;
		}
		const char *why = store(ld, r, value, continuation);
		if (why)
			report(ld, ld->ini.line, "[%s] %s: %s", section, key, why);
		if (!continuation)
			ld->s->key_line[i] = ld->ini.line;
		ld->last_row = (int)i;
		ld->last_line = ld->ini.line;
		return 1;
	}
	if (!strcmp(section, "expect") && store_variant(ld, key, value))
		return 1;
	report(ld, ld->ini.line, "unknown key [%s] %s", section, key);
	return 1; /* keep going: report every error in one run */
}

static void on_reader_error(void *user, int line, const char *msg)
{
	report(user, line, "%s", msg);
}

static int row_index(const char *section, const char *key)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (!strcmp(key_rows[i].section, section) && !strcmp(key_rows[i].key, key))
			return (int)i;
	return -1;
}

static int seen(const struct loader *ld, const char *section, const char *key)
{
	return ld->s->key_line[row_index(section, key)] != 0;
}

static int seen_section(const struct loader *ld, const char *section)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (ld->s->key_line[i] && !strcmp(key_rows[i].section, section))
			return 1;
	return 0;
}

static const char *file_base(const char *path, char *buf, size_t cap)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	snprintf(buf, cap, "%s", b);
	char *dot = strrchr(buf, '.');
	if (dot && !strcmp(dot, ".ini"))
		*dot = '\0';
	return buf;
}

/* Checks across keys, reported at line 0 of the file's end. */
static void validate(struct loader *ld)
{
	struct scenario *s = ld->s;
	static const struct {
		const char *section, *key;
	} required[] = {
		{"scenario", "name"}, {"scenario", "summary"}, {"scenario", "source"},
		{"scenario", "category"}, {"server", "protocol"}, {"expect", "class"},
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!seen(ld, required[i].section, required[i].key))
			report(ld, ld->ini.line, "missing required key [%s] %s", required[i].section,
			       required[i].key);
	char base[SCN_NAME_MAX + 8];
	if (seen(ld, "scenario", "name") && strcmp(s->name, file_base(ld->path, base, sizeof(base))))
		report(ld, s->key_line[row_index("scenario", "name")],
		       "[scenario] name '%s' must equal the file name '%s'", s->name, base);
	/* No cert at all is a legal scenario (seed 000: "no certificate set"). */
	if (s->cert[0] && !s->key[0] && s->fault != FAULT_CREDENTIAL_UNUSABLE)
		report(ld, ld->ini.line, "[server] key is required unless [fault] kind = credential-unusable");
	if (s->fault == FAULT_CREDENTIAL_UNUSABLE && !s->cert[0])
		report(ld, ld->ini.line, "[fault] kind = credential-unusable needs [server] cert");
	if (s->fault == FAULT_KEY_MISMATCH && !s->fault_key[0])
		report(ld, ld->ini.line, "[fault] kind = key-mismatch needs [fault] sign_key");
	if (s->fault != FAULT_KEY_MISMATCH && s->fault_key[0])
		report(ld, ld->ini.line, "[fault] sign_key is only for kind = key-mismatch");
	if (s->client_auth == CAUTH_NONE && (s->client_ca[0] || s->advertised_ca[0]))
		report(ld, ld->ini.line, "[server] client_ca/advertised_ca need client_auth = request|require");
	if (s->client_auth != CAUTH_NONE && !s->client_ca[0])
		report(ld, ld->ini.line, "[server] client_auth needs client_ca");
	/* An expectation that the client connects with verification off is a
	 * workaround; it must be labelled as the insecure one it is. */
	for (int i = 0; i < s->n_variants; i++)
		if (!strcmp(s->variants[i].key, "workaround.verify-none") &&
		    !s->workaround_insecure[0])
			report(ld, s->variants[i].line, "[expect] workaround.verify-none needs [scenario] "
						 "workaround_insecure (the insecure workaround, in words)");
	int is_ftp = s->protocol != PROTO_HTTPS;
	if (!is_ftp && seen_section(ld, "ftp"))
		report(ld, ld->ini.line, "[ftp] keys are only for ftps-* protocols");
	if (is_ftp && (!s->ftp_user[0] || !s->ftp_password[0]))
		report(ld, ld->ini.line, "[ftp] user and password are required for ftps-* protocols");
}

static void set_defaults(struct scenario *s)
{
	memset(s, 0, sizeof(*s));
	s->versions = V_TLS12 | V_TLS13;
	snprintf(s->expect_alert, sizeof(s->expect_alert), "none");
}

int scenario_load_file(const char *path, struct scenario *s, FILE *err, int *n_errors)
{
	struct loader ld = {.s = s, .path = path, .err = err, .last_row = -1};
	set_defaults(s);
	snprintf(s->file, sizeof(s->file), "%s", path);
	ld.ini.long_line_hint = "continue a description on indented lines";
	int rc = ini_file_parse(&ld.ini, path, on_key, on_reader_error, &ld);
	if (rc == -1) {
		fprintf(err, "%s:0: cannot open: %s\n", path, strerror(errno));
		*n_errors = 1;
		return -1;
	}
	if (rc > 0)
		report(&ld, rc, "syntax error (expected [section] or key = value)");
	else if (rc < 0)
		report(&ld, 0, "parser error %d", rc);
	validate(&ld);
	*n_errors = ld.n_errors;
	return ld.n_errors ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int scenario_load_dir(const char *dir, struct scenario_set *set, FILE *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(err, "%s: cannot open scenario directory: %s\n", dir, strerror(errno));
		return -1;
	}
	char *names[SCN_MAX + 1];
	int n = 0, failed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".ini"))
			continue;
		if (n == SCN_MAX) {
			fprintf(err, "%s: too many scenarios (max %d)\n", dir, SCN_MAX);
			failed = 1;
			break;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	set->n = 0;
	for (int i = 0; i < n; i++) {
		char path[SCN_PATH_MAX * 2];
		int errs = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (scenario_load_file(path, &set->items[set->n], err, &errs) == 0)
			set->n++;
		else
			failed = 1;
		free(names[i]);
	}
	if (!failed && set->n == 0) {
		fprintf(err, "%s: no scenario files (*.ini)\n", dir);
		failed = 1;
	}
	return failed ? -1 : 0;
}

int scenario_check_files(const struct scenario *s, const char *certs_dir, FILE *err,
			 const char *prefix, int max_errors)
{
	int found = 0;
	for (size_t i = 0; i < N_ROWS && found < max_errors; i++) {
		const struct key_row *r = &key_rows[i];
		const char *v = (const char *)s + r->offset;
		if (r->type != T_PATH || !v[0])
			continue;
		/* advertised_ca = none: an empty CA-name list, no file (tlsctx.c) */
		if (v == s->advertised_ca && !strcmp(v, "none"))
			continue;
		char path[SCN_PATH_MAX * 2];
		snprintf(path, sizeof(path), "%s/%s", certs_dir, v); /* as tlsctx.c's path_in */
		const char *why = NULL;
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			why = strerror(errno);
		else if (fstat(fd, &st) != 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		if (fd >= 0)
			close(fd);
		if (!why)
			continue;
		fprintf(err, "%s%s:%d: [%s] %s: %s: cannot read: %s\n", prefix, s->file,
			s->key_line[i], r->section, r->key, path, why);
		found++;
	}
	return found;
}

const struct scenario *scenario_find(const struct scenario_set *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->items[i].name, name))
			return &set->items[i];
	return NULL;
}

const char *scenario_protocol_name(int v) { return protocol_names[v]; }
const char *scenario_fault_name(int v) { return fault_names[v]; }
const char *scenario_client_auth_name(int v) { return client_auth_names[v]; }
const char *scenario_category_name(int v)
{
	return v >= 0 && v < (int)(sizeof(category_names) / sizeof(category_names[0])) ? category_names[v]
										      : NULL;
}

void scenario_versions_str(int versions, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < VI_COUNT; i++)
		if (versions & (1 << i) && version_names[i]) {
			strncat(buf, buf[0] ? "," : "", cap - strlen(buf) - 1);
			strncat(buf, version_names[i], cap - strlen(buf) - 1);
		}
}

void scenario_to_json(const struct scenario *s, struct json *j)
{
	const char *section = NULL;
	json_obj_open(j);
	json_kstr(j, "file", s->file);
	for (size_t i = 0; i < N_ROWS; i++) {
		const struct key_row *r = &key_rows[i];
		if (!section || strcmp(section, r->section)) {
			if (section)
				json_obj_close(j);
			section = r->section;
			json_key(j, section);
			json_obj_open(j);
		}
		const char *field = (const char *)s + r->offset;
		int iv = *(const int *)field;
		json_key(j, r->key);
		if (r->type == T_ENUM) {
			json_str(j, r->names[iv]);
		} else if (r->type == T_PORT) {
			json_int(j, iv);
		} else if (r->type == T_BOOL) {
			json_bool(j, iv);
		} else if (r->type == T_VERSIONS) {
			char v[64];
			scenario_versions_str(iv, v, sizeof(v));
			json_str(j, v);
		} else {
			json_str(j, field);
		}
	}
	/* Variants belong to [expect], the last section of the table. */
	json_key(j, "variants");
	json_obj_open(j);
	for (int i = 0; i < s->n_variants; i++)
		json_kstr(j, s->variants[i].key, s->variants[i].value);
	json_obj_close(j);
	json_obj_close(j);
	json_obj_close(j);
}
