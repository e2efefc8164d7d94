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

/* Entries converted to canonical JSON, stored only once all of them are. */
struct batch {
	char **json;
	size_t *len;
	size_t n, cap;
};

static int
batch_add(struct batch *b, const ProtobufCMessage *m, const char *what, size_t at, char *err,
	  size_t errsz)
{
	char perr[PBJSON_ERR_LEN], *json = NULL;

	if (b->n == API_LOGS_MAX_ENTRIES) {
		snprintf(err, errsz, "%s: more than %u entries", what, API_LOGS_MAX_ENTRIES);
		return -EFBIG;
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		char **nj = realloc(b->json, ncap * sizeof(*nj));
		size_t *nl;

		if (!nj)
			goto nomem;
		b->json = nj;
		nl = realloc(b->len, ncap * sizeof(*nl));
		if (!nl)
			goto nomem;
		b->len = nl;
		b->cap = ncap;
	}
	if (pbjson_from_message(m, 0, &json, perr) < 0) {
		snprintf(err, errsz, "%s %zu: %s", what, at, perr);
		return -EBADMSG;
	}
	b->json[b->n] = json;
	b->len[b->n++] = strlen(json);
	return 0;
nomem:
	snprintf(err, errsz, "%s: out of memory", what);
	return -ENOMEM;
}

static int
batch_store(struct batch *b, struct store *st, const char *uuid, char *err, size_t errsz)
{
	if (b->n == 0)
		return 0;
	if (store_records_add(st, uuid, STORE_LOGS, (const uint8_t *const *)b->json, b->len,
			      b->n) < 0) {
		snprintf(err, errsz, "%s", st->err);
		return -EIO;
	}
	return 0;
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->json[i]);
	free(b->json);
	free(b->len);
}

/* Every line must be a LogEntry; then they are stored together. */
int
api_logs_newlogs(struct store *st, const char *uuid, const uint8_t *gz, size_t len,
		 size_t *n_entries, char *err, size_t errsz)
{
	struct batch b = { 0 };
	uint8_t *text = NULL;
	size_t tlen, line = 0;
	char perr[PBJSON_ERR_LEN];
	char *p, *end;
	int rc;

	*n_entries = 0;
	rc = api_logs_gunzip(gz, len, API_LOGS_MAX_INFLATED, &text, &tlen, err, errsz);
	if (rc < 0)
		return rc;
	p = (char *)text;
	end = (char *)text + tlen;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		ProtobufCMessage *m = NULL;

		line++;
		if (l && !(l == 1 && p[0] == '\r')) {
			rc = pbjson_to_message(&org__lfedge__eve__logs__log_entry__descriptor, p, l,
					       NULL, &m, perr);
			if (rc < 0) {
				snprintf(err, errsz, "newlogs line %zu: %s", line, perr);
				rc = rc == -ENOMEM ? -ENOMEM : -EBADMSG;
				goto out;
			}
			rc = batch_add(&b, m, "newlogs line", line, err, errsz);
			protobuf_c_message_free_unpacked(m, NULL);
			if (rc < 0)
				goto out;
		}
		p += l + 1;
	}
	if ((rc = batch_store(&b, st, uuid, err, errsz)) == 0)
		*n_entries = b.n;
out:
	batch_free(&b);
	free(text);
	return rc;
}

int
api_logs_bundle(struct store *st, const char *uuid, const uint8_t *pb, size_t len,
		size_t *n_entries, char *err, size_t errsz)
{
	Org__Lfedge__Eve__Logs__LogBundle *lb;
	struct batch b = { 0 };
	int rc = 0;

	*n_entries = 0;
	lb = org__lfedge__eve__logs__log_bundle__unpack(NULL, len, pb);
	if (!lb) {
		snprintf(err, errsz, "logs: body is not a LogBundle (%zu bytes)", len);
		return -EBADMSG;
	}
	for (size_t i = 0; i < lb->n_log && rc == 0; i++)
		rc = batch_add(&b, &lb->log[i]->base, "logs: entry", i, err, errsz);
	if (rc == 0 && (rc = batch_store(&b, st, uuid, err, errsz)) == 0)
		*n_entries = b.n;
	batch_free(&b);
	org__lfedge__eve__logs__log_bundle__free_unpacked(lb, NULL);
	return rc;
}
