/*
 * Bench: download + SHA-256 of a 256 MiB file on loopback, as the device
 * does it (dlfetch into the download folder, then the SHA-256 the apps role
 * checks, read back from the finished file with BearSSL), against
 * `curl -s URL | sha256sum` in the same run, from the same server (a forked
 * sendfile server, so neither side waits on it).  Reported as a throughput
 * ratio, goal >= 0.9; never asserted.  Also reported alone: the download.
 */
#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dlfetch.h"
#include "verify.h"

#define SIZE (256u << 20)

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Serves path to every connection: a 200 with Content-Length, by sendfile. */
static pid_t
serve(const char *path, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(lfd, NULL, NULL), f;
		char req[8192], head[128];
		off_t off = 0;
		ssize_t n;
		int hl;

		if (c < 0)
			continue;
		/* read the request head (small; one read is enough on loopback) */
		n = read(c, req, sizeof(req));
		if (n <= 0 || (f = open(path, O_RDONLY)) < 0) {
			close(c);
			continue;
		}
		hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
			      "Connection: close\r\n\r\n", SIZE);
		if (write(c, head, (size_t)hl) == hl)
			while (off < (off_t)SIZE && sendfile(c, f, &off, SIZE - (size_t)off) > 0)
				;
		close(f);
		close(c);
	}
}

/* The product's path after the download: the apps role's verify (copy into
 * the hash store while hashing, fsync, compare, rename). */
static int
verify_file(const char *path, const char *store, const char *sha)
{
	struct verify v;
	char err[256] = "";
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return -1;
	rc = verify_begin(&v, fd, store, sha, 0, err, sizeof(err));
	if (rc == 0) {
		while ((rc = verify_step(&v, 8u << 20)) > 0)
			;
		if (rc < 0)
			fprintf(stderr, "bench download: verify: %s\n", v.err);
		verify_abort(&v);
	} else {
		fprintf(stderr, "bench download: verify: %s\n", err);
	}
	close(fd);
	return rc;
}

static void
sha_hex(const char *path, char out[65])
{
	static uint8_t buf[1 << 20];
	br_sha256_context sc;
	uint8_t h[32];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	br_sha256_init(&sc);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		br_sha256_update(&sc, buf, (size_t)n);
	if (fd >= 0)
		close(fd);
	br_sha256_out(&sc, h);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench";
	char src[512], dl[512], url[64], cmd[700], path[600];
	struct dlfetch_req r = { .url = url, .dir = dl, .id = "bench", .timeout_ms = 30000,
				 .margin = 1 };
	struct dlfetch_result res;
	double t0, t_ref = 1e9, t_dl = 1e9, t_ours = 1e9;
	char store[512], sha[65], blob[700];
	int port, fd, rc;
	pid_t srv;

	snprintf(src, sizeof(src), "%s/dl-src.bin", dir);
	snprintf(dl, sizeof(dl), "%s/dl", dir);
	snprintf(path, sizeof(path), "%s/bench", dl);
	mkdir(dir, 0755);
	mkdir(dl, 0700);
	if ((fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "bench download: %s: %s\n", src, strerror(errno));
		return 1;
	}
	{
		static uint8_t blk[1 << 20];

		for (size_t i = 0; i < sizeof(blk); i++)
			blk[i] = (uint8_t)(i * 2654435761u >> 13);
		for (unsigned i = 0; i < SIZE / sizeof(blk); i++) {
			blk[0] = (uint8_t)i;
			if (write(fd, blk, sizeof(blk)) != (ssize_t)sizeof(blk))
				return 1;
		}
	}
	close(fd);
	snprintf(store, sizeof(store), "%s/store", dir);
	mkdir(store, 0700);
	sha_hex(src, sha);
	snprintf(blob, sizeof(blob), "%s/%s", store, sha);
	if ((srv = serve(src, &port)) < 0) {
		fprintf(stderr, "bench download: no server\n");
		return 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/f", port);
	snprintf(cmd, sizeof(cmd), "curl -s %s | sha256sum >/dev/null", url);
	for (int round = 0; round < 3; round++) {
		double t;

		t0 = now_s();
		if (system(cmd) != 0) {
			fprintf(stderr, "bench download: curl | sha256sum failed\n");
			break;
		}
		t = now_s() - t0;
		t_ref = t < t_ref ? t : t_ref;
		unlink(path);
		t0 = now_s();
		rc = dlfetch_run(&r, &res);
		t = now_s() - t0;
		if (rc < 0) {
			fprintf(stderr, "bench download: %s\n", res.err);
			break;
		}
		t_dl = t < t_dl ? t : t_dl;
		unlink(blob);
		if (verify_file(path, store, sha) < 0)
			break;
		t = now_s() - t0;
		t_ours = t < t_ours ? t : t_ours;
	}
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	unlink(path);
	unlink(src);
	unlink(blob);
	rmdir(store);
	printf("bench download_verify_256MiB: %.0f MiB/s (download alone %.0f MiB/s), "
	       "curl | sha256sum %.0f MiB/s, ratio %.2f (goal >= 0.90)\n",
	       256 / t_ours, 256 / t_dl, 256 / t_ref, t_ref / t_ours);
	return 0;
}
