/* Every limit of the server in one place (vsftpd's habit). */
#ifndef TLSFAULT_LIMITS_H
#define TLSFAULT_LIMITS_H

#define MAX_CONNECTIONS 4096	     /* per scenario (each worker); more are refused */
#define HANDSHAKE_TIMEOUT_MS 10000   /* accept to handshake done */
#define IDLE_TIMEOUT_MS 30000	     /* no byte either way after the handshake */
#define SWEEP_INTERVAL_MS 100	     /* how often deadlines are checked */
#define IN_BUF_SIZE 8192	     /* staged raw bytes per connection */
/* Largest ClientHello reassembled across records (post-quantum key
 * shares make real ones ~2 KiB; 16 KiB is one full record). */
#define HELLO_MAX_BYTES 16384
#define HTTP_HEAD_MAX 8192	     /* request head; longer gets 431 */
#define EVENT_LINE_MAX 16384	     /* one JSON event line */
#define APP_RECORDS_LOGGED 8	     /* sizes of the first application records */
#define LISTEN_BACKLOG 511
#define FTP_UPLOAD_MAX_MB 1024	     /* one FTP upload; more gets 552 */
#define FTP_DATA_QUOTA_MB 4096	     /* all files under one scenario's upload root */
#define FTP_LINE_TIMEOUT_MS 30000    /* first byte of a command line to its end */
#define FTP_LOGIN_TIMEOUT_MS 60000   /* connect to a successful login */
#define OUT_HIGH_WATER (256 * 1024)  /* queued output above which input is not read */
#define READ_BUDGET (256 * 1024)     /* bytes a data handler moves per wakeup */
#define FTP_CMDS_PER_WAKEUP 32	     /* control commands run per wakeup */
#define FTP_DATA_CANDIDATES 4	     /* PROT P connections on one data port awaiting TLS */
#define FTP_LIST_MAX_ENTRIES 200000  /* names in one listing; more gets 451 */
#define LINGER_MS 2000		     /* reading and discarding after a refusal */
#define LINGER_MAX 256		     /* lingering sockets at once */
#define LINGER_READS 16		     /* reads per wakeup of a lingering socket */
#define FTP_LOG_CMDS 64		     /* commands kept in a control event */
#define FTP_LOG_CMD_LEN 96	     /* logged form of one command */
#define FTP_EARLY_MAX 65536	     /* data bytes accepted before their command */
#define FTP_IO_CHUNK 65536	     /* file <-> data connection step */
#define FTP_TLS_FAIL_WINDOW_MS 60000 /* "after a TLS failure" look-back */
#define FTP_LINE_MAX 2048	     /* command line, CRLF included (vsftpd: 4096; RFC 959: none) */
#define FTP_PATH_MAX 1024	     /* a path under the upload root */
#define FTP_USAGE_DEPTH 64	     /* directory levels the quota's usage walk enters */

/* The limits `serve` may override (--handshake-timeout, --idle-timeout,
 * --max-connections, --max-upload-mb, --max-data-mb, --line-timeout,
 * --login-timeout: tests use short timeouts and small limits). Defined in conn.c with the defaults above; set before serving. */
struct tf_limits {
	int handshake_timeout_ms;
	int idle_timeout_ms;
	int max_connections;
	long long ftp_upload_max; /* bytes per STOR/APPE (--max-upload-mb) */
	long long ftp_data_quota; /* bytes under one upload root (--max-data-mb) */
	int ftp_line_timeout_ms;  /* --line-timeout */
	int ftp_login_timeout_ms; /* --login-timeout */
};
extern struct tf_limits tf_limits;

#endif
