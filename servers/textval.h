/* textval — the value parsers every INI reader here shares (scenario
 * files, certs/profiles.ini): whole-string integers in a range, the
 * yes/no words and a name from a list. 0 on success, -1 on a bad value;
 * *out untouched then. */
#ifndef TLSFAULT_TEXTVAL_H
#define TLSFAULT_TEXTVAL_H

int textval_int(const char *v, int lo, int hi, int *out);
int textval_bool(const char *v, int *out); /* yes/true -> 1, no/false -> 0 */
/* *out = the index of v in `names` (NULL-terminated). */
int textval_enum(const char *const *names, const char *v, int *out);

#endif
