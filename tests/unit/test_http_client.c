/*
 * Unit tests: dom0/http/http_client and http_server against real peers on
 * loopback (127.0.0.1 and ::1 only):
 *  - our client against our server (a forked child using http_server_*),
 *    IPv4 and IPv6, keep-alive reuse, chunked and large bodies, limits;
 *  - our client against Python's http.server and Python's http.client
 *    against our server (independent implementations);
 *  - CONNECT through tinyproxy (started here on a free loopback port, with
 *    basic credentials) and through a scripted proxy that sends tunnel
 *    bytes in the same segment as its answer (nothing may be over-read);
 *  - connect, read and whole-exchange timeouts; peers that close early.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"
#include "http_server.h"
#include "stream.h"

/* ---------------------------------------------------------------- plumbing */

static int
listen_on(int family, uint16_t *port, int backlog)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void
stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* connects with our client code, wraps in a stream_fd */
static void
dial(struct stream_fd *sf, const char *host, uint16_t port, int timeout_ms)
{
	char err[HTTP_ERR_MAX] = "";
	int fd, rc;

	rc = http_tcp_connect(host, port, 2000, &fd, err, sizeof(err));
	if (rc < 0)
		fail_msg("connect %s:%u: %s", host, port, err);
	stream_fd_init(sf, fd, timeout_ms);
}

/* ---------------------------------------------------------------- our server */

static void
pattern(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + 3);
}

static int
send_all(int fd, const void *b, size_t n)
{
	const char *p = b;

	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One request of the test server; *keep may be cleared. */
static void
route(struct stream *s, int fd, struct http_server_conn *c, struct http_server_req *rq, bool *keep)
{
	const struct http_msg *m = &rq->msg;
	unsigned flags = (*keep ? 0 : HTTP_RESP_CLOSE) | (strcmp(m->method, "HEAD") == 0 ? HTTP_RESP_HEAD : 0);
	char h1[300], h2[300], h3[64];
	const char *hdrs[5] = { h1, h2, h3, NULL, NULL };

	snprintf(h3, sizeof(h3), "X-Conn-Requests: %u", c->nrequests);
	if (strcmp(m->target, "/hello") == 0) {
		snprintf(h1, sizeof(h1), "Content-Type: text/plain");
		snprintf(h2, sizeof(h2), "X-Seen-Host: %s", http_msg_header(m, "Host") ?: "");
		http_response_write(s, 200, NULL, hdrs, "hello world\n", 12, flags);
	} else if (strcmp(m->target, "/echo") == 0 && strcmp(m->method, "POST") == 0) {
		snprintf(h1, sizeof(h1), "Content-Type: %s", http_msg_header(m, "Content-Type") ?: "");
		snprintf(h2, sizeof(h2), "X-Request-ID: %s", http_msg_header(m, "X-Request-ID") ?: "");
		http_response_write(s, 200, NULL, hdrs, m->body, m->body_len, flags);
	} else if (strcmp(m->target, "/chunked") == 0) {
		static const char raw[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					  "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n";
		send_all(fd, raw, sizeof(raw) - 1);
	} else if (strncmp(m->target, "/big?n=", 7) == 0) {
		size_t n = strtoul(m->target + 7, NULL, 10);
		uint8_t *b = malloc(n ? n : 1);
		char line[32];

		pattern(b, n);
		if (!strstr(m->target, "&chunked")) {
			http_response_write(s, 200, NULL, NULL, b, n, flags);
		} else {
			static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

			send_all(fd, head, sizeof(head) - 1);
			for (size_t o = 0; o < n; o += 7000) {
				size_t k = n - o < 7000 ? n - o : 7000;
				int l = snprintf(line, sizeof(line), "%zx\r\n", k);

				send_all(fd, line, (size_t)l);
				send_all(fd, b + o, k);
				send_all(fd, "\r\n", 2);
			}
			send_all(fd, "0\r\n\r\n", 5);
		}
		free(b);
	} else if (strcmp(m->target, "/close") == 0) {
		*keep = false;
		http_response_write(s, 200, NULL, NULL, "bye", 3, HTTP_RESP_CLOSE);
	} else if (strcmp(m->target, "/stray") == 0) {
		static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";

		send_all(fd, raw, sizeof(raw) - 1);
		*keep = false;
	} else {
		http_response_write(s, 404, NULL, NULL, "no\n", 3, flags);
	}
}

static void
serve_conn(int fd)
{
	struct stream_fd sf;
	struct http_server_conn c;
	struct http_server_req *rq = malloc(sizeof(*rq));
	char err[HTTP_ERR_MAX];
	int rc;

	stream_fd_init(&sf, fd, 5000);
	http_server_conn_init(&c, &sf.s);
	for (;;) {
		bool keep;

		rc = http_server_read(&c, rq, NULL, 65536, 10000, err, sizeof(err));
		if (rc == -ECONNRESET || rc == -ETIMEDOUT)
			break;
		if (rc < 0) {
			http_server_reject(&c, rc, err);
			break;
		}
		keep = http_server_keep_alive(&c, rq, 0);
		route(&sf.s, fd, &c, rq, &keep);
		http_server_req_release(rq);
		if (!keep)
			break;
	}
	free(rq);
	sf.s.close(&sf.s);
}

struct server {
	pid_t pid;
	uint16_t port4, port6;
};

/* Our server in a child: one grandchild per connection. */
static void
server_start(struct server *srv)
{
	int l4 = listen_on(AF_INET, &srv->port4, 16), l6 = listen_on(AF_INET6, &srv->port6, 16);

	srv->pid = fork();
	assert_true(srv->pid >= 0);
	if (srv->pid == 0) {
		struct pollfd p[2] = { { .fd = l4, .events = POLLIN }, { .fd = l6, .events = POLLIN } };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			if (poll(p, 2, -1) < 0)
				continue;
			for (int i = 0; i < 2; i++) {
				int fd;

				if (!(p[i].revents & POLLIN) || (fd = accept(p[i].fd, NULL, NULL)) < 0)
					continue;
				if (fork() == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					close(l4);
					close(l6);
					serve_conn(fd);
					_exit(0);
				}
				close(fd);
			}
		}
	}
	close(l4);
	close(l6);
}

/* ---------------------------------------------------------------- scripted peers */

enum peer_mode { PEER_CANNED, PEER_ONCE, PEER_SILENT, PEER_TRICKLE, PEER_CLOSE };

/* A child that accepts one connection, reads a head, checks it against
 * expect (if not NULL: else answers 400 Mismatch), then acts by mode. */
static pid_t
peer_start(int lfd, enum peer_mode mode, const char *expect, const char *reply, size_t reply_len)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[8192];
		size_t n = 0;
		ssize_t r;
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(1);
		while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
			n += (size_t)r;
			buf[n] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		switch (mode) {
		case PEER_CANNED:
			if (expect && strcmp(buf, expect) != 0) {
				static const char bad[] = "HTTP/1.1 400 Mismatch\r\nContent-Length: 0\r\n\r\n";

				send_all(fd, bad, sizeof(bad) - 1);
			} else {
				send_all(fd, reply, reply_len);
			}
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			break;
		case PEER_ONCE: /* answer, then close at once (a server dropping keep-alive) */
			send_all(fd, reply, reply_len);
			break;
		case PEER_SILENT:
			sleep_ms(10000);
			break;
		case PEER_TRICKLE:
			send_all(fd, "HTTP/1.1 200 OK\r\nX-Slow: ", 26);
			for (int i = 0; i < 300; i++) {
				sleep_ms(30);
				if (send_all(fd, "a", 1) < 0)
					break;
			}
			break;
		case PEER_CLOSE:
			break;
		}
		close(fd);
		_exit(0);
	}
	return pid;
}

/* ---------------------------------------------------------------- python */

static const char py_script[] =
	"import sys, socket, http.server, http.client\n"
	"mode = sys.argv[1]\n"
	"if mode == 'server':\n"
	"    class H(http.server.BaseHTTPRequestHandler):\n"
	"        protocol_version = 'HTTP/1.1'\n"
	"        def log_message(self, *a): pass\n"
	"        def reply(self, code, body, hdrs=()):\n"
	"            self.send_response(code)\n"
	"            for k, v in hdrs: self.send_header(k, v)\n"
	"            self.send_header('Content-Length', str(len(body)))\n"
	"            self.end_headers()\n"
	"            if self.command != 'HEAD': self.wfile.write(body)\n"
	"        def do_GET(self):\n"
	"            if self.path == '/hello':\n"
	"                self.reply(200, b'hello from python\\n', [('Content-Type', 'text/plain'),\n"
	"                           ('X-Seen-Host', self.headers.get('Host', ''))])\n"
	"            elif self.path == '/chunked':\n"
	"                self.send_response(200)\n"
	"                self.send_header('Transfer-Encoding', 'chunked')\n"
	"                self.end_headers()\n"
	"                for part in (b'chunk-one ', b'chunk-two ', b'end'):\n"
	"                    self.wfile.write(b'%x;py=1\\r\\n%s\\r\\n' % (len(part), part))\n"
	"                self.wfile.write(b'0\\r\\nX-Py-Trailer: t\\r\\n\\r\\n')\n"
	"            elif self.path == '/close':\n"
	"                self.send_response(200)\n"
	"                self.send_header('Connection', 'close')\n"
	"                self.end_headers()\n"
	"                self.wfile.write(b'until the close')\n"
	"                self.close_connection = True\n"
	"            else:\n"
	"                self.reply(404, b'no\\n')\n"
	"        do_HEAD = do_GET\n"
	"        def do_POST(self):\n"
	"            body = self.rfile.read(int(self.headers['Content-Length']))\n"
	"            self.reply(200, body, [('Content-Type', self.headers.get('Content-Type', '')),\n"
	"                       ('X-Request-ID', self.headers.get('X-Request-ID', ''))])\n"
	"    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
	"    print(srv.server_address[1], flush=True)\n"
	"    srv.serve_forever()\n"
	"else:\n"
	"    port = int(sys.argv[2])\n"
	"    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)\n"
	"    def ask(method, path, body=None, headers={}, **kw):\n"
	"        c.request(method, path, body=body, headers=headers, **kw)\n"
	"        r = c.getresponse()\n"
	"        return r, r.read()\n"
	"    r, b = ask('GET', '/hello')\n"
	"    assert (r.status, b) == (200, b'hello world\\n'), (r.status, b)\n"
	"    assert r.getheader('X-Conn-Requests') == '1', r.getheaders()\n"
	"    assert r.getheader('X-Seen-Host') == '127.0.0.1:%d' % port, r.getheaders()\n"
	"    r, b = ask('GET', '/hello')\n"
	"    assert r.getheader('X-Conn-Requests') == '2', 'keep-alive not kept'\n"
	"    r, b = ask('POST', '/echo', b'\\x00\\x01proto', {'Content-Type': 'application/x-proto-binary',\n"
	"               'X-Request-ID': 'py-1'})\n"
	"    assert b == b'\\x00\\x01proto', b\n"
	"    assert r.getheader('Content-Type') == 'application/x-proto-binary'\n"
	"    assert r.getheader('X-Request-ID') == 'py-1'\n"
	"    r, b = ask('POST', '/echo', iter([b'abc', b'defg']), {'Content-Type': 'a/b'}, encode_chunked=True)\n"
	"    assert b == b'abcdefg', b\n"
	"    r, b = ask('GET', '/chunked')\n"
	"    assert b == b'hello world', b\n"
	"    r, b = ask('HEAD', '/hello')\n"
	"    assert b == b'' and r.getheader('Content-Length') == '12', r.getheaders()\n"
	"    r, b = ask('GET', '/big?n=100000')\n"
	"    assert b == bytes((i * 7 + 3) & 255 for i in range(100000))\n"
	"    r, b = ask('GET', '/close')\n"
	"    assert (b, r.getheader('Connection')) == (b'bye', 'close')\n"
	"    r, b = ask('GET', '/hello')\n"
	"    assert r.getheader('X-Conn-Requests') == '1', 'server kept a closed connection'\n"
	"    s = socket.create_connection(('127.0.0.1', port))\n"
	"    s.sendall(b'GET / HTTP/1.1\\r\\nHost : x\\r\\n\\r\\n')\n"
	"    s.settimeout(10)\n"
	"    got = b''\n"
	"    while True:\n"
	"        d = s.recv(4096)\n"
	"        if not d: break\n"
	"        got += d\n"
	"    assert got.startswith(b'HTTP/1.1 400 Bad Request\\r\\n'), got\n"
	"    assert b\"name 'Host ' is not a token\" in got, got\n"
	"    print('python client: all checks passed')\n";

struct py {
	char dir[64];
	char path[96];
};

static void
py_write(struct py *p)
{
	FILE *f;

	snprintf(p->dir, sizeof(p->dir), "/tmp/test-http.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->path, sizeof(p->path), "%s/peer.py", p->dir);
	f = fopen(p->path, "w");
	assert_non_null(f);
	fputs(py_script, f);
	fclose(f);
}

static void
py_clean(struct py *p)
{
	unlink(p->path);
	rmdir(p->dir);
}

/* Runs python3 script args...; its stdout on *out_fd. */
static pid_t
py_spawn(const struct py *p, const char *a1, const char *a2, int *out_fd)
{
	int pfd[2];
	pid_t pid;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		execlp("python3", "python3", p->path, a1, a2, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

/* Reads what fd says until EOF or a newline (if line), within ms. */
static size_t
read_out(int fd, char *buf, size_t n, int ms, bool line)
{
	size_t o = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (o + 1 < n && poll(&p, 1, ms) == 1) {
		ssize_t r = read(fd, buf + o, n - 1 - o);

		if (r <= 0)
			break;
		o += (size_t)r;
		buf[o] = '\0';
		if (line && memchr(buf, '\n', o))
			break;
	}
	buf[o] = '\0';
	return o;
}

/* ---------------------------------------------------------------- tests */

static void
get_ok(struct stream *s, const char *host, const char *path, const char *want_body,
       struct http_resp *resp)
{
	struct http_req req = { .method = "GET", .host = host, .path = path };
	char err[HTTP_ERR_MAX] = "";
	int rc = http_request(s, &req, resp, err, sizeof(err));

	if (rc < 0)
		fail_msg("GET %s: %d %s", path, rc, err);
	assert_int_equal(resp->status, 200);
	if (want_body) {
		assert_int_equal(resp->body_len, strlen(want_body));
		assert_memory_equal(resp->body, want_body, resp->body_len);
	}
}

/* keep-alive: three requests, one connection, both address families */
static void
test_ours_keepalive_v4_v6(void **state)
{
	struct http_resp *resp = malloc(sizeof(*resp));
	struct server srv;
	struct stream_fd sf;

	(void)state;
	server_start(&srv);
	for (int fam = 0; fam < 2; fam++) {
		const char *host = fam ? "::1" : "127.0.0.1";
		uint16_t port = fam ? srv.port6 : srv.port4;
		char auth[64], want[80];

		dial(&sf, host, port, 5000);
		assert_int_equal(http_authority(auth, sizeof(auth), host, port, 80), 0);
		for (int i = 1; i <= 3; i++) {
			char n[8];

			get_ok(&sf.s, auth, "/hello", "hello world\n", resp);
			snprintf(n, sizeof(n), "%d", i);
			assert_string_equal(http_msg_header(&resp->msg, "X-Conn-Requests"), n);
			snprintf(want, sizeof(want), "%s", auth);
			assert_string_equal(http_msg_header(&resp->msg, "X-Seen-Host"), want);
			assert_true(resp->reusable);
			assert_true(resp->body_malloced);
			http_resp_release(resp);
			http_resp_release(resp); /* twice is safe */
		}
		/* a chunked answer with extensions and trailers keeps the connection */
		get_ok(&sf.s, auth, "/chunked", "hello world", resp);
		assert_string_equal(http_msg_trailer(&resp->msg, "X-Trailer"), "yes");
		assert_true(resp->reusable);
		http_resp_release(resp);
		get_ok(&sf.s, auth, "/hello", NULL, resp);
		assert_string_equal(http_msg_header(&resp->msg, "X-Conn-Requests"), "5");
		http_resp_release(resp);
		sf.s.close(&sf.s);
	}
	/* "localhost" resolves (files, no DNS) to one of the two */
	dial(&sf, "localhost", srv.port4, 5000);
	sf.s.close(&sf.s);
	stop(srv.pid);
	free(resp);
}

static void
test_ours_post_headers_and_limits(void **state)
{
	static const uint8_t proto[] = { 0x0a, 0x03, 'a', 'b', 'c', 0x00, 0x10, 0xff };
	static const char *const hdrs[] = { "Content-Type: application/x-proto-binary",
					    "X-Request-ID: 1234-abcd", NULL };
	struct http_resp *resp = malloc(sizeof(*resp));
	struct server srv;
	struct stream_fd sf;
	char err[HTTP_ERR_MAX], auth[32];
	uint8_t *big = malloc(300000), *mine = malloc(1000);
	int rc;

	(void)state;
	server_start(&srv);
	snprintf(auth, sizeof(auth), "127.0.0.1:%u", srv.port4);
	dial(&sf, "127.0.0.1", srv.port4, 5000);
	{
		struct http_req req = { .method = "POST", .host = auth, .path = "/echo", .headers = hdrs,
					.body = proto, .body_len = sizeof(proto) };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_int_equal(resp->status, 200);
		assert_int_equal(resp->body_len, sizeof(proto));
		assert_memory_equal(resp->body, proto, sizeof(proto));
		assert_string_equal(http_msg_header(&resp->msg, "content-type"),
				    "application/x-proto-binary");
		assert_string_equal(http_msg_header(&resp->msg, "x-request-id"), "1234-abcd");
		http_resp_release(resp);
	}
	{	/* empty POST still says Content-Length: 0 (the server would wait otherwise) */
		struct http_req req = { .method = "POST", .host = auth, .path = "/echo" };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_int_equal(resp->status, 200);
		assert_int_equal(resp->body_len, 0);
		assert_null(resp->body);
		http_resp_release(resp);
	}
	{	/* a big chunked body grows its malloc'd buffer */
		get_ok(&sf.s, auth, "/big?n=300000&chunked", NULL, resp);
		pattern(big, 300000);
		assert_int_equal(resp->body_len, 300000);
		assert_memory_equal(resp->body, big, 300000);
		assert_true(resp->reusable);
		http_resp_release(resp);
	}
	{	/* into the caller's buffer */
		struct http_req req = { .method = "GET", .host = auth, .path = "/big?n=1000",
					.resp_buf = mine, .resp_max = 1000 };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_ptr_equal(resp->body, mine);
		assert_false(resp->body_malloced);
		assert_memory_equal(mine, big, 1000);
		http_resp_release(resp);
		assert_int_equal(mine[999], big[999]); /* not freed */
	}
	{	/* one byte over the limit: refused with the limit in the sentence */
		struct http_req req = { .method = "GET", .host = auth, .path = "/big?n=1001",
					.resp_max = 1000 };

		rc = http_request(&sf.s, &req, resp, err, sizeof(err));
		assert_int_equal(rc, -EFBIG);
		assert_string_equal(err, "HTTP response body: over the 1000-byte limit");
		assert_null(resp->body);
	}
	sf.s.close(&sf.s);
	dial(&sf, "127.0.0.1", srv.port4, 5000);
	{	/* chunked, over the limit mid-way */
		struct http_req req = { .method = "GET", .host = auth, .path = "/big?n=300000&chunked",
					.resp_max = 100000 };

		rc = http_request(&sf.s, &req, resp, err, sizeof(err));
		assert_int_equal(rc, -EFBIG);
		assert_string_equal(err, "HTTP response body: over the 100000-byte limit");
	}
	sf.s.close(&sf.s);
	dial(&sf, "127.0.0.1", srv.port4, 5000);
	{	/* HEAD: length announced, no body, connection still usable */
		struct http_req req = { .method = "HEAD", .host = auth, .path = "/hello" };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_string_equal(http_msg_header(&resp->msg, "Content-Length"), "12");
		assert_int_equal(resp->body_len, 0);
		assert_true(resp->reusable);
		get_ok(&sf.s, auth, "/hello", "hello world\n", resp);
		http_resp_release(resp);
	}
	{	/* the server closes: not reusable */
		get_ok(&sf.s, auth, "/close", "bye", resp);
		assert_false(resp->reusable);
		http_resp_release(resp);
	}
	sf.s.close(&sf.s);
	dial(&sf, "127.0.0.1", srv.port4, 5000);
	{	/* stray bytes after the body: not reusable */
		get_ok(&sf.s, auth, "/stray", "ok", resp);
		assert_false(resp->reusable);
		http_resp_release(resp);
	}
	sf.s.close(&sf.s);
	dial(&sf, "127.0.0.1", srv.port4, 5000);
	{	/* we ask to close */
		struct http_req req = { .method = "GET", .host = auth, .path = "/hello", .close = true };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_false(resp->reusable);
		http_resp_release(resp);
	}
	sf.s.close(&sf.s);
	{	/* nothing is sent for a request that would inject a header */
		static const char *const evil[] = { "X-Evil: a\r\nInjected: 1", NULL };
		static const char *const dup[] = { "Content-Length: 5", NULL };
		struct http_req req = { .method = "GET", .host = auth, .path = "/hello", .headers = evil };

		dial(&sf, "127.0.0.1", srv.port4, 5000);
		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, "HTTP header to send 'X-Evil: a??Injected: 1': not 'Name: value' "
					 "(or a control byte in it)");
		req.headers = dup;
		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, "HTTP header to send 'Content-Length: 5': Content-Length is set "
					 "by the writer");
		req.headers = NULL;
		req.path = "/a b";
		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), -EINVAL);
		req.path = "/hello";
		req.method = "G T";
		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), -EINVAL);
		/* and the connection is still clean */
		get_ok(&sf.s, auth, "/hello", "hello world\n", resp);
		assert_string_equal(http_msg_header(&resp->msg, "X-Conn-Requests"), "1");
		http_resp_release(resp);
		sf.s.close(&sf.s);
	}
	stop(srv.pid);
	free(big);
	free(mine);
	free(resp);
}

/* Raw bytes at our server: pipelining, 100-continue, HTTP/1.0, rejects. */
static char *
raw_exchange(uint16_t port, const char *send, size_t want_min)
{
	struct stream_fd sf;
	char *buf = calloc(1, 65536);
	size_t n = 0;
	ssize_t r;

	dial(&sf, "127.0.0.1", port, 3000);
	assert_int_equal(sf.s.write(&sf.s, send, strlen(send)), (ssize_t)strlen(send));
	while (n < 65535 && (r = sf.s.read(&sf.s, buf + n, 65535 - n)) > 0) {
		n += (size_t)r;
		if (want_min && n >= want_min)
			break;
	}
	sf.s.close(&sf.s);
	return buf;
}

static void
test_ours_server_raw(void **state)
{
	struct server srv;
	char *got, *p;

	(void)state;
	server_start(&srv);
	/* two pipelined requests in one write: two answers, in order */
	got = raw_exchange(srv.port4, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
				      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
				      "Connection: close\r\n\r\nxyz", 0);
	p = strstr(got, "X-Conn-Requests: 1\r\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "hello world\n"));
	p = strstr(p, "X-Conn-Requests: 2\r\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "Connection: close\r\n\r\nxyz"));
	free(got);
	/* Expect: 100-continue gets its interim answer first */
	got = raw_exchange(srv.port4, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
				      "Expect: 100-continue\r\n\r\n", 25);
	assert_string_equal(got, "HTTP/1.1 100 Continue\r\n\r\n");
	free(got);
	/* HTTP/1.0 without keep-alive: the answer closes */
	got = raw_exchange(srv.port4, "GET /hello HTTP/1.0\r\n\r\n", 0);
	assert_non_null(strstr(got, "Connection: close\r\n"));
	assert_non_null(strstr(got, "\r\n\r\nhello world\n"));
	free(got);
	/* hostile requests: the status that fits, the parser's sentence, close */
	got = raw_exchange(srv.port4, "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 0);
	assert_non_null(strstr(got, "HTTP/1.1 400 Bad Request\r\n"));
	assert_non_null(strstr(got, "Connection: close\r\n"));
	assert_non_null(strstr(got, "\r\n\r\nHTTP request header: line ' folded' starts with whitespace "
				    "(obs-fold is not accepted)\n"));
	free(got);
	got = raw_exchange(srv.port4, "POST /echo HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", 0);
	assert_non_null(strstr(got, "HTTP/1.1 413 Content Too Large\r\n"));
	assert_non_null(strstr(got, "HTTP request body: over the 65536-byte limit\n"));
	free(got);
	got = raw_exchange(srv.port4, "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 0);
	assert_non_null(strstr(got, "HTTP/1.1 501 Not Implemented\r\n"));
	free(got);
	got = raw_exchange(srv.port4, "GET / HTTP/2.0\r\n\r\n", 0);
	assert_non_null(strstr(got, "HTTP/1.1 505 HTTP Version Not Supported\r\n"));
	free(got);
	got = raw_exchange(srv.port4, "POST /echo HTTP/1.1\r\nContent-Length: 1\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n", 0);
	assert_non_null(strstr(got, "HTTP/1.1 400 Bad Request\r\n"));
	assert_non_null(strstr(got, "request smuggling"));
	free(got);
	stop(srv.pid);
}

static void
test_response_write_rules(void **state)
{
	static const char *const bad[] = { "X: a\nb", NULL };
	struct stream_fd a, b;
	char buf[256] = "";
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_fd_init(&a, sv[0], 1000);
	stream_fd_init(&b, sv[1], 1000);
	assert_int_equal(http_response_write(&a.s, 204, NULL, NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(http_response_write(&a.s, 99, NULL, NULL, NULL, 0, 0), -EINVAL);
	assert_int_equal(http_response_write(&a.s, 200, "O\r\nK", NULL, NULL, 0, 0), -EINVAL);
	assert_int_equal(http_response_write(&a.s, 200, NULL, bad, NULL, 0, 0), -EINVAL);
	assert_int_equal(http_response_write(&a.s, 304, NULL, NULL, NULL, 0, 0), 0);
	n = b.s.read(&b.s, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	/* nothing from the refused calls, and no Content-Length on a 304 */
	assert_string_equal(buf, "HTTP/1.1 304 Not Modified\r\n\r\n");
	assert_int_equal(http_status_for_error(-ETIMEDOUT), 408);
	a.s.close(&a.s);
	b.s.close(&b.s);
}

/* our client against Python's http.server */
static void
test_client_against_python_server(void **state)
{
	struct http_resp *resp = malloc(sizeof(*resp));
	struct py p;
	struct stream_fd sf;
	char line[32], err[HTTP_ERR_MAX], auth[32];
	uint16_t port;
	pid_t pid;
	int out;

	(void)state;
	py_write(&p);
	pid = py_spawn(&p, "server", NULL, &out);
	read_out(out, line, sizeof(line), 20000, true);
	close(out);
	port = (uint16_t)atoi(line);
	if (port == 0)
		fail_msg("python3 http.server did not start (said '%s')", line);
	snprintf(auth, sizeof(auth), "127.0.0.1:%u", port);
	dial(&sf, "127.0.0.1", port, 5000);
	get_ok(&sf.s, auth, "/hello", "hello from python\n", resp);
	assert_string_equal(http_msg_header(&resp->msg, "x-seen-host"), auth);
	assert_non_null(strstr(http_msg_header(&resp->msg, "Server"), "Python"));
	assert_true(resp->reusable);
	http_resp_release(resp);
	{
		static const char *const hdrs[] = { "Content-Type: application/x-proto-binary",
						    "X-Request-ID: c-42", NULL };
		struct http_req req = { .method = "POST", .host = auth, .path = "/echo", .headers = hdrs,
					.body = "\x08\x96\x01", .body_len = 3 };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_int_equal(resp->body_len, 3);
		assert_memory_equal(resp->body, "\x08\x96\x01", 3);
		assert_string_equal(http_msg_header(&resp->msg, "X-Request-ID"), "c-42");
		assert_string_equal(http_msg_header(&resp->msg, "Content-Type"),
				    "application/x-proto-binary");
		assert_true(resp->reusable);
		http_resp_release(resp);
	}
	get_ok(&sf.s, auth, "/chunked", "chunk-one chunk-two end", resp);
	assert_string_equal(http_msg_trailer(&resp->msg, "X-Py-Trailer"), "t");
	http_resp_release(resp);
	{
		struct http_req req = { .method = "HEAD", .host = auth, .path = "/hello" };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_int_equal(resp->status, 200);
		assert_int_equal(resp->body_len, 0);
		assert_true(resp->reusable);
	}
	{
		struct http_req req = { .method = "GET", .host = auth, .path = "/nope" };

		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_int_equal(resp->status, 404);
		http_resp_release(resp);
	}
	/* close-delimited body (no length, no chunks) */
	get_ok(&sf.s, auth, "/close", "until the close", resp);
	assert_false(resp->reusable);
	assert_int_equal(resp->msg.body_kind, HTTP_BODY_CLOSE);
	http_resp_release(resp);
	sf.s.close(&sf.s);
	stop(pid);
	py_clean(&p);
	free(resp);
}

/* Python's http.client against our server */
static void
test_python_client_against_server(void **state)
{
	struct server srv;
	struct py p;
	char port[8], out[4096];
	int status = -1, fd;
	pid_t pid;

	(void)state;
	server_start(&srv);
	py_write(&p);
	snprintf(port, sizeof(port), "%u", srv.port4);
	pid = py_spawn(&p, "client", port, &fd);
	read_out(fd, out, sizeof(out), 30000, false);
	close(fd);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("python client failed (status %d): %s", status, out);
	assert_string_equal(out, "python client: all checks passed\n");
	stop(srv.pid);
	py_clean(&p);
}

/* ---- proxies ---- */

struct tinyproxy {
	pid_t pid;
	uint16_t port;
	char dir[64];
};

static void
tinyproxy_start(struct tinyproxy *t)
{
	char conf[128], log[128];
	FILE *f;
	int l;

	/* a free loopback port: bind, note, release */
	l = listen_on(AF_INET, &t->port, 1);
	close(l);
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-http-tp.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(conf, sizeof(conf), "%s/tinyproxy.conf", t->dir);
	snprintf(log, sizeof(log), "%s/log", t->dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "Port %u\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\n"
		   "LogLevel Info\nBasicAuth alice s3cret\n", t->port);
	fclose(f);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("tinyproxy", "tinyproxy", "-d", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 250; i++) { /* up to 5 s */
		char err[HTTP_ERR_MAX];
		int fd;

		if (http_tcp_connect("127.0.0.1", t->port, 1000, &fd, err, sizeof(err)) == 0) {
			close(fd);
			return;
		}
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid)
			fail_msg("tinyproxy exited (is the tinyproxy package installed? make deps)");
		sleep_ms(20);
	}
	fail_msg("tinyproxy did not listen on 127.0.0.1:%u", t->port);
}

static void
tinyproxy_stop(struct tinyproxy *t)
{
	char path[128];

	stop(t->pid);
	snprintf(path, sizeof(path), "%s/tinyproxy.conf", t->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/log", t->dir);
	unlink(path);
	rmdir(t->dir);
}

static void
test_connect_through_tinyproxy(void **state)
{
	struct http_resp *resp = malloc(sizeof(*resp));
	struct tinyproxy tp;
	struct server srv;
	struct stream_fd sf;
	char err[HTTP_ERR_MAX], proxy[32], auth[64];
	int rc;

	(void)state;
	server_start(&srv);
	tinyproxy_start(&tp);
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%u", tp.port);
	for (int fam = 0; fam < 2; fam++) {
		const char *host = fam ? "::1" : "127.0.0.1";
		uint16_t port = fam ? srv.port6 : srv.port4;

		dial(&sf, "127.0.0.1", tp.port, 5000);
		rc = http_proxy_connect(&sf.s, proxy, host, port, "alice:s3cret", 5000, err, sizeof(err));
		if (rc < 0)
			fail_msg("CONNECT via tinyproxy: %s", err);
		http_authority(auth, sizeof(auth), host, port, 80);
		/* two requests through the tunnel: the tunnel is a clean byte stream */
		get_ok(&sf.s, auth, "/hello", "hello world\n", resp);
		assert_string_equal(http_msg_header(&resp->msg, "X-Conn-Requests"), "1");
		assert_true(resp->reusable);
		http_resp_release(resp);
		get_ok(&sf.s, auth, "/chunked", "hello world", resp);
		http_resp_release(resp);
		get_ok(&sf.s, auth, "/hello", NULL, resp);
		assert_string_equal(http_msg_header(&resp->msg, "X-Conn-Requests"), "3");
		http_resp_release(resp);
		sf.s.close(&sf.s);
	}
	/* no credentials: 407 */
	dial(&sf, "127.0.0.1", tp.port, 5000);
	rc = http_proxy_connect(&sf.s, proxy, "127.0.0.1", srv.port4, NULL, 5000, err, sizeof(err));
	assert_int_equal(rc, -EACCES);
	assert_non_null(strstr(err, "refused: 407 "));
	sf.s.close(&sf.s);
	/* wrong credentials: tinyproxy says 401 */
	dial(&sf, "127.0.0.1", tp.port, 5000);
	rc = http_proxy_connect(&sf.s, proxy, "127.0.0.1", srv.port4, "alice:wrong", 5000, err,
				sizeof(err));
	if (rc != -EACCES)
		fail_msg("wrong credentials: %d %s", rc, err);
	sf.s.close(&sf.s);
	/* a target that refuses: the proxy's error status */
	{
		uint16_t dead;
		int l = listen_on(AF_INET, &dead, 1);

		close(l);
		dial(&sf, "127.0.0.1", tp.port, 5000);
		rc = http_proxy_connect(&sf.s, proxy, "127.0.0.1", dead, "alice:s3cret", 5000, err,
					sizeof(err));
		assert_int_equal(rc, -ECONNREFUSED);
		char want[128];

		snprintf(want, sizeof(want), "HTTP proxy %s: CONNECT 127.0.0.1:%u refused: 5", proxy, dead);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("got '%s'", err);
		sf.s.close(&sf.s);
	}
	tinyproxy_stop(&tp);
	stop(srv.pid);
	free(resp);
}

/* A proxy that answers and sends tunnel bytes in the same segment: the
 * stream must start exactly at the tunnel's first byte. */
static void
test_connect_never_overreads(void **state)
{
	static const char reply[] = "HTTP/1.1 100 Continue\r\n\r\n"
				    "HTTP/1.1 200 Connection established\r\nVia: t\r\n\r\n"
				    "\x16\x03\x01TUNNEL-FIRST-BYTES";
	struct stream_fd sf;
	char err[HTTP_ERR_MAX], buf[64] = "";
	uint16_t port;
	size_t n = 0;
	ssize_t r;
	int l = listen_on(AF_INET, &port, 4);
	pid_t pid;

	(void)state;
	pid = peer_start(l, PEER_CANNED,
			 "CONNECT [2001:db8::7]:8443 HTTP/1.1\r\nHost: [2001:db8::7]:8443\r\n"
			 "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n",
			 reply, sizeof(reply) - 1);
	dial(&sf, "127.0.0.1", port, 3000);
	assert_int_equal(http_proxy_connect(&sf.s, "test-proxy", "2001:db8::7", 8443, "alice:s3cret",
					    3000, err, sizeof(err)), 0);
	while (n < 21 && (r = sf.s.read(&sf.s, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	assert_int_equal(n, 21);
	assert_memory_equal(buf, "\x16\x03\x01TUNNEL-FIRST-BYTES", 21);
	sf.s.close(&sf.s);
	stop(pid);

	/* a refusal names the proxy, the target and the status */
	pid = peer_start(l, PEER_CANNED, NULL,
			 "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 45);
	dial(&sf, "127.0.0.1", port, 3000);
	assert_int_equal(http_proxy_connect(&sf.s, "test-proxy", "ctl.example", 443, NULL, 3000, err,
					    sizeof(err)), -ECONNREFUSED);
	assert_string_equal(err, "HTTP proxy test-proxy: CONNECT ctl.example:443 refused: 403 Forbidden");
	sf.s.close(&sf.s);
	stop(pid);

	/* a proxy that never answers */
	pid = peer_start(l, PEER_SILENT, NULL, NULL, 0);
	dial(&sf, "127.0.0.1", port, 5000);
	assert_int_equal(http_proxy_connect(&sf.s, "test-proxy", "ctl.example", 443, NULL, 200, err,
					    sizeof(err)), -ETIMEDOUT);
	assert_string_equal(err, "HTTP proxy test-proxy: CONNECT ctl.example:443: "
				 "HTTP response: not complete within 200 ms");
	sf.s.close(&sf.s);
	stop(pid);
	close(l);
}

/* ---- timeouts and early closes ---- */

static void
test_timeouts_and_early_close(void **state)
{
	struct http_resp *resp = malloc(sizeof(*resp));
	struct http_req req = { .method = "GET", .host = "t", .path = "/" };
	struct stream_fd sf;
	char err[HTTP_ERR_MAX];
	uint16_t port;
	int l = listen_on(AF_INET, &port, 4), rc;
	pid_t pid;

	(void)state;
	/* read timeout: the peer never answers */
	pid = peer_start(l, PEER_SILENT, NULL, NULL, 0);
	dial(&sf, "127.0.0.1", port, 150);
	rc = http_request(&sf.s, &req, resp, err, sizeof(err));
	assert_int_equal(rc, -ETIMEDOUT);
	assert_string_equal(err, "HTTP response: no data within 150 ms");
	sf.s.close(&sf.s);
	stop(pid);

	/* whole-exchange timeout: the peer trickles a byte every 30 ms, so no
	 * single read times out, but the response never completes */
	pid = peer_start(l, PEER_TRICKLE, NULL, NULL, 0);
	dial(&sf, "127.0.0.1", port, 5000);
	req.timeout_ms = 300;
	rc = http_request(&sf.s, &req, resp, err, sizeof(err));
	assert_int_equal(rc, -ETIMEDOUT);
	assert_string_equal(err, "HTTP response: not complete within 300 ms");
	assert_int_equal(sf.s.timeout_ms, 5000); /* restored */
	sf.s.close(&sf.s);
	stop(pid);
	req.timeout_ms = 0;

	/* a keep-alive connection the server dropped after its answer: the next
	 * request on it fails with -ECONNRESET (retry on a new connection) */
	{
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

		pid = peer_start(l, PEER_ONCE, NULL, ok, sizeof(ok) - 1);
		dial(&sf, "127.0.0.1", port, 3000);
		assert_int_equal(http_request(&sf.s, &req, resp, err, sizeof(err)), 0);
		assert_true(resp->reusable);
		http_resp_release(resp);
		waitpid(pid, NULL, 0); /* its FIN is on the way */
		rc = http_request(&sf.s, &req, resp, err, sizeof(err));
		if (rc != -ECONNRESET)
			fail_msg("stale keep-alive: %d %s", rc, err);
		sf.s.close(&sf.s);
	}

	/* the peer closes without answering: -ECONNRESET (retry on a new connection) */
	pid = peer_start(l, PEER_CLOSE, NULL, NULL, 0);
	dial(&sf, "127.0.0.1", port, 3000);
	rc = http_request(&sf.s, &req, resp, err, sizeof(err));
	assert_int_equal(rc, -ECONNRESET);
	assert_string_equal(err, "HTTP response: connection closed before the message");
	sf.s.close(&sf.s);
	stop(pid);

	close(l);
	free(resp);
}

static void
test_body_cut_short(void **state)
{
	struct http_resp *resp = malloc(sizeof(*resp));
	struct http_req req = { .method = "GET", .host = "t", .path = "/" };
	struct stream_fd a, b;
	char err[HTTP_ERR_MAX], buf[256];
	int sv[2];

	(void)state;
	/* over a socketpair: the "server" side is scripted by hand */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_fd_init(&a, sv[0], 2000);
	stream_fd_init(&b, sv[1], 2000);
	assert_int_equal(b.s.write(&b.s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 42), 42);
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(http_request(&a.s, &req, resp, err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "HTTP response body: connection closed after 3 of 10 bytes");
	assert_null(resp->body);
	/* what we sent is exactly one well-formed request */
	assert_int_equal(b.s.read(&b.s, buf, sizeof(buf)), 27);
	assert_memory_equal(buf, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 27);
	a.s.close(&a.s);
	b.s.close(&b.s);
	free(resp);
}

static void
test_tcp_connect_errors(void **state)
{
	char err[HTTP_ERR_MAX], want[160];
	uint16_t port;
	int l, fd, rc, held[4];

	(void)state;
	/* refused: nothing listens */
	l = listen_on(AF_INET, &port, 1);
	close(l);
	rc = http_tcp_connect("127.0.0.1", port, 1000, &fd, err, sizeof(err));
	assert_int_equal(rc, -ECONNREFUSED);
	assert_int_equal(fd, -1);
	snprintf(want, sizeof(want), "HTTP connect to 127.0.0.1 port %u (127.0.0.1): %s", port,
		 strerror(ECONNREFUSED));
	assert_string_equal(err, want);
	/* timeout: a listener whose accept queue is full drops new SYNs */
	l = listen_on(AF_INET, &port, 0);
	for (int i = 0; i < 4; i++) {
		held[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		connect(held[i], (struct sockaddr *)&a, sizeof(a));
	}
	sleep_ms(50);
	rc = http_tcp_connect("127.0.0.1", port, 200, &fd, err, sizeof(err));
	assert_int_equal(rc, -ETIMEDOUT);
	snprintf(want, sizeof(want), "HTTP connect to 127.0.0.1 port %u (127.0.0.1): no answer within "
		 "200 ms", port);
	assert_string_equal(err, want);
	for (int i = 0; i < 4; i++)
		close(held[i]);
	close(l);
	/* bad input */
	assert_int_equal(http_tcp_connect("", 80, 100, &fd, err, sizeof(err)), -EINVAL);
	assert_int_equal(http_tcp_connect("127.0.0.1", 0, 100, &fd, err, sizeof(err)), -EINVAL);
	/* an IPv6 literal */
	l = listen_on(AF_INET6, &port, 4);
	assert_int_equal(http_tcp_connect("::1", port, 1000, &fd, err, sizeof(err)), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours_keepalive_v4_v6),
		cmocka_unit_test(test_ours_post_headers_and_limits),
		cmocka_unit_test(test_ours_server_raw),
		cmocka_unit_test(test_response_write_rules),
		cmocka_unit_test(test_client_against_python_server),
		cmocka_unit_test(test_python_client_against_server),
		cmocka_unit_test(test_connect_through_tinyproxy),
		cmocka_unit_test(test_connect_never_overreads),
		cmocka_unit_test(test_timeouts_and_early_close),
		cmocka_unit_test(test_body_cut_short),
		cmocka_unit_test(test_tcp_connect_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
