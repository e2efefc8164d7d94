/*
 * Fuzz target: http_parse on hostile responses (see http_fuzz.h for the
 * input layout).  Whole, split and byte-by-byte parses must agree; the body
 * never exceeds its limit; every header points into the parser's buffer.
 */
#include <stddef.h>
#include <stdint.h>

#include "http_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_one(HTTP_RESPONSE, data, size);
	return 0;
}
