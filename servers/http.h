/* http — a pure HTTP/1.x request-head parser (picohttpparser style): no
 * I/O, no allocation; slices point into the caller's buffer. */
#ifndef TLSFAULT_HTTP_H
#define TLSFAULT_HTTP_H

#include <stddef.h>

#define HTTP_NEED_MORE (-2)
#define HTTP_BAD (-1)
#define HTTP_MAX_HEADERS 64

struct http_slice {
	const char *p;
	size_t n;
};

struct http_req {
	struct http_slice method, target;
	int minor_version;
	struct http_slice line; /* the request line without CRLF */
	struct http_slice header_names[HTTP_MAX_HEADERS], header_values[HTTP_MAX_HEADERS];
	size_t n_headers;
	const char *error; /* static string on HTTP_BAD */
};

/* Parse a request head. Returns its length through the blank line (> 0),
 * HTTP_NEED_MORE or HTTP_BAD. */
int http_parse_request(const char *p, size_t n, struct http_req *r);

/* Parse only a request line ending in LF (split-intolerant server).
 * Returns the line length including LF, HTTP_NEED_MORE or HTTP_BAD. */
int http_parse_request_line(const char *p, size_t n, struct http_req *r);

#endif
