/* libFuzzer target: the FTP control-line parser and reply formatter
 * (servers/ftp_cmd.c) and the pure path normaliser of the jailed file
 * system (ftp_fs_normalize in servers/ftp_fs.c).
 *
 * The input is read as a control-channel byte stream, line after line, as
 * ftp_ctl.c does (over-long lines skipped with ftp_skip_line). Properties:
 *  - a parsed line consumed no more than given; verb upper-case, 3-4
 *    letters; the argument lies inside `text`;
 *  - a logged line never shows a secret argument (PASS): it is exactly
 *    "PASS <password>";
 *  - a reply rendered from any text has no CR, LF or NUL except the CRLF
 *    that ends each line, and every line but the last starts "ddd-" or " ";
 *  - a normalised path is absolute and has no "." or ".." component, so it
 *    cannot name anything above the root. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ftp_cmd.h"
#include "ftp_fs.h"

static void check_reply(const char *buf, int n, int code)
{
	char head[8];
	snprintf(head, sizeof(head), "%d", code);
	const char *s = buf, *end = buf + n;
	assert((int)strlen(buf) == n);
	while (s < end) {
		const char *crlf = strstr(s, "\r\n");
		assert(crlf);
		for (const char *q = s; q < crlf; q++)
			assert(*q != '\r' && *q != '\n');
		int last = crlf + 2 == end;
		if (s == buf || last)
			assert(!strncmp(s, head, 3) && s[3] == (last ? ' ' : '-'));
		else
			assert(s[0] == ' ');
		s = crlf + 2;
	}
}

static void check_path(const char *arg)
{
	char out[FTP_PATH_MAX];
	static const char *const cwds[] = {"/", "/a", "/a/b"};
	for (size_t i = 0; i < 3; i++) {
		if (ftp_fs_normalize(cwds[i], arg, out, sizeof(out)) != 0) {
			assert(errno == EACCES || errno == ENAMETOOLONG || errno == EINVAL);
			continue;
		}
		assert(out[0] == '/');
		assert(strcmp(out, "/") == 0 || out[strlen(out) - 1] != '/');
		assert(!strstr(out, "//") && !strstr(out, "/./") && !strstr(out, "/../"));
		size_t l = strlen(out);
		assert(!(l >= 2 && !strcmp(out + l - 2, "/.")) &&
		       !(l >= 3 && !strcmp(out + l - 3, "/..")));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ftp_line line;
	static char buf[8192];
	size_t off = 0;
	int skipping = 0, lines = 0;
	while (off < size && lines++ < 64) {
		if (skipping) {
			int done;
			size_t k = ftp_skip_line(data + off, size - off, &done);
			assert(k >= 1 && k <= size - off);
			off += k;
			skipping = !done;
			continue;
		}
		int rc = ftp_parse_line(data + off, size - off, &line);
		if (rc == FTP_NEED_MORE) {
			assert(size - off < FTP_LINE_MAX);
			break;
		}
		if (rc == FTP_TOO_LONG) {
			skipping = 1;
			continue;
		}
		assert(rc > 0 && (size_t)rc <= size - off && (size_t)rc <= FTP_LINE_MAX);
		off += (size_t)rc;
		if (line.error)
			continue;
		assert(line.text_len < sizeof(line.text) && line.text[line.text_len] == '\0');
		size_t v = strlen(line.verb);
		assert(v >= 3 && v <= FTP_VERB_MAX);
		for (size_t i = 0; i < v; i++)
			assert(line.verb[i] >= 'A' && line.verb[i] <= 'Z');
		if (line.arg_len)
			assert(line.arg > line.text && line.arg + line.arg_len <= line.text + line.text_len);
		const struct ftp_cmd_row *row = ftp_cmd_find(line.verb);
		size_t n = ftp_log_form(&line, buf, sizeof(buf));
		assert(n < sizeof(buf) && buf[n] == '\0');
		if (row && (row->flags & FTP_F_SECRET)) {
			char masked[16];
			snprintf(masked, sizeof(masked), "%s <password>", line.verb);
			assert(!strcmp(buf, masked));
		}
		/* The argument, as a client path and as reply text. */
		if (!memchr(line.arg, '\0', line.arg_len)) {
			check_path(line.arg);
			int code = 100 + (int)(line.text_len % 500);
			int r = ftp_reply_format(buf, sizeof(buf), code, line.arg);
			if (r >= 0)
				check_reply(buf, r, code);
			char q[FTP_PATH_MAX * 2 + 4];
			int k = ftp_quote_path(q, sizeof(q), line.arg);
			assert(k == -1 || (k >= 2 && q[0] == '"' && q[k - 1] == '"'));
		}
	}
	/* The raw input as multi-line reply text (NUL ends it, as in C). */
	static char text[4096];
	size_t tn = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, tn);
	text[tn] = '\0';
	int r = ftp_reply_format(buf, sizeof(buf), 211, text);
	if (r >= 0)
		check_reply(buf, r, 211);
	return 0;
}
