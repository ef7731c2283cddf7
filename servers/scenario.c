/* scenario — see scenario.h. */
#include "scenario.h"
#include "textval.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "sniff.h"

enum key_type { T_STR, T_TEXT, T_PORT, T_PATH, T_ENUM, T_VERSIONS, T_BOOL, T_CLASS, T_ALERT };

static const char *const protocol_names[] = {"https", "ftps-explicit", "ftps-implicit", NULL};
static const char *const client_auth_names[] = {"none", "request", "require", NULL};
static const char *const fault_names[] = {"none", "no-binding", "credential-unusable",
					  "plaintext-service", "split-intolerant",
					  "key-mismatch", "truncated-response", NULL};
static const char *const auth_tls_names[] = {"accept", "refuse", NULL};

const char *const scenario_classes[] = {
	"ok", "untrusted-issuer", "untrusted-root", "self-signed", "hostname-mismatch", "expired",
	"not-yet-valid", "bad-purpose", "bad-signature", "no-shared-cipher",
	"protocol-version", "not-tls", "reset", "handshake-failure",
	"peer-rejected-cert", "cert-required", "tls-required", "auth-tls-refused",
	"incomplete-response", "timeout", "session-reuse-required", "refused", NULL,
};

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

static const char *const version_names[] = {"tls1.0", "tls1.1", "tls1.2", "tls1.3", NULL};

struct loader {
	struct scenario *s;
	const char *path;
	FILE *in, *err;
	int line, n_errors;
	int last_row, last_line; /* for multi-line T_TEXT continuation */
	int indented;		 /* current line starts with blank: inih continuation */
	unsigned char seen[N_ROWS];
	int seen_line[N_ROWS];
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

static int enum_index(const char *const *names, const char *v)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
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
	return enum_index(scenario_classes, s) >= 0;
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
		int i = enum_index(version_names, tok);
		if (i < 0)
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
	case T_ENUM: {
		int i = enum_index(r->names, v);
		if (i < 0) {
			char all[200];
			list_names(r->names, all, sizeof(all));
			snprintf(msg, sizeof(msg), "bad value '%.60s' (one of: %s)", v, all);
			return msg;
		}
		*ifield = i;
		return NULL;
	}
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

/* [expect] profile.NAME / client.NAME / workaround.NAME = class */
static int store_variant(struct loader *ld, const char *key, const char *v)
{
	static const char *const prefixes[] = {"profile.", "client.", "workaround.", NULL};
	int ok = 0;
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(key, prefixes[i], strlen(prefixes[i])) && key[strlen(prefixes[i])])
			ok = 1;
	if (!ok)
		return 0;
	if (!scenario_is_class(v)) {
		report(ld, ld->line, "[expect] %s: unknown failure class '%.60s'", key, v);
		return 1;
	}
	for (int i = 0; i < ld->s->n_variants; i++)
		if (!strcmp(ld->s->variants[i].key, key)) {
			report(ld, ld->line, "[expect] %s: duplicate key", key);
			return 1;
		}
	if (ld->s->n_variants == SCN_MAX_VARIANTS) {
		report(ld, ld->line, "[expect]: too many variants (max %d)", SCN_MAX_VARIANTS);
		return 1;
	}
	struct scn_variant *var = &ld->s->variants[ld->s->n_variants];
	if (copy_str(var->key, sizeof(var->key), key) || copy_str(var->value, sizeof(var->value), v)) {
		report(ld, ld->line, "[expect] %s: too long", key);
		return 1;
	}
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
		int continuation = r->type == T_TEXT && ld->indented &&
				   ld->last_row == (int)i && ld->last_line == ld->line - 1;
		if (ld->seen[i] && !continuation) {
			report(ld, ld->line, "[%s] %s: duplicate key (first on line %d)", section,
			       key, ld->seen_line[i]);
			return 1;
		}
		const char *why = store(ld, r, value, continuation);
		if (why)
			report(ld, ld->line, "[%s] %s: %s", section, key, why);
		ld->seen[i] = 1;
		if (!continuation)
			ld->seen_line[i] = ld->s->key_line[i] = ld->line;
		ld->last_row = (int)i;
		ld->last_line = ld->line;
		return 1;
	}
	if (!strcmp(section, "expect") && store_variant(ld, key, value))
		return 1;
	report(ld, ld->line, "unknown key [%s] %s", section, key);
	return 1; /* keep going: report every error in one run */
}

/* inih passes no line number to the handler (Debian builds it without
 * INI_HANDLER_LINENO), so the reader counts the lines it hands out. It
 * also refuses lines longer than inih's fixed buffer instead of letting
 * inih split them silently, and lines with a NUL byte, which fgets and
 * every string function after it would silently cut. */
static char *counting_reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	int len = 0, c = EOF, nul_at = 0;
	while (len < num - 1 && (c = getc(ld->in)) != EOF) {
		if (c == '\0' && !nul_at)
			nul_at = len + 1;
		str[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (len == 0)
		return NULL;
	str[len] = '\0';
	ld->line++;
	ld->indented = str[0] == ' ' || str[0] == '\t';
	if (len == num - 1 && c != '\n' && (c = getc(ld->in)) != EOF) {
		while (c != EOF && c != '\n')
			c = getc(ld->in);
		report(ld, ld->line, "line longer than %d characters; continue a description "
				     "on indented lines",
		       num - 2);
	}
	if (nul_at) {
		report(ld, ld->line, "NUL byte at column %d", nul_at);
		/* The file is refused anyway; hand inih an empty line so the
		 * cut value causes no second, misleading error. */
		str[0] = '\n';
		str[1] = '\0';
	}
	return str;
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
	return ld->seen[row_index(section, key)];
}

static int seen_section(const struct loader *ld, const char *section)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (ld->seen[i] && !strcmp(key_rows[i].section, section))
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
		{"server", "protocol"}, {"expect", "class"},
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!seen(ld, required[i].section, required[i].key))
			report(ld, ld->line, "missing required key [%s] %s", required[i].section,
			       required[i].key);
	char base[SCN_NAME_MAX + 8];
	if (seen(ld, "scenario", "name") && strcmp(s->name, file_base(ld->path, base, sizeof(base))))
		report(ld, ld->seen_line[row_index("scenario", "name")],
		       "[scenario] name '%s' must equal the file name '%s'", s->name, base);
	/* No cert at all is a legal scenario (seed 000: "no certificate set"). */
	if (s->cert[0] && !s->key[0] && s->fault != FAULT_CREDENTIAL_UNUSABLE)
		report(ld, ld->line, "[server] key is required unless [fault] kind = credential-unusable");
	if (s->fault == FAULT_CREDENTIAL_UNUSABLE && !s->cert[0])
		report(ld, ld->line, "[fault] kind = credential-unusable needs [server] cert");
	if (s->fault == FAULT_KEY_MISMATCH && !s->fault_key[0])
		report(ld, ld->line, "[fault] kind = key-mismatch needs [fault] sign_key");
	if (s->fault != FAULT_KEY_MISMATCH && s->fault_key[0])
		report(ld, ld->line, "[fault] sign_key is only for kind = key-mismatch");
	if (s->client_auth == CAUTH_NONE && (s->client_ca[0] || s->advertised_ca[0]))
		report(ld, ld->line, "[server] client_ca/advertised_ca need client_auth = request|require");
	if (s->client_auth != CAUTH_NONE && !s->client_ca[0])
		report(ld, ld->line, "[server] client_auth needs client_ca");
	int is_ftp = s->protocol != PROTO_HTTPS;
	if (!is_ftp && seen_section(ld, "ftp"))
		report(ld, ld->line, "[ftp] keys are only for ftps-* protocols");
	if (is_ftp && (!s->ftp_user[0] || !s->ftp_password[0]))
		report(ld, ld->line, "[ftp] user and password are required for ftps-* protocols");
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
	ld.in = fopen(path, "r");
	if (!ld.in) {
		fprintf(err, "%s:0: cannot open: %s\n", path, strerror(errno));
		*n_errors = 1;
		return -1;
	}
	int rc = ini_parse_stream(counting_reader, &ld, on_key, &ld);
	fclose(ld.in);
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

void scenario_versions_str(int versions, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; version_names[i]; i++)
		if (versions & (1 << i)) {
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
