#include "textval.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int textval_int(const char *v, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

int textval_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false")) {
		*out = 0;
		return 0;
	}
	return -1;
}

int textval_enum(const char *const *names, const char *v, int *out)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], v)) {
			*out = i;
			return 0;
		}
	return -1;
}
