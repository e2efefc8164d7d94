/*
 * spool: batches waiting on /persist for the controller (the newlogs
 * spool, PERSIST/newlog).  Each batch is one file, named by a 16-digit
 * sequence number and written atomically, so a power cut leaves whole
 * batches only; the oldest is sent first and removed once the controller
 * acknowledged it.  Bounded: past max_files or max_bytes the oldest batches
 * are dropped and counted (the device keeps running on a full disk).
 *
 * Ownership: struct spool is caller-owned; batch data returned is malloc'd.
 */
#ifndef EV_SPOOL_H
#define EV_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_ERR_MAX 512

struct spool {
	char dir[512];
	size_t max_bytes;
	unsigned max_files;
	uint64_t next_seq;
	uint64_t dropped;     /* batches dropped to stay within the bounds */
};

int spool_open(struct spool *s, const char *dir, size_t max_bytes, unsigned max_files,
	       char err[SPOOL_ERR_MAX]);
int spool_put(struct spool *s, const uint8_t *data, size_t len, char err[SPOOL_ERR_MAX]);
/* The oldest batch: 0, its sequence number and data; -ENOENT when empty. */
int spool_oldest(struct spool *s, uint64_t *seq, uint8_t **data, size_t *len,
		 char err[SPOOL_ERR_MAX]);
int spool_remove(struct spool *s, uint64_t seq);
/* Batches and bytes waiting. */
int spool_stat(struct spool *s, unsigned *files, size_t *bytes);

#endif
