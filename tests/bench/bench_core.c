/*
 * Bench: the core library against the plainest code that does the same job,
 * measured in the same run, reported as ratios (never asserted: machines
 * here are noisy).
 *
 *   ipc round trip     ipc_send/ipc_recv (validated, typed) between two
 *                      processes vs raw send/recv of the same bytes over the
 *                      same SEQPACKET socketpair.            goal >= 0.80
 *   state file write   statefile_write (checksum, .prev rotation, fsyncs)
 *                      vs open/write/fsync/rename/fsync-dir.   goal >= 0.50
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evloop.h"
#include "ipc.h"
#include "statefile.h"

enum { T_REQ = 1, T_REP = 2 };
static const struct ipc_type_desc types[] = {
	{ T_REQ, "REQ", 0, 256, IPC_FD_NEVER },
	{ T_REP, "REP", 0, 256, IPC_FD_NEVER },
};
static const struct ipc_proto proto = { "bench", types, 2 };

#define MSG 64

static double
ipc_rate(int n, int raw)
{
	uint8_t buf[sizeof(struct ipc_hdr) + 256], payload[MSG];
	char err[IPC_ERR_MAX];
	struct ipc_msg m;
	int sv[2];
	uint64_t t0, t1;
	pid_t pid;

	memset(payload, 7, sizeof(payload));
	if (ipc_pair(sv) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < n; i++) {
			if (raw) {
				ssize_t r = recv(sv[1], buf, sizeof(buf), 0);
				if (r <= 0 || send(sv[1], buf, (size_t)r, 0) != r)
					_exit(1);
			} else {
				if (ipc_recv(sv[1], &proto, &m, buf, sizeof(buf), err) < 0 ||
				    ipc_send(sv[1], &proto, T_REP, m.data, m.len, -1, err) < 0)
					_exit(1);
			}
		}
		_exit(0);
	}
	close(sv[1]);
	t0 = evloop_now_ms();
	for (int i = 0; i < n; i++) {
		if (raw) {
			struct ipc_hdr h = { T_REQ, 0, MSG };
			memcpy(buf, &h, sizeof(h));
			memcpy(buf + sizeof(h), payload, MSG);
			if (send(sv[0], buf, sizeof(h) + MSG, 0) < 0 ||
			    recv(sv[0], buf, sizeof(buf), 0) <= 0)
				exit(1);
		} else {
			if (ipc_send(sv[0], &proto, T_REQ, payload, MSG, -1, err) < 0 ||
			    ipc_recv(sv[0], &proto, &m, buf, sizeof(buf), err) < 0)
				exit(1);
		}
	}
	t1 = evloop_now_ms();
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return n * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1);
}

static int
plain_atomic_write(const char *dir, const char *name, const void *d, size_t len)
{
	char tmp[512], dst[512];
	int fd, dfd;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, d, len) != (ssize_t)len || fsync(fd) < 0)
		return -1;
	close(fd);
	if (rename(tmp, dst) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -1;
	close(dfd);
	return 0;
}

static double
write_rate(const char *dir, int n, int plain)
{
	static uint8_t data[4096];
	uint64_t t0 = evloop_now_ms(), t1;

	for (int i = 0; i < n; i++) {
		data[0] = (uint8_t)i;
		if (plain ? plain_atomic_write(dir, "plain", data, sizeof(data))
			  : statefile_write(dir, "state", data, sizeof(data), NULL)) {
			fprintf(stderr, "bench: write in %s failed: %s\n", dir, strerror(errno));
			exit(1);
		}
	}
	t1 = evloop_now_ms();
	return n * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench";
	double ours, ref;
	int n = 20000;

	ipc_rate(1000, 0); /* warm up */
	ours = ref = 0;
	for (int i = 0; i < 3; i++) { /* interleaved, best of three each */
		double a = ipc_rate(n, 0), b = ipc_rate(n, 1);
		ours = a > ours ? a : ours;
		ref = b > ref ? b : ref;
	}
	printf("bench ipc_roundtrip: %.0f/s, raw seqpacket %.0f/s, ratio %.2f (goal >= 0.80)\n",
	       ours, ref, ours / ref);
	ours = write_rate(dir, 200, 0);
	ref = write_rate(dir, 200, 1);
	printf("bench statefile_write_4k: %.0f/s, plain write+fsync+rename %.0f/s, ratio %.2f "
	       "(goal >= 0.50)\n", ours, ref, ours / ref);
	return 0;
}
