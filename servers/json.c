#include "json.h"

#include <stdio.h>
#include <string.h>

void json_init(struct json *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->truncated = 0;
	j->need_comma = 0;
	if (cap)
		buf[0] = '\0';
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->truncated || j->len + n + 1 > j->cap) {
		j->truncated = 1;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void comma(struct json *j)
{
	if (j->need_comma)
		put(j, ",", 1);
	j->need_comma = 1;
}

/* An object or array: the opening bracket takes a comma like any value,
 * its first member does not; after the closing one, the next value does. */
static void open_with(struct json *j, const char *bracket)
{
	comma(j);
	put(j, bracket, 1);
	j->need_comma = 0;
}

static void close_with(struct json *j, const char *bracket)
{
	put(j, bracket, 1);
	j->need_comma = 1;
}

void json_obj_open(struct json *j) { open_with(j, "{"); }
void json_obj_close(struct json *j) { close_with(j, "}"); }
void json_arr_open(struct json *j) { open_with(j, "["); }
void json_arr_close(struct json *j) { close_with(j, "]"); }

void json_strn(struct json *j, const char *s, size_t n)
{
	comma(j);
	put(j, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c;
			put(j, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes from the peer are not trusted to be UTF-8: escape
			 * every non-ASCII byte as \u00XX so the line stays valid. */
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(j, esc, 6);
		} else {
			put(j, (const char *)&c, 1);
		}
	}
	put(j, "\"", 1);
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_key(struct json *j, const char *key)
{
	json_str(j, key);
	put(j, ":", 1);
	j->need_comma = 0;
}

void json_int(struct json *j, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);
	comma(j);
	put(j, tmp, (size_t)n);
}

void json_bool(struct json *j, int v)
{
	comma(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
	comma(j);
	put(j, "null", 4);
}

void json_raw(struct json *j, const char *text)
{
	comma(j);
	put(j, text, strlen(text));
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kint(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kbool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}
