/* Unit tests: dom0/core/stream — byte streams over fds, with timeouts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"

static void
test_write_read_eof(void **state)
{
	struct stream_fd a, b;
	char buf[16] = "";
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_fd_init(&a, sv[0], 1000);
	stream_fd_init(&b, sv[1], 1000);
	assert_int_equal(a.s.write(&a.s, "hello", 5), 5);
	assert_int_equal(a.s.flush(&a.s), 0);
	assert_int_equal(b.s.read(&b.s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	a.s.close(&a.s);
	assert_int_equal(a.fd, -1);
	assert_int_equal(b.s.read(&b.s, buf, sizeof(buf)), 0); /* end of stream */
	b.s.close(&b.s);
}

static void
test_read_times_out(void **state)
{
	struct stream_fd b;
	char buf[4];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_fd_init(&b, sv[1], 50);
	assert_int_equal(b.s.read(&b.s, buf, sizeof(buf)), -ETIMEDOUT);
	b.s.close(&b.s);
	close(sv[0]);
}

static void
test_write_to_closed_peer(void **state)
{
	struct stream_fd a;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	stream_fd_init(&a, sv[0], 100);
	/* no SIGPIPE: an error comes back instead */
	assert_int_equal(a.s.write(&a.s, "x", 1), -EPIPE);
	a.s.close(&a.s);
}

static void
test_large_write_completes(void **state)
{
	static char big[1 << 20], got[1 << 20];
	struct stream_fd a, b;
	size_t n = 0;
	int sv[2];
	pid_t pid;

	(void)state;
	memset(big, 'z', sizeof(big));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		close(sv[1]);
		stream_fd_init(&a, sv[0], 5000);
		_exit(a.s.write(&a.s, big, sizeof(big)) == (ssize_t)sizeof(big) ? 0 : 1);
	}
	close(sv[0]);
	stream_fd_init(&b, sv[1], 5000);
	for (;;) {
		ssize_t r = b.s.read(&b.s, got + n, sizeof(got) - n);
		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	assert_int_equal(n, sizeof(big));
	assert_memory_equal(got, big, sizeof(big));
	b.s.close(&b.s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_eof),
		cmocka_unit_test(test_read_times_out),
		cmocka_unit_test(test_write_to_closed_peer),
		cmocka_unit_test(test_large_write_completes),
	};
	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
