/* tlsctx — builds a scenario's wolfSSL context: cert chain, key, versions,
 * cipher list, client auth, trusted client CAs, advertised CA names, I/O
 * callbacks, and the hook that gives a rejected client certificate the
 * alert the seed's server sends. Errors name the scenario and the file. */
#ifndef TLSFAULT_TLSCTX_H
#define TLSFAULT_TLSCTX_H

#include <stddef.h>

struct conn_config;

/* Fill cfg->ctx, cfg->reset_why (an unusable key: why), cfg->advertised_ca
 * and, with client auth, cfg->hooks.on_alert (seed 002: bad_certificate
 * for an empty Certificate, unsupported_certificate for a cert without
 * the clientAuth EKU). Returns 0, or -1 with a message in err. */
int tlsctx_build(struct conn_config *cfg, const char *certs_dir, char *err, size_t errcap);

#endif
