/* libFuzzer target: a whole server connection. The fuzzer's bytes arrive
 * on a real loopback TCP socket accepted by conn_on_accept(), and go
 * through the server's own code: conn.c's staging buffer and wolfSSL I/O
 * callbacks (conn_io_recv/conn_io_send), the ClientHello sniffer, the
 * fault rows, wolfSSL's handshake on the scenario's CTX built by
 * tlsctx_build(), and the HTTPS or FTP front-end; the event is rendered
 * (to /dev/null).
 *
 * Input: byte 0 picks the scenario (modulo the number loaded), the rest is
 * what the client sends, followed by EOF. The server is then pumped until
 * it has nothing left to do; a server that still has ready events after
 * PUMP_MAX rounds with nothing new arriving is spinning, and that is a
 * finding (abort). Everything is torn down with conn_close_all() after
 * each input, so LeakSanitizer sees any per-connection leak.
 *
 * Run from the repository root (scenarios/ and build/certs/ relative), or
 * set TLSFAULT_ROOT. */
#include "fuzz_server.h"

#define PUMP_MAX 20000

/* One per front-end and fault kind: every way a connection can start. */
static const char *const names[] = {
	"https-valid",		   "https-split-record-intolerant", "https-no-binding",
	"https-port-taken",	   "https-key-mismatch",	    "https-tls10-only",
	"https-cert-without-key",  "mtls-valid",		    "mtls-client-cert-missing",
	"ftps-valid",		   "ftps-implicit-valid",	    "ftps-tls-required",
	"ftps-auth-tls-refused",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static struct scenario scn[N_NAMES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_srv.n_lis)
		fz_setup(names, N_NAMES, scn);
	if (size == 0)
		return 0;
	struct listener *lis = fz_srv.lis[data[0] % fz_srv.n_lis];
	data++, size--;

	unsigned src = 0;
	int cfd = fz_connect(lis->port, &src);
	if (cfd < 0)
		fz_die("connect");
	conn_on_accept(&lis->h, EPOLLIN);

	/* Send in pieces so the server also sees partial records. */
	size_t off = 0;
	int idle = 0;
	for (int round = 0;; round++) {
		if (round == PUMP_MAX) {
			fprintf(stderr, "fuzz_conn: server still busy after %d rounds\n", PUMP_MAX);
			abort();
		}
		if (off < size) {
			size_t k = size - off > 1400 ? 1400 : size - off;
			ssize_t w = send(cfd, data + off, k, MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				off = size; /* the server closed: the rest is moot */
			if (off == size)
				shutdown(cfd, SHUT_WR);
		} else if (size == 0 && round == 0) {
			shutdown(cfd, SHUT_WR);
		}
		int progress = fz_pump() + fz_drain(cfd);
		if (progress || off < size)
			idle = 0;
		else if (++idle > 2)
			break;
	}
	conn_close_all(&fz_srv, "fuzz input done");
	close(cfd);
	return 0;
}
