/* ftp_cmd — see ftp_cmd.h (the command table itself is in ftp_cmds.c). */
#include "ftp_cmd.h"

#include <stdio.h>
#include <string.h>

#define IAC 255
#define WILL 251
#define DONT 254

static int is_alpha(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* Copy the line into out->text dropping Telnet IAC sequences: IAC IAC is a
 * literal 0xFF, IAC WILL/WONT/DO/DONT x is three bytes, IAC x is two. */
static const char *unescape(const uint8_t *p, size_t n, struct ftp_line *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (ch == IAC && i + 1 < n) {
			uint8_t nx = p[++i];
			if (nx != IAC) {
				if (nx >= WILL && nx <= DONT && i + 1 < n)
					i++;
				continue;
			}
		} else if (ch == IAC) {
			continue;
		}
		if (ch == '\0')
			return "NUL byte in command line";
		if (ch == '\r')
			return "CR inside command line";
		out->text[k++] = (char)ch;
	}
	out->text[k] = '\0';
	out->text_len = k;
	return NULL;
}

int ftp_parse_line(const uint8_t *p, size_t n, struct ftp_line *out)
{
	memset(out->verb, 0, sizeof(out->verb));
	out->arg = "";
	out->arg_len = 0;
	out->error = NULL;
	out->text[0] = '\0';
	out->text_len = 0;
	size_t lim = n < FTP_LINE_MAX ? n : FTP_LINE_MAX;
	const uint8_t *lf = memchr(p, '\n', lim);
	if (!lf)
		return n >= FTP_LINE_MAX ? FTP_TOO_LONG : FTP_NEED_MORE;
	size_t consumed = (size_t)(lf - p) + 1;
	size_t len = consumed - 1;
	if (len && p[len - 1] == '\r')
		len--;
	out->error = unescape(p, len, out);
	if (out->error)
		return (int)consumed;
	if (out->text_len == 0) {
		out->error = "empty command line";
		return (int)consumed;
	}
	size_t v = 0;
	while (v < out->text_len && is_alpha((uint8_t)out->text[v]))
		v++;
	if (v < 3 || v > FTP_VERB_MAX || (v < out->text_len && out->text[v] != ' ')) {
		out->error = "syntax error: a command is 3 or 4 letters";
		return (int)consumed;
	}
	for (size_t i = 0; i < v; i++) {
		char ch = out->text[i];
		out->verb[i] = (char)(ch >= 'a' ? ch - 32 : ch);
	}
	if (v < out->text_len) {
		out->arg = out->text + v + 1;
		out->arg_len = out->text_len - v - 1;
	}
	return (int)consumed;
}

size_t ftp_skip_line(const uint8_t *p, size_t n, int *done)
{
	const uint8_t *lf = memchr(p, '\n', n);
	*done = lf != NULL;
	return lf ? (size_t)(lf - p) + 1 : n;
}

size_t ftp_log_form(const struct ftp_line *l, char *buf, size_t cap)
{
	if (!cap)
		return 0;
	const struct ftp_cmd_row *r = ftp_cmd_find(l->verb);
	int n;
	if (l->error)
		n = snprintf(buf, cap, "(bad line: %s)", l->error);
	else if (!l->verb[0])
		n = snprintf(buf, cap, "%.*s", (int)l->text_len, l->text);
	else if (r && (r->flags & FTP_F_SECRET))
		n = snprintf(buf, cap, "%s <password>", l->verb);
	else if (l->arg_len)
		n = snprintf(buf, cap, "%s %.*s", l->verb, (int)l->arg_len, l->arg);
	else
		n = snprintf(buf, cap, "%s", l->verb);
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Append one reply line, dropping characters that could end it early. */
static int put_line(char *buf, size_t cap, size_t *len, const char *head, const char *s,
		    size_t n)
{
	size_t hl = strlen(head);
	if (*len + hl + n + 2 >= cap)
		return -1;
	memcpy(buf + *len, head, hl);
	*len += hl;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n' && s[i] != '\0')
			buf[(*len)++] = s[i];
	buf[(*len)++] = '\r';
	buf[(*len)++] = '\n';
	buf[*len] = '\0';
	return 0;
}

int ftp_reply_format(char *buf, size_t cap, int code, const char *text)
{
	if (code < 100 || code > 599 || cap == 0)
		return -1;
	char first[8], last[8];
	snprintf(first, sizeof(first), "%d-", code);
	snprintf(last, sizeof(last), "%d ", code);
	size_t len = 0;
	buf[0] = '\0';
	const char *nl = strchr(text, '\n');
	if (!nl)
		return put_line(buf, cap, &len, last, text, strlen(text)) ? -1 : (int)len;
	if (put_line(buf, cap, &len, first, text, (size_t)(nl - text)))
		return -1;
	const char *s = nl + 1;
	for (nl = strchr(s, '\n'); nl; s = nl + 1, nl = strchr(s, '\n'))
		/* RFC 959 4.2: a middle line must not start with "ddd " or
		 * "ddd-"; one leading space rules that out. */
		if (put_line(buf, cap, &len, " ", s, (size_t)(nl - s)))
			return -1;
	return put_line(buf, cap, &len, last, s, strlen(s)) ? -1 : (int)len;
}

int ftp_quote_path(char *buf, size_t cap, const char *path)
{
	size_t k = 0;
	if (cap < 3)
		return -1;
	buf[k++] = '"';
	for (const char *s = path; *s; s++) {
		size_t need = *s == '"' ? 2 : 1;
		if (k + need + 2 > cap)
			return -1;
		buf[k++] = *s;
		if (*s == '"')
			buf[k++] = '"';
	}
	buf[k++] = '"';
	buf[k] = '\0';
	return (int)k;
}

int ftp_pasv_text(char *buf, size_t cap, const uint8_t addr[4], int port)
{
	int n = snprintf(buf, cap, "Entering Passive Mode (%u,%u,%u,%u,%d,%d).", addr[0], addr[1],
			 addr[2], addr[3], (port >> 8) & 0xff, port & 0xff);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int ftp_epsv_text(char *buf, size_t cap, int port)
{
	int n = snprintf(buf, cap, "Entering Extended Passive Mode (|||%d|)", port);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
