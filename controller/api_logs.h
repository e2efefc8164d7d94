/*
 * api_logs: a device's logs as the controller receives them, stored one
 * canonical-JSON LogEntry per record (store.h, STORE_LOGS).
 *   newlogs: gzip (any gzip header; EVE puts device id/image/version in its
 *            comment) of newline-separated JSON LogEntry, EVE's current form;
 *   logs:    a protobuf LogBundle, the older form.
 * Every entry is parsed as a LogEntry and given its JSON form before anything
 * is stored, and a batch is stored in one transaction: a batch with one bad
 * entry is refused whole (the device resends it), naming the line.
 * Decompression is bounded (API_LOGS_MAX_INFLATED) against gzip bombs.
 */
#ifndef EV_API_LOGS_H
#define EV_API_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define API_LOGS_MAX_INFLATED (32u << 20)
#define API_LOGS_MAX_ENTRIES 100000

int api_logs_newlogs(struct store *st, const char *uuid, const uint8_t *gz, size_t len,
		     size_t *n_entries, char *err, size_t errsz);
int api_logs_bundle(struct store *st, const char *uuid, const uint8_t *pb, size_t len,
		    size_t *n_entries, char *err, size_t errsz);

/* Inflates a gzip stream (pure): 0 and *out (malloc'd), or -EBADMSG/-EFBIG. */
int api_logs_gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
		    char *err, size_t errsz);

#endif
