/* server — see server.h. */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "conn.h"
#include "faults.h"
#include "ftps.h"
#include "https.h"
#include "net.h"
#include "tlsctx.h"

/* The front-ends, one row per protocol: what serves it and how its
 * connections start. A new protocol (a STARTTLS front-end) is one row. */
static const struct frontend {
	enum scn_protocol protocol;
	const struct proto_ops *ops;
	enum start_mode start;
	/* 0 when the scenario's server never offers TLS; NULL: always does */
	int (*offers_tls)(const struct scenario *s);
} frontends[] = {
	{PROTO_HTTPS, &https_ops, START_TLS, NULL},
	{PROTO_FTPS_EXPLICIT, &ftps_ops, START_PLAIN, ftps_offers_tls}, /* AUTH TLS first */
	{PROTO_FTPS_IMPLICIT, &ftps_ops, START_TLS, NULL},
};

int server_config_build(struct conn_config *cfg, const struct scenario *s, const char *certs_dir,
			const char *data_root, char *err, size_t cap)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->s = s;
	cfg->data_root = data_root;
	const struct frontend *fe = NULL;
	for (size_t i = 0; i < sizeof(frontends) / sizeof(frontends[0]); i++)
		if ((int)frontends[i].protocol == s->protocol)
			fe = &frontends[i];
	if (!fe) {
		snprintf(err, cap, "%s: no front-end for protocol %s", s->name,
			 scenario_protocol_name(s->protocol));
		return -1;
	}
	cfg->ops = fe->ops;
	cfg->start = fe->start;
	int no_tls = faults_configure(cfg);
	if (no_tls || (fe->offers_tls && !fe->offers_tls(s)))
		return 0;
	return tlsctx_build(cfg, certs_dir, err, cap);
}

void server_config_free(struct conn_config *cfg)
{
	if (cfg->ctx)
		wolfSSL_CTX_free(cfg->ctx);
	cfg->ctx = NULL;
}

static int bind_listener(struct listener *lis, const char *addr, int port, char *err, size_t cap)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai;
	char service[8];
	snprintf(service, sizeof(service), "%d", port);
	int rc = getaddrinfo(addr, service, &hints, &ai);
	if (rc != 0) {
		snprintf(err, cap, "bind address %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	lis->fd = net_listen(ai->ai_addr, ai->ai_addrlen, LISTEN_BACKLOG, &lis->port);
	freeaddrinfo(ai);
	if (lis->fd < 0) {
		snprintf(err, cap, "%s: cannot listen on %s port %d: %s", lis->cfg->s->name, addr,
			 port, strerror(errno));
		return -1;
	}
	return 0;
}

/* The listener and its configuration, freed together. */
struct listener_mem {
	struct listener lis;
	struct conn_config cfg;
};

struct listener *server_listener_new(const struct scenario *s, int port, const struct serve_opts *o,
				     char *err, size_t cap)
{
	struct listener_mem *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, cap, "%s: out of memory", s->name);
		return NULL;
	}
	struct listener *lis = &m->lis;
	lis->fd = -1;
	lis->cfg = &m->cfg;
	lis->h.on_events = conn_on_accept;
	if (server_config_build(&m->cfg, s, o->certs_dir, o->data_dir, err, cap) != 0 ||
	    bind_listener(lis, o->bind, port, err, cap) != 0) {
		server_listener_free(lis);
		return NULL;
	}
	return lis;
}

void server_listener_free(struct listener *lis)
{
	if (!lis)
		return;
	struct listener_mem *m = (struct listener_mem *)lis;
	if (lis->fd >= 0)
		close(lis->fd);
	server_config_free(&m->cfg);
	free(m);
}

int server_worker(struct listener *lis, uint64_t first_id)
{
	static struct server srv;
	memset(&srv, 0, sizeof(srv));
	const char *name = lis->cfg->s->name;
	if (loop_init(&srv.loop) != 0) {
		fprintf(stderr, "tlsfault: %s: epoll: %s\n", name, strerror(errno));
		return 1;
	}
	srv.loop.sweep = conn_sweep;
	srv.loop.sweep_arg = &srv;
	srv.next_id = first_id;
	srv.lis[srv.n_lis++] = lis;
	lis->srv = &srv;
	int status = 1;
	if (loop_add(&srv.loop, lis->fd, EPOLLIN, &lis->h) != 0) {
		fprintf(stderr, "tlsfault: %s: epoll: %s\n", name, strerror(errno));
		goto out;
	}
	int sig = loop_run(&srv.loop);
	/* Stop accepting, then close what is open so every event is flushed. */
	srv.stopping = 1;
	loop_del(&srv.loop, lis->fd);
	conn_close_all(&srv, sig ? "server shutting down" : "server stopped");
	status = 0;
out:
	loop_free(&srv.loop);
	return status;
}
