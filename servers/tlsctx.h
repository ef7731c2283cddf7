/* tlsctx — builds a scenario's wolfSSL context: cert chain, key, versions,
 * cipher list, client auth, trusted client CAs, advertised CA names, I/O
 * callbacks. Errors name the scenario and the file. */
#ifndef TLSFAULT_TLSCTX_H
#define TLSFAULT_TLSCTX_H

#include <stddef.h>

#include "conn.h"

/* Fill lis->ctx (NULL when the scenario never speaks TLS), lis->cred_error
 * and lis->advertised_ca. Returns 0, or -1 with a message in err. */
int tlsctx_build(struct listener *lis, const char *certs_dir, char *err, size_t errcap);

#endif
