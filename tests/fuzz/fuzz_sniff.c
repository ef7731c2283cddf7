/* libFuzzer target: the ClientHello sniffer and the record tracker
 * (servers/sniff.c), and the event JSON that carries what they decoded.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *  - a decoded hello consumed no more than it was given, and every shorter
 *    prefix of it says SNIFF_NEED_MORE (picohttpparser's contract);
 *  - the decoded strings are NUL-terminated inside their arrays;
 *  - the event line with this hello is valid-length JSON, never truncated;
 *  - rec_track never spans past the bytes it was offered. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hello h, h2;
	static struct event ev;
	static char line[EVENT_LINE_MAX + 1];

	int rc = sniff_client_hello(data, size, &h);
	assert(rc == SNIFF_NEED_MORE || rc == SNIFF_BAD || (rc > 0 && (size_t)rc <= size));
	if (rc == SNIFF_BAD)
		assert(h.error != NULL);
	if (rc > 0) {
		assert(memchr(h.sni, '\0', sizeof(h.sni)) != NULL);
		for (size_t i = 0; i < h.n_alpn; i++)
			assert(memchr(h.alpn[i], '\0', sizeof(h.alpn[i])) != NULL);
		assert(h.n_suites <= HELLO_MAX_SUITES && h.n_versions <= HELLO_MAX_VERSIONS);
		assert(h.n_groups <= HELLO_MAX_GROUPS && h.n_sigalgs <= HELLO_MAX_SIGALGS);
		/* Any shorter prefix of a complete hello is incomplete. */
		assert(sniff_client_hello(data, (size_t)rc - 1, &h2) == SNIFF_NEED_MORE);
		event_init(&ev, 1, "fuzz", "https");
		ev.hello_state = 1;
		ev.hello = h;
		int n = event_to_json(&ev, line, EVENT_LINE_MAX);
		assert(n > 0 && line[0] == '{' && line[n - 1] == '}');
	}

	/* Walk the stream record by record, in uneven chunks. */
	struct rec_track t;
	memset(&t, 0, sizeof(t));
	size_t off = 0, step = size ? (size_t)data[0] % 7 + 1 : 1;
	while (off < size) {
		size_t want = size - off < step ? size - off : step;
		size_t k = rec_track_span(&t, want);
		assert(k >= 1 && k <= want);
		int r = rec_track_advance(&t, data + off, k);
		if (r == SNIFF_BAD)
			break;
		off += k;
	}
	(void)sniff_alert_name(size ? data[size - 1] : 0);
	return 0;
}
