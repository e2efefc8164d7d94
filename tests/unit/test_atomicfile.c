/*
 * Unit tests for dom0/core/atomicfile: plain files written atomically.
 *
 * Crashes are simulated by a forked writer that SIGKILLs itself from the
 * step hook; a write error by RLIMIT_FSIZE (EFBIG). Children never call
 * cmocka: they report through their exit status.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomicfile.h"

struct fx {
	char dir[64];
	char path[128];
	char tmp[132];
};

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
	strcpy(f->dir, "/tmp/atomicfile-test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/key.pem", f->dir);
	snprintf(f->tmp, sizeof(f->tmp), "%s.tmp", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	atomicfile_set_step_hook(NULL, NULL);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* The whole file at path, NUL-terminated, in buf; its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_writes_content_and_exact_mode(void **state)
{
	struct fx *f = *state;
	char buf[64], err[256];
	struct stat st;
	mode_t old = umask(077);

	assert_int_equal(atomicfile_write(f->path, "hello\n", 6, 0640, 0, err,
					  sizeof(err)), 0);
	umask(old);
	assert_string_equal(err, "");
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "hello\n");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640); /* umask did not apply */
	assert_false(exists(f->tmp));

	assert_int_equal(atomicfile_write(f->path, "x", 1, 0600, 0, NULL, 0),
			 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_replaces_existing(void **state)
{
	struct fx *f = *state;
	char buf[64];

	put(f->path, "old content");
	assert_int_equal(atomicfile_write(f->path, "new", 3, 0600, 0, NULL, 0),
			 0);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "new");
	assert_false(exists(f->tmp));
	/* empty content is a valid file */
	assert_int_equal(atomicfile_write(f->path, NULL, 0, 0600, 0, NULL, 0),
			 0);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 0);
}

static void test_noreplace_keeps_existing(void **state)
{
	struct fx *f = *state;
	char buf[64], err[256];

	assert_int_equal(atomicfile_write(f->path, "first", 5, 0600,
					  ATOMICFILE_NOREPLACE, err,
					  sizeof(err)), 0);
	assert_int_equal(atomicfile_write(f->path, "second", 6, 0600,
					  ATOMICFILE_NOREPLACE, err,
					  sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "first");
	assert_false(exists(f->tmp));
}

static void test_stale_tmp_replaced_not_followed(void **state)
{
	struct fx *f = *state;
	char victim[160], buf[64];

	/* a symlink planted at PATH.tmp must not redirect the write */
	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	put(victim, "victim");
	assert_int_equal(symlink(victim, f->tmp), 0);
	assert_int_equal(atomicfile_write(f->path, "data", 4, 0600, 0, NULL, 0),
			 0);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "data");
	assert_int_equal(slurp(victim, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "victim");
	assert_false(exists(f->tmp));

	/* a stale regular PATH.tmp from a crash is replaced */
	put(f->tmp, "stale stale stale");
	assert_int_equal(atomicfile_write(f->path, "data2", 5, 0600, 0, NULL,
					  0), 0);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 5);
	assert_false(exists(f->tmp));
}

static void test_symlink_at_path_is_replaced(void **state)
{
	struct fx *f = *state;
	char victim[160], buf[64];
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	put(victim, "victim");
	assert_int_equal(symlink(victim, f->path), 0);
	assert_int_equal(atomicfile_write(f->path, "mine", 4, 0600, 0, NULL, 0),
			 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(slurp(victim, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "victim");
}

static void test_missing_folder_is_a_clear_error(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];

	snprintf(path, sizeof(path), "%s/no/such/key.pem", f->dir);
	assert_int_equal(atomicfile_write(path, "x", 1, 0600, 0, err,
					  sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "open folder"));
	assert_non_null(strstr(err, "No such file"));
}

static void test_bad_arguments(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];

	assert_int_equal(atomicfile_write(NULL, "x", 1, 0600, 0, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid argument"));
	snprintf(path, sizeof(path), "%s/", f->dir);
	assert_int_equal(atomicfile_write(path, "x", 1, 0600, 0, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a valid file name"));
	snprintf(path, sizeof(path), "%s/..", f->dir);
	assert_int_equal(atomicfile_write(path, "x", 1, 0600, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(atomicfile_write(f->path, NULL, 1, 0600, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(atomicfile_write(f->path, "x", 1, 010000, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(atomicfile_write(f->path, "x", 1, 0600, 0x80, NULL, 0),
			 -EINVAL);
	assert_int_equal(atomicfile_write(f->path, "x", ATOMICFILE_MAX_LEN + 1,
					  0600, 0, err, sizeof(err)), -EMSGSIZE);
	assert_non_null(strstr(err, "exceed the limit"));
	assert_false(exists(f->path));
}

static void test_relative_path(void **state)
{
	struct fx *f = *state;
	char cwd[PATH_MAX], buf[16];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(atomicfile_write("rel.pem", "r", 1, 0600, 0, NULL, 0),
			 0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(f->path, sizeof(f->path), "%s/rel.pem", f->dir);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 1);
}

/* A write that fails half way (file size limit) leaves the old file. */
static void test_write_error_keeps_old(void **state)
{
	struct fx *f = *state;
	static char big[8192];
	char buf[64];
	int status;
	pid_t pid;

	put(f->path, "old content");
	memset(big, 'b', sizeof(big));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 1024, 1024 };
		char err[256];
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(10);
		rc = atomicfile_write(f->path, big, sizeof(big), 0600, 0, err,
				      sizeof(err));
		if (rc != -EFBIG)
			_exit(11);
		if (!strstr(err, "write temporary file") ||
		    !strstr(err, "too large"))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "old content");
	assert_false(exists(f->tmp));
}

static void kill_at(enum atomicfile_step s, void *arg)
{
	if (s == *(enum atomicfile_step *)arg)
		raise(SIGKILL);
}

/* A writer killed after any step leaves exactly the old or the new file. */
static void test_crash_at_every_step(void **state)
{
	struct fx *f = *state;
	static const char oldc[] = "old key", newc[] = "new key, longer";
	char buf[64];

	for (int s = ATOMICFILE_STEP_TMP_CREATED;
	     s <= ATOMICFILE_STEP_DIR_SYNCED; s++) {
		enum atomicfile_step at = (enum atomicfile_step)s;
		int status;
		pid_t pid;

		put(f->path, oldc);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			atomicfile_set_step_hook(kill_at, &at);
			atomicfile_write(f->path, newc, strlen(newc), 0600, 0,
					 NULL, 0);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
		assert_true(slurp(f->path, buf, sizeof(buf)) >= 0);
		if (s < ATOMICFILE_STEP_RENAMED)
			assert_string_equal(buf, oldc);
		else
			assert_string_equal(buf, newc);
		/* the next write cleans up whatever was left */
		assert_int_equal(atomicfile_write(f->path, "z", 1, 0600, 0,
						  NULL, 0), 0);
		assert_false(exists(f->tmp));
	}
}

static void test_read_whole_file(void **state)
{
	struct fx *f = *state;
	char *data, err[256], missing[300];
	size_t len;

	assert_int_equal(atomicfile_write(f->path, "hello\0world", 11, 0644, 0, err, sizeof(err)), 0);
	assert_int_equal(atomicfile_read(f->path, 100, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(data, "hello\0world", 11);
	assert_int_equal(data[11], '\0');
	free(data);
	assert_int_equal(atomicfile_read(f->path, 10, &data, &len, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "more than the 10 allowed"));
	assert_null(data);
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	assert_int_equal(atomicfile_read(missing, 100, &data, &len, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing"));
	assert_int_equal(atomicfile_read(f->dir, 100, &data, &len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_content_and_exact_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noreplace_keeps_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_replaced_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_at_path_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_folder_is_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_every_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_whole_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
