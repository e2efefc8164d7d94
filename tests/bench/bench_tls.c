/*
 * Bench: full TLS handshakes per second of OUR server (dom0/tls on BearSSL)
 * against `openssl s_server`, measured in the same run with the same client
 * (our BearSSL client, a fresh session every time: no resumption) and the
 * same ECDSA P-256 certificate and the same ECDHE curve (X25519, which our
 * server picks; s_server is told to), over loopback.  Each server gets a short
 * warm-up and then BENCH_SECONDS of back-to-back connections; every
 * connection is handshake, close_notify, close on both sides.
 *
 *   bench tls_handshakes: ours N/s, openssl s_server M/s, ratio R (goal >= 1.0)
 *
 * Usage: bench_tls [WORKDIR] (certificates go in a temporary folder there).
 * Nothing is asserted: machines here are noisy.  Stops by itself.
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../tls_fixture.h"
#include "tls.h"

#define BENCH_SECONDS 3.0
#define WARMUP 20

static struct tls_ctx ctx;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Our server: accept, handshake, wait for the client's close_notify, close;
 * until SIGTERM or 60 s without a connection. */
static pid_t
start_ours(const char *dir, int *port)
{
	char err[TLS_ERR_MAX], p1[1024], p2[1024];
	struct tls_chain chain;
	struct tls_key key;
	int lfd = fixture_listen(port);
	pid_t pid;

	if (lfd < 0)
		return -1;
	fixture_path(p1, sizeof(p1), dir, "srv.pem");
	fixture_path(p2, sizeof(p2), dir, "srv.key");
	if (tls_chain_load(&chain, p1, err) < 0 || tls_key_load(&key, p2, err) < 0 ||
	    tls_key_check_chain(&key, &chain, err) < 0) {
		fprintf(stderr, "bench_tls: %s\n", err);
		close(lfd);
		return -1;
	}
	pid = fork();
	if (pid != 0) {
		close(lfd);
		tls_chain_free(&chain);
		tls_key_free(&key);
		return pid;
	}
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		char b[64];
		int fd;

		if (poll(&p, 1, 60000) != 1)
			_exit(0);
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		if (tls_server_open(&ctx, fd, &chain, &key, false, 5000, err) < 0) {
			close(fd);
			continue;
		}
		while (ctx.s.read(&ctx.s, b, sizeof(b)) > 0)
			;
		ctx.s.close(&ctx.s);
	}
}

/* Back-to-back handshakes with our client: per second, or -1. */
static double
rate(int port, const struct tls_anchors *a, const char *who, int *curve)
{
	char err[TLS_ERR_MAX];
	double t0 = 0, t;
	long n = 0;

	for (long i = 0;; i++) {
		int fd = fixture_connect(port);

		if (i == WARMUP)
			t0 = now_s();
		if (fd < 0 || tls_client_open(&ctx, fd, "localhost", a, NULL, NULL, 5000, err) < 0) {
			fprintf(stderr, "bench_tls: %s: %s\n", who, fd < 0 ? strerror(errno) : err);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (i == 0)
			*curve = br_ssl_engine_get_ecdhe_curve(ctx.eng);
		ctx.s.close(&ctx.s);
		if (i >= WARMUP) {
			n++;
			t = now_s() - t0;
			if (t >= BENCH_SECONDS)
				return (double)n / t;
		}
	}
}

int
main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : "build/bench";
	/* X25519 for ECDHE, as our server chooses: the same work for the client */
	const char *sargs[] = { "-cert", "srv.pem", "-key", "srv.key", "-tls1_2", "-www",
				"-curves", "X25519", NULL };
	char dir[256], ca[1024], err[TLS_ERR_MAX];
	struct tls_anchors a = { 0 };
	double ours = -1, theirs = -1;
	int port, rc = 1, curve_ours = 0, curve_theirs = 0;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	mkdir(base, 0755);
	snprintf(dir, sizeof(dir), "%s/tls.XXXXXX", base);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench_tls: mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (fixture_make_certs(dir, false) < 0)
		goto out;
	fixture_path(ca, sizeof(ca), dir, "ca.pem");
	if (tls_anchors_load(&a, ca, err) < 0) {
		fprintf(stderr, "bench_tls: %s\n", err);
		goto out;
	}

	if ((pid = start_ours(dir, &port)) < 0)
		goto out;
	ours = rate(port, &a, "our server", &curve_ours);
	fixture_stop(pid);

	if ((pid = fixture_s_server(dir, sargs, &port)) < 0) {
		fprintf(stderr, "bench_tls: cannot start openssl s_server\n");
		goto out;
	}
	theirs = rate(port, &a, "openssl s_server", &curve_theirs);
	fixture_stop(pid);

	if (curve_ours != curve_theirs)
		fprintf(stderr, "bench_tls: ECDHE curves differ: ours %d, s_server %d\n",
			curve_ours, curve_theirs);
	if (ours > 0 && theirs > 0) {
		printf("bench tls_handshakes: ours %.0f/s, openssl s_server %.0f/s, ratio %.2f "
		       "(goal >= 1.0)\n",
		       ours, theirs, ours / theirs);
		rc = 0;
	}
out:
	tls_anchors_free(&a);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
