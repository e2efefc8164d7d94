/*
 * Fuzz target: idkey_soft_parse on hostile key file content. Whatever the
 * bytes, it returns a P-256 key whose re-encoding parses back to the same
 * key, or a reasoned error (-EBADMSG / -EKEYREJECTED with a message).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idkey.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t x[32], pub[SIGNER_PUB_LEN], x2[32], pub2[SIGNER_PUB_LEN];
	char err[IDKEY_ERR_MAX], pem[IDKEY_PEM_MAX];
	int rc, n;

	err[0] = 'x';
	err[1] = '\0';
	rc = idkey_soft_parse("fuzz", data, size, x, pub, err);
	if (rc < 0) {
		if (rc != -EBADMSG && rc != -EKEYREJECTED)
			abort();
		if (strncmp(err, "fuzz: ", 6) != 0 || strlen(err) < 10)
			abort();
		return 0;
	}
	if (rc != 0 || err[0] != '\0' || pub[0] != 0x04)
		abort();
	n = idkey_soft_encode(x, pub, pem, sizeof(pem));
	if (n <= 0 || (size_t)n != strlen(pem))
		abort();
	if (idkey_soft_parse("again", pem, (size_t)n, x2, pub2, err) != 0 ||
	    memcmp(x, x2, 32) != 0 || memcmp(pub, pub2, sizeof(pub)) != 0)
		abort();
	return 0;
}
