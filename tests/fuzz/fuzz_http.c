/* libFuzzer target: the HTTP/1.x request-head parser (servers/http.c).
 *
 * Properties: a complete head consumed no more than given and its every
 * slice lies inside the input; the head minus its last byte says
 * HTTP_NEED_MORE; HTTP_BAD always names its error. The request line parser
 * used by the split-intolerant scenario is checked the same way. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http.h"

static void inside(const char *base, size_t n, struct http_slice s)
{
	if (s.n)
		assert(s.p >= base && s.p + s.n <= base + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req r, r2;
	const char *p = (const char *)data;

	int rc = http_parse_request(p, size, &r);
	assert(rc == HTTP_NEED_MORE || rc == HTTP_BAD || (rc > 0 && (size_t)rc <= size));
	if (rc == HTTP_BAD)
		assert(r.error != NULL);
	if (rc > 0) {
		inside(p, size, r.method);
		inside(p, size, r.target);
		inside(p, size, r.line);
		assert(r.n_headers <= HTTP_MAX_HEADERS);
		for (size_t i = 0; i < r.n_headers; i++) {
			inside(p, size, r.header_names[i]);
			inside(p, size, r.header_values[i]);
		}
		assert(http_parse_request(p, (size_t)rc - 1, &r2) == HTTP_NEED_MORE);
	}

	rc = http_parse_request_line(p, size, &r);
	assert(rc == HTTP_NEED_MORE || rc == HTTP_BAD || (rc > 0 && (size_t)rc <= size));
	if (rc > 0) {
		inside(p, size, r.line);
		assert(r.minor_version == 0 || r.minor_version == 1);
	}
	return 0;
}
