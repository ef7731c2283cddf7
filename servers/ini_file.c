/* ini_file — see ini_file.h. */
#include "ini_file.h"

static void error(struct ini_file *f, const char *fmt, int n, const char *hint)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, n, hint ? "; " : "", hint ? hint : "");
	f->on_error(f->user, f->line, msg);
}

static char *counting_reader(char *str, int num, void *stream)
{
	struct ini_file *f = stream;
	int len = 0, c = EOF, nul_at = 0;
	while (len < num - 1 && (c = getc(f->in)) != EOF) {
		if (c == '\0' && !nul_at)
			nul_at = len + 1;
		str[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (len == 0)
		return NULL;
	str[len] = '\0';
	f->line++;
	f->indented = str[0] == ' ' || str[0] == '\t';
	if (len == num - 1 && c != '\n' && (c = getc(f->in)) != EOF) {
		while (c != EOF && c != '\n')
			c = getc(f->in);
		error(f, "line longer than %d characters%s%s", num - 2, f->long_line_hint);
	}
	if (nul_at) {
		error(f, "NUL byte at column %d%s%s", nul_at, NULL);
		/* The file is refused anyway; hand inih an empty line so the
		 * cut value causes no second, misleading error. */
		str[0] = '\n';
		str[1] = '\0';
	}
	return str;
}

int ini_file_parse(struct ini_file *f, const char *path, ini_handler on_key,
		   ini_file_error_fn *on_error, void *user)
{
	f->line = 0;
	f->indented = 0;
	f->on_error = on_error;
	f->user = user;
	f->in = fopen(path, "r");
	if (!f->in)
		return -1;
	int rc = ini_parse_stream(counting_reader, f, on_key, user);
	fclose(f->in);
	f->in = NULL;
	return rc;
}
