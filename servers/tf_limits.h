/* Every limit of the server in one place (vsftpd's habit). */
#ifndef TLSFAULT_LIMITS_H
#define TLSFAULT_LIMITS_H

#define MAX_CONNECTIONS 4096	     /* across all scenarios; more are refused */
#define HANDSHAKE_TIMEOUT_MS 10000   /* accept to handshake done */
#define IDLE_TIMEOUT_MS 30000	     /* no byte either way after the handshake */
#define SWEEP_INTERVAL_MS 100	     /* how often deadlines are checked */
#define IN_BUF_SIZE 8192	     /* staged raw bytes per connection */
#define HELLO_CAPTURE_MAX 16384	     /* bytes kept to decode the ClientHello */
#define HTTP_HEAD_MAX 8192	     /* request head; longer gets 431 */
#define EVENT_LINE_MAX 16384	     /* one JSON event line */
#define APP_RECORDS_LOGGED 8	     /* sizes of the first application records */
#define LISTEN_BACKLOG 511
#define FTP_UPLOAD_MAX_MB 1024	     /* one FTP upload; more gets 552 */

/* The limits `serve` may override (--handshake-timeout, --idle-timeout,
 * --max-connections, --max-upload-mb: tests use short timeouts and a small
 * limit). Defined in conn.c with the defaults above; set before serving. */
struct tf_limits {
	int handshake_timeout_ms;
	int idle_timeout_ms;
	int max_connections;
	long long ftp_upload_max; /* bytes per STOR/APPE (--max-upload-mb) */
};
extern struct tf_limits tf_limits;

#endif
