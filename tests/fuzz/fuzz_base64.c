/* Fuzz target: base64_decode on any text; whatever decodes must re-encode
 * and decode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = BASE64_DECODED_MAX(size);
	uint8_t *dec = malloc(cap + 1), *dec2 = malloc(cap + 1);
	char *enc = malloc(BASE64_ENCODED_LEN(cap) + 1);
	long n = base64_decode((const char *)data, size, dec, cap, NULL);

	if (n >= 0) {
		long e = base64_encode(dec, (size_t)n, enc, BASE64_ENCODED_LEN(cap) + 1);
		if (e < 0 || base64_decode(enc, (size_t)e, dec2, cap, NULL) != n ||
		    memcmp(dec, dec2, (size_t)n) != 0)
			abort();
	}
	free(dec);
	free(dec2);
	free(enc);
	return 0;
}
