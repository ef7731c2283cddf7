#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "faults.h"
#include "ftps.h"
#include "https.h"
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

struct listener *server_listener_new(const struct scenario *s, int port, const struct serve_opts *o,
				     char *err, size_t cap)
{
	struct listener *lis = calloc(1, sizeof(*lis));
	if (!lis) {
		snprintf(err, cap, "%s: out of memory", s->name);
		return NULL;
	}
	lis->fd = -1;
	lis->s = s;
	lis->ops = server_ops_for(s);
	lis->h.on_events = conn_on_accept;
	if (tlsctx_build(lis, o->certs_dir, err, cap) != 0 ||
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
	if (lis->fd >= 0)
		close(lis->fd);
	if (lis->ctx)
		wolfSSL_CTX_free(lis->ctx);
	free(lis);
}

/* Between two batches of the loop: announce a connection opened in the
 * last one (events.h). Never ends the loop. */
static int between_batches(void *arg)
{
	(void)arg;
	events_flush_open();
	return 0;
}

int server_worker(struct listener *lis, const struct serve_opts *o, uint64_t first_id)
{
	static struct server srv;
	memset(&srv, 0, sizeof(srv));
	if (loop_init(&srv.loop) != 0) {
		fprintf(stderr, "tlsfault: %s: epoll: %s\n", lis->s->name, strerror(errno));
		return 1;
	}
	srv.loop.sweep = conn_sweep;
	srv.loop.sweep_arg = &srv;
	srv.data_root = o->data_dir;
	srv.next_id = first_id;
	srv.lis[srv.n_lis++] = lis;
	lis->srv = &srv;
	int status = 1;
	if (loop_add(&srv.loop, lis->fd, EPOLLIN, &lis->h) != 0) {
		fprintf(stderr, "tlsfault: %s: epoll: %s\n", lis->s->name, strerror(errno));
		goto out;
	}
	int sig = loop_run(&srv.loop, between_batches, NULL);
	/* Stop accepting, then close what is open so every event is flushed. */
	srv.stopping = 1;
	loop_del(&srv.loop, lis->fd);
	conn_close_all(&srv, sig ? "server shutting down" : "server stopped");
	status = 0;
out:
	events_flush_open();
	loop_free(&srv.loop);
	return status;
}
