/* ftp_cmd — the FTP control-channel line parser and reply formatter.
 * Pure functions: no I/O, no allocation (picohttpparser's shape).
 *
 * ftp_parse_line() reads one command line (RFC 959 4.1: a verb of 3-4
 * letters, optionally one space and an argument, ended by CRLF; a bare LF
 * is accepted as many servers do). It returns
 *   > 0            bytes consumed; out->error is NULL for a good line, or a
 *                  static message for a bad one (the caller replies 500/501
 *                  and goes on with the next line),
 *   FTP_NEED_MORE  no LF yet and fewer than FTP_LINE_MAX bytes,
 *   FTP_TOO_LONG   no LF in the first FTP_LINE_MAX bytes: the caller replies and
 *                  discards up to the next LF (ftp_skip_line()).
 *
 * ftp_reply_format() renders a reply; text with '\n' becomes a multi-line
 * reply (RFC 959 4.2): "code-first", middle lines indented by one space so
 * none can be mistaken for the end, "code last". Any CR or LF that is not
 * a line separator, and any NUL, can never reach the wire.
 *
 * The command table (ftp_cmd_find, in ftp_cmds.c next to the handlers)
 * says which verbs exist, which need a login or an argument, and which
 * handler answers each: one row per command. */
#ifndef TLSFAULT_FTP_CMD_H
#define TLSFAULT_FTP_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "tf_limits.h" /* FTP_LINE_MAX */

#define FTP_NEED_MORE (-2)
#define FTP_TOO_LONG (-1)

#define FTP_VERB_MAX 4

struct ftp_line {
	char verb[FTP_VERB_MAX + 1]; /* upper-cased, NUL-terminated */
	const char *arg;	     /* into text, NUL-terminated; "" when none */
	size_t arg_len;		     /* 0: no argument */
	const char *error;	     /* NULL, or why the line is bad */
	/* The line without CRLF and with Telnet IAC sequences removed
	 * (RFC 959 4.1: the control connection follows Telnet; lftp sends
	 * IAC IP before ABOR and doubles 0xFF in names). */
	char text[FTP_LINE_MAX];
	size_t text_len;
};

int ftp_parse_line(const uint8_t *p, size_t n, struct ftp_line *out);

/* Discarding an over-long line: bytes to drop from `p` (through the LF when
 * there is one). *done is 1 when the LF was found. */
size_t ftp_skip_line(const uint8_t *p, size_t n, int *done);

/* Command flags. */
enum {
	FTP_F_LOGIN = 1,   /* needs a completed login */
	FTP_F_ARG = 2,	   /* needs an argument (501 without) */
	FTP_F_NOARG = 4,   /* takes no argument (501 with one) */
	FTP_F_SECRET = 8,  /* argument is a secret: masked in every log */
	FTP_F_ANYTIME = 16, /* answered even while a transfer runs (ABOR, ...) */
	FTP_F_RENAME = 32  /* RNFR/RNTO: keeps a pending RNFR (any other drops it) */
};

struct ftp_sess;
/* What a handler gets: the argument ("" when none) and the command's
 * logged form (PASS masked), which a transfer quotes in its data event. */
struct ftp_req {
	const char *arg;
	const char *logged;
};

struct ftp_cmd_row {
	const char *verb;
	int flags;
	void (*run)(struct ftp_sess *s, const struct ftp_req *rq);
};

/* Every command the server knows; NULL for an unknown verb. */
const struct ftp_cmd_row *ftp_cmd_find(const char *verb);
/* The whole table, for FEAT/HELP and the tests. */
const struct ftp_cmd_row *ftp_cmd_table(size_t *n);

/* "VERB arg" as it may be logged: a secret argument becomes "<password>"
 * (vsftpd's habit), the argument is cut at `cap`; a bad line is logged as
 * "(bad line: why)", never its bytes. Returns the length. */
size_t ftp_log_form(const struct ftp_line *l, char *buf, size_t cap);

/* Render a reply. Returns the length, or -1 when it does not fit `cap`
 * (nothing usable is left in buf then). `code` must be 100-599. */
int ftp_reply_format(char *buf, size_t cap, int code, const char *text);

/* RFC 959 appendix II: a pathname in a 257 reply is quoted, with every
 * '"' doubled. Returns the length or -1 if it does not fit. */
int ftp_quote_path(char *buf, size_t cap, const char *path);

/* 227 text "Entering Passive Mode (h1,h2,h3,h4,p1,p2)." for an IPv4
 * address in network byte order (RFC 959) and a port. */
int ftp_pasv_text(char *buf, size_t cap, const uint8_t addr[4], int port);
/* 229 text "Entering Extended Passive Mode (|||port|)" (RFC 2428). */
int ftp_epsv_text(char *buf, size_t cap, int port);

#endif
