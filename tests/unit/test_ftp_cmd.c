/* Unit tests for servers/ftp_cmd.c: the command-line parser (good, bad,
 * over-long lines, Telnet IAC, every prefix needs more, exact-size heap
 * inputs for ASan), the command table, log masking and reply formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ftp_cmd.h"
#include "unit_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct line_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int consumed;
	const char *verb;
	const char *arg;
	const char *error;
};

static const struct line_case lines[] = {
	{"USER tester\r\n", 0, 13, "USER", "tester", NULL},
	{"user tester\r\n", 0, 13, "USER", "tester", NULL},
	{"PASS\r\n", 0, 6, "PASS", "", NULL},
	{"NOOP\n", 0, 5, "NOOP", "", NULL}, /* bare LF */
	{"CWD a b  c\r\n", 0, 12, "CWD", "a b  c", NULL},
	{"STOR  lead\r\n", 0, 12, "STOR", " lead", NULL}, /* one SP separates */
	{"RETR x\r\nNOOP\r\n", 0, 8, "RETR", "x", NULL},  /* one line at a time */
	{"PWD \r\n", 0, 6, "PWD", "", NULL},
	{"\r\n", 0, 2, "", "", "empty command line"},
	{"AB\r\n", 0, 4, "", "", "syntax error: a command is 3 or 4 letters"},
	{"ABCDE x\r\n", 0, 9, "", "", "syntax error: a command is 3 or 4 letters"},
	{"US1R x\r\n", 0, 8, "", "", "syntax error: a command is 3 or 4 letters"},
	{" USER x\r\n", 0, 9, "", "", "syntax error: a command is 3 or 4 letters"},
	{"USER\tx\r\n", 0, 8, "", "", "syntax error: a command is 3 or 4 letters"},
	{"US\0R x\r\n", 8, 8, "", "", "NUL byte in command line"},
	{"USER a\rb\r\n", 0, 10, "", "", "CR inside command line"},
	{"USER x\r\r\n", 0, 9, "", "", "CR inside command line"},
	/* Telnet: IAC IP IAC DM before ABOR (lftp), IAC IAC is 0xFF. */
	{"\xff\xf4\xff\xf2" "ABOR\r\n", 0, 10, "ABOR", "", NULL},
	{"RETR a\xff\xff" "b\r\n", 0, 11, "RETR", "a\xff" "b", NULL},
	{"\xff\xfb\x01NOOP\r\n", 0, 9, "NOOP", "", NULL}, /* IAC WILL ECHO */
	{"NOOP\xff\r\n", 0, 7, "NOOP", "", NULL},	    /* IAC at the end */
};

static void test_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(lines); i++) {
		const struct line_case *t = &lines[i];
		size_t len = t->len ? t->len : strlen(t->in);
		unsigned char *p = unit_dup(t->in, len);
		static struct ftp_line l;
		int rc = ftp_parse_line(p, len, &l);
		if (rc != t->consumed)
			fail_msg("case %zu: consumed %d, want %d", i, rc, t->consumed);
		assert_string_equal(l.verb, t->verb);
		if (t->error) {
			assert_non_null(l.error);
			assert_string_equal(l.error, t->error);
		} else {
			if (l.error)
				fail_msg("case %zu: unexpected error %s", i, l.error);
			assert_string_equal(l.arg, t->arg);
			assert_int_equal(l.arg_len, strlen(t->arg));
		}
		free(p);
	}
}

/* Every proper prefix of a line without its LF must say "need more". */
static void test_every_prefix_needs_more(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(lines); i++) {
		const struct line_case *t = &lines[i];
		size_t len = t->len ? t->len : strlen(t->in);
		const char *lf = memchr(t->in, '\n', len);
		size_t upto = (size_t)(lf - t->in);
		for (size_t k = 0; k <= upto; k++) {
			unsigned char *p = unit_dup(t->in, k);
			static struct ftp_line l;
			assert_int_equal(ftp_parse_line(p, k, &l), FTP_NEED_MORE);
			free(p);
		}
	}
}

static void test_too_long(void **state)
{
	(void)state;
	static struct ftp_line l;
	/* Exactly FTP_LINE_MAX bytes including CRLF is fine... */
	size_t n = FTP_LINE_MAX;
	unsigned char *p = malloc(n);
	memset(p, 'a', n);
	memcpy(p, "STOR ", 5);
	p[n - 2] = '\r';
	p[n - 1] = '\n';
	assert_int_equal(ftp_parse_line(p, n, &l), (int)n);
	assert_null(l.error);
	assert_int_equal(l.arg_len, n - 7);
	/* ...one more byte before the LF is too long, and so is a full
	 * buffer with no LF at all. */
	unsigned char *q = malloc(n + 1);
	memset(q, 'a', n + 1);
	memcpy(q, "STOR ", 5);
	q[n - 1] = '\r';
	q[n] = '\n';
	assert_int_equal(ftp_parse_line(q, n + 1, &l), FTP_TOO_LONG);
	assert_int_equal(ftp_parse_line(q, n - 1, &l), FTP_NEED_MORE);
	free(p);
	free(q);
	/* The discard helper: up to and including the LF. */
	int done;
	unsigned char r[] = "xxxx\nNOOP\r\n";
	assert_int_equal(ftp_skip_line(r, 4, &done), 4);
	assert_false(done);
	assert_int_equal(ftp_skip_line(r, sizeof(r) - 1, &done), 5);
	assert_true(done);
}

static void test_table(void **state)
{
	(void)state;
	static const char *const rfc[] = {
		"USER", "PASS", "AUTH", "PBSZ", "PROT", "FEAT", "SYST", "PWD", "CWD", "CDUP",
		"MKD", "RMD", "DELE", "TYPE", "SIZE", "MDTM", "PASV", "EPSV", "LIST", "NLST",
		"MLSD", "RETR", "STOR", "APPE", "RNFR", "RNTO", "NOOP", "QUIT", "ABOR", "REST",
	};
	for (size_t i = 0; i < N(rfc); i++)
		assert_non_null(ftp_cmd_find(rfc[i]));
	assert_null(ftp_cmd_find("XYZW"));
	assert_null(ftp_cmd_find("user")); /* the parser upper-cases first */
	assert_true(ftp_cmd_find("RETR")->flags & FTP_F_LOGIN);
	assert_true(ftp_cmd_find("RNTO")->flags & FTP_F_RENAME);
	assert_false(ftp_cmd_find("DELE")->flags & FTP_F_RENAME);
	assert_false(ftp_cmd_find("AUTH")->flags & FTP_F_LOGIN);
	assert_true(ftp_cmd_find("PASS")->flags & FTP_F_SECRET);
	assert_true(ftp_cmd_find("ABOR")->flags & FTP_F_ANYTIME);
	size_t n;
	const struct ftp_cmd_row *t = ftp_cmd_table(&n);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(t[i].run); /* a command is its row and its handler */
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(t[i].verb, t[k].verb);
	}
}

static void log_of(const char *in, char *out, size_t cap)
{
	static struct ftp_line l;
	assert_true(ftp_parse_line((const uint8_t *)in, strlen(in), &l) > 0);
	ftp_log_form(&l, out, cap);
}

static void test_log_masks_secrets(void **state)
{
	(void)state;
	char buf[96];
	log_of("PASS hunter2\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "PASS <password>");
	log_of("pass\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "PASS <password>");
	log_of("USER tester\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "USER tester");
	log_of("NO\rOP\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "(bad line: CR inside command line)");
	log_of("RETR abcdefghij\r\n", buf, 8);
	assert_string_equal(buf, "RETR ab");
	assert_int_equal(strlen(buf), 7);
}

static void test_replies(void **state)
{
	(void)state;
	char buf[256];
	assert_int_equal(ftp_reply_format(buf, sizeof(buf), 220, "ready."), 12);
	assert_string_equal(buf, "220 ready.\r\n");
	ftp_reply_format(buf, sizeof(buf), 211, "Features:\nEPSV\n230 trap\nEnd");
	/* A middle line starting with digits is indented (RFC 959 4.2). */
	assert_string_equal(buf, "211-Features:\r\n EPSV\r\n 230 trap\r\n211 End\r\n");
	ftp_reply_format(buf, sizeof(buf), 550, "bad\rname\0ignored");
	assert_string_equal(buf, "550 badname\r\n");
	assert_int_equal(ftp_reply_format(buf, 8, 220, "too long for it"), -1);
	assert_int_equal(ftp_reply_format(buf, sizeof(buf), 99, "x"), -1);
	assert_int_equal(ftp_reply_format(buf, sizeof(buf), 600, "x"), -1);
	assert_int_equal(ftp_quote_path(buf, sizeof(buf), "/a\"b"), 7);
	assert_string_equal(buf, "\"/a\"\"b\"");
	assert_int_equal(ftp_quote_path(buf, 4, "/ab"), -1);
	uint8_t a[4] = {127, 0, 0, 1};
	ftp_pasv_text(buf, sizeof(buf), a, 40001);
	assert_string_equal(buf, "Entering Passive Mode (127,0,0,1,156,65).");
	ftp_epsv_text(buf, sizeof(buf), 40001);
	assert_string_equal(buf, "Entering Extended Passive Mode (|||40001|)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_every_prefix_needs_more),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_log_masks_secrets),
		cmocka_unit_test(test_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
