/*
 * dlfetch: the download engine against an in-test datastore (a forked
 * server using our http_server and tls code): good fetch, resume with a
 * Range, 404, size limits, a body cut short then resumed, a full disk (a
 * small tmpfs), HTTPS with the right and the wrong anchors, redirects, the
 * forked worker's reports, anchors from big bundles.  Also the streaming
 * body of http_client, which all of this runs on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../tls_fixture.h"
#include "dlfetch.h"
#include "http_server.h"
#include "tls.h"

#define DATA_LEN 300000
#define CUT_AT 100000

static char g_dir[256];      /* certs, logs */
static char g_dl[300];       /* the download folder */
static uint8_t g_data[DATA_LEN];
static int g_port, g_tport;  /* plain, TLS */
static pid_t g_srv, g_tsrv;

/* ---------------------------------------------------------------- the datastore */

static void
srv_log(const char *line)
{
	char p[512];
	FILE *f;

	fixture_path(p, sizeof(p), g_dir, "requests.log");
	if ((f = fopen(p, "a"))) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

static int
put(struct stream *s, const void *b, size_t n)
{
	return s->write(s, b, n) < 0 ? -1 : 0;
}

static void
answer(struct stream *s, const struct http_msg *m)
{
	const char *path = m->target, *range = http_msg_header(m, "Range");
	uint64_t from = 0;
	char head[512], line[600];
	size_t n;

	snprintf(line, sizeof(line), "%s range=%s", path, range ? range : "-");
	srv_log(line);
	if (range && sscanf(range, "bytes=%" SCNu64 "-", &from) != 1)
		from = 0;
	if (strcmp(path, "/404") == 0) {
		n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 404 Not Found\r\n"
				     "Content-Length: 3\r\nConnection: close\r\n\r\nno\n");
		put(s, head, n);
	} else if (strcmp(path, "/redir") == 0 || strcmp(path, "/loop") == 0) {
		n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
				     "Content-Length: 0\r\nConnection: close\r\n\r\n",
				     path[1] == 'r' ? "/file" : "/loop");
		put(s, head, n);
	} else if (strcmp(path, "/chunked") == 0) {
		/* no size known in advance: 30 chunks of 10000 bytes */
		n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
				     "chunked\r\nConnection: close\r\n\r\n");
		put(s, head, n);
		for (size_t off = 0; off < DATA_LEN; off += 10000) {
			n = (size_t)snprintf(head, sizeof(head), "2710\r\n");
			if (put(s, head, n) < 0 || put(s, g_data + off, 10000) < 0 || put(s, "\r\n", 2) < 0)
				return;
		}
		put(s, "0\r\n\r\n", 5);
	} else if (strcmp(path, "/file") == 0 || strcmp(path, "/cut") == 0 ||
		   strcmp(path, "/slow") == 0 || strcmp(path, "/norange") == 0) {
		bool partial = from > 0 && strcmp(path, "/norange") != 0;

		if (partial && from >= DATA_LEN) {
			n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 416 Range Not Satisfiable\r\n"
					     "Content-Range: bytes */%d\r\nContent-Length: 0\r\n"
					     "Connection: close\r\n\r\n", DATA_LEN);
			put(s, head, n);
			return;
		}
		if (!partial)
			from = 0;
		if (partial)
			n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 206 Partial Content\r\n"
					     "Content-Range: bytes %" PRIu64 "-%d/%d\r\n"
					     "Content-Length: %" PRIu64 "\r\nConnection: close\r\n\r\n",
					     from, DATA_LEN - 1, DATA_LEN, DATA_LEN - from);
		else
			n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
					     "Content-Length: %d\r\nConnection: close\r\n\r\n", DATA_LEN);
		if (put(s, head, n) < 0)
			return;
		if (strcmp(path, "/cut") == 0 && !partial) {
			put(s, g_data, CUT_AT); /* then close: a body cut short */
			s->flush(s);
			return;
		}
		for (uint64_t off = from; off < DATA_LEN; off += 30000) {
			size_t k = DATA_LEN - off < 30000 ? (size_t)(DATA_LEN - off) : 30000;

			if (put(s, g_data + off, k) < 0)
				return;
			if (strcmp(path, "/slow") == 0) {
				s->flush(s);
				fixture_sleep_ms(60);
			}
		}
	} else {
		n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 500 Internal Server Error\r\n"
				     "Content-Length: 0\r\nConnection: close\r\n\r\n");
		put(s, head, n);
	}
	s->flush(s);
}

static void __attribute__((noreturn))
serve(int lfd, bool tls)
{
	struct tls_chain chain;
	struct tls_key key;
	struct http_server_req *rq = malloc(sizeof(*rq));
	struct tls_ctx *t = malloc(sizeof(*t));
	char p[512], err[TLS_ERR_MAX];

	signal(SIGPIPE, SIG_IGN);
	if (tls) {
		fixture_path(p, sizeof(p), g_dir, "srv.pem");
		if (tls_chain_load(&chain, p, err) < 0)
			_exit(2);
		fixture_path(p, sizeof(p), g_dir, "srv.key");
		if (tls_key_load(&key, p, err) < 0)
			_exit(2);
	}
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		struct stream_fd sf;
		struct http_server_conn c;
		struct stream *s;

		if (fd < 0)
			continue;
		if (tls) {
			if (tls_server_open(t, fd, &chain, &key, false, 5000, err) < 0) {
				close(fd);
				continue;
			}
			s = &t->s;
		} else {
			stream_fd_init(&sf, fd, 5000);
			s = &sf.s;
		}
		http_server_conn_init(&c, s);
		if (http_server_read(&c, rq, NULL, 4096, 5000, err, sizeof(err)) == 0) {
			answer(s, &rq->msg);
			http_server_req_release(rq);
		}
		s->close(s);
	}
}

static pid_t
server_start(bool tls, int *port)
{
	int lfd = fixture_listen(port);
	pid_t pid;

	assert_true(lfd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		serve(lfd, tls);
	close(lfd);
	return pid;
}

/* ---------------------------------------------------------------- helpers */

static int
group_setup(void **state)
{
	char p[512];

	(void)state;
	(void)fixture_s_server; /* the fixture's; this test serves with our own code */
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_dlfetch.XXXXXX");
	if (!mkdtemp(g_dir) || fixture_make_certs(g_dir, false) < 0)
		return -1;
	snprintf(g_dl, sizeof(g_dl), "%s/dl", g_dir);
	if (mkdir(g_dl, 0700) < 0)
		return -1;
	for (size_t i = 0; i < DATA_LEN; i++)
		g_data[i] = (uint8_t)(i * 131 + (i >> 9));
	g_srv = server_start(false, &g_port);
	g_tsrv = server_start(true, &g_tport);
	fixture_path(p, sizeof(p), g_dir, "requests.log");
	unlink(p);
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	fixture_stop(g_srv);
	fixture_stop(g_tsrv);
	snprintf(cmd, sizeof(cmd), "umount -l '%s/small' 2>/dev/null; rm -rf '%s'", g_dir, g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
url_of(char *u, size_t n, const char *path)
{
	snprintf(u, n, "http://127.0.0.1:%d%s", g_port, path);
}

static void
dlpath(char *p, size_t n, const char *id, const char *suffix)
{
	snprintf(p, n, "%s/%s%s", g_dl, id, suffix);
}

/* The file's bytes equal g_data[0..len). */
static void
assert_file(const char *path, size_t len)
{
	uint8_t *b = malloc(DATA_LEN + 1);
	FILE *f = fopen(path, "rb");
	size_t got;

	assert_non_null(f);
	got = fread(b, 1, DATA_LEN + 1, f);
	fclose(f);
	assert_int_equal(got, len);
	assert_memory_equal(b, g_data, len);
	free(b);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Requests seen since the last call, as one string. */
static void
log_take(char *out, size_t n)
{
	char p[512];
	FILE *f;
	size_t got = 0;

	fixture_path(p, sizeof(p), g_dir, "requests.log");
	if ((f = fopen(p, "r"))) {
		got = fread(out, 1, n - 1, f);
		fclose(f);
	}
	out[got] = 0;
	unlink(p);
}

static unsigned g_progress_calls;
static uint64_t g_progress_last;

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	assert_true(total == 0 || done <= total);
	assert_true(done >= g_progress_last);
	g_progress_last = done;
	g_progress_calls++;
}

static int
fetch(const char *path, const char *id, uint64_t max_size, struct dlfetch_result *res)
{
	char url[128];
	struct dlfetch_req r = { .url = url, .dir = g_dl, .id = id, .max_size = max_size,
				 .timeout_ms = 5000, .progress = on_progress };

	url_of(url, sizeof(url), path);
	g_progress_calls = 0;
	g_progress_last = 0;
	return dlfetch_run(&r, res);
}

/* ---------------------------------------------------------------- a CONNECT proxy */

static void
relay(int a, int b)
{
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	char buf[16384];

	while (poll(p, 2, 5000) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || send(p[1 - i].fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				return;
		}
	}
}

/* Answers one CONNECT per connection (logged as "CONNECT host:port"), then relays. */
static void __attribute__((noreturn))
proxy_serve(int lfd)
{
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), up = -1, port = 0;
		char head[2048], host[256], line[300];
		size_t n = 0;

		if (c < 0)
			continue;
		while (n < sizeof(head) - 1 && read(c, head + n, 1) == 1) {
			n++;
			if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
				break;
		}
		head[n] = 0;
		if (sscanf(head, "CONNECT %255[^:]:%d HTTP/1.1", host, &port) == 2 &&
		    strcmp(host, "127.0.0.1") == 0 && (up = fixture_connect(port)) >= 0) {
			snprintf(line, sizeof(line), "CONNECT %s:%d", host, port);
			srv_log(line);
			if (send(c, "HTTP/1.1 200 OK\r\n\r\n", 19, MSG_NOSIGNAL) == 19)
				relay(c, up);
			close(up);
		} else {
			send(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 45,
			     MSG_NOSIGNAL);
		}
		close(c);
	}
}

static void
test_proxy(void **state)
{
	struct dlfetch_result res;
	struct dlfetch_req r = { .dir = g_dl, .id = "viaproxy", .timeout_ms = 5000 };
	char url[128], proxy[64], p[512], log[4096], want[256];
	int pport, lfd = fixture_listen(&pport);
	pid_t pid;

	(void)state;
	assert_true(lfd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		proxy_serve(lfd);
	close(lfd);
	log_take(log, sizeof(log));
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%d", pport);
	url_of(url, sizeof(url), "/file");
	r.url = url;
	r.proxy = proxy;
	assert_int_equal(dlfetch_run(&r, &res), 0);
	dlpath(p, sizeof(p), "viaproxy", "");
	assert_file(p, DATA_LEN);
	log_take(log, sizeof(log));
	snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%d\n/file range=-\n", g_port);
	assert_string_equal(log, want);
	/* a proxy that refuses: transient, says which proxy */
	snprintf(url, sizeof(url), "http://localhost:%d/file", g_port);
	r.id = "viaproxy2";
	assert_int_equal(dlfetch_run(&r, &res), -ECONNREFUSED);
	assert_true(res.transient);
	assert_non_null(strstr(res.err, proxy));
	assert_non_null(strstr(res.err, "403"));
	fixture_stop(pid);
}

/* ---------------------------------------------------------------- tests */

static void
test_id_ok(void **state)
{
	(void)state;
	assert_true(dlfetch_id_ok("6f1c2a34-1b2c-4d5e-8f90-0123456789ab"));
	assert_true(dlfetch_id_ok("UUID.signer"));
	assert_true(dlfetch_id_ok("a_b-c.D9"));
	assert_false(dlfetch_id_ok(""));
	assert_false(dlfetch_id_ok(NULL));
	assert_false(dlfetch_id_ok(".hidden"));
	assert_false(dlfetch_id_ok("a/b"));
	assert_false(dlfetch_id_ok("../x"));
	assert_false(dlfetch_id_ok("a b"));
	assert_false(dlfetch_id_ok("caf\xc3\xa9"));
	assert_true(dlfetch_id_ok("123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(dlfetch_id_ok("1234567890123456789012345678901234567890123456789012345678901234"));
}

static void
test_content_range(void **state)
{
	uint64_t first, total;
	bool star;

	(void)state;
	assert_int_equal(dlfetch_content_range_parse("bytes 100-299999/300000", &first, &total,
						     &star), 0);
	assert_int_equal(first, 100);
	assert_int_equal(total, 300000);
	assert_false(star);
	assert_int_equal(dlfetch_content_range_parse("bytes */300000", &first, &total, &star), 0);
	assert_true(star);
	assert_int_equal(total, 300000);
	assert_int_equal(dlfetch_content_range_parse("bytes 0-9/*", &first, &total, &star), 0);
	assert_int_equal(total, 0);
	static const char *const bad[] = {
		NULL, "", "bytes", "bytes ", "items 0-1/2", "bytes 1-0/5", "bytes 0-5/5",
		"bytes -1-2/3", "bytes 0-1/", "bytes 0-1/2x", "bytes */*", "bytes 0-/5",
		"bytes  0-1/5", "bytes 0-1 /5", "bytes 0-99999999999999999999/5", "bytes +1-2/3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dlfetch_content_range_parse(bad[i], &first, &total, &star) != -EPROTO)
			fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
}

static void
test_good(void **state)
{
	struct dlfetch_result res;
	char p[512], log[4096];

	(void)state;
	assert_int_equal(fetch("/file", "good", 0, &res), 0);
	assert_string_equal(res.err, "");
	assert_int_equal(res.done, DATA_LEN);
	assert_int_equal(res.total, DATA_LEN);
	assert_false(res.range_used);
	assert_true(g_progress_calls > 0);
	assert_int_equal(g_progress_last, DATA_LEN);
	dlpath(p, sizeof(p), "good", "");
	assert_file(p, DATA_LEN);
	dlpath(p, sizeof(p), "good", ".part");
	assert_int_equal(file_size(p), -1);
	log_take(log, sizeof(log));
	assert_string_equal(log, "/file range=-\n");
	/* a finished file is not fetched again */
	assert_int_equal(fetch("/404", "good", 0, &res), 0);
	assert_int_equal(res.done, DATA_LEN);
	log_take(log, sizeof(log));
	assert_string_equal(log, "");
	/* chunked: size unknown until the end */
	assert_int_equal(fetch("/chunked", "chunked", 0, &res), 0);
	assert_int_equal(res.total, DATA_LEN);
	dlpath(p, sizeof(p), "chunked", "");
	assert_file(p, DATA_LEN);
	log_take(log, sizeof(log));
}

static void
write_part(const char *id, size_t len)
{
	char p[512];
	FILE *f;

	dlpath(p, sizeof(p), id, ".part");
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(g_data, 1, len, f), len);
	fclose(f);
}

static void
test_resume(void **state)
{
	struct dlfetch_result res;
	char p[512], log[4096];

	(void)state;
	log_take(log, sizeof(log));
	write_part("resume", 12345);
	assert_int_equal(fetch("/file", "resume", 0, &res), 0);
	assert_true(res.range_used);
	assert_int_equal(res.done, DATA_LEN);
	dlpath(p, sizeof(p), "resume", "");
	assert_file(p, DATA_LEN);
	log_take(log, sizeof(log));
	assert_string_equal(log, "/file range=bytes=12345-\n");
	/* a server that ignores the Range: 200, the file starts over */
	write_part("norange", 5000);
	assert_int_equal(fetch("/norange", "norange", 0, &res), 0);
	assert_false(res.range_used);
	dlpath(p, sizeof(p), "norange", "");
	assert_file(p, DATA_LEN);
	/* a partial file that is in fact whole: 416 with the same total */
	write_part("whole", DATA_LEN);
	assert_int_equal(fetch("/file", "whole", 0, &res), 0);
	assert_true(res.range_used);
	dlpath(p, sizeof(p), "whole", "");
	assert_file(p, DATA_LEN);
	log_take(log, sizeof(log));
	assert_string_equal(log, "/norange range=bytes=5000-\n/file range=bytes=300000-\n");
}

static void
test_404_and_5xx(void **state)
{
	struct dlfetch_result res;
	char want[256], p[512];

	(void)state;
	assert_int_equal(fetch("/404", "nf", 0, &res), -ENOENT);
	assert_false(res.transient);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/404: 404 Not Found", g_port);
	assert_string_equal(res.err, want);
	dlpath(p, sizeof(p), "nf", "");
	assert_int_equal(file_size(p), -1);
	assert_int_equal(fetch("/other", "ise", 0, &res), -EAGAIN);
	assert_true(res.transient);
	assert_non_null(strstr(res.err, "500 Internal Server Error"));
}

static void
test_max_size(void **state)
{
	struct dlfetch_result res;
	char p[512];

	(void)state;
	assert_int_equal(fetch("/file", "big", 1000, &res), -EFBIG);
	assert_false(res.transient);
	assert_non_null(strstr(res.err, "300000 bytes, over the limit of 1000"));
	assert_non_null(strstr(res.err, "/file"));
	dlpath(p, sizeof(p), "big", ".part");
	assert_int_equal(file_size(p), 0); /* refused before the first byte */
	/* no size in advance: stopped while streaming */
	assert_int_equal(fetch("/chunked", "bigc", 50000, &res), -EFBIG);
	assert_non_null(strstr(res.err, "over the limit of 50000 bytes"));
	dlpath(p, sizeof(p), "bigc", ".part");
	assert_true(file_size(p) <= 50000);
	/* exactly the limit is fine */
	assert_int_equal(fetch("/file", "exact", DATA_LEN, &res), 0);
}

static void
test_truncated_then_resumed(void **state)
{
	struct dlfetch_result res;
	char p[512], log[4096];
	int rc;

	(void)state;
	log_take(log, sizeof(log));
	rc = fetch("/cut", "cut", 0, &res);
	assert_true(rc < 0);
	assert_true(res.transient);
	assert_non_null(strstr(res.err, "/cut: "));
	dlpath(p, sizeof(p), "cut", ".part");
	assert_int_equal(file_size(p), CUT_AT); /* every byte received was kept */
	assert_int_equal(fetch("/cut", "cut", 0, &res), 0);
	assert_true(res.range_used);
	dlpath(p, sizeof(p), "cut", "");
	assert_file(p, DATA_LEN);
	log_take(log, sizeof(log));
	assert_string_equal(log, "/cut range=-\n/cut range=bytes=100000-\n");
}

static void
test_refused_connection(void **state)
{
	struct dlfetch_result res;
	struct dlfetch_req r = { .dir = g_dl, .id = "refused", .timeout_ms = 2000 };
	char url[64];
	int port = fixture_free_port();

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	r.url = url;
	assert_int_equal(dlfetch_run(&r, &res), -ECONNREFUSED);
	assert_true(res.transient);
	assert_non_null(strstr(res.err, url));
	r.url = "ftp://127.0.0.1/x";
	assert_int_equal(dlfetch_run(&r, &res), -EINVAL);
	assert_false(res.transient);
	assert_non_null(strstr(res.err, "ftp://127.0.0.1/x: "));
	r.id = "../etc";
	assert_int_equal(dlfetch_run(&r, &res), -EINVAL);
}

static void
test_redirects(void **state)
{
	struct dlfetch_result res;
	char p[512], log[4096];

	(void)state;
	log_take(log, sizeof(log));
	assert_int_equal(fetch("/redir", "redir", 0, &res), 0);
	dlpath(p, sizeof(p), "redir", "");
	assert_file(p, DATA_LEN);
	log_take(log, sizeof(log));
	assert_string_equal(log, "/redir range=-\n/file range=-\n");
	assert_int_equal(fetch("/loop", "loop", 0, &res), -ELOOP);
	assert_non_null(strstr(res.err, "more than 5 redirects"));
	log_take(log, sizeof(log));
}

static void
test_disk_full(void **state)
{
	struct dlfetch_result res;
	char small[400], p[600], opts[] = "size=128k,mode=0700";
	struct dlfetch_req r = { .dir = small, .id = "full", .timeout_ms = 5000, .margin = 4096 };
	char url[128];

	(void)state;
	snprintf(small, sizeof(small), "%s/small", g_dir);
	assert_int_equal(mkdir(small, 0700), 0);
	if (mount("tmpfs", small, "tmpfs", 0, opts) < 0)
		fail_msg("mount tmpfs on %s: %s (the test runs as root)", small, strerror(errno));
	/* the size is known: refused before writing */
	url_of(url, sizeof(url), "/file");
	r.url = url;
	assert_int_equal(dlfetch_run(&r, &res), -ENOSPC);
	assert_false(res.transient);
	assert_non_null(strstr(res.err, "disk full: "));
	assert_non_null(strstr(res.err, url));
	assert_non_null(strstr(res.err, small));
	snprintf(p, sizeof(p), "%s/full.part", small);
	assert_int_equal(file_size(p), 0);
	/* unknown size: the write fails; the partial file stays */
	url_of(url, sizeof(url), "/chunked");
	assert_int_equal(dlfetch_run(&r, &res), -ENOSPC);
	assert_non_null(strstr(res.err, "disk full: "));
	assert_non_null(strstr(res.err, "No space left on device"));
	assert_true(file_size(p) > 0);
	assert_int_equal(umount(small), 0);
}

static void
test_https(void **state)
{
	struct dlfetch_result res;
	struct tls_anchors good, bad;
	const char *paths[3] = { NULL, "/nonexistent/roots.pem", NULL };
	char ca[512], ca2[512], url[128], p[512], err[DLFETCH_ERR_MAX];
	struct dlfetch_req r = { .url = url, .dir = g_dl, .id = "tls", .timeout_ms = 5000 };

	(void)state;
	fixture_path(ca, sizeof(ca), g_dir, "ca.pem");
	fixture_path(ca2, sizeof(ca2), g_dir, "ca2.pem");
	paths[0] = ca;
	assert_int_equal(dlfetch_anchors_load(&good, paths, err), 0);
	paths[0] = ca2;
	assert_int_equal(dlfetch_anchors_load(&bad, paths, err), 0);
	snprintf(url, sizeof(url), "https://localhost:%d/file", g_tport);
	/* the wrong anchors: refused, permanent, says why */
	r.anchors = &bad;
	assert_int_equal(dlfetch_run(&r, &res), -EPROTO);
	assert_false(res.transient);
	assert_non_null(strstr(res.err, url));
	assert_non_null(strstr(res.err, "BR_ERR_X509_NOT_TRUSTED"));
	/* none at all */
	r.anchors = NULL;
	assert_int_equal(dlfetch_run(&r, &res), -EPROTO);
	assert_non_null(strstr(res.err, "no trust anchors"));
	/* the right ones, and a resume over TLS */
	write_part("tls", 777);
	r.anchors = &good;
	assert_int_equal(dlfetch_run(&r, &res), 0);
	assert_true(res.range_used);
	dlpath(p, sizeof(p), "tls", "");
	assert_file(p, DATA_LEN);
	/* the server name is checked: 127.0.0.1 is not in the certificate */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/file", g_tport);
	r.id = "tls2";
	assert_int_equal(dlfetch_run(&r, &res), -EPROTO);
	assert_non_null(strstr(res.err, "BR_ERR_X509_BAD_SERVER_NAME"));
	tls_anchors_free(&good);
	tls_anchors_free(&bad);
}

static void
test_anchors_bundle(void **state)
{
	char ca[512], big[512], err[DLFETCH_ERR_MAX], *pem;
	const char *paths[3] = { big, ca, NULL };
	struct tls_anchors a;
	FILE *in, *out;
	size_t n;

	(void)state;
	fixture_path(ca, sizeof(ca), g_dir, "ca.pem");
	fixture_path(big, sizeof(big), g_dir, "bundle.pem");
	pem = malloc(8192);
	in = fopen(ca, "r");
	assert_non_null(in);
	n = fread(pem, 1, 8192, in);
	fclose(in);
	out = fopen(big, "w");
	assert_non_null(out);
	for (int i = 0; i < 150; i++)
		fwrite(pem, 1, n, out);
	fclose(out);
	free(pem);
	/* more than TLS_ANCHORS_MAX, in pieces */
	assert_int_equal(dlfetch_anchors_load(&a, paths, err), 0);
	assert_int_equal(a.n, 151);
	tls_anchors_free(&a);
	paths[0] = "/nonexistent/a.pem";
	paths[1] = NULL;
	assert_int_equal(dlfetch_anchors_load(&a, paths, err), -ENOENT);
	assert_non_null(strstr(err, "no trust anchors"));
	out = fopen(big, "w");
	fputs("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", out);
	fclose(out);
	paths[0] = big;
	assert_true(dlfetch_anchors_load(&a, paths, err) < 0);
	assert_non_null(strstr(err, big));
}

static void
test_worker(void **state)
{
	struct dlfetch_req r = { .dir = g_dl, .id = "worker", .timeout_ms = 5000 };
	struct dlfetch_report rep;
	struct pollfd pfd;
	char url[128], p[512];
	unsigned progress = 0;
	bool ended = false;
	pid_t pid;
	int rfd, st, rc;

	(void)state;
	url_of(url, sizeof(url), "/slow");
	r.url = url;
	assert_int_equal(dlfetch_spawn(&r, &pid, &rfd), 0);
	pfd.fd = rfd;
	pfd.events = POLLIN;
	for (;;) {
		assert_true(poll(&pfd, 1, 10000) > 0);
		rc = dlfetch_report_read(rfd, &rep);
		if (rc == -EPIPE)
			break;
		assert_true(rc >= 0);
		if (rc == 0)
			continue;
		if (rep.kind == DLFETCH_PROGRESS) {
			assert_false(ended);
			assert_true(rep.done <= DATA_LEN);
			progress++;
		} else {
			assert_int_equal(rep.kind, DLFETCH_END);
			assert_int_equal(rep.rc, 0);
			assert_int_equal(rep.done, DATA_LEN);
			ended = true;
		}
	}
	assert_true(ended);
	assert_true(progress >= 1); /* /slow takes 10 x 60 ms; reports every 250 ms */
	close(rfd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	dlpath(p, sizeof(p), "worker", "");
	assert_file(p, DATA_LEN);
	/* a failing worker reports its error */
	r.id = "worker404";
	url_of(url, sizeof(url), "/404");
	assert_int_equal(dlfetch_spawn(&r, &pid, &rfd), 0);
	pfd.fd = rfd;
	assert_true(poll(&pfd, 1, 10000) > 0);
	assert_int_equal(dlfetch_report_read(rfd, &rep), 1);
	assert_int_equal(rep.kind, DLFETCH_END);
	assert_int_equal(rep.rc, -ENOENT);
	assert_non_null(strstr(rep.err, "404 Not Found"));
	close(rfd);
	waitpid(pid, &st, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_ok),
		cmocka_unit_test(test_content_range),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_404_and_5xx),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_truncated_then_resumed),
		cmocka_unit_test(test_refused_connection),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_https),
		cmocka_unit_test(test_anchors_bundle),
		cmocka_unit_test(test_worker),
	};

	return cmocka_run_group_tests_name("dlfetch", tests, group_setup, group_teardown);
}
