/* ftps — the FTP(S) front-end: explicit FTPS (AUTH TLS on the control
 * port, RFC 4217) and implicit FTPS (TLS from the first byte), passive
 * data connections (PASV, EPSV) on the same event loop, protected with TLS
 * after PROT P, optionally required to resume the control session as
 * vsftpd's require_ssl_reuse=YES does (seed 000). Files live under
 * <data dir>/<scenario name>, jailed by ftp_fs.
 *
 * The front-end is ftp_ctl.c, ftp_cmds.c, ftp_data.c and ftp_list.c
 * (ftp_sess.h says which part owns what).
 *
 * Each connection, control or data, writes its own event; the control
 * event's "ftp" member lists every command (PASS masked) with its replies
 * and says whether USER/PASS crossed the wire in plaintext, and whether
 * this connection followed a failed TLS handshake on the same port. */
#ifndef TLSFAULT_FTPS_H
#define TLSFAULT_FTPS_H

struct proto_ops;
struct scenario;
extern const struct proto_ops ftps_ops;
/* Whether the scenario's server offers TLS at all (no: AUTH TLS refused
 * on explicit FTPS, as vsftpd with ssl_enable=NO). */
int ftps_offers_tls(const struct scenario *s);

#endif
