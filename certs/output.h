/* output — write a made profile as the files clients and servers load:
 * NAME.der, NAME.pem, NAME.key, NAME.chain.pem, NAME.p12. */
#ifndef CERTGEN_OUTPUT_H
#define CERTGEN_OUTPUT_H

#include "x509.h"

#define P12_PASSWORD "changeit" /* Java's keystore default; test-only */

/* Returns 0, or -1 with `err` filled. */
int output_write(const struct issued *it, const char *dir, char *err, size_t cap);
/* Copy NAME.pem to dir/alias (e.g. ca.pem for the suite root). */
int output_alias(const char *dir, const char *name, const char *alias, char *err, size_t cap);

#endif
