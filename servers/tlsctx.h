/* tlsctx — builds a scenario's wolfSSL context: cert chain, key, versions,
 * cipher list, client auth, trusted client CAs, advertised CA names, I/O
 * callbacks. Errors name the scenario and the file. */
#ifndef TLSFAULT_TLSCTX_H
#define TLSFAULT_TLSCTX_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* Fill lis->ctx (NULL when the scenario never speaks TLS), lis->cred_error
 * and lis->advertised_ca. Returns 0, or -1 with a message in err. */
int tlsctx_build(struct listener *lis, const char *certs_dir, char *err, size_t errcap);

/* conn_io_send passes every buffer wolfSSL writes: a plaintext fatal alert
 * this connection's scenario replaces (seed 002: bad_certificate for an
 * empty Certificate, unsupported_certificate for a cert without the
 * clientAuth EKU) is rewritten in place and recorded in *sent (code,
 * level, replaced). Returns 0 when it replaced one, else -1. */
int tlsctx_swap_alert(WOLFSSL *ssl, uint8_t *buf, size_t n, struct alert_rec *sent);

#endif
