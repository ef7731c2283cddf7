/* net — the socket calls more than one module needs, written once:
 * a listening socket and an address as text. */
#ifndef TLSFAULT_NET_H
#define TLSFAULT_NET_H

#include <stddef.h>
#include <sys/socket.h>

/* A non-blocking, close-on-exec TCP socket listening on `a` (port 0: any
 * free one); *port is the port it got. The fd, or -1 with errno. */
int net_listen(const struct sockaddr *a, socklen_t len, int backlog, int *port);

/* "host" of an address (IPv4 dotted, IPv6 without brackets) and its port. */
void net_host_text(const struct sockaddr_storage *a, char *buf, size_t cap, int *port);

#endif
