/* faults — what a faulty server does that is not a TLS option: how its
 * connections start, a front-end that replaces the protocol's, and hooks
 * at named points of a connection's life (conn.h). One row per fault in
 * faults.c, plus at most one function. The two faults that are about the
 * credential itself (credential-unusable: the key that will not load;
 * key-mismatch: the key that signs) are how tlsctx.c loads it. */
#ifndef TLSFAULT_FAULTS_H
#define TLSFAULT_FAULTS_H

#include <stddef.h>

struct conn_config;

/* Put the fault of cfg->s into cfg (start, ops, hooks, reset_why), over
 * the front-end's choice already there. Returns 1 when the faulty server
 * never speaks TLS (no context to build), else 0. */
int faults_configure(struct conn_config *cfg);

#endif
