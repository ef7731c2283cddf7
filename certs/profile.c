/* profile — parse certs/profiles.ini with libinih and check it whole:
 * unknown keys, bad values and forward issuer references are errors. */
#include "profile.h"
#include "ini_file.h"
#include "textval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse_state {
	const char *path;
	struct profile_set *set;
	int errors;
	int line; /* where an error is reported: inih's line, or a section's */
	struct ini_file ini;
};

static void perr(struct parse_state *st, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s:%d: ", st->path, st->line);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	st->errors++;
}

static int copy_text(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	strcpy(dst, v);
	return 0;
}

static struct profile *new_profile(struct parse_state *st, const char *section)
{
	struct profile_set *set = st->set;
	if (profiles_find(set, section)) {
		perr(st, "duplicate profile [%s]%s", section, "");
		return NULL;
	}
	if (set->n == PROF_MAX) {
		perr(st, "too many profiles at [%s]%s", section, "");
		return NULL;
	}
	struct profile *p = &set->items[set->n++];
	memset(p, 0, sizeof(*p));
	if (copy_text(p->name, sizeof(p->name), section))
		perr(st, "profile name too long: [%s]%s", section, "");
	p->kind = PK_LEAF;
	strcpy(p->issuer, "self");
	p->not_before_days = -1;
	p->not_after_days = 825;
	p->path_len = -1;
	p->line = st->line;
	return p;
}

static const char *const kind_names[] = {PROF_KINDS(TF_ENUM_NAME) NULL};
static const char *const key_type_names[] = {PROF_KEY_TYPES(TF_ENUM_NAME) NULL};
static const char *const hash_names[] = {PROF_HASHES(TF_ENUM_NAME) NULL};

/* One key=value; returns -1 for a bad value, -2 for an unknown key. */
static int set_key(struct profile *p, const char *k, const char *v)
{
	if (!strcmp(k, "kind"))
		return textval_enum(kind_names, v, &p->kind);
	if (!strcmp(k, "key"))
		return textval_enum(key_type_names, v, &p->key_type);
	if (!strcmp(k, "hash"))
		return textval_enum(hash_names, v, &p->hash);
	if (!strcmp(k, "subject"))
		return copy_text(p->subject_cn, sizeof(p->subject_cn), v);
	if (!strcmp(k, "issuer"))
		return copy_text(p->issuer, sizeof(p->issuer), v);
	if (!strcmp(k, "not_before_days"))
		return textval_int(v, -36500, 36500, &p->not_before_days);
	if (!strcmp(k, "not_after_days"))
		return textval_int(v, -36500, 36500, &p->not_after_days);
	if (!strcmp(k, "san"))
		return copy_text(p->san, sizeof(p->san), v);
	if (!strcmp(k, "eku"))
		return copy_text(p->eku, sizeof(p->eku), v);
	if (!strcmp(k, "path_len"))
		return textval_int(v, -1, 8, &p->path_len);
	if (!strcmp(k, "corrupt_key"))
		return textval_bool(v, &p->corrupt_key);
	if (!strcmp(k, "p12"))
		return textval_bool(v, &p->p12);
	if (!strcmp(k, "chain_root"))
		return textval_bool(v, &p->chain_root);
	return -2;
}

/* Debian's libinih is built without INI_CALL_HANDLER_ON_NEW_SECTION, so a
 * profile starts at the first key of a section we have not seen yet. */
static int on_pair(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;
	struct profile_set *set = st->set;
	st->line = st->ini.line;
	struct profile *p = set->n ? &set->items[set->n - 1] : NULL;
	if (!section[0]) {
		perr(st, "key '%s' outside a profile section%s", key, "");
		return 1;
	}
	if (!p || strcmp(p->name, section)) {
		p = new_profile(st, section);
		if (!p)
			return 1;
	}
	int rc = set_key(p, key, value);
	if (rc == -2)
		perr(st, "unknown key '%s' in [%s]", key, section);
	else if (rc)
		perr(st, "bad value for '%s': '%s'", key, value);
	return 1;
}

static void on_reader_error(void *user, int line, const char *msg)
{
	struct parse_state *st = user;
	st->line = line;
	perr(st, "%s%s", msg, "");
}

static void check_profile(struct parse_state *st, const struct profile *p, int index)
{
	st->line = p->line;
	if (p->kind != PK_KEY_ONLY && !p->subject_cn[0])
		perr(st, "[%s] needs a subject%s", p->name, "");
	if (p->not_after_days <= p->not_before_days)
		perr(st, "[%s] not_after_days must be after not_before_days%s", p->name, "");
	if (p->kind == PK_CA && p->eku[0])
		perr(st, "[%s] a CA takes no eku%s", p->name, "");
	if (strcmp(p->issuer, "self")) {
		const struct profile *iss = profiles_find(st->set, p->issuer);
		if (!iss || iss >= &st->set->items[index])
			perr(st, "[%s] issuer '%s' is not an earlier profile", p->name, p->issuer);
		else if (iss->kind != PK_CA)
			perr(st, "[%s] issuer '%s' is not a CA", p->name, p->issuer);
	}
}

int profiles_load(const char *path, struct profile_set *set)
{
	struct parse_state st = {.path = path, .set = set};
	set->n = 0;
	int rc = ini_file_parse(&st.ini, path, on_pair, on_reader_error, &st);
	if (rc == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (rc > 0) {
		st.line = rc;
		perr(&st, "syntax error%s%s", "", "");
	} else if (rc < 0) {
		st.line = 0;
		perr(&st, "parser error (out of memory)%s%s", "", "");
	}
	for (int i = 0; i < set->n; i++)
		check_profile(&st, &set->items[i], i);
	return st.errors ? -1 : 0;
}

const struct profile *profiles_find(const struct profile_set *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->items[i].name, name))
			return &set->items[i];
	return NULL;
}
