/*
 * evc_serve: `evc serve --dir DIR --listen ADDR:PORT`.  A TLS 1.2 listener
 * (BearSSL, dom0/tls) that asks for a client certificate without requiring
 * one, so v2 devices (no certificate needed) and v1 devices (mutual TLS)
 * share it; HTTP/1.1 with keep-alive (dom0/http); the API (api.c) on the
 * SQLite store.
 *
 * Each connection is served by a forked child with its own store
 * connection: a hostile connection can crash only its own process, never
 * the listener (bounded: EVC_SERVE_MAX_CHILDREN at a time).  The parent
 * stops on SIGTERM/SIGINT; its children end with it (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "atomicfile.h"
#include "ctrl_certs.h"
#include "evc_cli.h"
#include "http_server.h"
#include "idkey.h"
#include "log.h"
#include "pem.h"
#include "store.h"
#include "x509_write.h"
#include "tls.h"

#define EVC_SERVE_MAX_CHILDREN 64
#define EVC_SERVE_IDLE_MS 60000       /* a kept-alive connection may idle this long */
#define EVC_SERVE_HANDSHAKE_MS 15000
#define EVC_SERVE_MAX_REQUESTS 1000   /* per connection */

struct serve {
	const struct evc_args *a;
	struct tls_chain chain;
	struct tls_key key;
	struct idkey signing;
	uint8_t signing_hash[32];
	uint8_t *certs;
	size_t certs_len;
	char *signing_pem;             /* the signing chain, for fresh certs replies */
	size_t signing_pem_len;
	struct idkey status;           /* certificate status responder (optional) */
	bool has_status;
	uint8_t status_der[X509_DER_MAX];
	size_t status_der_len;
	struct store *st;              /* the connection's store, for revocations */
	char db[1024];
};

#define EVC_STATUS_VALIDITY_S 86400   /* a status is current for a day */

static int
certs_fresh(void *arg, uint8_t **payload, size_t *len)
{
	struct serve *sv = arg;
	struct ctrl_certs_status cs = { &sv->status.signer, sv->status_der, sv->status_der_len,
					sv->st, time(NULL), EVC_STATUS_VALIDITY_S };
	uint8_t hash[32];
	char err[512];
	int rc;

	rc = ctrl_certs_build(sv->signing_pem, sv->signing_pem_len, &cs, payload, len, hash, err,
			      sizeof(err));
	if (rc < 0)
		log_err("certs: %s", err);
	return rc;
}

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
api_log(void *arg, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

static int
listen_on(const char *spec, int *fd_out)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], *colon;
	const char *port;
	int fd = -1, one = 1, r;

	snprintf(host, sizeof(host), "%s", spec);
	colon = strrchr(host, ':');
	if (!colon || !colon[1]) {
		log_err("--listen %s: expected ADDR:PORT", spec);
		return -EINVAL;
	}
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r != 0) {
		log_err("--listen %s: %s", spec, gai_strerror(r));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		log_err("--listen %s: %s", spec, strerror(errno));
		return -errno;
	}
	*fd_out = fd;
	return 0;
}

static int
load(struct serve *sv, const char *dir)
{
	char path[1024], err[TLS_ERR_MAX > 512 ? TLS_ERR_MAX : 512], *pem;
	size_t len;
	int rc;

#define P(f) (snprintf(path, sizeof(path), "%s/%s", dir, f), path)
	if ((rc = tls_chain_load(&sv->chain, P("server.cert.pem"), err)) < 0 ||
	    (rc = tls_key_load(&sv->key, P("server.key.pem"), err)) < 0 ||
	    (rc = tls_key_check_chain(&sv->key, &sv->chain, err)) < 0) {
		log_err("TLS server certificate: %s", err);
		return rc;
	}
	if ((rc = idkey_soft_open(&sv->signing, P("signing.key.pem"), false, err)) < 0) {
		log_err("signing key: %s", err);
		return rc;
	}
	if ((rc = atomicfile_read(P("signing.cert.pem"), 1 << 20, &pem, &len, err,
				  sizeof(err))) < 0) {
		log_err("signing certificate: %s", err);
		return rc;
	}
	rc = ctrl_certs_build(pem, len, NULL, &sv->certs, &sv->certs_len, sv->signing_hash, err,
			      sizeof(err));
	sv->signing_pem = pem;
	sv->signing_pem_len = len;
	if (rc < 0) {
		log_err("signing certificate: %s", err);
		return rc;
	}
	/* certificate status (docs/revocation.md): only with a responder */
	if (access(P("status.key.pem"), F_OK) == 0) {
		char *spem;
		size_t slen;

		if ((rc = idkey_soft_open(&sv->status, P("status.key.pem"), false, err)) < 0 ||
		    (rc = atomicfile_read(P("status.cert.pem"), 1 << 20, &spem, &slen, err,
					  sizeof(err))) < 0) {
			log_err("certificate status responder: %s", err);
			return rc;
		}
		rc = pem_decode_first(spem, slen, "CERTIFICATE", sv->status_der,
				      sizeof(sv->status_der), &sv->status_der_len, err, sizeof(err));
		free(spem);
		if (rc < 0) {
			log_err("status.cert.pem: %s", err);
			return rc;
		}
		sv->has_status = true;
	}
	snprintf(sv->db, sizeof(sv->db), "%s/evc.db", dir);
#undef P
	return 0;
}

/* One connection, in a child process. */
static void
serve_conn(struct serve *sv, int fd)
{
	static struct tls_ctx tls;
	static struct http_server_req req;
	static uint8_t body[API_MAX_BODY];
	struct tls_server_opts to = { .chain = &sv->chain, .key = &sv->key,
				      .client_cert_optional = true,
				      .timeout_ms = EVC_SERVE_HANDSHAKE_MS };
	struct http_server_conn conn;
	struct api_ctx ctx = { .signer = &sv->signing.signer, .certs_payload = sv->certs,
			       .certs_len = sv->certs_len, .log = api_log };
	struct store st;
	const uint8_t *peer = NULL;
	size_t peer_len = 0;
	char err[512];
	int rc;

	memcpy(ctx.signing_cert_hash, sv->signing_hash, 32);
	if (tls_server_open_opts(&tls, fd, &to, err) < 0) {
		log_info("connection refused: %s", err);
		close(fd);
		return;
	}
	tls.s.timeout_ms = EVC_SERVE_IDLE_MS;
	if (tls_peer_cert(&tls, &peer, &peer_len) < 0)
		peer = NULL;
	if (store_open(&st, sv->db) < 0) {
		log_err("%s", st.err);
		tls.s.close(&tls.s);
		return;
	}
	ctx.st = &st;
	sv->st = &st;
	if (sv->has_status) {
		ctx.certs_fn = certs_fresh;
		ctx.certs_arg = sv;
	}
	http_server_conn_init(&conn, &tls.s);
	for (;;) {
		struct api_request ar;
		struct api_response resp;
		char path[HTTP_PATH_MAX], *q;
		bool keep;

		rc = http_server_read(&conn, &req, body, sizeof(body), EVC_SERVE_IDLE_MS, err,
				      sizeof(err));
		if (rc < 0) {
			if (rc != -ECONNRESET && rc != -ETIMEDOUT && conn.nrequests > 0)
				log_info("request: %s", err);
			if (rc != -ECONNRESET && rc != -ETIMEDOUT)
				http_server_reject(&conn, rc, err);
			break;
		}
		snprintf(path, sizeof(path), "%s", req.msg.target);
		if ((q = strchr(path, '?')))
			*q = '\0';
		ar = (struct api_request){ .method = req.msg.method, .path = path,
					   .body = req.msg.body, .len = req.msg.body_len,
					   .peer_cert = peer, .peer_cert_len = peer_len };
		api_handle(&ctx, &ar, &resp);
		keep = http_server_keep_alive(&conn, &req, EVC_SERVE_MAX_REQUESTS);
		{
			const char *hdr[2] = { NULL, NULL };
			char ct[80];

			if (resp.content_type) {
				snprintf(ct, sizeof(ct), "Content-Type: %s", resp.content_type);
				hdr[0] = ct;
			}
			rc = http_response_write(&tls.s, resp.status, NULL, hdr, resp.body, resp.len,
						 keep ? 0 : HTTP_RESP_CLOSE);
		}
		api_response_free(&resp);
		http_server_req_release(&req);
		if (rc < 0 || !keep)
			break;
	}
	store_close(&st);
	tls.s.close(&tls.s);
}

int
evc_serve(const struct evc_args *a)
{
	static struct serve sv;
	int lfd = -1, children = 0;
	struct sigaction sa = { .sa_handler = on_stop };

	log_init("evc", LOG_LEVEL_INFO);
	if (!a->listen) {
		fprintf(stderr, "evc serve: --listen ADDR:PORT is required\n");
		return 2;
	}
	sv.a = a;
	if (load(&sv, a->dir) < 0)
		return 1;
	if (listen_on(a->listen, &lfd) < 0)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_notice("serving EVE API v2 and v1 on %s (store %s)%s", a->listen, sv.db,
		   sv.has_status ? "; certificate status signed by status.cert.pem" : "");
	while (!stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pid_t pid;
		int fd;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		if (poll(&p, 1, 500) <= 0)
			continue;
		if (children >= EVC_SERVE_MAX_CHILDREN) {
			usleep(10000);
			continue;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pid = fork();
		if (pid == 0) {
			close(lfd);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
			serve_conn(&sv, fd);
			_exit(0);
		}
		close(fd);
		if (pid > 0)
			children++;
	}
	log_notice("stopping");
	close(lfd);
	/* connection children get SIGTERM as this process ends (PDEATHSIG) */
	return 0;
}
