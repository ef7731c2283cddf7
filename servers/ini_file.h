/* ini_file — the one INI reader of tlsfault: scenario files (scenario.c)
 * and the certificate profile table (certs/profile.c, linked into certgen).
 *
 * It runs libinih's ini_parse_stream over a reader that counts lines, since
 * Debian's libinih passes no line number to the handler (it is built
 * without INI_HANDLER_LINENO); a handler reads ini_file.line for its
 * file:line errors. The reader also refuses what inih would silently get
 * wrong: a line longer than inih's buffer (inih would split it) and a NUL
 * byte (every string function after fgets would cut the line there). */
#ifndef TLSFAULT_INI_FILE_H
#define TLSFAULT_INI_FILE_H

#include <stdio.h>

#include <ini.h>

/* An error of the reader itself, at `line` of the file. */
typedef void ini_file_error_fn(void *user, int line, const char *msg);

struct ini_file {
	int line;	      /* the line inih is parsing (1-based) */
	int indented;	      /* it starts with a blank: an inih continuation line */
	const char *long_line_hint; /* appended to the over-long line error, or NULL */
	/* private */
	FILE *in;
	ini_file_error_fn *on_error;
	void *user;
};

/* Parse `path`, calling on_key(user, section, key, value) for every pair
 * and on_error(user, line, message) for a reader error. The caller sets
 * f->long_line_hint (or zeroes f) first. Returns inih's result: 0, the
 * line of the first syntax error, -1 if the file cannot be opened (errno
 * set), -2 if inih cannot allocate. */
int ini_file_parse(struct ini_file *f, const char *path, ini_handler on_key,
		   ini_file_error_fn *on_error, void *user);

#endif
