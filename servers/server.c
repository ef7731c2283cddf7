#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "faults.h"
#include "ftps.h"
#include "https.h"
#include "json.h"
#include "tlsctx.h"

const struct proto_ops *server_ops_for(const struct scenario *s)
{
	const struct proto_ops *o = faults_override_ops(s);
	if (o)
		return o;
	if (s->protocol == PROTO_FTPS_EXPLICIT || s->protocol == PROTO_FTPS_IMPLICIT)
		return &ftps_ops;
	return &https_ops;
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
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		snprintf(err, cap, "%s: cannot listen on %s port %d: %s", lis->s->name, addr, port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	lis->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	lis->fd = fd;
	return 0;
}

static void free_listener(struct listener *lis)
{
	if (lis->fd >= 0)
		close(lis->fd);
	if (lis->ctx)
		wolfSSL_CTX_free(lis->ctx);
	free(lis);
}

static int write_manifest(struct server *srv, const char *path, const char *host)
{
	char tmp[4096];
	static char buf[65536];
	struct json j;
	json_init(&j, buf, sizeof(buf));
	json_obj_open(&j);
	for (int i = 0; i < srv->n_lis; i++) {
		const struct listener *l = srv->lis[i];
		json_key(&j, l->s->name);
		json_obj_open(&j);
		json_kstr(&j, "host", host);
		json_kint(&j, "port", l->port);
		json_kstr(&j, "protocol", scenario_protocol_name(l->s->protocol));
		json_obj_close(&j);
	}
	json_obj_close(&j);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || j.truncated)
		return -1;
	fprintf(f, "%s\n", buf);
	if (fclose(f) != 0)
		return -1;
	/* rename: a reader never sees a half-written manifest. */
	return rename(tmp, path);
}

static void print_table(struct server *srv)
{
	printf("%-32s %-6s %s\n", "SCENARIO", "PORT", "SUMMARY");
	for (int i = 0; i < srv->n_lis; i++) {
		const struct listener *l = srv->lis[i];
		printf("%-32s %-6d %s\n", l->s->name, l->port, l->s->summary);
	}
	fflush(stdout);
}

static int setup(struct server *srv, const struct scenario *const *list, int n,
		 const struct serve_opts *o)
{
	char err[512];
	for (int i = 0; i < n; i++) {
		struct listener *lis = calloc(1, sizeof(*lis));
		if (!lis)
			return -1;
		lis->fd = -1;
		lis->s = list[i];
		lis->srv = srv;
		lis->ops = server_ops_for(list[i]);
		lis->h.on_events = conn_on_accept;
		srv->lis[srv->n_lis++] = lis;
		int port = o->port_base >= 0 ? (o->port_base ? o->port_base + i : 0) : list[i]->port;
		if (tlsctx_build(lis, o->certs_dir, err, sizeof(err)) != 0 ||
		    bind_listener(lis, o->bind, port, err, sizeof(err)) != 0) {
			fprintf(stderr, "tlsfault: %s\n", err);
			return -1;
		}
		if (loop_add(&srv->loop, lis->fd, EPOLLIN, &lis->h) != 0)
			return -1;
	}
	return 0;
}

int server_run(const struct scenario *const *list, int n, const struct serve_opts *o)
{
	static struct server srv;
	int status = 1;
	memset(&srv, 0, sizeof(srv));
	if (loop_init(&srv.loop) != 0) {
		perror("tlsfault: epoll");
		return 1;
	}
	srv.loop.sweep = conn_sweep;
	srv.loop.sweep_arg = &srv;
	srv.data_root = o->data_dir;
	/* MAX_CONNECTIONS needs more descriptors than the usual soft limit
	 * of 1024; take what the hard limit allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (strcmp(o->bind, "127.0.0.1") && strcmp(o->bind, "::1"))
		fprintf(stderr, "tlsfault: WARNING: binding %s; these servers are deliberately "
				"insecure, keep them off shared networks\n", o->bind);
	if (events_open(o->events) != 0) {
		fprintf(stderr, "tlsfault: events file %s: %s\n", o->events, strerror(errno));
		goto out;
	}
	if (setup(&srv, list, n, o) != 0)
		goto out;
	if (o->manifest && write_manifest(&srv, o->manifest, o->bind) != 0) {
		fprintf(stderr, "tlsfault: cannot write manifest %s\n", o->manifest);
		goto out;
	}
	if (o->table)
		print_table(&srv);
	int sig = loop_run(&srv.loop, NULL, NULL);
	/* Stop accepting, then close what is open so every event is flushed. */
	srv.stopping = 1;
	for (int i = 0; i < srv.n_lis; i++)
		loop_del(&srv.loop, srv.lis[i]->fd);
	conn_close_all(&srv, sig ? "server shutting down" : "server stopped");
	status = 0;
out:
	conn_close_all(&srv, "server stopped");
	for (int i = 0; i < srv.n_lis; i++)
		free_listener(srv.lis[i]);
	events_close();
	loop_free(&srv.loop);
	return status;
}
