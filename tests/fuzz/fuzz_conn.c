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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "events.h"
#include "faults.h"
#include "ftps.h"
#include "https.h"
#include "server.h"
#include "tlsctx.h"

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

static struct server srv;
static struct scenario scn[N_NAMES];
static char data_dir[] = "/tmp/tlsfault-fuzz-XXXXXX";

static void die(const char *what)
{
	fprintf(stderr, "fuzz_conn: %s\n", what);
	exit(1);
}

static int listen_any(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0)
		die("listen");
	return fd;
}

static void setup(void)
{
	const char *root = getenv("TLSFAULT_ROOT");
	if (root && chdir(root) != 0)
		die("TLSFAULT_ROOT");
	wolfSSL_Init();
	if (loop_init(&srv.loop) != 0)
		die("loop_init");
	if (!mkdtemp(data_dir))
		die("mkdtemp");
	srv.data_root = data_dir;
	/* FUZZ_EVENTS=FILE keeps the events, to see what the inputs reach. */
	events_open(getenv("FUZZ_EVENTS") ? getenv("FUZZ_EVENTS") : "/dev/null");
	for (size_t i = 0; i < N_NAMES; i++) {
		char path[256], err[512];
		int n_err;
		snprintf(path, sizeof(path), "scenarios/%s.ini", names[i]);
		if (access(path, R_OK) != 0)
			continue; /* not (yet) in this tree */
		if (scenario_load_file(path, &scn[i], stderr, &n_err) != 0)
			die(path);
		struct listener *lis = calloc(1, sizeof(*lis));
		if (!lis)
			die("calloc");
		lis->s = &scn[i];
		lis->srv = &srv;
		lis->ops = server_ops_for(&scn[i]);
		lis->h.on_events = conn_on_accept;
		if (tlsctx_build(lis, "build/certs", err, sizeof(err)) != 0)
			die(err);
		lis->fd = listen_any();
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		getsockname(lis->fd, (struct sockaddr *)&a, &len);
		lis->port = ntohs(a.sin_port);
		srv.lis[srv.n_lis++] = lis;
	}
	if (srv.n_lis == 0)
		die("no scenarios found: run from the repository root");
}

static int drain(int fd)
{
	char sink[16384];
	int got = 0;
	while (read(fd, sink, sizeof(sink)) > 0)
		got = 1;
	return got;
}

/* Dispatch ready events like loop_run() does, without blocking. */
static int pump_once(void)
{
	struct epoll_event evs[64];
	int n = epoll_wait(srv.loop.epfd, evs, 64, 0);
	for (int i = 0; i < n; i++) {
		struct loop_handler *h = evs[i].data.ptr;
		if (h)
			h->on_events(h, evs[i].events);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv.n_lis)
		setup();
	if (size == 0)
		return 0;
	struct listener *lis = srv.lis[data[0] % srv.n_lis];
	data++, size--;

	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lis->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect");
	int one = 1;
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(cfd, F_SETFL, O_NONBLOCK);
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
		int progress = pump_once() + drain(cfd);
		if (progress || off < size)
			idle = 0;
		else if (++idle > 2)
			break;
	}
	conn_close_all(&srv, "fuzz input done");
	close(cfd);
	return 0;
}
