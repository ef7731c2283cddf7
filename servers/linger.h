/* linger — a lingering close, for a connection whose event is already
 * written.
 *
 * A server that rejects a handshake sends its fatal alert while the
 * client may still be writing the rest of its flight (seed 002: the
 * client's Certificate is followed by ClientKeyExchange, CertificateVerify,
 * ChangeCipherSpec, Finished). close() with those bytes unread makes the
 * kernel answer with RST, and a client that is still writing reports
 * "Broken pipe" instead of the alert. So after a failed handshake the
 * server half-closes (FIN after the alert) and reads and discards what
 * still comes, for at most LINGER_MS; the event is already written. */
#ifndef TLSFAULT_LINGER_H
#define TLSFAULT_LINGER_H

#include <stdint.h>

#include "loop.h"

/* Half-close fd (already removed from the loop; this takes it over) and
 * read and discard what still comes, for at most LINGER_MS, at most
 * LINGER_MAX sockets at once (beyond, a plain close). */
void linger_start(struct loop *loop, int fd);
/* End the lingering sockets whose time is up, or all of them. */
void linger_sweep(int64_t now_ms, int all);

#endif
