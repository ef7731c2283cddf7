/* json — a bounded JSON writer. Strings from the peer (SNI, request lines,
 * FTP paths) are escaped here and nowhere else. A write past the buffer
 * sets `truncated` instead of overflowing; the result is still valid JSON
 * only when truncated == 0. */
#ifndef TLSFAULT_JSON_H
#define TLSFAULT_JSON_H

#include <stddef.h>

struct json {
	char *buf;
	size_t cap, len;
	int truncated;
	int need_comma; /* a value was written at this nesting level */
};

void json_init(struct json *j, char *buf, size_t cap);
void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* A value that is already JSON (rendered by this module). */
void json_raw(struct json *j, const char *text);
/* Shorthands for "key": value members. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
void json_kbool(struct json *j, const char *key, int v);

#endif
