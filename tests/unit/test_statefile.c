/*
 * Unit tests for dom0/core/statefile: atomic, checksummed state files.
 *
 * Crashes are simulated by a forked writer that SIGKILLs itself from the
 * step hook; write errors by RLIMIT_FSIZE (EFBIG) and, when mounting is
 * permitted, a tiny tmpfs (ENOSPC). Children never call cmocka: they report
 * through their exit status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "statefile.h"

#define NAME "config.pb"

/* ASan reserves terabytes of address space: no RLIMIT_DATA games there. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

struct fx {
	char dir[64];
	char mnt[96];
	bool mounted;
};

/* ---- helpers ---------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/statefile-test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	statefile_set_step_hook(NULL, NULL);
	if (f->mounted)
		umount2(f->mnt, MNT_DETACH);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void mkpath(char *out, const char *dir, const char *fname)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, fname);
}

static bool exists(const char *dir, const char *fname)
{
	char p[PATH_MAX];
	struct stat st;

	mkpath(p, dir, fname);
	return lstat(p, &st) == 0;
}

/* Whole raw file, or NULL if it does not exist. */
static uint8_t *slurp(const char *dir, const char *fname, size_t *len)
{
	char p[PATH_MAX];
	struct stat st;
	uint8_t *buf;
	int fd;

	mkpath(p, dir, fname);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void spit(const char *dir, const char *fname, const void *buf,
		 size_t len)
{
	char p[PATH_MAX];
	int fd;

	mkpath(p, dir, fname);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void flip(const char *dir, const char *fname, off_t off)
{
	char p[PATH_MAX];
	uint8_t b;
	int fd;

	mkpath(p, dir, fname);
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void truncate_to(const char *dir, const char *fname, off_t len)
{
	char p[PATH_MAX];

	mkpath(p, dir, fname);
	assert_int_equal(truncate(p, len), 0);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A header as the module writes it, for hand-made files. */
static void make_header(uint8_t *h, uint64_t gen, uint64_t len,
			const void *payload, size_t plen)
{
	uLong crc;

	memset(h, 0, STATEFILE_HEADER_SIZE);
	memcpy(h, "EVSF", 4);
	put_le(h + 4, STATEFILE_VERSION, 2);
	put_le(h + 8, gen, 8);
	put_le(h + 16, len, 8);
	crc = crc32(0, h, 28);
	if (plen)
		crc = crc32(crc, payload, (uInt)plen);
	put_le(h + 28, crc, 4);
}

/* The payload stored in a raw copy must equal want. */
static void assert_raw_payload(const char *dir, const char *fname,
			       const void *want, size_t wlen)
{
	size_t len = 0;
	uint8_t *raw = slurp(dir, fname, &len);

	assert_non_null(raw);
	assert_int_equal(len, STATEFILE_HEADER_SIZE + wlen);
	assert_memory_equal(raw, "EVSF", 4);
	if (wlen)
		assert_memory_equal(raw + STATEFILE_HEADER_SIZE, want, wlen);
	free(raw);
}

static uint64_t raw_generation(const char *dir, const char *fname)
{
	size_t len = 0;
	uint8_t *raw = slurp(dir, fname, &len);
	uint64_t g = 0;

	assert_non_null(raw);
	assert_true(len >= STATEFILE_HEADER_SIZE);
	for (int i = 7; i >= 0; i--)
		g = (g << 8) | raw[8 + i];
	free(raw);
	return g;
}

/* Read NAME and check the content, the fallback flag and the fault. */
static void expect_read(const char *dir, const void *want, size_t wlen,
			bool from_prev, const char *fault_has)
{
	struct statefile_info info;
	void *data = NULL;
	size_t len = 99;
	int rc;

	rc = statefile_read(dir, NAME, 0, &data, &len, &info);
	if (rc != 0)
		print_error("read: rc %d, fault \"%s\"\n", rc, info.fault);
	assert_int_equal(rc, 0);
	assert_non_null(data);
	assert_int_equal(len, wlen);
	if (wlen)
		assert_memory_equal(data, want, wlen);
	assert_int_equal(((char *)data)[len], '\0');
	assert_int_equal(info.from_prev, from_prev);
	if (fault_has) {
		if (!strstr(info.fault, fault_has))
			print_error("fault \"%s\" lacks \"%s\"\n", info.fault,
				    fault_has);
		assert_non_null(strstr(info.fault, fault_has));
		/* The fault names the file. */
		assert_non_null(strstr(info.fault, dir));
		assert_non_null(strstr(info.fault, NAME));
	} else {
		assert_string_equal(info.fault, "");
	}
	free(data);
}

/* Read NAME expecting failure rc with a fault containing fault_has. */
static void expect_fail(const char *dir, size_t max_len, int want_rc,
			const char *fault_has)
{
	struct statefile_info info;
	void *data = (void *)1;
	size_t len = 99;
	int rc;

	rc = statefile_read(dir, NAME, max_len, &data, &len, &info);
	assert_int_equal(rc, want_rc);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_false(info.from_prev);
	if (!strstr(info.fault, fault_has))
		print_error("fault \"%s\" lacks \"%s\"\n", info.fault,
			    fault_has);
	assert_non_null(strstr(info.fault, fault_has));
}

static void write_ok(const char *dir, const void *data, size_t len)
{
	struct statefile_info info;
	int rc = statefile_write(dir, NAME, data, len, &info);

	if (rc != 0)
		print_error("write: rc %d, fault \"%s\"\n", rc, info.fault);
	assert_int_equal(rc, 0);
}

static char old_buf[3000], new_buf[5001], older_buf[700];

static void fill_buffers(void)
{
	memset(older_buf, 'p', sizeof(older_buf));
	memset(old_buf, 'o', sizeof(old_buf));
	memset(new_buf, 'n', sizeof(new_buf));
	/* Distinguish halves too, so a splice of old and new cannot pass. */
	old_buf[0] = 'O';
	new_buf[sizeof(new_buf) - 1] = 'N';
}

/* ---- crash injection -------------------------------------------------- */

static void kill_at(enum statefile_step s, void *arg)
{
	if (s == *(enum statefile_step *)arg)
		raise(SIGKILL);
}

/* A forked writer writes data and is killed at step `at`. */
static void crash_write(const char *dir, const void *data, size_t len,
			enum statefile_step at)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		statefile_set_step_hook(kill_at, &at);
		(void)statefile_write(dir, NAME, data, len, NULL);
		_exit(3); /* the hook did not fire */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* ---- tests ------------------------------------------------------------ */

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct statefile_info info;
	const char msg[] = "hello, \0binary\xff world";

	assert_int_equal(statefile_write(f->dir, NAME, msg, sizeof(msg),
					 &info), 0);
	assert_int_equal(info.generation, 1);
	assert_string_equal(info.fault, "");
	expect_read(f->dir, msg, sizeof(msg), false, NULL);
	assert_raw_payload(f->dir, NAME, msg, sizeof(msg));
	assert_false(exists(f->dir, NAME ".tmp"));
	assert_false(exists(f->dir, NAME ".prev"));

	/* A trailing slash on the folder is fine too. */
	char dir2[80];
	void *data = NULL;
	size_t len = 0;

	snprintf(dir2, sizeof(dir2), "%s/", f->dir);
	assert_int_equal(statefile_read(dir2, NAME, 0, &data, &len, &info), 0);
	assert_int_equal(len, sizeof(msg));
	assert_int_equal(info.generation, 1);
	free(data);
}

static void test_rewrite_keeps_prev(void **state)
{
	struct fx *f = *state;
	struct statefile_info info;
	void *data = NULL;
	size_t len = 0;

	write_ok(f->dir, "first", 5);
	assert_int_equal(statefile_write(f->dir, NAME, "second!", 7, &info),
			 0);
	assert_int_equal(info.generation, 2);
	assert_raw_payload(f->dir, NAME ".prev", "first", 5);
	assert_int_equal(raw_generation(f->dir, NAME ".prev"), 1);
	expect_read(f->dir, "second!", 7, false, NULL);

	write_ok(f->dir, "third", 5);
	assert_raw_payload(f->dir, NAME ".prev", "second!", 7);
	assert_raw_payload(f->dir, NAME, "third", 5);
	assert_int_equal(statefile_read(f->dir, NAME, 0, &data, &len, &info),
			 0);
	assert_int_equal(info.generation, 3);
	free(data);

	/* NAME and NAME.prev are distinct files after a completed write. */
	char a[PATH_MAX], b[PATH_MAX];
	struct stat sa, sb;

	mkpath(a, f->dir, NAME);
	mkpath(b, f->dir, NAME ".prev");
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_true(sa.st_ino != sb.st_ino);
	assert_int_equal(sa.st_mode & 0777, 0600);
}

static void test_crash_at_every_step(void **state)
{
	struct fx *f = *state;

	fill_buffers();
	for (int k = 0; k < STATEFILE_STEP_COUNT; k++) {
		enum statefile_step at = (enum statefile_step)k;

		/* older is NAME.prev, old is NAME; then new crashes at k. */
		write_ok(f->dir, older_buf, sizeof(older_buf));
		write_ok(f->dir, old_buf, sizeof(old_buf));
		crash_write(f->dir, new_buf, sizeof(new_buf), at);

		print_message("crash at step %d\n", k);
		if (at < STATEFILE_STEP_RENAMED)
			expect_read(f->dir, old_buf, sizeof(old_buf), false,
				    NULL);
		else
			expect_read(f->dir, new_buf, sizeof(new_buf), false,
				    NULL);

		/* NAME.prev is older, absent in the rotation window, or old. */
		if (at < STATEFILE_STEP_PREV_UNLINKED)
			assert_raw_payload(f->dir, NAME ".prev", older_buf,
					   sizeof(older_buf));
		else if (at == STATEFILE_STEP_PREV_UNLINKED)
			assert_false(exists(f->dir, NAME ".prev"));
		else
			assert_raw_payload(f->dir, NAME ".prev", old_buf,
					   sizeof(old_buf));
		/* A crash before the rename leaves NAME.tmp behind. */
		assert_int_equal(exists(f->dir, NAME ".tmp"),
				 at < STATEFILE_STEP_RENAMED);

		/* The next write recovers: tmp replaced, content current. */
		write_ok(f->dir, "recovered", 9);
		expect_read(f->dir, "recovered", 9, false, NULL);
		assert_false(exists(f->dir, NAME ".tmp"));
	}
}

static void test_crash_first_write(void **state)
{
	struct fx *f = *state;

	fill_buffers();
	for (int k = 0; k < STATEFILE_STEP_COUNT; k++) {
		enum statefile_step at = (enum statefile_step)k;

		crash_write(f->dir, new_buf, sizeof(new_buf), at);
		if (at < STATEFILE_STEP_RENAMED)
			expect_fail(f->dir, 0, -ENOENT, "missing");
		else
			expect_read(f->dir, new_buf, sizeof(new_buf), false,
				    NULL);
		assert_false(exists(f->dir, NAME ".prev"));
		char p[PATH_MAX];

		mkpath(p, f->dir, NAME);
		unlink(p);
		mkpath(p, f->dir, NAME ".tmp");
		unlink(p);
	}
}

static void test_crash_mid_write(void **state)
{
	struct fx *f = *state;
	const size_t big = 1 << 20;
	char *payload = malloc(big);
	size_t len = 0;
	uint8_t *raw;

	assert_non_null(payload);
	memset(payload, 'B', big);
	fill_buffers();
	write_ok(f->dir, old_buf, sizeof(old_buf));
	crash_write(f->dir, payload, big, STATEFILE_STEP_HALF_WRITTEN);

	/* The temp file really is half-written... */
	raw = slurp(f->dir, NAME ".tmp", &len);
	assert_non_null(raw);
	assert_int_equal(len, STATEFILE_HEADER_SIZE + big / 2);
	free(raw);
	/* ...and the reader neither sees it nor complains. */
	expect_read(f->dir, old_buf, sizeof(old_buf), false, NULL);

	write_ok(f->dir, payload, big);
	expect_read(f->dir, payload, big, false, NULL);
	assert_false(exists(f->dir, NAME ".tmp"));
	assert_raw_payload(f->dir, NAME ".prev", old_buf, sizeof(old_buf));
	free(payload);
}

static void test_corrupt_payload(void **state)
{
	struct fx *f = *state;
	struct statefile_info info;
	void *data = NULL;
	size_t len = 0;

	write_ok(f->dir, "good old", 8);
	write_ok(f->dir, "good new", 8);
	flip(f->dir, NAME, STATEFILE_HEADER_SIZE + 3);
	expect_read(f->dir, "good old", 8, true, "checksum mismatch (stored 0x");
	assert_int_equal(statefile_read(f->dir, NAME, 0, &data, &len, &info),
			 0);
	assert_int_equal(info.generation, 1);
	assert_non_null(strstr(info.fault, NAME ".prev"));
	free(data);

	/* A write now keeps the good NAME.prev, not the corrupt current. */
	assert_int_equal(statefile_write(f->dir, NAME, "newest", 6, &info), 0);
	assert_non_null(strstr(info.fault, "not kept as previous copy"));
	assert_int_equal(info.generation, 2);
	assert_raw_payload(f->dir, NAME ".prev", "good old", 8);
	expect_read(f->dir, "newest", 6, false, NULL);
}

static void test_corrupt_header(void **state)
{
	struct fx *f = *state;
	static const struct {
		off_t off;
		const char *why;
	} cases[] = {
		{ 0, "bad magic" },
		{ 3, "bad magic" },
		{ 4, "unsupported format version" },
		{ 6, "checksum mismatch" },  /* flags */
		{ 8, "checksum mismatch" },  /* generation */
		{ 15, "checksum mismatch" }, /* generation, top byte */
		{ 16, "truncated" },         /* length 8 -> 9 */
		{ 23, "exceeds the limit" }, /* length, top byte */
		{ 24, "checksum mismatch" }, /* reserved */
		{ 28, "checksum mismatch" }, /* the CRC itself */
		{ 31, "checksum mismatch" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_ok(f->dir, "prev-ok!", 8);
		write_ok(f->dir, "curr-ok!", 8);
		flip(f->dir, NAME, cases[i].off);
		print_message("flip header byte %d\n", (int)cases[i].off);
		expect_read(f->dir, "prev-ok!", 8, true, cases[i].why);
	}
}

/* Well-formed files from a newer writer are refused, not misread. */
static void test_future_format(void **state)
{
	struct fx *f = *state;
	static const struct {
		int off;
		uint8_t val;
		const char *why;
	} cases[] = {
		{ 4, 2, "unsupported format version 2" },
		{ 6, 1, "unsupported flags 0x0001" },
		{ 24, 1, "reserved field 0x00000001" },
	};
	uint8_t file[STATEFILE_HEADER_SIZE + 4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uLong crc;

		write_ok(f->dir, "v1-ok", 5);
		write_ok(f->dir, "current", 7);
		make_header(file, 9, 4, "next", 4);
		memcpy(file + STATEFILE_HEADER_SIZE, "next", 4);
		file[cases[i].off] = cases[i].val;
		crc = crc32(crc32(0, file, 28), (const Bytef *)"next", 4);
		put_le(file + 28, crc, 4);
		spit(f->dir, NAME, file, sizeof(file));
		expect_read(f->dir, "v1-ok", 5, true, cases[i].why);
	}
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	const off_t full = STATEFILE_HEADER_SIZE + 10;
	const off_t lens[] = { 0, 1, 4, 16, STATEFILE_HEADER_SIZE - 1,
			       STATEFILE_HEADER_SIZE, full - 1 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		write_ok(f->dir, "0123456789", 10);
		write_ok(f->dir, "abcdefghij", 10);
		truncate_to(f->dir, NAME, lens[i]);
		print_message("truncate to %d\n", (int)lens[i]);
		expect_read(f->dir, "0123456789", 10, true, "truncated");
	}

	/* Longer than the header says. */
	write_ok(f->dir, "0123456789", 10);
	write_ok(f->dir, "abcdefghij", 10);
	truncate_to(f->dir, NAME, full + 3);
	expect_read(f->dir, "0123456789", 10, true, "3 trailing bytes");
}

static void test_both_corrupt(void **state)
{
	struct fx *f = *state;

	write_ok(f->dir, "one", 3);
	write_ok(f->dir, "two", 3);
	flip(f->dir, NAME, STATEFILE_HEADER_SIZE);
	truncate_to(f->dir, NAME ".prev", 7);
	expect_fail(f->dir, 0, -EBADMSG, "checksum mismatch");
	expect_fail(f->dir, 0, -EBADMSG, NAME ".prev: truncated");

	/* Current missing and previous corrupt: still a corruption. */
	char p[PATH_MAX];

	mkpath(p, f->dir, NAME);
	assert_int_equal(unlink(p), 0);
	expect_fail(f->dir, 0, -EBADMSG, "missing");
	/* Current corrupt, previous missing. */
	write_ok(f->dir, "three", 5);
	mkpath(p, f->dir, NAME ".prev");
	assert_int_equal(unlink(p), 0);
	flip(f->dir, NAME, 0);
	expect_fail(f->dir, 0, -EBADMSG, "bad magic");
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], nodir[96];

	expect_fail(f->dir, 0, -ENOENT, "missing");

	/* Current missing, previous good: previous used, fault reported. */
	write_ok(f->dir, "v1", 2);
	write_ok(f->dir, "v2", 2);
	mkpath(p, f->dir, NAME);
	assert_int_equal(unlink(p), 0);
	expect_read(f->dir, "v1", 2, true, "missing");

	/* A missing folder. */
	struct statefile_info info;
	void *data = NULL;
	size_t len = 0;

	snprintf(nodir, sizeof(nodir), "%s/nonexistent", f->dir);
	assert_int_equal(statefile_read(nodir, NAME, 0, &data, &len, &info),
			 -ENOENT);
	assert_non_null(strstr(info.fault, "cannot open folder"));
	assert_int_equal(statefile_write(nodir, NAME, "x", 1, &info), -ENOENT);
	assert_non_null(strstr(info.fault, "open folder failed"));
}

/* Hand-made file whose header claims `claim` bytes, file size `size`. */
static void plant(const char *dir, const char *fname, uint64_t claim,
		  off_t size)
{
	uint8_t h[STATEFILE_HEADER_SIZE];
	char p[PATH_MAX];

	make_header(h, 7, claim, NULL, 0);
	spit(dir, fname, h, sizeof(h));
	mkpath(p, dir, fname);
	assert_int_equal(truncate(p, size), 0);
}

static void test_oversized_length(void **state)
{
	struct fx *f = *state;
	const uint64_t big = (uint64_t)STATEFILE_MAX_PAYLOAD + 1;

	/* HDR + length would overflow a naive size check. */
	plant(f->dir, NAME, UINT64_MAX, STATEFILE_HEADER_SIZE);
	expect_fail(f->dir, 0, -EBADMSG, "exceeds the limit");

	/* A sparse file whose size matches a too-large claim. */
	plant(f->dir, NAME, big, (off_t)(STATEFILE_HEADER_SIZE + big));
	expect_fail(f->dir, 0, -EBADMSG, "exceeds the limit 67108864");

	/* The per-call limit, with a good previous copy to fall back to. */
	char p[PATH_MAX];

	mkpath(p, f->dir, NAME);
	unlink(p);
	write_ok(f->dir, "short", 5);
	write_ok(f->dir, "a longer payload", 16);
	expect_fail(f->dir, 4, -EBADMSG, "exceeds the limit 4");
	{
		struct statefile_info info;
		void *data = NULL;
		size_t len = 0;

		assert_int_equal(statefile_read(f->dir, NAME, 8, &data, &len,
						&info), 0);
		assert_true(info.from_prev);
		assert_int_equal(len, 5);
		assert_non_null(strstr(info.fault, "exceeds the limit 8"));
		free(data);
	}

	/* Writers are bounded too; data is never touched. */
	struct statefile_info info;

	assert_int_equal(statefile_write(f->dir, NAME, "x",
					 STATEFILE_MAX_PAYLOAD + 1, &info),
			 -EMSGSIZE);
	assert_non_null(strstr(info.fault, "exceeds the limit"));
	expect_read(f->dir, "a longer payload", 16, false, NULL);

#ifndef UNDER_ASAN
	/*
	 * Prove the rejection happens before allocating: with the data
	 * segment limited to 32 MiB, a legal 60 MiB claim fails with ENOMEM,
	 * but a 100 MiB claim is rejected as too long.
	 */
	int status = 0;
	pid_t pid;

	plant(f->dir, NAME, 60u << 20, STATEFILE_HEADER_SIZE + (60 << 20));
	plant(f->dir, NAME ".prev", 100u << 20,
	      STATEFILE_HEADER_SIZE + (100 << 20));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 32 << 20, 32 << 20 };
		struct statefile_info ci;
		void *data = NULL;
		size_t len = 0;
		int rc;

		if (setrlimit(RLIMIT_DATA, &rl) < 0)
			_exit(10);
		rc = statefile_read(f->dir, NAME, 0, &data, &len, &ci);
		if (rc != -ENOMEM || !strstr(ci.fault, "out of memory"))
			_exit(11);
		if (!strstr(ci.fault, ".prev: payload length 104857600 "
				      "exceeds the limit"))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

/* In a child limited to 4 KiB files, a 64 KiB write fails with EFBIG. */
static void test_write_error_efbig(void **state)
{
	struct fx *f = *state;
	int status = 0;
	pid_t pid;

	fill_buffers();
	write_ok(f->dir, older_buf, sizeof(older_buf));
	write_ok(f->dir, old_buf, sizeof(old_buf));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		struct statefile_info ci;
		static char payload[65536];
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(10);
		rc = statefile_write(f->dir, NAME, payload, sizeof(payload),
				     &ci);
		if (rc != -EFBIG)
			_exit(11);
		if (!strstr(ci.fault, "write temporary file failed") ||
		    !strstr(ci.fault, NAME))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	expect_read(f->dir, old_buf, sizeof(old_buf), false, NULL);
	assert_raw_payload(f->dir, NAME ".prev", older_buf, sizeof(older_buf));
	assert_false(exists(f->dir, NAME ".tmp"));
}

/* A 64 KiB tmpfs fills up: ENOSPC. Skipped where mounting is not allowed. */
static void test_write_error_enospc(void **state)
{
	struct fx *f = *state;
	struct statefile_info info;
	const size_t big = 256 << 10;
	char *payload;

	snprintf(f->mnt, sizeof(f->mnt), "%s/small", f->dir);
	assert_int_equal(mkdir(f->mnt, 0700), 0);
	if (mount("none", f->mnt, "tmpfs", 0, "size=64k") < 0) {
		print_message("cannot mount tmpfs (%s): skipped\n",
			      strerror(errno));
		skip();
	}
	f->mounted = true;

	payload = calloc(1, big);
	assert_non_null(payload);
	assert_int_equal(statefile_write(f->mnt, NAME, "fits", 4, &info), 0);
	assert_int_equal(statefile_write(f->mnt, NAME, payload, big, &info),
			 -ENOSPC);
	assert_non_null(strstr(info.fault, "No space left on device"));
	free(payload);

	{
		void *data = NULL;
		size_t len = 0;

		assert_int_equal(statefile_read(f->mnt, NAME, 0, &data, &len,
						&info), 0);
		assert_false(info.from_prev);
		assert_int_equal(len, 4);
		assert_memory_equal(data, "fits", 4);
		free(data);
	}
	assert_false(exists(f->mnt, NAME ".tmp"));
	/* Space is back: the next write succeeds. */
	assert_int_equal(statefile_write(f->mnt, NAME, "again", 5, &info), 0);
}

static void test_empty_payload(void **state)
{
	struct fx *f = *state;

	write_ok(f->dir, NULL, 0);
	expect_read(f->dir, "", 0, false, NULL);
	assert_raw_payload(f->dir, NAME, "", 0);
	write_ok(f->dir, "x", 1);
	write_ok(f->dir, "", 0);
	expect_read(f->dir, "", 0, false, NULL);
	assert_raw_payload(f->dir, NAME ".prev", "x", 1);

	/* An empty payload is still checksummed. */
	flip(f->dir, NAME, 9);
	expect_read(f->dir, "x", 1, true, "checksum mismatch");
}

static void test_stale_tmp(void **state)
{
	struct fx *f = *state;
	uint8_t h[STATEFILE_HEADER_SIZE + 5];
	char target[PATH_MAX], link[PATH_MAX];

	write_ok(f->dir, "committed", 9);

	/* Garbage, then a perfectly valid but never committed file. */
	spit(f->dir, NAME ".tmp", "garbage", 7);
	expect_read(f->dir, "committed", 9, false, NULL);
	make_header(h, 99, 5, "draft", 5);
	memcpy(h + STATEFILE_HEADER_SIZE, "draft", 5);
	spit(f->dir, NAME ".tmp", h, sizeof(h));
	expect_read(f->dir, "committed", 9, false, NULL);

	write_ok(f->dir, "next", 4);
	expect_read(f->dir, "next", 4, false, NULL);
	assert_false(exists(f->dir, NAME ".tmp"));

	/* A symlink planted as NAME.tmp is removed, never followed. */
	spit(f->dir, "victim", "untouched", 9);
	mkpath(target, f->dir, "victim");
	mkpath(link, f->dir, NAME ".tmp");
	assert_int_equal(symlink(target, link), 0);
	write_ok(f->dir, "after link", 10);
	expect_read(f->dir, "after link", 10, false, NULL);
	assert_raw_payload(f->dir, NAME ".prev", "next", 4);
	{
		size_t len = 0;
		uint8_t *v = slurp(f->dir, "victim", &len);

		assert_non_null(v);
		assert_int_equal(len, 9);
		assert_memory_equal(v, "untouched", 9);
		free(v);
	}
	assert_false(exists(f->dir, NAME ".tmp"));
}

static void test_hostile_current(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], target[PATH_MAX];

	write_ok(f->dir, "safe", 4);
	write_ok(f->dir, "live", 4);
	mkpath(p, f->dir, NAME);

	/* A FIFO must not hang the reader. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	expect_read(f->dir, "safe", 4, true, "not a regular file");

	/* A folder. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	expect_read(f->dir, "safe", 4, true, "not a regular file");
	assert_int_equal(rmdir(p), 0);

	/* A symlink, even to a valid state file, is not followed. */
	mkpath(target, f->dir, NAME ".prev");
	assert_int_equal(symlink(target, p), 0);
	expect_read(f->dir, "safe", 4, true, "symbolic link");
	/* A write replaces it, keeping the good previous copy. */
	write_ok(f->dir, "fresh", 5);
	expect_read(f->dir, "fresh", 5, false, NULL);
	assert_raw_payload(f->dir, NAME ".prev", "safe", 4);
}

/* Random garbage under NAME never crashes and always falls back. */
static void test_random_garbage(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	unsigned seed = 12345;

	write_ok(f->dir, "fallback", 8);
	write_ok(f->dir, "whatever", 8);
	for (int i = 0; i < 500; i++) {
		size_t n = (size_t)rand_r(&seed) % sizeof(buf);

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		/* Half the time, a plausible header start. */
		if (i % 2 && n >= 8) {
			memcpy(buf, "EVSF\x01\x00\x00\x00", 8);
			if (n >= 24 && i % 4 == 1)
				put_le(buf + 16, n - STATEFILE_HEADER_SIZE, 8);
		}
		spit(f->dir, NAME, buf, n);
		expect_read(f->dir, "fallback", 8, true, ": ");
	}
}

static void test_invalid_args(void **state)
{
	struct fx *f = *state;
	static const char *bad[] = { "", "a/b", ".", "..", "x.tmp", "x.prev",
				     "/abs" };
	char longname[260];
	void *data = NULL;
	size_t len = 0;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(statefile_write(f->dir, bad[i], "x", 1, NULL),
				 -EINVAL);
		assert_int_equal(statefile_read(f->dir, bad[i], 0, &data, &len,
						NULL), -EINVAL);
	}
	assert_int_equal(statefile_write(f->dir, longname, "x", 1, NULL),
			 -EINVAL);
	assert_int_equal(statefile_write(f->dir, NULL, "x", 1, NULL), -EINVAL);
	assert_int_equal(statefile_write(NULL, NAME, "x", 1, NULL), -EINVAL);
	assert_int_equal(statefile_write(f->dir, NAME, NULL, 1, NULL), -EINVAL);
	assert_int_equal(statefile_read(f->dir, NAME, 0, NULL, &len, NULL),
			 -EINVAL);
	/* 250 characters is the longest name that leaves room for ".prev". */
	longname[250] = '\0';
	assert_int_equal(statefile_write(f->dir, longname, "ok", 2, NULL), 0);
	assert_int_equal(statefile_write(f->dir, longname, "ok2", 3, NULL), 0);
	assert_int_equal(statefile_read(f->dir, longname, 0, &data, &len,
					NULL), 0);
	assert_int_equal(len, 3);
	free(data);
	longname[250] = 'a';
	longname[251] = '\0';
	assert_int_equal(statefile_read(f->dir, longname, 0, &data, &len,
					NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_round_trip),
		T(test_rewrite_keeps_prev),
		T(test_crash_at_every_step),
		T(test_crash_first_write),
		T(test_crash_mid_write),
		T(test_corrupt_payload),
		T(test_corrupt_header),
		T(test_future_format),
		T(test_truncated),
		T(test_both_corrupt),
		T(test_missing),
		T(test_oversized_length),
		T(test_write_error_efbig),
		T(test_write_error_enospc),
		T(test_empty_payload),
		T(test_stale_tmp),
		T(test_hostile_current),
		T(test_random_garbage),
		T(test_invalid_args),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
