/* faults — what is not a TLS option: how a connection starts (raw capture,
 * plaintext service, TLS) and what a faulty server does after the
 * ClientHello. One row per fault in faults.c; no scenario needs C code. */
#ifndef TLSFAULT_FAULTS_H
#define TLSFAULT_FAULTS_H

#include "scenario.h"

struct conn;
struct proto_ops;

enum start_mode {
	START_TLS,	     /* handshake from the first byte (https, implicit FTPS) */
	START_PLAIN,	     /* plaintext front-end first (explicit FTPS) */
	START_PLAIN_CAPTURE, /* plaintext service that still decodes a ClientHello */
	START_RAW_HELLO,     /* read the ClientHello only, then faults_after_hello */
};

enum start_mode faults_start_mode(const struct scenario *s);
/* A front-end that replaces the scenario's protocol, or NULL. */
const struct proto_ops *faults_override_ops(const struct scenario *s);
/* START_RAW_HELLO: the ClientHello is in (or failed to decode); act. */
void faults_after_hello(struct conn *c);

#endif
