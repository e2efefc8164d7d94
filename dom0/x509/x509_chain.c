/* x509_chain: chain checks against the device's roots.  See x509_chain.h. */
#include "x509_chain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pem.h"

#define END_CERT "-----END CERTIFICATE-----"

int
x509_chain_load_pem(const char *pem, size_t len, uint8_t *storage, size_t cap,
		    const uint8_t **der, size_t *der_len, size_t max, size_t *n, char *err,
		    size_t errsz)
{
	const char *p = pem, *end = pem + len;
	size_t used = 0, dl;
	int rc;

	*n = 0;
	while (p < end && *n < max) {
		const char *next = memmem(p, (size_t)(end - p), END_CERT, strlen(END_CERT));

		if (!next)
			break;
		next += strlen(END_CERT);
		rc = pem_decode_first(p, (size_t)(next - p), "CERTIFICATE", storage + used,
				      cap - used, &dl, err, errsz);
		if (rc == -ENOENT) {  /* an END line without its BEGIN: skip it */
			p = next;
			continue;
		}
		if (rc < 0)
			return rc;
		der[*n] = storage + used;
		der_len[*n] = dl;
		used += dl;
		(*n)++;
		p = next;
	}
	return 0;
}

int
x509_chain_check(const struct x509_cert *leaf, const struct x509_cert *pool, size_t n_pool,
		 const uint8_t *const *anchors, const size_t *anchors_len, size_t n_anchors,
		 time_t now, char *err, size_t errsz)
{
	const struct x509_cert *cur = leaf;
	struct x509_cert anchor;
	size_t hops = 0;
	char e[X509_ERR_MAX];

	for (;;) {
		bool found = false;

		if (x509_cert_check_time(cur, now, e, sizeof(e)) < 0) {
			snprintf(err, errsz, "'%.64s': %.200s", cur->subject_cn, e);
			return -EKEYEXPIRED;
		}
		for (size_t a = 0; a < n_anchors; a++) {
			if (x509_cert_parse(anchors[a], anchors_len[a], &anchor, e, sizeof(e)) < 0)
				continue;
			if (x509_cert_check_issued_by(cur, &anchor, e, sizeof(e)) == 0) {
				if (x509_cert_check_time(&anchor, now, e, sizeof(e)) < 0) {
					snprintf(err, errsz, "root '%.64s': %.200s",
						 anchor.subject_cn, e);
					return -EKEYEXPIRED;
				}
				return 0;
			}
		}
		for (size_t i = 0; i < n_pool && !found; i++) {
			if (&pool[i] == cur || &pool[i] == leaf)
				continue;
			if (x509_cert_check_issued_by(cur, &pool[i], e, sizeof(e)) == 0) {
				cur = &pool[i];
				found = true;
			}
		}
		if (!found || ++hops > n_pool) {
			snprintf(err, errsz, "'%.64s' does not chain to the root certificate in "
				 "/config", cur->subject_cn);
			return -EKEYREJECTED;
		}
	}
}
