/*
 * Test fixture shared by tests/unit/test_tls.c and tests/bench/bench_tls.c:
 * test certificates made with the openssl CLI at run time, openssl s_server
 * started on a free 127.0.0.1 port and stopped, loopback sockets.  Static
 * functions only (each test program includes it once).  Loopback only.
 */
#ifndef EV_TLS_FIXTURE_H
#define EV_TLS_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Files made in dir:
 *   ca.key ca.pem        EC P-256 root CA ("Edgevisor Test Root")
 *   ca2.key ca2.pem      another EC root, unknown to the client
 *   srv.key srv.pem      server: P-256 (PKCS#8 key), DNS SAN localhost, by ca, 365 days
 *   cli.key cli.pem cli.der   device: self-signed P-256 (SEC1 key), as EVE's
 * and with rsa:
 *   rsaca.key rsaca.pem  RSA-2048 root
 *   srv-rsaca.pem        the same server key certified by the RSA root
 *   rsa.key rsa.pem      RSA-2048 server (localhost) by ca: an RSA-only peer
 *   enc.key              cli.key encrypted (PKCS#8, password "x")
 */
static const char fixture_script[] =
	"set -e\n"
	"o=openssl\n"
	"ec() { $o ecparam -name prime256v1 -genkey -noout -out \"$1\"; }\n"
	"root() { $o req -x509 -new -key \"$1.key\" -subj \"/CN=$2\" -days 3650 -out \"$1.pem\" "
	"  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign; }\n"
	"ec ca.key; root ca 'Edgevisor Test Root'\n"
	"ec ca2.key; root ca2 'Unknown Test Root'\n"
	"$o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out srv.key\n"
	"printf 'subjectAltName=DNS:localhost\\nbasicConstraints=CA:FALSE\\n"
	"keyUsage=critical,digitalSignature\\nextendedKeyUsage=serverAuth\\n' >srv.ext\n"
	"$o req -new -key srv.key -subj /CN=localhost -out srv.csr\n"
	"$o x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 "
	"  -extfile srv.ext -out srv.pem\n"
	"ec cli.key\n"
	"$o req -x509 -new -key cli.key -subj /CN=device-test -days 7300 -out cli.pem\n"
	"$o x509 -in cli.pem -outform DER -out cli.der\n"
	"[ \"$1\" = rsa ] || exit 0\n"
	"$o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsaca.key\n"
	"root rsaca 'Test RSA Root'\n"
	"$o x509 -req -in srv.csr -CA rsaca.pem -CAkey rsaca.key -CAcreateserial -days 365 "
	"  -extfile srv.ext -out srv-rsaca.pem\n"
	"$o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key\n"
	"$o req -new -key rsa.key -subj /CN=localhost -out rsa.csr\n"
	"printf 'subjectAltName=DNS:localhost\\nkeyUsage=critical,digitalSignature,keyEncipherment\\n' >rsa.ext\n"
	"$o x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 "
	"  -extfile rsa.ext -out rsa.pem\n"
	"$o pkcs8 -topk8 -in cli.key -passout pass:x -out enc.key\n";

/* 0, or -1 with a message on stderr. */
static int
fixture_make_certs(const char *dir, bool with_rsa)
{
	char cmd[1024];
	char script[1024];
	FILE *f;
	int st;

	if (strlen(dir) > 256) {
		fprintf(stderr, "fixture: folder name too long\n");
		return -1;
	}
	snprintf(script, sizeof(script), "%s/mk.sh", dir);
	if (!(f = fopen(script, "w")) || fputs(fixture_script, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fixture: cannot write %s\n", script);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && bash mk.sh %s >mk.log 2>&1", dir,
		 with_rsa ? "rsa" : "");
	st = system(cmd);
	if (st != 0) {
		fprintf(stderr, "fixture: making certificates failed (see %s/mk.log)\n", dir);
		return -1;
	}
	return 0;
}

static void
fixture_path(char *out, size_t sz, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, sz, "%s/%s", dir, name) >= sz) {
		fprintf(stderr, "fixture: path too long: %s/%s\n", dir, name);
		abort();
	}
}

/* A port that was free a moment ago on 127.0.0.1. */
static int
fixture_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd, port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A listening socket on 127.0.0.1 (any port, *port set). */
static int
fixture_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* A TCP connection to 127.0.0.1:port, or -1. */
static int
fixture_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
fixture_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
fixture_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Starts `openssl s_server -accept 127.0.0.1:PORT ARGS...` in dir (stdin
 * /dev/null, output to dir/s_server.log) and waits until it accepts
 * connections (a probe connection, closed at once).  Returns its pid and
 * *port, or -1.
 */
static pid_t
fixture_s_server(const char *dir, const char *const *args, int *port)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		const char *argv[64];
		char accept[32], logp[1024];
		int n = 0, p = fixture_free_port();
		pid_t pid;

		if (p < 0)
			return -1;
		snprintf(accept, sizeof(accept), "127.0.0.1:%d", p);
		argv[n++] = "openssl";
		argv[n++] = "s_server";
		argv[n++] = "-accept";
		argv[n++] = accept;
		for (int i = 0; args[i] && n < 62; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		fixture_path(logp, sizeof(logp), dir, "s_server.log");
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			int in = open("/dev/null", O_RDONLY);
			int out = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600);

			if (in < 0 || out < 0 || chdir(dir) < 0)
				_exit(127);
			dup2(in, 0);
			dup2(out, 1);
			dup2(out, 2);
			execvp("openssl", (char *const *)argv);
			_exit(127);
		}
		for (int i = 0; i < 500; i++) { /* up to 10 s */
			int fd = fixture_connect(p);

			if (fd >= 0) {
				close(fd);
				*port = p;
				return pid;
			}
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				pid = 0; /* died: port taken meanwhile? try another */
				break;
			}
			fixture_sleep_ms(20);
		}
		fixture_stop(pid);
	}
	return -1;
}

#endif
