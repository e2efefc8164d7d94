/* api_logs: newlogs (gzip JSON lines) and LogBundle.  See api_logs.h. */
#include "api_logs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pbjson.h"

#include "logs/log.pb-c.h"

int
api_logs_gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
		char *err, size_t errsz)
{
	z_stream z;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int zr, rc = 0;

	*out = NULL;
	*out_len = 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		snprintf(err, errsz, "gzip: cannot start zlib");
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	do {
		if (*out_len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nb;

			if (cap >= max) {
				snprintf(err, errsz, "gzip: inflates to more than %zu bytes", max);
				rc = -EFBIG;
				goto out;
			}
			if (ncap > max)
				ncap = max;
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				rc = -ENOMEM;
				snprintf(err, errsz, "gzip: out of memory");
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		z.next_out = buf + *out_len;
		z.avail_out = (uInt)(cap - *out_len);
		zr = inflate(&z, Z_NO_FLUSH);
		*out_len = cap - z.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END) {
			snprintf(err, errsz, "gzip: %s at input byte %lu",
				 zr == Z_BUF_ERROR ? "truncated stream" : z.msg ? z.msg : "corrupt",
				 (unsigned long)z.total_in);
			rc = -EBADMSG;
			goto out;
		}
	} while (zr != Z_STREAM_END);
	if (z.avail_in) {
		snprintf(err, errsz, "gzip: %u bytes after the end of the stream", z.avail_in);
		rc = -EBADMSG;
		goto out;
	}
	buf[*out_len] = '\0';
	*out = buf;
	buf = NULL;
out:
	inflateEnd(&z);
	free(buf);
	if (rc < 0)
		*out_len = 0;
	return rc;
}

/* Parses every line as a LogEntry first, then stores them all. */
int
api_logs_newlogs(struct store *st, const char *uuid, const uint8_t *gz, size_t len,
		 size_t *n_entries, char *err, size_t errsz)
{
	uint8_t *text = NULL;
	size_t tlen, pass, n = 0, line;
	char perr[PBJSON_ERR_LEN];
	int rc;

	*n_entries = 0;
	rc = api_logs_gunzip(gz, len, API_LOGS_MAX_INFLATED, &text, &tlen, err, errsz);
	if (rc < 0)
		return rc;
	for (pass = 0; pass < 2; pass++) {
		char *p = (char *)text, *end = (char *)text + tlen;

		line = 0;
		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p)), *json = NULL;
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			ProtobufCMessage *m = NULL;

			line++;
			if (l && !(l == 1 && p[0] == '\r')) {
				rc = pbjson_to_message(&org__lfedge__eve__logs__log_entry__descriptor, p,
						       l, NULL, &m, perr);
				if (rc < 0) {
					snprintf(err, errsz, "newlogs line %zu: %s", line, perr);
					goto out;
				}
				if (pass == 0) {
					if (++n > API_LOGS_MAX_ENTRIES) {
						snprintf(err, errsz, "newlogs: more than %u entries",
							 API_LOGS_MAX_ENTRIES);
						rc = -EFBIG;
					}
				} else if ((rc = pbjson_from_message(m, 0, &json, perr)) < 0) {
					snprintf(err, errsz, "newlogs line %zu: %s", line, perr);
				} else if ((rc = store_record_add(st, uuid, STORE_LOGS,
								  (const uint8_t *)json,
								  strlen(json))) < 0) {
					snprintf(err, errsz, "%s", st->err);
					rc = -EIO;
				}
				free(json);
				protobuf_c_message_free_unpacked(m, NULL);
				if (rc < 0)
					goto out;
			}
			p += l + 1;
		}
	}
	*n_entries = n;
out:
	free(text);
	return rc;
}

int
api_logs_bundle(struct store *st, const char *uuid, const uint8_t *pb, size_t len,
		size_t *n_entries, char *err, size_t errsz)
{
	Org__Lfedge__Eve__Logs__LogBundle *b;
	char perr[PBJSON_ERR_LEN], *json;
	int rc = 0;

	*n_entries = 0;
	b = org__lfedge__eve__logs__log_bundle__unpack(NULL, len, pb);
	if (!b) {
		snprintf(err, errsz, "logs: body is not a LogBundle (%zu bytes)", len);
		return -EBADMSG;
	}
	for (size_t i = 0; i < b->n_log && rc == 0; i++) {
		rc = pbjson_from_message(&b->log[i]->base, 0, &json, perr);
		if (rc < 0) {
			snprintf(err, errsz, "logs: entry %zu: %s", i, perr);
			rc = -EBADMSG;
			break;
		}
		if (store_record_add(st, uuid, STORE_LOGS, (const uint8_t *)json, strlen(json)) < 0) {
			snprintf(err, errsz, "%s", st->err);
			rc = -EIO;
		}
		free(json);
	}
	if (rc == 0)
		*n_entries = b->n_log;
	org__lfedge__eve__logs__log_bundle__free_unpacked(b, NULL);
	return rc;
}
