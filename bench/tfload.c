/* tfload — the benchmark's TLS load client (wolfSSL, one thread, epoll,
 * non-blocking). Every connection is a new WOLFSSL with no session set, so
 * every handshake is a full one; the client asks for no TLS 1.2 ticket
 * and counts any session it might have been able to resume with.
 *
 *   tfload handshake --port P --tls 1.2|1.3 --cipher C --sigalgs S [--ca F]
 *                    [-n N] [-c K] [--max-seconds T]
 *       N full handshakes, K at a time; each ends with close_notify and
 *       waits for the server's close, so the server has finished with the
 *       connection when tfload exits. Prints one JSON object.
 *   tfload hold ... -n N
 *       opens N connections (K handshakes at a time) and keeps them idle;
 *       prints "ready OK FAILED" when all are up, waits for a line or EOF on
 *       stdin, closes them, prints one JSON object.
 *
 * 127.0.0.1 only: this is a benchmark of local fixtures. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

enum slot_state { S_FREE, S_CONNECT, S_HANDSHAKE, S_CLOSING, S_IDLE };

struct slot {
	int fd;
	WOLFSSL *ssl;
	enum slot_state state;
	double deadline;
};

struct opts {
	int hold;
	int port;
	const char *tls;
	const char *cipher;
	const char *sigalgs;
	const char *ca;
	long n;
	int k;
	double max_seconds;
};

struct stats {
	long started, ok, failed, resumed, tickets, close_timeouts;
	char version[32], cipher[64], group[32];
	char first_error[160];
};

static int epfd;
static struct stats st;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail_msg(const char *what, const char *detail)
{
	if (!st.first_error[0])
		snprintf(st.first_error, sizeof(st.first_error), "%s: %s", what, detail);
}

static void slot_free(struct slot *s)
{
	if (s->ssl)
		wolfSSL_free(s->ssl);
	if (s->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	s->ssl = NULL;
	s->fd = -1;
	s->state = S_FREE;
}

static void watch(struct slot *s, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = s};
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &e) != 0)
		epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &e);
}

static int slot_start(struct slot *s, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->ssl = NULL;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		fail_msg("socket", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	st.started++;
	if (connect(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		fail_msg("connect", strerror(errno));
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	s->state = S_CONNECT;
	s->deadline = now_s() + 10.0;
	watch(s, EPOLLOUT);
	return 0;
}

static void slot_failed(struct slot *s, const char *what, const char *detail)
{
	st.failed++;
	fail_msg(what, detail);
	slot_free(s);
}

static void wolf_failed(struct slot *s, const char *what, int ret)
{
	char msg[100];
	int err = wolfSSL_get_error(s->ssl, ret);
	wolfSSL_ERR_error_string_n((unsigned long)err, msg, sizeof(msg));
	slot_failed(s, what, msg);
}

/* Done with a connection that completed its handshake. */
static void slot_closed(struct slot *s)
{
	WOLFSSL_SESSION *sess = wolfSSL_get_session(s->ssl);
	if (sess && wolfSSL_SESSION_has_ticket(sess))
		st.tickets++;
	slot_free(s);
}

/* close_notify sent: read (and process, e.g. a NewSessionTicket) until
 * the server's close_notify or its FIN. wolfSSL_shutdown's second phase
 * cannot be used non-blocking here: it reports WANT_READ as "not done". */
static void closing_step(struct slot *s)
{
	char buf[512];
	for (;;) {
		int r = wolfSSL_read(s->ssl, buf, sizeof(buf));
		if (r > 0)
			continue; /* application data: discard */
		int err = wolfSSL_get_error(s->ssl, r);
		if (err == WOLFSSL_ERROR_WANT_READ) {
			watch(s, EPOLLIN);
			return;
		}
		if (err == WOLFSSL_ERROR_WANT_WRITE) {
			watch(s, EPOLLOUT);
			return;
		}
		break; /* close_notify, EOF or reset: the server is done */
	}
	slot_closed(s);
}

static void handshake_done(struct slot *s, int hold)
{
	st.ok++;
	if (wolfSSL_session_reused(s->ssl))
		st.resumed++;
	if (!st.version[0]) {
		snprintf(st.version, sizeof(st.version), "%s", wolfSSL_get_version(s->ssl));
		snprintf(st.cipher, sizeof(st.cipher), "%s", wolfSSL_get_cipher_name(s->ssl));
		const char *g = wolfSSL_get_curve_name(s->ssl);
		snprintf(st.group, sizeof(st.group), "%s", g ? g : "?");
	}
	if (hold) {
		s->state = S_IDLE;
		epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
		return;
	}
	s->state = S_CLOSING;
	s->deadline = now_s() + 5.0;
	wolfSSL_shutdown(s->ssl); /* sends close_notify */
	closing_step(s);
}

static void handshake_step(struct slot *s, int hold)
{
	int r = wolfSSL_connect(s->ssl);
	if (r == WOLFSSL_SUCCESS) {
		handshake_done(s, hold);
		return;
	}
	int err = wolfSSL_get_error(s->ssl, r);
	if (err == WOLFSSL_ERROR_WANT_READ)
		watch(s, EPOLLIN);
	else if (err == WOLFSSL_ERROR_WANT_WRITE)
		watch(s, EPOLLOUT);
	else
		wolf_failed(s, "handshake", r);
}

static void on_event(struct slot *s, WOLFSSL_CTX *ctx, int hold)
{
	switch (s->state) {
	case S_CONNECT: {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			slot_failed(s, "connect", strerror(soerr));
			return;
		}
		s->ssl = wolfSSL_new(ctx);
		if (!s->ssl || wolfSSL_set_fd(s->ssl, s->fd) != WOLFSSL_SUCCESS) {
			slot_failed(s, "wolfSSL_new", "failed");
			return;
		}
		wolfSSL_set_using_nonblock(s->ssl, 1);
		s->state = S_HANDSHAKE;
		handshake_step(s, hold);
		return;
	}
	case S_HANDSHAKE:
		handshake_step(s, hold);
		return;
	case S_CLOSING:
		closing_step(s);
		return;
	default:
		return;
	}
}

static WOLFSSL_CTX *make_ctx(const struct opts *o)
{
	int v13 = !strcmp(o->tls, "1.3");
	if (!v13 && strcmp(o->tls, "1.2")) {
		fprintf(stderr, "tfload: --tls must be 1.2 or 1.3\n");
		return NULL;
	}
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(v13 ? wolfTLSv1_3_client_method()
					       : wolfTLSv1_2_client_method());
	if (!ctx)
		return NULL;
	/* P-256 only: this wolfSSL build has no X25519, so the key exchange
	 * is the same for every server measured. */
	int groups[] = {WOLFSSL_ECC_SECP256R1};
	if ((o->cipher && wolfSSL_CTX_set_cipher_list(ctx, o->cipher) != WOLFSSL_SUCCESS) ||
	    (o->sigalgs && wolfSSL_CTX_set1_sigalgs_list(ctx, o->sigalgs) != WOLFSSL_SUCCESS) ||
	    (v13 ? wolfSSL_CTX_set_groups(ctx, groups, 1)
		 : wolfSSL_CTX_UseSupportedCurve(ctx, WOLFSSL_ECC_SECP256R1)) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "tfload: cipher/sigalgs/groups not accepted by wolfSSL\n");
		wolfSSL_CTX_free(ctx);
		return NULL;
	}
	if (o->ca) {
		if (wolfSSL_CTX_load_verify_locations(ctx, o->ca, NULL) != WOLFSSL_SUCCESS) {
			fprintf(stderr, "tfload: cannot load CA %s\n", o->ca);
			wolfSSL_CTX_free(ctx);
			return NULL;
		}
		wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	} else {
		wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	}
	/* Full handshakes only: no client session cache, no ticket asked for. */
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
	return ctx;
}

static void sweep(struct slot *slots, int k)
{
	double t = now_s();
	for (int i = 0; i < k; i++) {
		struct slot *s = &slots[i];
		if (s->state == S_CLOSING && t > s->deadline) {
			st.close_timeouts++;
			slot_closed(s);
		} else if ((s->state == S_CONNECT || s->state == S_HANDSHAKE) && t > s->deadline) {
			slot_failed(s, "handshake", "timeout (10 s)");
		}
	}
}

static void print_json(const struct opts *o, double wall, long held)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("{\"mode\":\"%s\",\"tls\":\"%s\",\"requested\":%ld,\"concurrency\":%d,"
	       "\"ok\":%ld,\"failed\":%ld,\"resumed\":%ld,\"sessions_with_ticket\":%ld,"
	       "\"close_timeouts\":%ld,\"held\":%ld,\"wall_s\":%.6f,\"client_cpu_s\":%.6f,"
	       "\"version\":\"%s\",\"cipher\":\"%s\",\"group\":\"%s\",\"sigalgs\":\"%s\","
	       "\"first_error\":\"%s\"}\n",
	       o->hold ? "hold" : "handshake", o->tls, o->n, o->k, st.ok, st.failed, st.resumed,
	       st.tickets, st.close_timeouts, held, wall, cpu, st.version, st.cipher, st.group,
	       o->sigalgs ? o->sigalgs : "", st.first_error);
	fflush(stdout);
}

static int run(const struct opts *o, WOLFSSL_CTX *ctx)
{
	/* Hold mode keeps every connection: one slot each; K limits how many
	 * handshakes are in flight. */
	long nslots = o->hold ? o->n : o->k;
	struct slot *slots = calloc((size_t)nslots, sizeof(*slots));
	if (!slots)
		return 1;
	for (long i = 0; i < nslots; i++)
		slots[i].fd = -1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	double t0 = now_s(), stop_at = t0 + o->max_seconds, next_sweep = t0 + 0.5;
	long next = 0; /* next slot to start (hold) */
	int stopped = 0;
	for (;;) {
		long active = 0, inflight = 0;
		for (long i = 0; i < nslots; i++) {
			if (slots[i].state != S_FREE)
				active++;
			if (slots[i].state == S_CONNECT || slots[i].state == S_HANDSHAKE)
				inflight++;
		}
		if (now_s() > stop_at)
			stopped = 1;
		/* Start new connections. */
		for (long i = 0; !stopped && i < nslots && st.started < o->n && inflight < o->k; i++) {
			long j = o->hold ? next : i;
			if (slots[j].state != S_FREE)
				continue;
			if (o->hold)
				next++;
			if (slot_start(&slots[j], o->port) != 0)
				st.failed++;
			else
				inflight++, active++;
		}
		long idle = 0;
		if (o->hold)
			for (long i = 0; i < nslots; i++)
				idle += slots[i].state == S_IDLE;
		if (active - idle == 0 && (st.started >= o->n || stopped))
			break;
		struct epoll_event evs[64];
		int n = epoll_wait(epfd, evs, 64, 100);
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, ctx, o->hold);
		if (now_s() > next_sweep) {
			sweep(slots, (int)nslots);
			next_sweep = now_s() + 0.5;
		}
	}
	double wall = now_s() - t0;
	long held = 0;
	if (o->hold) {
		for (long i = 0; i < nslots; i++)
			held += slots[i].state == S_IDLE;
		printf("ready %ld %ld\n", held, st.failed);
		fflush(stdout);
		char line[64];
		if (!fgets(line, sizeof(line), stdin)) {
			/* EOF: release as well */
		}
		for (long i = 0; i < nslots; i++)
			if (slots[i].state == S_IDLE) {
				wolfSSL_shutdown(slots[i].ssl);
				slot_free(&slots[i]);
			}
	}
	print_json(o, wall, held);
	free(slots);
	close(epfd);
	return st.ok > 0 ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: tfload handshake|hold --port P --tls 1.2|1.3 [--cipher C] "
			"[--sigalgs S] [--ca FILE] [-n N] [-c K] [--max-seconds T]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 1000, .k = 16, .max_seconds = 60, .tls = "1.3"};
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "hold"))
		o.hold = 1;
	else if (strcmp(argv[1], "handshake"))
		return usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		if (!strcmp(a, "--port"))
			o.port = atoi(v);
		else if (!strcmp(a, "--tls"))
			o.tls = v;
		else if (!strcmp(a, "--cipher"))
			o.cipher = v;
		else if (!strcmp(a, "--sigalgs"))
			o.sigalgs = v;
		else if (!strcmp(a, "--ca"))
			o.ca = v;
		else if (!strcmp(a, "-n"))
			o.n = atol(v);
		else if (!strcmp(a, "-c"))
			o.k = atoi(v);
		else if (!strcmp(a, "--max-seconds"))
			o.max_seconds = atof(v);
		else
			return usage();
		i++;
	}
	if (o.port <= 0 || o.port > 65535 || o.n <= 0 || o.k <= 0)
		return usage();
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	wolfSSL_Init();
	WOLFSSL_CTX *ctx = make_ctx(&o);
	if (!ctx)
		return 1;
	int rc = run(&o, ctx);
	wolfSSL_CTX_free(ctx);
	wolfSSL_Cleanup();
	return rc;
}
