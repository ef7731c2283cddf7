/* https — a small HTTP/1.1 responder over TLS: one request, one answer
 * naming the scenario and the negotiated TLS parameters, then close. */
#ifndef TLSFAULT_HTTPS_H
#define TLSFAULT_HTTPS_H

struct proto_ops;
extern const struct proto_ops https_ops;

#endif
