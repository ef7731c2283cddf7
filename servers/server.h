/* server — one scenario's listener (its configuration + bound socket) and the
 * epoll loop that serves it in a worker process. supervisor.c builds every
 * listener first, then runs one worker per scenario. */
#ifndef TLSFAULT_SERVER_H
#define TLSFAULT_SERVER_H

#include "scenario.h"

struct serve_opts {
	const char *bind;	/* address; default 127.0.0.1 */
	int port_base;		/* -1: each scenario's own port */
	const char *events;	/* JSONL path or NULL */
	const char *manifest;	/* JSON path or NULL */
	const char *certs_dir;
	const char *data_dir;	/* FTP upload roots */
	int table;		/* print the demo table */
};

#include <stddef.h>
#include <stdint.h>

struct conn_config;
/* A scenario's listener configuration, whole: the protocol's front-end
 * (one row per protocol in server.c), the fault's start, ops and hooks
 * (faults.c), the TLS context and its hook (tlsctx.c). -1 with a reason
 * in err. server_config_free releases what it holds. */
int server_config_build(struct conn_config *cfg, const struct scenario *s, const char *certs_dir,
			const char *data_root, char *err, size_t cap);
void server_config_free(struct conn_config *cfg);

struct listener;
/* Build the scenario's TLS context and listen on `port` (0: ephemeral).
 * NULL with a one-line reason in err. */
struct listener *server_listener_new(const struct scenario *s, int port, const struct serve_opts *o,
				     char *err, size_t cap);
void server_listener_free(struct listener *lis);

/* Serve one listener until SIGINT/SIGTERM (the worker's loop); its events
 * go where events.c was pointed, ids from first_id + 1. Returns the exit
 * status. */
int server_worker(struct listener *lis, uint64_t first_id);

#endif
