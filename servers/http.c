#include "http.h"

#include <string.h>

static int is_tchar(unsigned char c)
{
	/* RFC 9110 5.6.2 token characters. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int fail(struct http_req *r, const char *why)
{
	r->error = why;
	return HTTP_BAD;
}

/* Length of the line at p (through LF), or 0 when no LF yet. */
static size_t line_len(const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n);
	return lf ? (size_t)(lf - p) + 1 : 0;
}

static size_t trim_crlf(const char *p, size_t len)
{
	if (len && p[len - 1] == '\n')
		len--;
	if (len && p[len - 1] == '\r')
		len--;
	return len;
}

static int parse_line(const char *p, size_t len, struct http_req *r)
{
	size_t i = 0;
	while (i < len && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= len || p[i] != ' ')
		return fail(r, "bad method");
	r->method.p = p, r->method.n = i;
	size_t t = ++i;
	while (i < len && p[i] != ' ') {
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] == 0x7f)
			return fail(r, "bad request target");
		i++;
	}
	if (i == t || i >= len)
		return fail(r, "bad request target");
	r->target.p = p + t, r->target.n = i - t;
	i++;
	if (len - i != 8 || memcmp(p + i, "HTTP/1.", 7) || (p[i + 7] != '0' && p[i + 7] != '1'))
		return fail(r, "bad HTTP version");
	r->minor_version = p[i + 7] - '0';
	r->line.p = p, r->line.n = len;
	return 0;
}

int http_parse_request_line(const char *p, size_t n, struct http_req *r)
{
	memset(r, 0, sizeof(*r));
	size_t len = line_len(p, n);
	if (!len)
		return HTTP_NEED_MORE;
	if (parse_line(p, trim_crlf(p, len), r) != 0)
		return HTTP_BAD;
	return (int)len;
}

static int parse_header(const char *p, size_t len, struct http_req *r)
{
	const char *colon = memchr(p, ':', len);
	if (!colon || colon == p)
		return fail(r, "bad header line");
	for (const char *q = p; q < colon; q++)
		if (!is_tchar((unsigned char)*q))
			return fail(r, "bad header name");
	if (r->n_headers == HTTP_MAX_HEADERS)
		return fail(r, "too many headers");
	const char *v = colon + 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (const char *q = v; q < end; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return fail(r, "bad header value");
	r->header_names[r->n_headers].p = p;
	r->header_names[r->n_headers].n = (size_t)(colon - p);
	r->header_values[r->n_headers].p = v;
	r->header_values[r->n_headers].n = (size_t)(end - v);
	r->n_headers++;
	return 0;
}

int http_parse_request(const char *p, size_t n, struct http_req *r)
{
	int first = http_parse_request_line(p, n, r);
	if (first < 0)
		return first;
	size_t off = (size_t)first;
	for (;;) {
		size_t len = line_len(p + off, n - off);
		if (!len)
			return HTTP_NEED_MORE;
		size_t body = trim_crlf(p + off, len);
		if (body == 0)
			return (int)(off + len);
		if (parse_header(p + off, body, r) != 0)
			return HTTP_BAD;
		off += len;
	}
}
