/*
 * statefile — atomic, checksummed state files (DESIGN.md §4).
 *
 * A state file NAME in folder DIR is kept as up to three files:
 *
 *   DIR/NAME       the current copy
 *   DIR/NAME.prev  the previous good copy (a hard link to the old current)
 *   DIR/NAME.tmp   a write in progress; never read, removed by the next write
 *
 * Each file is a 32-byte header followed by the payload. Header fields,
 * all little-endian:
 *
 *   0  magic "EVSF"        16  payload length (u64)
 *   4  format version (u16) 24  reserved, 0 (u32)
 *   6  flags, 0 (u16)      28  CRC-32 (zlib) of bytes 0..27, then the payload
 *   8  generation (u64)    32  payload
 *
 * The file size must be exactly 32 + length. The generation is one more
 * than that of the copy it replaces, so a reader can tell which is newer.
 *
 * statefile_write(): write NAME.tmp, fsync it; if the current NAME is valid,
 * make it NAME.prev (unlink NAME.prev, link NAME to NAME.prev — NAME never
 * disappears); rename NAME.tmp over NAME; fsync DIR. A corrupt current copy
 * is never rotated into NAME.prev, so the last good copy survives.
 * A process killed at any point leaves NAME holding exactly the old or
 * exactly the new content; after a power cut the same holds once the
 * fsyncs have done their job.
 *
 * statefile_read(): return NAME if valid; else NAME.prev, with
 * info->from_prev set and the reason NAME was rejected in info->fault;
 * else an error, with both reasons in info->fault. The reader never writes:
 * the next statefile_write() repairs NAME. No file content, however
 * hostile, makes it allocate more than the length limit or crash.
 *
 * Rules: one writer per state file (the role that owns it); any number of
 * concurrent readers. Files are never modified in place (NAME and NAME.prev
 * may share an inode). A copy must be a regular file: symbolic links, FIFOs
 * and folders under these names are rejected, never followed or opened. Where hard links are unsupported (vfat), the old
 * current is renamed to NAME.prev instead, so for a moment only NAME.prev
 * exists and a reader gets the old content from it.
 *
 * Errors: every function returns 0 or a negative errno value.
 * Faults are reported only through return codes and struct statefile_info;
 * this module logs nothing.
 *
 * Ownership: `dir`, `name` and `data` are borrowed for the duration of the
 * call. The buffer statefile_read() stores in *data is owned by the caller
 * and released with free(). `info` is caller-owned storage.
 */
#ifndef EDGEVISOR_STATEFILE_H
#define EDGEVISOR_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard upper bound on a payload, for writers and readers. */
#define STATEFILE_MAX_PAYLOAD ((size_t)64 << 20)

#define STATEFILE_HEADER_SIZE 32
#define STATEFILE_VERSION     1
#define STATEFILE_FAULT_MAX   512

struct statefile_info {
	/* Generation of the copy read, or of the copy just written. */
	uint64_t generation;
	/* read: the content came from NAME.prev, because NAME was invalid. */
	bool from_prev;
	/*
	 * "" when nothing was wrong. Otherwise a human-readable reason naming
	 * the file and the problem, e.g. "state file /persist/config.pb:
	 * checksum mismatch (stored 0x1234abcd, computed 0x89ef0123)".
	 * read: set when NAME was rejected (whether or not NAME.prev was used).
	 * write: set on failure, or when the current copy was found invalid and
	 * therefore not kept as NAME.prev.
	 */
	char fault[STATEFILE_FAULT_MAX];
};

/*
 * Atomically replace DIR/NAME with `len` bytes from `data` (data may be NULL
 * when len is 0). `name` must be a plain file name (no '/', not "." or "..",
 * not ending in ".tmp" or ".prev"). `info` may be NULL.
 *
 * Returns 0 when the new content is current and durable. -EINVAL for a bad
 * name, -EMSGSIZE when len > STATEFILE_MAX_PAYLOAD, else the errno of the
 * failing system call (-ENOSPC, -EFBIG, -EIO, ...), described in
 * info->fault. A failure before the rename leaves DIR/NAME untouched and
 * removes NAME.tmp (DIR/NAME.prev is untouched too unless the failure was in
 * replacing it). A failure of the final fsync of DIR leaves the new content
 * current but not known to be durable.
 */
int statefile_write(const char *dir, const char *name, const void *data,
		    size_t len, struct statefile_info *info);

/*
 * Read DIR/NAME, falling back to DIR/NAME.prev (see above). `max_len` bounds
 * the payload (0 means STATEFILE_MAX_PAYLOAD; larger values are clamped to
 * it); a longer length field is rejected before anything is allocated.
 * On success *data is a malloc'd buffer of *len bytes plus a terminating NUL
 * (not counted in *len; never NULL, even for an empty payload).
 * `info` may be NULL, but then the reason for a fallback is lost.
 *
 * Returns 0 (check info->from_prev), or when no copy is usable:
 * -ENOENT if neither file exists, -EBADMSG if a copy exists but is corrupt,
 * truncated or too long, -EINVAL for a bad name, or the errno of a failing
 * system call (-EACCES, -EIO, -ENOMEM, ...). On failure *data is NULL and
 * *len is 0.
 */
int statefile_read(const char *dir, const char *name, size_t max_len,
		   void **data, size_t *len, struct statefile_info *info);

/*
 * Fault injection, for tests only. The hook is called after each step of
 * statefile_write(); a test makes it raise(SIGKILL) in a forked writer to
 * simulate a crash at that point. The hook is process-global and not
 * thread-safe; production code never sets it. fn == NULL removes it.
 * Every step is reported on every write, including the PREV steps when
 * there is no valid current copy to rotate (then they do nothing).
 */
enum statefile_step {
	STATEFILE_STEP_TMP_CREATED,   /* NAME.tmp created, empty */
	STATEFILE_STEP_HALF_WRITTEN,  /* header and half the payload written */
	STATEFILE_STEP_WRITTEN,       /* NAME.tmp fully written */
	STATEFILE_STEP_FILE_SYNCED,   /* NAME.tmp fsynced */
	STATEFILE_STEP_PREV_UNLINKED, /* old NAME.prev removed (if rotating) */
	STATEFILE_STEP_PREV_LINKED,   /* NAME linked to NAME.prev (if rotating) */
	STATEFILE_STEP_RENAMED,       /* NAME.tmp renamed over NAME */
	STATEFILE_STEP_DIR_SYNCED,    /* DIR fsynced; the write is complete */
	STATEFILE_STEP_COUNT
};

void statefile_set_step_hook(void (*fn)(enum statefile_step step, void *arg),
			     void *arg);

#endif /* EDGEVISOR_STATEFILE_H */
