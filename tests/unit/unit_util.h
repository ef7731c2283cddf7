/* Helpers shared by the unit tests (header-only: the Makefile builds each
 * test_*.c on its own). Include after <cmocka.h>. */
#ifndef TLSFAULT_UNIT_UTIL_H
#define TLSFAULT_UNIT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a whole fixture (path relative to tests/unit) into a malloc'd
 * buffer of exactly its size, so ASan flags any read past the end. */
static inline unsigned char *unit_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s (run from tests/unit)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_true(n > 0);
	unsigned char *p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* An exact-size heap copy of p[0..n), for the same ASan reason. */
static inline unsigned char *unit_dup(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);
	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

#endif
