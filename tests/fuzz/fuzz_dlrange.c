/*
 * Fuzz target: dlfetch_content_range_parse, on hostile Content-Range values
 * (what a datastore answers a resumed download).  Invariants: 0 or -EPROTO;
 * on success the range lies within the total when both are known.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlfetch.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	uint64_t first, total;
	bool star;
	int rc;

	if (!v)
		return 0;
	memcpy(v, data, size);
	v[size] = 0;
	rc = dlfetch_content_range_parse(v, &first, &total, &star);
	if (rc != 0 && rc != -EPROTO)
		abort();
	if (rc == 0 && star && first != 0)
		abort(); /* an unsatisfied range has no first byte */
	if (rc == 0 && !star && total && first >= total)
		abort();
	free(v);
	return 0;
}
