/* server — listeners for the selected scenarios, the manifest, and the
 * serve loop. main.c parses the command line and calls server_run(). */
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

struct proto_ops;
/* The front-end for a scenario: a fault's override, FTPS, or HTTPS. */
const struct proto_ops *server_ops_for(const struct scenario *s);

/* Serve `n` scenarios until SIGINT/SIGTERM. Returns the exit status. */
int server_run(const struct scenario *const *list, int n, const struct serve_opts *o);

#endif
