/*
 * atomicfile — write a plain file atomically (DESIGN.md §4), without the
 * statefile framing: for files other programs read as they are (a PEM key
 * that openssl must read, a certificate), where statefile's header would be
 * in the way.
 *
 * atomicfile_write(PATH): unlink a stale PATH.tmp; create PATH.tmp with
 * O_EXCL and the given mode (fchmod'ed, so the umask does not matter);
 * write; fsync; rename PATH.tmp over PATH (or, with ATOMICFILE_NOREPLACE,
 * renameat2(RENAME_NOREPLACE) so an existing PATH is never replaced); fsync
 * the folder. A process killed at any point leaves PATH holding exactly the
 * old content (or absent) or exactly the new one; PATH.tmp may remain and is
 * removed by the next write. There is no checksum and no previous copy:
 * use statefile for state that must survive corruption.
 *
 * Rules: one writer per PATH; PATH's folder must exist. A symbolic link at
 * PATH is replaced, never followed; a symbolic link at PATH.tmp is removed.
 *
 * Errors: 0 or a negative errno (-EINVAL bad arguments, -EEXIST with
 * ATOMICFILE_NOREPLACE when PATH exists, else the errno of the failing
 * system call), with `err` (may be NULL) describing it, e.g.
 * "file /persist/certs/device.key.pem: create temporary file failed: No such
 * file or directory".
 * On failure before the rename, PATH is untouched and PATH.tmp removed. A
 * failure of the final folder fsync leaves the new content in place but not
 * known to be durable. This module logs nothing.
 *
 * Ownership: `path`, `data` and `err` are borrowed for the call only.
 */
#ifndef EV_ATOMICFILE_H
#define EV_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#define ATOMICFILE_NOREPLACE 0x1u /* fail with -EEXIST if PATH exists */

/* Hard bound on what one call writes. */
#define ATOMICFILE_MAX_LEN ((size_t)64 << 20)

int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, unsigned flags, char *err, size_t errsz);

/*
 * Reads a whole regular file of at most max bytes: 0 and *data (malloc'd,
 * NUL-terminated, not counted in *len; the caller frees it); -ENOENT,
 * -EFBIG (longer than max), -EINVAL (not a regular file) or another -errno,
 * with err naming the file and the reason.
 */
int atomicfile_read(const char *path, size_t max, char **data, size_t *len, char *err,
		    size_t errsz);

/*
 * Fault injection, for tests only: called after the named step; a test
 * raises SIGKILL in a forked writer to simulate a crash there. Process-global,
 * not thread-safe; production code never sets it. fn == NULL removes it.
 */
enum atomicfile_step {
	ATOMICFILE_STEP_TMP_CREATED,  /* PATH.tmp created, empty */
	ATOMICFILE_STEP_HALF_WRITTEN, /* half of the data written */
	ATOMICFILE_STEP_FILE_SYNCED,  /* PATH.tmp complete and fsynced */
	ATOMICFILE_STEP_RENAMED,      /* PATH.tmp renamed to PATH */
	ATOMICFILE_STEP_DIR_SYNCED,   /* folder fsynced; the write is complete */
};

void atomicfile_set_step_hook(void (*fn)(enum atomicfile_step step, void *arg),
			      void *arg);

#endif
