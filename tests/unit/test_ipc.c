/* Unit tests: dom0/core/ipc — typed bounded messages and fd passing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ipc.h"

enum { T_SMALL = 1, T_BLOB = 2, T_WITHFD = 3, T_MAYFD = 4, T_EMPTY = 5 };

static const struct ipc_type_desc types[] = {
	{ T_SMALL, "SMALL", 8, 8, IPC_FD_NEVER },
	{ T_BLOB, "BLOB", 0, 4096, IPC_FD_NEVER },
	{ T_WITHFD, "WITHFD", 0, 16, IPC_FD_REQUIRED },
	{ T_MAYFD, "MAYFD", 0, 16, IPC_FD_OPTIONAL },
	{ T_EMPTY, "EMPTY", 0, 0, IPC_FD_NEVER },
};
static const struct ipc_proto proto = { "test", types, sizeof(types) / sizeof(types[0]) };

struct pair {
	int s[2];
};

static int
setup(void **state)
{
	static struct pair p;

	if (ipc_pair(p.s) < 0)
		return -1;
	fcntl(p.s[1], F_SETFL, O_NONBLOCK);
	*state = &p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	close(p->s[0]);
	close(p->s[1]);
	return 0;
}

static uint8_t buf[sizeof(struct ipc_hdr) + 8192];

static void
test_round_trip(void **state)
{
	struct pair *p = *state;
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	uint64_t v = 0x1122334455667788ull, got;
	uint8_t blob[4096];

	assert_int_equal(ipc_send(p->s[0], &proto, T_SMALL, &v, sizeof(v), -1, err), 0);
	memset(blob, 0xab, sizeof(blob));
	assert_int_equal(ipc_send(p->s[0], &proto, T_BLOB, blob, sizeof(blob), -1, err), 0);
	assert_int_equal(ipc_send(p->s[0], &proto, T_EMPTY, NULL, 0, -1, err), 0);

	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), 0);
	assert_int_equal(m.type, T_SMALL);
	assert_int_equal(m.len, 8);
	assert_int_equal(m.fd, -1);
	memcpy(&got, m.data, 8);
	assert_int_equal(got, v);
	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), 0);
	assert_int_equal(m.type, T_BLOB);
	assert_int_equal(m.len, 4096);
	assert_memory_equal(m.data, blob, sizeof(blob));
	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), 0);
	assert_int_equal(m.type, T_EMPTY);
	assert_int_equal(m.len, 0);
	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), -EAGAIN);
}

static void
test_fd_passing(void **state)
{
	struct pair *p = *state;
	char err[IPC_ERR_MAX], rd[8] = "";
	struct ipc_msg m;
	int pp[2];

	assert_int_equal(pipe(pp), 0);
	assert_int_equal(ipc_send(p->s[0], &proto, T_WITHFD, "x", 1, pp[1], err), 0);
	close(pp[1]);
	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), 0);
	assert_int_equal(m.type, T_WITHFD);
	assert_true(m.fd >= 0);
	/* the received fd is the same pipe: write through it, read here */
	assert_int_equal(write(m.fd, "hello", 5), 5);
	close(m.fd);
	assert_int_equal(read(pp[0], rd, sizeof(rd)), 5);
	assert_memory_equal(rd, "hello", 5);
	/* close-on-exec is set on received fds */
	close(pp[0]);
	/* optional fd: both forms accepted */
	assert_int_equal(ipc_send(p->s[0], &proto, T_MAYFD, NULL, 0, -1, err), 0);
	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), 0);
	assert_int_equal(m.fd, -1);
}

static void
test_sender_checks_its_own_messages(void **state)
{
	struct pair *p = *state;
	char err[IPC_ERR_MAX];
	uint8_t big[5000] = { 0 };

	assert_int_equal(ipc_send(p->s[0], &proto, 99, NULL, 0, -1, err), -EBADMSG);
	assert_non_null(strstr(err, "unknown message type 99"));
	assert_int_equal(ipc_send(p->s[0], &proto, T_BLOB, big, sizeof(big), -1, err), -EBADMSG);
	assert_non_null(strstr(err, "BLOB oversized: 5000"));
	assert_int_equal(ipc_send(p->s[0], &proto, T_SMALL, big, 4, -1, err), -EBADMSG);
	assert_non_null(strstr(err, "SMALL too short"));
	assert_int_equal(ipc_send(p->s[0], &proto, T_WITHFD, NULL, 0, -1, err), -EBADMSG);
	assert_non_null(strstr(err, "needs an fd"));
	assert_int_equal(ipc_send(p->s[0], &proto, T_SMALL, big, 8, 0, err), -EBADMSG);
	assert_non_null(strstr(err, "must not carry an fd"));
}

/* Raw datagrams as a hostile or broken peer would send them. */
static void
send_raw(int s, const void *hdr, size_t hlen, const void *body, size_t blen, int fd)
{
	struct iovec iov[2] = { { (void *)hdr, hlen }, { (void *)body, blen } };
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = blen ? 2 : 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	assert_true(sendmsg(s, &mh, 0) >= 0);
}

static void
expect_reject(struct pair *p, const char *needle)
{
	char err[IPC_ERR_MAX];
	struct ipc_msg m;

	assert_int_equal(ipc_recv(p->s[1], &proto, &m, buf, sizeof(buf), err), -EBADMSG);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not say '%s'", err, needle);
	assert_int_equal(m.fd, -1);
}

static void
test_hostile_truncated(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { T_SMALL, 0, 8 };

	send_raw(p->s[0], &h, 3, NULL, 0, -1);            /* shorter than a header */
	expect_reject(p, "truncated message: 3 bytes");
	send_raw(p->s[0], &h, sizeof(h), "abcd", 4, -1);  /* says 8, carries 4 */
	expect_reject(p, "SMALL truncated: header says 8 payload bytes, got 4");
}

static void
test_hostile_oversized(void **state)
{
	struct pair *p = *state;
	static uint8_t body[8192 + 100];
	struct ipc_hdr h = { T_BLOB, 0, 4097 };

	send_raw(p->s[0], &h, sizeof(h), body, 4097, -1); /* over the type's bound */
	expect_reject(p, "BLOB oversized: 4097");
	h.len = 0xffffffffu;                               /* absurd length */
	send_raw(p->s[0], &h, sizeof(h), body, 16, -1);
	expect_reject(p, "oversized");
	h.len = 8;                                         /* longer than the buffer */
	send_raw(p->s[0], &h, sizeof(h), body, sizeof(body), -1);
	expect_reject(p, "oversized message");
	h = (struct ipc_hdr){ T_SMALL, 0, 8 };             /* bytes past the payload */
	send_raw(p->s[0], &h, sizeof(h), body, 12, -1);
	expect_reject(p, "4 bytes past its 8-byte payload");
}

static void
test_hostile_unknown_type_and_flags(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { 77, 0, 0 };

	send_raw(p->s[0], &h, sizeof(h), NULL, 0, -1);
	expect_reject(p, "unknown message type 77");
	h = (struct ipc_hdr){ T_EMPTY, 0x8, 0 };
	send_raw(p->s[0], &h, sizeof(h), NULL, 0, -1);
	expect_reject(p, "unknown flags 0x8");
}

static int
count_open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void
test_hostile_fd_is_closed(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { T_SMALL, IPC_F_FD, 8 };
	int pp[2], before;

	assert_int_equal(pipe(pp), 0);
	before = count_open_fds();
	/* an fd on a type that must never carry one: rejected, fd not leaked */
	send_raw(p->s[0], &h, sizeof(h), "12345678", 8, pp[0]);
	expect_reject(p, "SMALL must not carry an fd");
	assert_int_equal(count_open_fds(), before);
	/* an fd the header does not announce */
	h.flags = 0;
	send_raw(p->s[0], &h, sizeof(h), "12345678", 8, pp[0]);
	expect_reject(p, "disagree on an fd");
	assert_int_equal(count_open_fds(), before);
	/* a required fd missing */
	h = (struct ipc_hdr){ T_WITHFD, IPC_F_FD, 0 };
	send_raw(p->s[0], &h, sizeof(h), NULL, 0, -1);
	expect_reject(p, "disagree on an fd");
	close(pp[0]);
	close(pp[1]);
}

static void
test_peer_closed(void **state)
{
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	int s[2];
	uint64_t v = 1;

	(void)state;
	assert_int_equal(ipc_pair(s), 0);
	close(s[0]);
	assert_int_equal(ipc_recv(s[1], &proto, &m, buf, sizeof(buf), err), -EPIPE);
	assert_int_equal(ipc_send(s[1], &proto, T_SMALL, &v, sizeof(v), -1, err), -EPIPE);
	close(s[1]);
}

/* A blob is sealed: nobody can change it after it was made, and a plain
 * fd (not a sealed memfd) is refused by the reader. */
static void
test_blob_sealed(void **state)
{
	static const char text[] = "the plan";
	char path[] = "/tmp/ev-ipc-blob-XXXXXX";
	void *data;
	size_t len;
	int fd, plain;

	(void)state;
	assert_int_equal(ipc_blob_make("t", text, sizeof(text), &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), -1);         /* F_SEAL_WRITE */
	assert_int_equal(ftruncate(fd, 1), -1);          /* F_SEAL_SHRINK */
	assert_int_equal(lseek(fd, 5, SEEK_SET), 5);     /* the offset does not matter */
	assert_int_equal(ipc_blob_read(fd, 1024, &data, &len), 0);
	assert_int_equal(len, sizeof(text));
	assert_memory_equal(data, text, sizeof(text));
	free(data);
	assert_int_equal(ipc_blob_read(fd, 4, &data, &len), -EFBIG);
	close(fd);

	plain = mkstemp(path);
	assert_true(plain >= 0);
	unlink(path);
	assert_int_equal(write(plain, text, sizeof(text)), (ssize_t)sizeof(text));
	assert_int_equal(ipc_blob_read(plain, 1024, &data, &len), -EPERM);
	assert_null(data);
	close(plain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender_checks_its_own_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_oversized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_unknown_type_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_fd_is_closed, setup, teardown),
		cmocka_unit_test(test_peer_closed),
		cmocka_unit_test(test_blob_sealed),
	};
	return cmocka_run_group_tests_name("ipc", tests, NULL, NULL);
}
