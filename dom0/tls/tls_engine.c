/*
 * tls: running a BearSSL engine over a file descriptor with poll() timeouts,
 * and the struct stream a session presents.  See tls.h.
 *
 * The engine is a state machine (BR_SSL_SENDREC: records to send;
 * BR_SSL_RECVREC: wants record bytes; BR_SSL_SENDAPP / BR_SSL_RECVAPP:
 * application data may be written / is available; BR_SSL_CLOSED).  Every
 * operation below loops on that state, moving record bytes between the
 * engine's buffers and fd.
 */
#include "tls_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTX(st) ((struct tls_ctx *)((char *)(st) - offsetof(struct tls_ctx, s)))

void
tls_engine_setup(br_ssl_engine_context *eng)
{
	/* SHA-224..512 for handshake hashes, PRFs and signatures: no MD5 or
	 * SHA-1 anywhere (TLS 1.2 needs neither). */
	br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
}

int
tls_engine_seed(br_ssl_engine_context *eng, char err[TLS_ERR_MAX])
{
	unsigned char seed[32];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(seed)) {
		r = getrandom(seed + got, sizeof(seed) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			tls_seterr(err, "TLS: getrandom: %s", strerror(e));
			return -e;
		}
		got += (size_t)r;
	}
	br_ssl_engine_inject_entropy(eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	return 0;
}

/* ---- low-level I/O ---------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for ev on fd until deadline (ms, CLOCK_MONOTONIC; < 0: none). */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r, t;

	for (;;) {
		if (deadline < 0) {
			t = -1;
		} else {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			t = left > 1000000 ? 1000000 : (int)left;
		}
		r = poll(&p, 1, t);
		if (r > 0)
			return 0;
		if (r == 0)
			continue; /* the deadline check above decides */
		if (errno != EINTR)
			return -errno;
	}
}

static int64_t
deadline_from(int timeout_ms)
{
	return timeout_ms > 0 ? now_ms() + timeout_ms : -1;
}

/* Marks the session failed: every later call returns rc (sticky), the
 * engine is not touched again. */
static int
fail(struct tls_ctx *ctx, int rc)
{
	if (!ctx->rc)
		ctx->rc = rc;
	return ctx->rc;
}

static const char *
peer_of(const struct tls_ctx *ctx)
{
	return ctx->server ? "client" : "server";
}

/* The engine closed: 0 if cleanly (close_notify), else fail with a message. */
static int
closed(struct tls_ctx *ctx)
{
	int e = br_ssl_engine_last_error(ctx->eng);

	if (ctx->rc)
		return ctx->rc;
	if (e == BR_ERR_OK)
		return 0;
	tls_format_br_error(ctx->err, e, peer_of(ctx));
	ctx->rc = -EPROTO;
	return ctx->rc;
}

/*
 * Moves every record the engine has ready (a whole handshake flight, or
 * the application data records) into ctx->stash, then writes the stash
 * out: one send() per flight rather than one per record, so a flight is
 * one packet and never waits on Nagle for the previous one.
 */
static int
send_records(struct tls_ctx *ctx, int64_t deadline)
{
	size_t n = 0, off = 0, len;
	unsigned char *buf;
	ssize_t r;
	int rc;

	while ((br_ssl_engine_current_state(ctx->eng) & BR_SSL_SENDREC) &&
	       n < sizeof(ctx->stash)) {
		buf = br_ssl_engine_sendrec_buf(ctx->eng, &len);
		if (len > sizeof(ctx->stash) - n)
			len = sizeof(ctx->stash) - n;
		memcpy(ctx->stash + n, buf, len);
		n += len;
		br_ssl_engine_sendrec_ack(ctx->eng, len);
	}
	while (off < n) {
		r = send(ctx->fd, ctx->stash + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno == ENOTSOCK)
			r = write(ctx->fd, ctx->stash + off, n - off);
		if (r >= 0) {
			off += (size_t)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = -errno;
			if (rc == -EPIPE || rc == -ECONNRESET) {
				snprintf(ctx->err, sizeof(ctx->err),
					 "TLS: connection closed by the %s (sending: %s)",
					 peer_of(ctx), strerror(errno));
				return fail(ctx, -ECONNRESET);
			}
			snprintf(ctx->err, sizeof(ctx->err), "TLS: sending to the %s: %s",
				 peer_of(ctx), strerror(errno));
			return fail(ctx, rc);
		}
		if ((rc = wait_fd(ctx->fd, POLLOUT, deadline)) < 0) {
			snprintf(ctx->err, sizeof(ctx->err), "TLS: sending to the %s: %s",
				 peer_of(ctx), rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
			return fail(ctx, rc);
		}
	}
	return 0;
}

/* Receives record bytes into the engine (one recv). */
static int
recv_records(struct tls_ctx *ctx, int64_t deadline, const char *phase)
{
	unsigned char *buf;
	size_t len;
	ssize_t r;
	int rc;

	buf = br_ssl_engine_recvrec_buf(ctx->eng, &len);
	for (;;) {
		r = recv(ctx->fd, buf, len, MSG_DONTWAIT);
		if (r < 0 && errno == ENOTSOCK)
			r = read(ctx->fd, buf, len);
		if (r >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = -errno;
			if (rc == -ECONNRESET)
				snprintf(ctx->err, sizeof(ctx->err),
					 "TLS: %s: connection closed by the %s (%s)", phase,
					 peer_of(ctx), strerror(errno));
			else
				snprintf(ctx->err, sizeof(ctx->err),
					 "TLS: %s: receiving from the %s: %s", phase, peer_of(ctx),
					 strerror(errno));
			return fail(ctx, rc);
		}
		if ((rc = wait_fd(ctx->fd, POLLIN, deadline)) < 0) {
			snprintf(ctx->err, sizeof(ctx->err), "TLS: %s: %s with the %s", phase,
				 rc == -ETIMEDOUT ? "timed out" : strerror(-rc), peer_of(ctx));
			return fail(ctx, rc);
		}
	}
	if (r == 0) {
		snprintf(ctx->err, sizeof(ctx->err),
			 "TLS: %s: connection closed by the %s without close_notify%s", phase,
			 peer_of(ctx),
			 ctx->open ? " (data may be truncated)" : " (it refused the handshake)");
		return fail(ctx, -ECONNRESET);
	}
	br_ssl_engine_recvrec_ack(ctx->eng, (size_t)r);
	return 0;
}

/* ---- the stream ------------------------------------------------------- */

static ssize_t
tls_read(struct stream *st, void *buf, size_t len)
{
	struct tls_ctx *ctx = CTX(st);
	int64_t deadline;
	unsigned st_;
	int rc;

	if (ctx->rc)
		return ctx->rc;
	if (!ctx->open || ctx->eof)
		return 0;
	if (len == 0)
		return 0;
	/* what the caller wrote goes out before we wait for an answer */
	br_ssl_engine_flush(ctx->eng, 0);
	deadline = deadline_from(st->timeout_ms);
	for (;;) {
		st_ = br_ssl_engine_current_state(ctx->eng);
		if (st_ == BR_SSL_CLOSED)
			return closed(ctx);
		if (st_ & BR_SSL_RECVAPP) {
			size_t n;
			unsigned char *p = br_ssl_engine_recvapp_buf(ctx->eng, &n);

			if (n > len)
				n = len;
			memcpy(buf, p, n);
			br_ssl_engine_recvapp_ack(ctx->eng, n);
			return (ssize_t)n;
		}
		if (st_ & BR_SSL_SENDREC) {
			rc = send_records(ctx, deadline);
			if (rc < 0 && ctx->eng->shutdown_recv) {
				/* the answer to the peer's close_notify could not
				 * go out: the peer is gone, after a clean end
				 * (shutdown_recv: BearSSL's "close_notify received",
				 * set before its answer is sent) */
				ctx->rc = 0;
				ctx->err[0] = 0;
				ctx->eof = true;
				return 0;
			}
		} else if (st_ & BR_SSL_RECVREC)
			rc = recv_records(ctx, deadline, "reading");
		else {
			snprintf(ctx->err, sizeof(ctx->err), "TLS: reading: engine stuck (state %#x)",
				 st_);
			rc = fail(ctx, -EPROTO);
		}
		if (rc < 0)
			return rc;
		/* progress: the per-wait timeout starts again */
		deadline = deadline_from(st->timeout_ms);
	}
}

static ssize_t
tls_write(struct stream *st, const void *buf, size_t len)
{
	struct tls_ctx *ctx = CTX(st);
	const unsigned char *p = buf;
	size_t done = 0;
	int64_t deadline;
	unsigned st_;
	int rc = 0;

	if (ctx->rc)
		return ctx->rc;
	if (!ctx->open || ctx->eof) {
		snprintf(ctx->err, sizeof(ctx->err), "TLS: writing: session is closed");
		return -EPIPE;
	}
	deadline = deadline_from(st->timeout_ms);
	while (done < len) {
		st_ = br_ssl_engine_current_state(ctx->eng);
		if (st_ == BR_SSL_CLOSED) {
			rc = closed(ctx);
			if (rc == 0) {
				snprintf(ctx->err, sizeof(ctx->err),
					 "TLS: writing: the %s closed the session", peer_of(ctx));
				rc = -EPIPE;
			}
			return rc;
		}
		if (st_ & BR_SSL_SENDAPP) {
			size_t n;
			unsigned char *q = br_ssl_engine_sendapp_buf(ctx->eng, &n);

			if (n > len - done)
				n = len - done;
			memcpy(q, p + done, n);
			br_ssl_engine_sendapp_ack(ctx->eng, n);
			done += n;
			continue;
		}
		if (st_ & BR_SSL_SENDREC)
			rc = send_records(ctx, deadline);
		else if (st_ & BR_SSL_RECVREC)
			rc = recv_records(ctx, deadline, "writing");
		else {
			/* unread application data blocks the engine */
			snprintf(ctx->err, sizeof(ctx->err),
				 "TLS: writing: the %s sent data that was not read first",
				 peer_of(ctx));
			rc = fail(ctx, -EPROTO);
		}
		if (rc < 0)
			return rc;
		deadline = deadline_from(st->timeout_ms);
	}
	return (ssize_t)len;
}

static int
tls_flush(struct stream *st)
{
	struct tls_ctx *ctx = CTX(st);
	int64_t deadline;
	int rc;

	if (ctx->rc)
		return ctx->rc;
	if (!ctx->open || ctx->eof)
		return 0;
	br_ssl_engine_flush(ctx->eng, 0);
	deadline = deadline_from(st->timeout_ms);
	while (br_ssl_engine_current_state(ctx->eng) & BR_SSL_SENDREC) {
		if ((rc = send_records(ctx, deadline)) < 0)
			return rc;
		deadline = deadline_from(st->timeout_ms);
	}
	if (br_ssl_engine_current_state(ctx->eng) == BR_SSL_CLOSED)
		return closed(ctx);
	return 0;
}

static void
tls_close(struct stream *st)
{
	struct tls_ctx *ctx = CTX(st);
	int64_t deadline;

	if (ctx->fd < 0)
		return;
	if (ctx->open && !ctx->rc && !ctx->eof &&
	    br_ssl_engine_current_state(ctx->eng) != BR_SSL_CLOSED) {
		/* close_notify: push it out, do not wait for the peer's */
		br_ssl_engine_close(ctx->eng);
		deadline = deadline_from(st->timeout_ms);
		while (br_ssl_engine_current_state(ctx->eng) & BR_SSL_SENDREC)
			if (send_records(ctx, deadline) < 0)
				break;
	}
	ctx->open = false;
	close(ctx->fd);
	ctx->fd = -1;
}

/* ---- handshake -------------------------------------------------------- */

void
tls_engine_bind(struct tls_ctx *ctx, bool server, br_ssl_engine_context *eng, int timeout_ms)
{
	ctx->s.read = tls_read;
	ctx->s.write = tls_write;
	ctx->s.flush = tls_flush;
	ctx->s.close = tls_close;
	ctx->s.timeout_ms = timeout_ms;
	ctx->fd = -1;
	ctx->server = server;
	ctx->open = false;
	ctx->eof = false;
	ctx->rc = 0;
	ctx->err[0] = 0;
	ctx->eng = eng;
}

int
tls_engine_handshake(struct tls_ctx *ctx, int timeout_ms, char err[TLS_ERR_MAX])
{
	int64_t deadline = deadline_from(timeout_ms);
	unsigned st;
	int rc = 0, one = 1;

	/* we write whole flights and flushed data ourselves: no Nagle delay
	 * (fails harmlessly on a socket that is not TCP) */
	setsockopt(ctx->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		st = br_ssl_engine_current_state(ctx->eng);
		if (st == BR_SSL_CLOSED) {
			if ((rc = closed(ctx)) == 0) {
				snprintf(ctx->err, sizeof(ctx->err),
					 "TLS: the %s closed the session during the handshake",
					 peer_of(ctx));
				rc = ctx->rc = -ECONNRESET;
			}
			break;
		}
		if (st & BR_SSL_SENDREC) {
			if ((rc = send_records(ctx, deadline)) < 0)
				break;
			continue;
		}
		if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) {
			ctx->open = true;
			break;
		}
		if (st & BR_SSL_RECVREC) {
			if ((rc = recv_records(ctx, deadline, "handshake")) < 0)
				break;
			continue;
		}
		snprintf(ctx->err, sizeof(ctx->err), "TLS: handshake: engine stuck (state %#x)", st);
		rc = fail(ctx, -EPROTO);
		break;
	}
	if (rc < 0) {
		if (timeout_ms > 0 && rc == -ETIMEDOUT)
			snprintf(ctx->err, sizeof(ctx->err),
				 "TLS: handshake with the %s: timed out after %d ms", peer_of(ctx),
				 timeout_ms);
		tls_seterr(err, "%s", ctx->err);
	}
	return rc;
}

/* ---- queries ---------------------------------------------------------- */

uint16_t
tls_suite(const struct tls_ctx *ctx)
{
	if (!ctx->eng || !ctx->open)
		return 0;
	return ctx->eng->session.cipher_suite;
}

const char *
tls_error(const struct tls_ctx *ctx)
{
	return ctx->err;
}

int
tls_peer_cert(const struct tls_ctx *ctx, const uint8_t **der, size_t *len)
{
	if (!ctx->server || !ctx->x509.peer.der_ok || ctx->x509.peer.der_len == 0)
		return -ENOENT;
	*der = ctx->x509.peer.der;
	*len = ctx->x509.peer.der_len;
	return 0;
}
