/* What the whole-server fuzz targets (fuzz_conn, fuzz_ftp_session) share:
 * a server with listeners for named scenarios on ephemeral loopback
 * ports, a non-blocking pump of its loop, and a client connect that
 * spreads its source address over 127.0.0.0/8 (a long run makes tens of
 * thousands of connections; from one address the server's TIME_WAIT
 * sockets would use up the ephemeral ports: "fuzz_conn: connect").
 * Header-only: each target is one translation unit. */
#ifndef TLSFAULT_FUZZ_SERVER_H
#define TLSFAULT_FUZZ_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "events.h"
#include "net.h"
#include "server.h"

static struct server fz_srv;
static char fz_data_dir[] = "/tmp/tlsfault-fuzz-XXXXXX";

static void fz_die(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int fz_listen_any(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = net_listen((struct sockaddr *)&a, sizeof(a), 64, port);
	if (fd < 0)
		fz_die("listen");
	return fd;
}

/* Listeners for every named scenario present in this tree. */
static void fz_setup(const char *const *names, size_t n, struct scenario *scn)
{
	const char *root = getenv("TLSFAULT_ROOT");
	if (root && chdir(root) != 0)
		fz_die("TLSFAULT_ROOT");
	wolfSSL_Init();
	if (loop_init(&fz_srv.loop) != 0)
		fz_die("loop_init");
	if (!mkdtemp(fz_data_dir))
		fz_die("mkdtemp");
	/* FUZZ_EVENTS=FILE keeps the events, to see what the inputs reach. */
	events_open(getenv("FUZZ_EVENTS") ? getenv("FUZZ_EVENTS") : "/dev/null");
	for (size_t i = 0; i < n; i++) {
		char path[256], err[512];
		int n_err;
		snprintf(path, sizeof(path), "scenarios/%s.ini", names[i]);
		if (access(path, R_OK) != 0)
			continue; /* not (yet) in this tree */
		if (scenario_load_file(path, &scn[i], stderr, &n_err) != 0)
			fz_die(path);
		struct listener *lis = calloc(1, sizeof(*lis));
		struct conn_config *cfg = calloc(1, sizeof(*cfg));
		if (!lis || !cfg)
			fz_die("calloc");
		lis->cfg = cfg;
		lis->srv = &fz_srv;
		lis->h.on_events = conn_on_accept;
		if (server_config_build(cfg, &scn[i], "build/certs", fz_data_dir, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz: %s\n", err);
			exit(1);
		}
		lis->fd = fz_listen_any(&lis->port);
		fz_srv.lis[fz_srv.n_lis++] = lis;
	}
	if (fz_srv.n_lis == 0) {
		fprintf(stderr, "fuzz: no scenarios found: run from the repository root\n");
		exit(1);
	}
}

/* One round of the server's loop without blocking; the number of handlers
 * it may have run (ready events plus yielded ones). */
static int fz_pump(void)
{
	loop_round(&fz_srv.loop, 0);
	return fz_srv.loop.ran;
}

/* connect() on a non-blocking socket, waiting for it to complete:
 * libFuzzer's timer signals would interrupt a blocking connect (EINTR,
 * "fuzz: connect: Interrupted system call" in a long run). */
static int fz_connect_wait(int fd, const struct sockaddr *a, socklen_t len)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, a, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;
	do
		r = poll(&p, 1, 5000);
	while (r < 0 && errno == EINTR);
	int err = 0;
	socklen_t el = sizeof(err);
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) {
		errno = r == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	errno = err;
	return err ? -1 : 0;
}

/* A non-blocking client socket connected to 127.0.0.1:port from a source
 * address in 127.0.0.0/8: *src, or (when 0) the next of a cycle, stored
 * in *src (an FTP data connection must come from its control's address).
 * -1 when the port refuses. */
static int fz_connect(int port, unsigned *src_host)
{
	static unsigned next;
	for (int tries = 0; tries < 8; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			fz_die("socket");
		if (!*src_host || tries > 0)
			*src_host = 0x7f000001u + (++next % 250) * 256;
		struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(*src_host)};
		struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0 &&
		    fz_connect_wait(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		int e = errno;
		close(fd);
		if (e == ECONNREFUSED)
			return -1;
		if (e != EADDRNOTAVAIL && e != EADDRINUSE) {
			errno = e;
			fz_die("connect");
		}
	}
	fz_die("connect (no free source address/port)");
	return -1;
}

static int fz_drain(int fd)
{
	char sink[16384];
	int got = 0;
	while (read(fd, sink, sizeof(sink)) > 0)
		got = 1;
	return got;
}

#endif
