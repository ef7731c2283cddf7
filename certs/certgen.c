/* certgen — build every certificate of the suite from certs/profiles.ini.
 *
 *   certgen PROFILES.ini OUTDIR
 *
 * Runs at build time, so validity is relative to now: the expired cert
 * is always expired and the not-yet-valid one always in the future. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "profile.h"
#include "x509.h"

#define SUITE_ROOT "root-ca" /* written again as ca.pem: what clients trust */

static const char readme[] =
	"TEST-ONLY certificates made by tlsfault's certs/certgen.c.\n"
	"Every private key here is public; never trust these outside tests.\n"
	"ca.pem is the suite root; PKCS#12 password: " P12_PASSWORD "\n";

static struct issued *find_issued(struct issued *all, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(all[i].p->name, name))
			return &all[i];
	return NULL;
}

static int make_all(const struct profile_set *set, struct issued *all, const char *dir)
{
	WC_RNG rng;
	char err[512];
	if (wc_InitRng(&rng) != 0) {
		fprintf(stderr, "certgen: no RNG\n");
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < set->n && rc == 0; i++) {
		all[i].p = &set->items[i];
		const struct issued *issuer = strcmp(all[i].p->issuer, "self")
						      ? find_issued(all, i, all[i].p->issuer)
						      : NULL;
		rc = x509_make(&all[i], issuer, &rng, err, sizeof(err));
		if (rc == 0)
			rc = output_write(&all[i], dir, err, sizeof(err));
		if (rc)
			fprintf(stderr, "certgen: %s\n", err);
	}
	if (rc == 0 && output_alias(dir, SUITE_ROOT, "ca.pem", err, sizeof(err))) {
		fprintf(stderr, "certgen: %s\n", err);
		rc = -1;
	}
	wc_FreeRng(&rng);
	return rc;
}

static int write_readme(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/README.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(readme, f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: certgen PROFILES.ini OUTDIR\n");
		return 2;
	}
	static struct profile_set set;
	if (profiles_load(argv[1], &set) != 0)
		return 1;
	if (!profiles_find(&set, SUITE_ROOT)) {
		fprintf(stderr, "%s: no [%s] profile (the suite root)\n", argv[1], SUITE_ROOT);
		return 1;
	}
	static struct issued all[PROF_MAX];
	int rc = make_all(&set, all, argv[2]);
	for (int i = 0; i < set.n; i++)
		x509_free(&all[i]);
	if (rc == 0 && write_readme(argv[2]) != 0)
		rc = -1;
	if (rc == 0)
		printf("certgen: %d profiles written to %s\n", set.n, argv[2]);
	return rc == 0 ? 0 : 1;
}
