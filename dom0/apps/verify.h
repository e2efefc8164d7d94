/*
 * verify: the apps role's half of "download hands the finished file over by
 * fd; apps verifies" (DESIGN.md §3).  Verified content is kept by hash in a
 * store folder (/persist/store): STORE/<sha256-hex> is a blob whose SHA-256
 * was checked; volumes made from it share it.
 *
 * Verification is incremental, to fit the apps role's poll() loop:
 * verify_begin() opens STORE/<sha>.tmp (O_EXCL, 0600, flock'ed while in
 * use); every verify_step() reads at most `budget` bytes of the handed-over
 * fd, hashes them (BearSSL SHA-256) and writes the same bytes into the
 * copy, so what is used later is exactly what was hashed (a file changed
 * by the download role after hashing is never used).  At the end of the
 * input: fsync, compare, rename to STORE/<sha>, fsync the folder.
 * On any error the copy is removed.
 *
 * verify_signature() is the siginfo check: an ECDSA P-256 signature of the
 * blob's SHA-256 (DER or raw r||s) by a certificate that chains, through
 * the intermediates, to one of the device's roots and is within validity.
 * Pure (x509_chain).
 *
 * Ownership: struct verify is caller-owned; the input fd is borrowed (the
 * caller closes it after verify_step() returned 0 or < 0, or after
 * verify_abort()); verify owns the copy's fd and path until then.
 */
#ifndef EV_VERIFY_H
#define EV_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <bearssl.h>

#define VERIFY_ERR_MAX 512
#define VERIFY_PATH_MAX 4096
#define VERIFY_SIG_CERTS_MAX 8   /* intermediates, roots each */

struct verify {
	int in_fd;                   /* borrowed */
	int out_fd;                  /* STORE/<sha>.tmp, -1 when closed */
	bool in_pipe;                /* the input is not seekable: read(), not pread() */
	char sha[65];                /* expected, lower case */
	char store_dir[VERIFY_PATH_MAX];
	char tmp_path[VERIFY_PATH_MAX];
	uint64_t max_size;           /* 0: no bound but the disk */
	uint64_t done;               /* bytes hashed and copied */
	br_sha256_context hash;
	char err[VERIFY_ERR_MAX];    /* why the last step failed */
};

/*
 * Starts verifying the content read from fd against sha256_hex (64 hex
 * digits, any case) into store_dir.  0; -EINVAL (a bad hash), -EBUSY (the
 * same blob is being verified now), -errno opening the copy; err says why.
 * A stale STORE/<sha>.tmp (nobody holds its lock) is replaced.
 */
int verify_begin(struct verify *v, int fd, const char *store_dir, const char *sha256_hex,
		 uint64_t max_size, char *err, size_t errsz);

/*
 * Does at most budget_bytes (rounded up to one read) of work: 1 more to
 * do, 0 done (STORE/<sha> is in place), or -errno with v->err:
 * -EBADMSG "content <sha>: SHA-256 mismatch: got <hex>", -EFBIG larger than
 * max_size, -ENOSPC "disk full writing <path>", other -errno from read,
 * write, fsync or rename.  After 0 or < 0 the copy's fd is closed and a
 * failed copy removed; verify_abort() is then a no-op.
 */
int verify_step(struct verify *v, size_t budget_bytes);

/* Stops: closes and removes the copy.  Safe to call twice. */
void verify_abort(struct verify *v);

/* true when STORE/<sha> (verified) exists as a regular file. */
bool verify_have(const char *store_dir, const char *sha256_hex);

/* STORE/<sha> into out: 0, or -EINVAL (bad hash) / -ENAMETOOLONG. */
int verify_path(const char *store_dir, const char *sha256_hex, char *out, size_t cap);

/*
 * Removes every blob STORE/<64 hex> not named in keep (n entries, any
 * case) and every stale STORE/<sha>.tmp (one whose lock nobody holds; a
 * verify in progress is left alone).  Other names are left alone.  The
 * number removed, or -errno.
 */
int verify_store_gc(const char *store_dir, const char *const keep[], size_t n);

/*
 * The siginfo check.  sha: the blob's SHA-256 (what was signed); sig:
 * siglen bytes, DER ECDSA-Sig-Value or raw r||s (64 bytes); signer_pem:
 * the signing certificate; inter_pem: intermediates (may be empty);
 * roots_pem: the device's roots (/config/root-certificate.pem).  0, or
 * -EBADMSG (bad signature or certificate), -EKEYEXPIRED,
 * -EKEYREJECTED (does not chain), -ENOENT (no root) with err.
 */
int verify_signature(const uint8_t sha[32], const uint8_t *sig, size_t siglen,
		     const char *signer_pem, size_t signer_len, const char *inter_pem,
		     size_t inter_len, const char *roots_pem, size_t roots_len, time_t now,
		     char *err, size_t errsz);

#endif
