/* libFuzzer target: the scenario file loader (servers/scenario.c over
 * libinih), fed through a memfd so the real scenario_load_file() path,
 * fopen included, is what runs. A file that loads must also render as
 * `show --json`, and the loader must report at least one file:line error
 * for every file it refuses. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "json.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scenario s;
	static char out[1 << 16];
	static char errs[1 << 16];
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");

	int fd = memfd_create("scenario.ini", MFD_CLOEXEC);
	assert(fd >= 0);
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		assert(w > 0);
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	FILE *err = fmemopen(errs, sizeof(errs), "w");
	int n_errors = 0;
	int rc = scenario_load_file(path, &s, err ? err : devnull, &n_errors);
	if (err)
		fclose(err);
	close(fd);
	if (rc != 0) {
		assert(n_errors > 0);
		return 0;
	}
	assert(n_errors == 0);
	assert(memchr(s.name, '\0', sizeof(s.name)) && memchr(s.description, '\0', sizeof(s.description)));
	assert(s.n_variants >= 0 && s.n_variants <= SCN_MAX_VARIANTS);
	struct json j;
	json_init(&j, out, sizeof(out));
	scenario_to_json(&s, &j);
	assert(!j.truncated && out[0] == '{');
	char v[64];
	scenario_versions_str(s.versions, v, sizeof(v));
	return 0;
}
