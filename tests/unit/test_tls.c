/*
 * Unit tests for dom0/tls: our BearSSL client and server against each other
 * (socketpairs, a forked server), against openssl s_server / s_client
 * (loopback only, started and stopped here), the policy (TLS 1.2, allowed
 * suites only), certificate failures with their BearSSL names, mutual TLS
 * through a struct signer, and the PEM loaders.
 *
 * Certificates are made with the openssl CLI in a temporary folder at
 * startup (tests/tls_fixture.h).  Forked servers never call cmocka: they
 * report through a pipe (struct srv_result).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tls_fixture.h"
#include "tls.h"

static char dir[64];

static const char *
P(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int i;
	char *b = bufs[i++ & 7];

	fixture_path(b, PATH_MAX, dir, name);
	return b;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
sha256(const void *data, size_t len, uint8_t out[32])
{
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, data, len);
	br_sha256_out(&h, out);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* ---- a test signer over a BearSSL soft key ---------------------------- */

struct test_signer {
	struct signer s;
	struct tls_key key;
	bool fail;
	int calls;
};

static int
ts_sign(struct signer *s, const uint8_t hash[32], uint8_t sig[SIGNER_SIG_LEN])
{
	struct test_signer *t = (struct test_signer *)s;

	t->calls++;
	if (t->fail)
		return -EIO;
	if (br_ecdsa_i31_sign_raw(br_ec_get_default(), &br_sha256_vtable, hash, &t->key.ec,
				  sig) != SIGNER_SIG_LEN)
		return -EIO;
	return 0;
}

static void
ts_init(struct test_signer *t, const char *keyfile)
{
	char err[TLS_ERR_MAX];

	memset(t, 0, sizeof(*t));
	assert_int_equal(tls_key_load(&t->key, P(keyfile), err), 0);
	assert_int_equal(t->key.type, BR_KEYTYPE_EC);
	assert_int_equal(br_ec_compute_pub(br_ec_get_default(), NULL, t->s.pub, &t->key.ec),
			 SIGNER_PUB_LEN);
	t->s.sign = ts_sign;
}

/* ---- our server in a child process ------------------------------------ */

enum srv_mode {
	SRV_ECHO_LINE, /* greet, echo one line, close_notify */
	SRV_ECHO_ALL,  /* greet, echo until the client's close_notify */
	SRV_ABORT,     /* greet, then close the socket without close_notify */
};

struct srv_cfg {
	const char *chain, *key; /* file names in dir */
	bool want_cert;
	bool cache;
	enum srv_mode mode;
	int naccept; /* TCP: connections to serve */
	bool optional_cert;
};

struct srv_result {
	int rc; /* first failing open, else 0 */
	char err[TLS_ERR_MAX];
	uint16_t suite;
	bool has_cert;
	uint8_t cert_hash[32];
	int end_rc;    /* last read: 0 = the client's close_notify */
	int nserved;
};

static struct tls_ctx child_ctx; /* 45 KB: not on the stack */

static void
serve_one(int fd, const struct srv_cfg *cfg, struct tls_chain *chain, struct tls_key *key,
	  struct tls_session_cache *cache, struct srv_result *r)
{
	struct tls_server_opts o = {
		.chain = chain, .key = key, .want_client_cert = cfg->want_cert,
		.client_cert_optional = cfg->optional_cert,
		.cache = cfg->cache ? cache : NULL, .timeout_ms = 10000,
	};
	struct stream *s = &child_ctx.s;
	char greet[128], hx[65] = "none", line[4096];
	const uint8_t *der;
	size_t derlen, n = 0;
	ssize_t k;
	int rc;

	rc = tls_server_open_opts(&child_ctx, fd, &o, r->err);
	if (rc < 0) {
		if (!r->rc)
			r->rc = rc;
		close(fd);
		return;
	}
	r->nserved++;
	r->suite = tls_suite(&child_ctx);
	if (tls_peer_cert(&child_ctx, &der, &derlen) == 0) {
		r->has_cert = true;
		sha256(der, derlen, r->cert_hash);
		hex(r->cert_hash, 32, hx);
	}
	snprintf(greet, sizeof(greet), "hello suite=%04x cert=%s\n", r->suite, hx);
	if (s->write(s, greet, strlen(greet)) < 0 || s->flush(s) < 0)
		goto out;
	if (cfg->mode == SRV_ABORT) {
		close(child_ctx.fd); /* no close_notify */
		child_ctx.fd = -1;
		return;
	}
	for (;;) {
		k = s->read(s, line + n, cfg->mode == SRV_ECHO_LINE ? 1 : sizeof(line) - n);
		if (k <= 0) {
			r->end_rc = (int)k;
			if (k < 0)
				snprintf(r->err, sizeof(r->err), "%s", tls_error(&child_ctx));
			break;
		}
		if (cfg->mode == SRV_ECHO_ALL) {
			if (s->write(s, line, (size_t)k) < 0)
				break;
			continue;
		}
		n += (size_t)k;
		if (line[n - 1] == '\n' || n == sizeof(line)) {
			if (s->write(s, line, n) < 0 || s->flush(s) < 0)
				break;
			break;
		}
	}
out:
	s->close(s);
}

static void
child_load(const struct srv_cfg *cfg, struct tls_chain *chain, struct tls_key *key,
	   struct tls_session_cache *cache)
{
	char err[TLS_ERR_MAX];

	if (tls_chain_load(chain, P(cfg->chain), err) < 0 || tls_key_load(key, P(cfg->key), err) < 0 ||
	    tls_session_cache_init(cache, 16384, err) < 0) {
		fprintf(stderr, "server child: %s\n", err);
		_exit(3);
	}
}

/* Serves one connection on fd in a child (which closes other, the client's
 * end); the result comes through *resfd. */
static pid_t
spawn_server_fd(int fd, int other, const struct srv_cfg *cfg, int *resfd)
{
	int pp[2];
	pid_t pid;

	assert_int_equal(pipe(pp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct srv_result r = { 0 };
		struct tls_chain chain;
		struct tls_key key;
		struct tls_session_cache cache;

		close(pp[0]);
		close(other);
		child_load(cfg, &chain, &key, &cache);
		serve_one(fd, cfg, &chain, &key, &cache, &r);
		if (write(pp[1], &r, sizeof(r)) != sizeof(r))
			_exit(4);
		_exit(0);
	}
	close(pp[1]);
	close(fd);
	*resfd = pp[0];
	return pid;
}

/* Serves cfg->naccept TCP connections on 127.0.0.1:*port in a child. */
static pid_t
spawn_server_tcp(const struct srv_cfg *cfg, int *port, int *resfd)
{
	int pp[2], lfd = fixture_listen(port);
	pid_t pid;

	assert_true(lfd >= 0);
	assert_int_equal(pipe(pp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct srv_result r = { 0 };
		struct tls_chain chain;
		struct tls_key key;
		struct tls_session_cache cache;

		close(pp[0]);
		child_load(cfg, &chain, &key, &cache);
		for (int i = 0; i < (cfg->naccept ? cfg->naccept : 1); i++) {
			struct pollfd p = { .fd = lfd, .events = POLLIN };
			int fd;

			if (poll(&p, 1, 20000) != 1)
				break;
			if ((fd = accept(lfd, NULL, NULL)) < 0)
				break;
			serve_one(fd, cfg, &chain, &key, &cache, &r);
		}
		if (write(pp[1], &r, sizeof(r)) != sizeof(r))
			_exit(4);
		_exit(0);
	}
	close(pp[1]);
	close(lfd);
	*resfd = pp[0];
	return pid;
}

static void
collect(pid_t pid, int resfd, struct srv_result *r)
{
	int st;

	memset(r, 0, sizeof(*r));
	assert_int_equal(read(resfd, r, sizeof(*r)), (ssize_t)sizeof(*r));
	close(resfd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r->err[TLS_ERR_MAX - 1] = 0;
}

/* ---- our client ------------------------------------------------------- */

static struct tls_ctx cctx;

struct cli_cfg {
	const char *name;    /* server name; NULL: "localhost" */
	const char *anchors; /* file; NULL: ca.pem */
	struct test_signer *signer; /* with cli.pem */
	time_t now;
	int timeout_ms;
};

static int
client_open(int fd, const struct cli_cfg *c, struct tls_anchors *a, struct tls_chain *cli,
	    char err[TLS_ERR_MAX])
{
	struct tls_client_opts o = {
		.server_name = c->name ? c->name : "localhost",
		.anchors = a,
		.timeout_ms = c->timeout_ms ? c->timeout_ms : 10000,
		.now = c->now,
	};
	char e[TLS_ERR_MAX];

	assert_int_equal(tls_anchors_load(a, P(c->anchors ? c->anchors : "ca.pem"), e), 0);
	cli->certs = NULL;
	cli->n = 0;
	if (c->signer) {
		assert_int_equal(tls_chain_load(cli, P("cli.pem"), e), 0);
		o.client_chain = cli;
		o.client_signer = &c->signer->s;
	}
	return tls_client_open_opts(&cctx, fd, &o, err);
}

/* Reads one line (with its '\n') into buf: its length, or <= 0. */
static ssize_t
read_line(struct stream *s, char *buf, size_t sz)
{
	size_t n = 0;

	while (n + 1 < sz) {
		ssize_t k = s->read(s, buf + n, 1);

		if (k <= 0)
			return k;
		n++;
		if (buf[n - 1] == '\n')
			break;
	}
	buf[n] = 0;
	return (ssize_t)n;
}

static bool
allowed_suite(uint16_t s)
{
	for (size_t i = 0; i < 3; i++)
		if (tls_suites_ecdsa[i] == s)
			return true;
	return false;
}

/*
 * Our client against our server over a socketpair: returns the client's
 * open rc (err filled) and the server's result.  On success, the client
 * checks the greeting and does a line echo, then closes with close_notify.
 */
static int
pair_run(const struct cli_cfg *c, const struct srv_cfg *s, char err[TLS_ERR_MAX],
	 struct srv_result *r, char greeting[256])
{
	struct tls_anchors a;
	struct tls_chain cli;
	int sv[2], resfd, rc;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = spawn_server_fd(sv[1], sv[0], s, &resfd);
	rc = client_open(sv[0], c, &a, &cli, err);
	if (rc == 0) {
		struct stream *st = &cctx.s;

		assert_true(read_line(st, greeting, 256) > 0);
		assert_int_equal(st->write(st, "ping\n", 5), 5);
		assert_int_equal(st->flush(st), 0);
		char line[64];
		assert_int_equal(read_line(st, line, sizeof(line)), 5);
		assert_string_equal(line, "ping\n");
		st->close(st);
	} else {
		close(sv[0]);
	}
	collect(pid, resfd, r);
	tls_anchors_free(&a);
	tls_chain_free(&cli);
	return rc;
}

/* ---- setup ------------------------------------------------------------ */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test-tls.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return fixture_make_certs(dir, true);
}

static int
group_teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- loaders ---------------------------------------------------------- */

static void
test_anchors_load(void **state)
{
	struct tls_anchors a;
	char err[TLS_ERR_MAX];
	uint8_t *bundle;
	size_t n, total = 0;
	const char *parts[] = { "ca2.pem", "ca.pem", "rsaca.pem", "srv.pem" };
	char *all = malloc(65536);

	(void)state;
	assert_int_equal(tls_anchors_load(&a, P("ca.pem"), err), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.ta[0].flags & BR_X509_TA_CA, BR_X509_TA_CA);
	assert_int_equal(a.ta[0].pkey.key_type, BR_KEYTYPE_EC);
	assert_int_equal(a.ta[0].pkey.key.ec.curve, BR_EC_secp256r1);
	assert_int_equal(a.ta[0].pkey.key.ec.qlen, 65);
	assert_true(a.ta[0].dn.len > 10);
	tls_anchors_free(&a);
	assert_null(a.ta);

	/* several certificates in one file, a key in between is skipped */
	for (size_t i = 0; i < 4; i++) {
		bundle = slurp(P(parts[i]), &n);
		memcpy(all + total, bundle, n);
		total += n;
		free(bundle);
		if (i == 1) {
			bundle = slurp(P("cli.key"), &n);
			memcpy(all + total, bundle, n);
			total += n;
			free(bundle);
		}
	}
	assert_int_equal(tls_anchors_parse(&a, all, total, "bundle", err), 0);
	assert_int_equal(a.n, 4);
	assert_int_equal(a.ta[0].flags, BR_X509_TA_CA);
	assert_int_equal(a.ta[1].flags, BR_X509_TA_CA);
	assert_int_equal(a.ta[2].flags, BR_X509_TA_CA);
	assert_int_equal(a.ta[2].pkey.key_type, BR_KEYTYPE_RSA);
	assert_int_equal(a.ta[2].pkey.key.rsa.nlen, 256);
	assert_int_equal(a.ta[3].flags, 0); /* end-entity: direct trust only */
	tls_anchors_free(&a);

	/* no trailing newline still works */
	while (total && all[total - 1] == '\n')
		total--;
	assert_int_equal(tls_anchors_parse(&a, all, total, "bundle", err), 0);
	assert_int_equal(a.n, 4);
	tls_anchors_free(&a);
	free(all);
}

static void
test_anchors_errors(void **state)
{
	struct tls_anchors a;
	char err[TLS_ERR_MAX];
	uint8_t *pem, *der;
	size_t n, dn;
	char *bad;

	(void)state;
	assert_int_equal(tls_anchors_parse(&a, "", 0, "empty.pem", err), -ENOENT);
	assert_string_equal(err, "empty.pem: no CERTIFICATE in it");
	assert_int_equal(tls_anchors_parse(&a, "hello\n", 6, "x.pem", err), -ENOENT);

	assert_int_equal(tls_anchors_load(&a, P("missing.pem"), err), -ENOENT);
	assert_non_null(strstr(err, "missing.pem: No such file or directory"));

	bad = "-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n";
	assert_int_equal(tls_anchors_parse(&a, bad, strlen(bad), "bad.pem", err), -EINVAL);
	assert_string_equal(err, "bad.pem: PEM object 1 (CERTIFICATE): invalid base64 or framing");

	pem = slurp(P("ca.pem"), &n);
	/* no END line */
	n = (size_t)((uint8_t *)strstr((char *)pem, "-----END") - pem);
	assert_int_equal(tls_anchors_parse(&a, pem, n, "cut.pem", err), -EINVAL);
	assert_non_null(strstr(err, "has no END line"));
	free(pem);

	/* valid PEM around a truncated certificate: BearSSL's reason is named */
	der = slurp(P("cli.der"), &dn);
	{
		char b64[4096], obj[4200];
		size_t k = br_pem_encode(b64, der, dn / 2, "CERTIFICATE", 0);

		assert_true(k > 0 && k < sizeof(b64));
		memcpy(obj, b64, k);
		assert_int_equal(tls_anchors_parse(&a, obj, k, "half.pem", err), -EINVAL);
		assert_non_null(strstr(err, "half.pem: PEM object 1: bad certificate: "));
		assert_non_null(strstr(err, "(BR_ERR_X509_"));
	}
	free(der);

	/* bounds */
	bad = calloc(1, TLS_PEM_FILE_MAX + 1);
	assert_int_equal(tls_anchors_parse(&a, bad, TLS_PEM_FILE_MAX + 1, "big.pem", err), -E2BIG);
	memset(bad, 'A', TLS_PEM_FILE_MAX);
	spit(P("big.pem"), bad, TLS_PEM_FILE_MAX + 1);
	assert_int_equal(tls_anchors_load(&a, P("big.pem"), err), -E2BIG);
	assert_non_null(strstr(err, "larger than"));
	{
		/* one object larger than TLS_DER_MAX */
		size_t k = (size_t)snprintf(bad, 64, "-----BEGIN CERTIFICATE-----\n");

		for (size_t i = 0; i < 400; i++)
			k += (size_t)snprintf(bad + k, 80, "%s\n",
					      "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB");
		k += (size_t)snprintf(bad + k, 64, "-----END CERTIFICATE-----\n");
		assert_int_equal(tls_anchors_parse(&a, bad, k, "huge.pem", err), -E2BIG);
		assert_non_null(strstr(err, "is larger than 16384 bytes"));
	}
	free(bad);
}

static void
test_chain_and_keys(void **state)
{
	struct tls_chain c;
	struct tls_key k;
	char err[TLS_ERR_MAX];
	uint8_t *a, *b;
	size_t an, bn;

	(void)state;
	assert_int_equal(tls_chain_load(&c, P("srv.pem"), err), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.certs[0].data_len > 100);
	assert_int_equal(c.certs[0].data[0], 0x30);

	/* PKCS#8 EC key matching the chain */
	assert_int_equal(tls_key_load(&k, P("srv.key"), err), 0);
	assert_int_equal(k.type, BR_KEYTYPE_EC);
	assert_int_equal(k.ec.curve, BR_EC_secp256r1);
	assert_int_equal(k.ec.xlen, 32);
	assert_int_equal(tls_key_check_chain(&k, &c, err), 0);
	tls_key_free(&k);
	assert_null(k.buf);

	/* SEC1 EC key that is not the certificate's */
	assert_int_equal(tls_key_load(&k, P("ca.key"), err), 0);
	assert_int_equal(k.type, BR_KEYTYPE_EC);
	assert_int_equal(tls_key_check_chain(&k, &c, err), -EINVAL);
	assert_string_equal(err, "TLS: the private key does not match the certificate");
	tls_key_free(&k);
	tls_chain_free(&c);

	/* RSA */
	assert_int_equal(tls_key_load(&k, P("rsa.key"), err), 0);
	assert_int_equal(k.type, BR_KEYTYPE_RSA);
	assert_int_equal(k.rsa.n_bitlen, 2048);
	assert_int_equal(tls_chain_load(&c, P("rsa.pem"), err), 0);
	assert_int_equal(tls_key_check_chain(&k, &c, err), 0);
	tls_chain_free(&c);
	assert_int_equal(tls_chain_load(&c, P("srv.pem"), err), 0);
	assert_int_equal(tls_key_check_chain(&k, &c, err), -EINVAL);
	assert_non_null(strstr(err, "certificate's key is EC but the private key is RSA"));
	tls_chain_free(&c);
	tls_key_free(&k);

	/* encrypted: refused with the reason */
	assert_int_equal(tls_key_load(&k, P("enc.key"), err), -EINVAL);
	assert_non_null(strstr(err, "(ENCRYPTED PRIVATE KEY): not a supported private key "
				    "(encrypted keys are not supported)"));
	/* certificate only: no key */
	assert_int_equal(tls_key_load(&k, P("ca.pem"), err), -ENOENT);
	assert_non_null(strstr(err, "no private key in it"));
	/* two keys */
	a = slurp(P("srv.key"), &an);
	b = slurp(P("cli.key"), &bn);
	a = realloc(a, an + bn);
	memcpy(a + an, b, bn);
	assert_int_equal(tls_key_parse(&k, a, an + bn, "two.pem", err), -EINVAL);
	assert_non_null(strstr(err, "two.pem: more than one private key"));
	/* garbage inside a key object */
	{
		const char *g = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";

		assert_int_equal(tls_key_parse(&k, g, strlen(g), "g.pem", err), -EINVAL);
		assert_non_null(strstr(err, "g.pem: PEM object 1 (EC PRIVATE KEY): bad private key"));
	}
	free(a);
	free(b);
	/* a chain with the key and the cert in one file */
	a = slurp(P("srv.key"), &an);
	b = slurp(P("srv.pem"), &bn);
	a = realloc(a, an + bn);
	memcpy(a + an, b, bn);
	assert_int_equal(tls_chain_parse(&c, a, an + bn, "both.pem", err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(tls_key_parse(&k, a, an + bn, "both.pem", err), 0);
	assert_int_equal(tls_key_check_chain(&k, &c, err), 0);
	tls_key_free(&k);
	tls_chain_free(&c);
	free(a);
	free(b);
}

static void
test_error_names(void **state)
{
	char err[TLS_ERR_MAX];
	static const int codes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17,
				     18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 31, 32, 33,
				     34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,
				     49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 62 };

	(void)state;
	/* every BR_ERR_* of BearSSL 0.6 has a name and a meaning */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_non_null(tls_br_error_name(codes[i]));
		assert_non_null(tls_br_error_text(codes[i]));
	}
	assert_null(tls_br_error_name(11));
	assert_string_equal(tls_br_error_name(BR_ERR_X509_NOT_TRUSTED), "BR_ERR_X509_NOT_TRUSTED");
	tls_format_br_error(err, BR_ERR_X509_BAD_SERVER_NAME, "server");
	assert_string_equal(err, "TLS: server certificate: name mismatch (BR_ERR_X509_BAD_SERVER_NAME)");
	tls_format_br_error(err, BR_ERR_X509_EXPIRED, "client");
	assert_string_equal(err, "TLS: client certificate: expired or not yet valid (BR_ERR_X509_EXPIRED)");
	tls_format_br_error(err, BR_ERR_RECV_FATAL_ALERT + 70, "server");
	assert_string_equal(err, "TLS: server sent fatal alert 70 (protocol_version): the peer does "
				 "not speak TLS 1.2 (BR_ERR_RECV_FATAL_ALERT)");
	tls_format_br_error(err, BR_ERR_SEND_FATAL_ALERT + 40, "client");
	assert_string_equal(err, "TLS: we sent fatal alert 40 (handshake_failure) to the client: "
				 "no cipher suite, curve or signature algorithm in common "
				 "(BR_ERR_SEND_FATAL_ALERT)");
	tls_format_br_error(err, BR_ERR_SEND_FATAL_ALERT + 80, "server");
	assert_string_equal(err, "TLS: we sent fatal alert 80 (internal_error) to the server "
				 "(BR_ERR_SEND_FATAL_ALERT)");
	tls_format_br_error(err, BR_ERR_NO_CLIENT_AUTH, "client");
	assert_string_equal(err, "TLS: handshake with the client: client did not present a usable "
				 "certificate (BR_ERR_NO_CLIENT_AUTH)");
	tls_format_br_error(err, 99, "server");
	assert_string_equal(err, "TLS: unknown BearSSL error 99");
	assert_string_equal(tls_suite_name(BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
			    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_null(tls_suite_name(0x1301));
}

/* ---- policy: what the client offers ----------------------------------- */

struct hello {
	uint16_t record_version, client_version;
	uint8_t random[32];
	uint16_t suites[128];
	size_t nsuites;
	char sni[256];
	bool has_supported_versions;
};

static size_t
read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 10000) != 1)
			break;
		r = read(fd, b + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

#define GET16(p) ((uint16_t)((p)[0] << 8 | (p)[1]))

/* Captures and parses the ClientHello our client sends on a socketpair. */
static void
capture_hello(struct hello *h)
{
	uint8_t rec[5], body[16384], *p, *end;
	size_t len;
	int sv[2];
	pid_t pid;

	memset(h, 0, sizeof(*h));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tls_anchors a;
		char err[TLS_ERR_MAX];

		close(sv[1]);
		if (tls_anchors_load(&a, P("ca.pem"), err) < 0)
			_exit(3);
		/* fails when the parent hangs up: that is expected */
		tls_client_open(&cctx, sv[0], "localhost", &a, NULL, NULL, 5000, err);
		_exit(0);
	}
	close(sv[0]);
	assert_int_equal(read_full(sv[1], rec, 5), 5);
	assert_int_equal(rec[0], 22); /* handshake */
	h->record_version = GET16(rec + 1);
	len = GET16(rec + 3);
	assert_true(len <= sizeof(body));
	assert_int_equal(read_full(sv[1], body, len), len);
	close(sv[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);

	p = body;
	end = body + len;
	assert_int_equal(p[0], 1); /* ClientHello */
	p += 4;
	h->client_version = GET16(p);
	p += 2;
	memcpy(h->random, p, 32);
	p += 32;
	p += 1 + p[0]; /* session id */
	{
		size_t sl = GET16(p);

		p += 2;
		assert_true(sl % 2 == 0 && p + sl <= end);
		for (size_t i = 0; i < sl / 2 && h->nsuites < 128; i++)
			h->suites[h->nsuites++] = GET16(p + 2 * i);
		p += sl;
	}
	p += 1 + p[0]; /* compression */
	if (p + 2 > end)
		return;
	end = p + 2 + GET16(p);
	p += 2;
	while (p + 4 <= end) {
		uint16_t type = GET16(p), el = GET16(p + 2);
		uint8_t *e = p + 4;

		if (type == 0 && el > 5) { /* server_name: list, type 0, name */
			uint16_t nl = GET16(e + 3);

			assert_true(nl < sizeof(h->sni) && 5u + nl <= el);
			memcpy(h->sni, e + 5, nl);
		}
		if (type == 43)
			h->has_supported_versions = true;
		p = e + el;
	}
}

static void
test_client_hello_policy(void **state)
{
	struct hello h1, h2;
	size_t nreal = 0;

	(void)state;
	capture_hello(&h1);
	assert_int_equal(h1.client_version, 0x0303); /* TLS 1.2, nothing above */
	assert_false(h1.has_supported_versions);    /* no TLS 1.3 offer */
	assert_string_equal(h1.sni, "localhost");
	/* exactly the allowed suites, in our order; signalling values aside */
	for (size_t i = 0; i < h1.nsuites; i++) {
		if (h1.suites[i] == 0x00ff || h1.suites[i] == 0x5600)
			continue; /* EMPTY_RENEGOTIATION_INFO / FALLBACK SCSV */
		assert_true(nreal < 3);
		assert_int_equal(h1.suites[i], tls_suites_ecdsa[nreal]);
		nreal++;
	}
	assert_int_equal(nreal, 3);

	/* the random generator is seeded: two hellos never share a random */
	capture_hello(&h2);
	assert_memory_not_equal(h1.random, h2.random, 32);
}

static void
test_rng_seeder(void **state)
{
	const char *name = NULL;

	(void)state;
	/* BearSSL finds a system seeder (we also inject getrandom bytes) */
	assert_non_null(br_prng_seeder_system(&name));
	assert_non_null(name);
	assert_true(strlen(name) > 0);
}

/* ---- ours <-> ours ---------------------------------------------------- */

static const struct srv_cfg srv_plain = { "srv.pem", "srv.key", false, false, SRV_ECHO_LINE, 1, false };
static const struct srv_cfg srv_mutual = { "srv.pem", "srv.key", true, false, SRV_ECHO_LINE, 1,
					   false };
static const struct srv_cfg srv_optional = { "srv.pem", "srv.key", false, false, SRV_ECHO_LINE, 1,
					     true };

static void
test_ours_basic(void **state)
{
	struct cli_cfg c = { 0 };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.nserved, 1);
	/* server preference: AES-128-GCM first */
	assert_int_equal(r.suite, BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	assert_false(r.has_cert);
	assert_string_equal(greet, "hello suite=c02b cert=none\n");
}

static void
test_ours_bulk_and_close(void **state)
{
	struct srv_cfg s = srv_plain;
	struct tls_anchors a;
	struct tls_chain cli;
	struct srv_result r;
	struct cli_cfg c = { 0 };
	char err[TLS_ERR_MAX], greet[256];
	size_t N = 300000, got = 0;
	uint8_t *out = malloc(N), *in = malloc(N);
	int sv[2], resfd;
	pid_t pid;

	(void)state;
	for (size_t i = 0; i < N; i++)
		out[i] = (uint8_t)(i * 7 + i / 251);
	s.mode = SRV_ECHO_ALL;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = spawn_server_fd(sv[1], sv[0], &s, &resfd);
	assert_int_equal(client_open(sv[0], &c, &a, &cli, err), 0);
	assert_true(allowed_suite(tls_suite(&cctx)));
	assert_true(read_line(&cctx.s, greet, sizeof(greet)) > 0);
	/* write in odd pieces, reading the echo as we go (no deadlock) */
	for (size_t off = 0; off < N;) {
		size_t n = N - off < 7777 ? N - off : 7777;

		assert_int_equal(cctx.s.write(&cctx.s, out + off, n), (ssize_t)n);
		off += n;
		assert_int_equal(cctx.s.flush(&cctx.s), 0);
		while (got < off) {
			ssize_t k = cctx.s.read(&cctx.s, in + got, N - got);

			assert_true(k > 0);
			got += (size_t)k;
		}
	}
	assert_memory_equal(in, out, N);
	cctx.s.close(&cctx.s); /* close_notify */
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, 0);
	if (r.end_rc != 0) /* the server saw a clean end */
		fail_msg("server: %d %s", r.end_rc, r.err);
	tls_anchors_free(&a);
	free(in);
	free(out);
}

static void
test_truncation_detected(void **state)
{
	struct srv_cfg s = srv_plain;
	struct tls_anchors a;
	struct tls_chain cli;
	struct srv_result r;
	struct cli_cfg c = { 0 };
	char err[TLS_ERR_MAX], greet[256], b[16];
	int sv[2], resfd;
	pid_t pid;

	(void)state;
	s.mode = SRV_ABORT;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = spawn_server_fd(sv[1], sv[0], &s, &resfd);
	assert_int_equal(client_open(sv[0], &c, &a, &cli, err), 0);
	assert_true(read_line(&cctx.s, greet, sizeof(greet)) > 0);
	/* the peer closed the socket without close_notify: not a clean EOF */
	assert_int_equal(cctx.s.read(&cctx.s, b, sizeof(b)), -ECONNRESET);
	assert_non_null(strstr(tls_error(&cctx), "without close_notify (data may be truncated)"));
	assert_int_equal(cctx.s.read(&cctx.s, b, sizeof(b)), -ECONNRESET); /* sticky */
	cctx.s.close(&cctx.s);
	collect(pid, resfd, &r);
	tls_anchors_free(&a);
}

static void
test_server_name_mismatch(void **state)
{
	struct cli_cfg c = { .name = "controller.example.org" };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), -EPROTO);
	assert_string_equal(err, "TLS: server certificate: name mismatch (BR_ERR_X509_BAD_SERVER_NAME)");
	assert_string_equal(tls_error(&cctx), err);
	assert_true(r.rc < 0); /* the server saw the refusal too */
	/* an IP address is no DNS name: BearSSL never matches it */
	c.name = "127.0.0.1";
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), -EPROTO);
	assert_non_null(strstr(err, "BR_ERR_X509_BAD_SERVER_NAME"));
}

static void
test_unknown_root(void **state)
{
	struct cli_cfg c = { .anchors = "ca2.pem" };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), -EPROTO);
	assert_string_equal(err, "TLS: server certificate: not signed by a trusted root (unknown "
				 "root) (BR_ERR_X509_NOT_TRUSTED)");
}

static void
test_expired_and_not_yet_valid(void **state)
{
	struct cli_cfg c = { .now = time(NULL) + 400 * 86400 }; /* cert: 365 days */
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), -EPROTO);
	assert_string_equal(err, "TLS: server certificate: expired or not yet valid (BR_ERR_X509_EXPIRED)");
	c.now = 978307200; /* 2001-01-01 */
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), -EPROTO);
	assert_non_null(strstr(err, "(BR_ERR_X509_EXPIRED)"));
	/* and the same chain at a time inside its validity passes */
	c.now = time(NULL) + 300 * 86400;
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), 0);
}

static void
test_rsa_anchor_and_pinned_cert(void **state)
{
	struct srv_cfg s = srv_plain;
	struct cli_cfg c = { .anchors = "rsaca.pem" };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	/* EC server certificate issued by an RSA root */
	s.chain = "srv-rsaca.pem";
	assert_int_equal(pair_run(&c, &s, err, &r, greet), 0);
	/* the server's own certificate as a non-CA anchor: direct trust */
	c.anchors = "srv.pem";
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), 0);
	/* but that anchor trusts nothing else */
	s.chain = "srv-rsaca.pem";
	c.anchors = "cli.pem";
	assert_int_equal(pair_run(&c, &s, err, &r, greet), -EPROTO);
	assert_non_null(strstr(err, "BR_ERR_X509_NOT_TRUSTED"));
}

static void
test_rsa_server_refused_by_client(void **state)
{
	struct srv_cfg s = { "rsa.pem", "rsa.key", false, false, SRV_ECHO_LINE, 1, false };
	struct cli_cfg c = { 0 };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	/* our RSA server offers only ECDHE-RSA: our client only ECDHE-ECDSA */
	assert_int_equal(pair_run(&c, &s, err, &r, greet), -EPROTO);
	assert_non_null(strstr(err, "handshake_failure"));
	assert_int_equal(r.rc, -EPROTO);
	assert_string_equal(r.err, "TLS: we sent fatal alert 40 (handshake_failure) to the client: "
				   "no cipher suite, curve or signature algorithm in common "
				   "(BR_ERR_SEND_FATAL_ALERT)");
}

static void
test_timeout_and_hangup(void **state)
{
	struct tls_anchors a;
	char err[TLS_ERR_MAX];
	int sv[2];

	(void)state;
	assert_int_equal(tls_anchors_load(&a, P("ca.pem"), err), 0);
	/* a peer that never answers */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(tls_client_open(&cctx, sv[0], "localhost", &a, NULL, NULL, 200, err),
			 -ETIMEDOUT);
	assert_string_equal(err, "TLS: handshake with the server: timed out after 200 ms");
	assert_int_equal(cctx.fd, -1); /* fd stays the caller's */
	cctx.s.close(&cctx.s);          /* harmless after a failed open */
	assert_int_equal(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
	close(sv[1]);
	/* a peer that hangs up */
	assert_int_equal(tls_client_open(&cctx, sv[0], "localhost", &a, NULL, NULL, 2000, err),
			 -ECONNRESET);
	if (!strstr(err, "connection closed by the server"))
		fail_msg("got \"%s\"", err);
	close(sv[0]);
	/* bad arguments */
	assert_int_equal(tls_client_open(&cctx, 5, NULL, &a, NULL, NULL, 0, err), -EINVAL);
	assert_int_equal(tls_client_open(&cctx, 5, "", &a, NULL, NULL, 0, err), -EINVAL);
	tls_anchors_free(&a);
}

/* ---- mutual TLS through a signer -------------------------------------- */

/* One listener for v2 (no client certificate) and v1 (mutual TLS): the
 * server asks for a certificate and takes the session either way. */
static void
test_optional_client_cert(void **state)
{
	struct test_signer ts;
	struct cli_cfg none = { 0 }, with = { .signer = &ts };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	if (pair_run(&none, &srv_optional, err, &r, greet) != 0)
		fail_msg("client: %s; server: %s", err, r.err);
	assert_int_equal(r.rc, 0);
	assert_false(r.has_cert);
	ts_init(&ts, "cli.key");
	assert_int_equal(pair_run(&with, &srv_optional, err, &r, greet), 0);
	assert_true(r.has_cert);
	assert_int_equal(ts.calls, 1);
	tls_key_free(&ts.key);
}

static void
test_mutual_ours(void **state)
{
	struct test_signer ts;
	struct cli_cfg c = { .signer = &ts };
	struct srv_result r;
	char err[TLS_ERR_MAX], greet[256], hx[65], want[128];
	uint8_t *der, h[32];
	size_t dn;

	(void)state;
	ts_init(&ts, "cli.key");
	assert_int_equal(pair_run(&c, &srv_mutual, err, &r, greet), 0);
	assert_int_equal(ts.calls, 1); /* the key was used through the signer */
	der = slurp(P("cli.der"), &dn);
	sha256(der, dn, h);
	/* the server recorded exactly the certificate presented */
	assert_true(r.has_cert);
	assert_memory_equal(r.cert_hash, h, 32);
	hex(h, 32, hx);
	snprintf(want, sizeof(want), "hello suite=c02b cert=%s\n", hx);
	assert_string_equal(greet, want);
	free(der);
	tls_key_free(&ts.key);
}

static void
test_mutual_failures(void **state)
{
	struct test_signer ts;
	struct cli_cfg c = { 0 };
	struct srv_result r;
	struct tls_anchors a;
	struct tls_chain cli;
	char err[TLS_ERR_MAX], greet[256];

	(void)state;
	/* no client certificate where one is required */
	assert_true(pair_run(&c, &srv_mutual, err, &r, greet) < 0);
	assert_int_equal(r.rc, -EPROTO);
	assert_string_equal(r.err, "TLS: handshake with the client: client did not present a "
				   "usable certificate (BR_ERR_NO_CLIENT_AUTH)");

	/* the signer fails: the handshake stops, the message says why */
	ts_init(&ts, "cli.key");
	ts.fail = true;
	c.signer = &ts;
	assert_true(pair_run(&c, &srv_mutual, err, &r, greet) < 0);
	assert_non_null(strstr(err, "TLS: client certificate: the signer failed (Input/output error)"));
	assert_true(r.rc < 0);
	tls_key_free(&ts.key);

	/* a signer whose key is not the certificate's: refused before connecting */
	ts_init(&ts, "srv.key");
	assert_int_equal(client_open(77, &c, &a, &cli, err), -EINVAL);
	assert_string_equal(err, "TLS: client certificate: its key is not the signer's P-256 key");
	assert_int_equal(ts.calls, 0);
	tls_anchors_free(&a);
	tls_chain_free(&cli);
	tls_key_free(&ts.key);

	/* a server that does not ask: no certificate, no signature */
	ts_init(&ts, "cli.key");
	assert_int_equal(pair_run(&c, &srv_plain, err, &r, greet), 0);
	assert_int_equal(ts.calls, 0);
	assert_false(r.has_cert);
	tls_key_free(&ts.key);
}

/* ---- against openssl s_server ----------------------------------------- */

/* Our client to s_server -www: GET /, the whole page into page (NUL-ended). */
static int
get_from_s_server(int port, const struct cli_cfg *c, char err[TLS_ERR_MAX], char *page,
		  size_t pagesz, uint16_t *suite, ssize_t *end)
{
	struct tls_anchors a;
	struct tls_chain cli;
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	size_t n = 0;
	ssize_t k;
	int fd = fixture_connect(port), rc;

	assert_true(fd >= 0);
	rc = client_open(fd, c, &a, &cli, err);
	tls_anchors_free(&a);
	tls_chain_free(&cli);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*suite = tls_suite(&cctx);
	assert_int_equal(cctx.s.write(&cctx.s, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	assert_int_equal(cctx.s.flush(&cctx.s), 0);
	while ((k = cctx.s.read(&cctx.s, page + n, pagesz - 1 - n)) > 0)
		n += (size_t)k;
	page[n] = 0;
	*end = k;
	cctx.s.close(&cctx.s);
	return 0;
}

static char page[1 << 17];

static void
test_openssl_server_basic(void **state)
{
	const char *args[] = { "-cert", "srv.pem", "-key", "srv.key", "-tls1_2", "-www", NULL };
	struct cli_cfg c = { 0 };
	char err[TLS_ERR_MAX];
	uint16_t suite;
	ssize_t end;
	int port;
	pid_t pid;

	(void)state;
	pid = fixture_s_server(dir, args, &port);
	assert_true(pid > 0);
	assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), 0);
	assert_true(allowed_suite(suite));
	assert_int_equal(strncmp(page, "HTTP/1.0 200 ok\r\n", 17), 0);
	assert_non_null(strstr(page, "TLSv1.2"));
	assert_int_equal(end, 0); /* s_server ends with close_notify */
	/* and the failure cases against the same server */
	c.name = "wrong.example";
	assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), -EPROTO);
	assert_string_equal(err, "TLS: server certificate: name mismatch (BR_ERR_X509_BAD_SERVER_NAME)");
	c.name = NULL;
	c.anchors = "ca2.pem";
	assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), -EPROTO);
	assert_non_null(strstr(err, "(BR_ERR_X509_NOT_TRUSTED)"));
	c.anchors = NULL;
	c.now = time(NULL) + 3 * 365 * 86400;
	assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), -EPROTO);
	assert_non_null(strstr(err, "(BR_ERR_X509_EXPIRED)"));
	fixture_stop(pid);
}

/* Each allowed suite, forced by the server, is negotiated; with a broad list
 * in server order, what is picked is still one of ours. */
static void
test_openssl_server_suites(void **state)
{
	static const struct {
		const char *ossl;
		uint16_t suite;
	} want[] = {
		{ "ECDHE-ECDSA-AES128-GCM-SHA256", BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 },
		{ "ECDHE-ECDSA-AES256-GCM-SHA384", BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 },
		{ "ECDHE-ECDSA-CHACHA20-POLY1305", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 },
		{ "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:"
		  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ALL",
		  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 },
	};
	struct cli_cfg c = { 0 };
	char err[TLS_ERR_MAX];
	uint16_t suite;
	ssize_t end;
	int port;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *args[] = { "-cert", "srv.pem", "-key", "srv.key", "-tls1_2",
				       "-serverpref", "-cipher", want[i].ossl, "-www", NULL };
		pid_t pid = fixture_s_server(dir, args, &port);

		assert_true(pid > 0);
		assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), 0);
		assert_int_equal(suite, want[i].suite);
		assert_true(allowed_suite(suite));
		fixture_stop(pid);
	}
}

static void
test_openssl_server_refusals(void **state)
{
	static const struct {
		const char *args[12];
		const char *want;
	} cases[] = {
		/* a TLS 1.3-only server */
		{ { "-cert", "srv.pem", "-key", "srv.key", "-tls1_3", "-www", NULL },
		  "TLS: server sent fatal alert 70 (protocol_version): the peer does not speak "
		  "TLS 1.2 (BR_ERR_RECV_FATAL_ALERT)" },
		/* CBC suites only */
		{ { "-cert", "srv.pem", "-key", "srv.key", "-tls1_2", "-cipher",
		    "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384", "-www", NULL },
		  "TLS: server sent fatal alert 40 (handshake_failure): no cipher suite" },
		/* an RSA certificate only */
		{ { "-cert", "rsa.pem", "-key", "rsa.key", "-tls1_2", "-www", NULL },
		  "TLS: server sent fatal alert 40 (handshake_failure): no cipher suite" },
		/* TLS 1.1 at most */
		{ { "-cert", "srv.pem", "-key", "srv.key", "-tls1_1", "-cipher", "ALL:@SECLEVEL=0",
		    "-www", NULL },
		  "TLS: server sent fatal alert 40 (handshake_failure)" },
	};
	struct cli_cfg c = { 0 };
	char err[TLS_ERR_MAX];
	uint16_t suite;
	ssize_t end;
	int port;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = fixture_s_server(dir, cases[i].args, &port);

		assert_true(pid > 0);
		assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end),
				 -EPROTO);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].want);
		fixture_stop(pid);
	}
}

static void
test_openssl_server_mutual(void **state)
{
	const char *args[] = { "-cert", "srv.pem", "-key", "srv.key", "-tls1_2", "-www",
			       "-Verify", "1", "-CAfile", "cli.pem", NULL };
	struct test_signer ts;
	struct cli_cfg c = { .signer = &ts };
	char err[TLS_ERR_MAX];
	uint16_t suite;
	ssize_t end;
	int port;
	pid_t pid;

	(void)state;
	ts_init(&ts, "cli.key");
	pid = fixture_s_server(dir, args, &port);
	assert_true(pid > 0);
	assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), 0);
	assert_int_equal(ts.calls, 1);
	/* s_server verified our certificate (against cli.pem) and shows it */
	assert_non_null(strstr(page, "device-test"));
	/* without a certificate, s_server refuses */
	c.signer = NULL;
	assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end), -EPROTO);
	assert_non_null(strstr(err, "TLS: server sent fatal alert"));
	fixture_stop(pid);

	/* a server that accepts only ECDSA with SHA-384 from clients: a P-256
	 * device key signs SHA-256 only, so no certificate is sent, and the
	 * message says so */
	{
		const char *a384[] = { "-cert", "srv.pem", "-key", "srv.key", "-tls1_2", "-www",
				       "-Verify", "1", "-CAfile", "cli.pem",
				       "-client_sigalgs", "ECDSA+SHA384", NULL };

		c.signer = &ts;
		ts.calls = 0;
		pid = fixture_s_server(dir, a384, &port);
		assert_true(pid > 0);
		assert_int_equal(get_from_s_server(port, &c, err, page, sizeof(page), &suite, &end),
				 -EPROTO);
		assert_non_null(strstr(err, "TLS: client certificate: the server accepts no ECDSA "
					    "signature with SHA-256 for the client certificate, so "
					    "none was sent; then: TLS: server sent fatal alert"));
		assert_int_equal(ts.calls, 0);
		fixture_stop(pid);
	}
	tls_key_free(&ts.key);
}

/* ---- openssl s_client against our server ------------------------------ */

static int
s_client(int port, const char *extra, const char *input, char *out, size_t outsz)
{
	char cmd[1024];
	uint8_t *o;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf '%s' | timeout 20 openssl s_client -connect 127.0.0.1:%d "
		 "-servername localhost -CAfile ca.pem -verify_return_error -ign_eof %s "
		 ">s_client.out 2>&1",
		 dir, input, port, extra);
	st = system(cmd);
	o = slurp(P("s_client.out"), &n);
	snprintf(out, outsz, "%s", (char *)o);
	free(o);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char sout[1 << 16];

static void
test_openssl_client(void **state)
{
	struct srv_cfg s = srv_plain;
	struct srv_result r;
	int port, resfd;
	pid_t pid;

	(void)state;
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_equal(s_client(port, "-brief -tls1_2", "ping\\n", sout, sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(sout, "Protocol version: TLSv1.2"));
	assert_non_null(strstr(sout, "Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256"));
	assert_non_null(strstr(sout, "Verification: OK"));
	assert_non_null(strstr(sout, "hello suite=c02b cert=none"));
	assert_non_null(strstr(sout, "\nping\n"));
}

static void
test_openssl_client_mutual(void **state)
{
	struct srv_cfg s = srv_mutual;
	struct srv_result r;
	uint8_t *der, h[32];
	size_t dn;
	int port, resfd;
	pid_t pid;

	(void)state;
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_equal(s_client(port, "-brief -cert cli.pem -key cli.key", "ping\\n", sout,
				  sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, 0);
	der = slurp(P("cli.der"), &dn);
	sha256(der, dn, h);
	assert_true(r.has_cert);
	assert_memory_equal(r.cert_hash, h, 32);
	free(der);

	/* no certificate: our server refuses, naming BearSSL's reason */
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_not_equal(s_client(port, "-brief", "ping\\n", sout, sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, -EPROTO);
	assert_non_null(strstr(r.err, "(BR_ERR_NO_CLIENT_AUTH)"));
}

static void
test_openssl_client_refusals(void **state)
{
	static const struct {
		const char *args;
		const char *want;
	} cases[] = {
		/* TLS 1.3 suites only: nothing in common */
		{ "-tls1_3", "fatal alert 40 (handshake_failure) to the client: no cipher suite" },
		{ "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384",
		  "fatal alert 40 (handshake_failure) to the client: no cipher suite" },
		{ "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256",
		  "fatal alert 40 (handshake_failure) to the client: no cipher suite" },
		{ "-tls1_1 -cipher ALL:@SECLEVEL=0",
		  "TLS: we sent fatal alert 70 (protocol_version) to the client: the peer does not "
		  "speak TLS 1.2 (BR_ERR_SEND_FATAL_ALERT)" },
	};
	struct srv_cfg s = srv_plain;
	struct srv_result r;
	int port, resfd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = spawn_server_tcp(&s, &port, &resfd);

		assert_int_not_equal(s_client(port, cases[i].args, "ping\\n", sout, sizeof(sout)), 0);
		collect(pid, resfd, &r);
		assert_true(r.rc < 0);
		if (!strstr(r.err, cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, r.err, cases[i].want);
	}
}

static void
test_openssl_client_rsa_server(void **state)
{
	struct srv_cfg s = { "rsa.pem", "rsa.key", false, false, SRV_ECHO_LINE, 1, false };
	struct srv_result r;
	int port, resfd;
	pid_t pid;

	(void)state;
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_equal(s_client(port, "-brief", "ping\\n", sout, sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.suite, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
	assert_non_null(strstr(sout, "Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256"));
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void
test_session_cache(void **state)
{
	struct srv_cfg s = srv_plain;
	struct srv_result r;
	int port, resfd;
	pid_t pid;

	(void)state;
	/* s_client -reconnect: 1 full handshake and 5 resumptions */
	s.cache = true;
	s.naccept = 6;
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_equal(s_client(port, "-tls1_2 -reconnect -no_ticket", "ping\\n", sout,
				  sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.nserved, 6);
	assert_int_equal(count(sout, "Reused, TLSv1.2"), 5);

	/* no cache: every handshake is a full one */
	s.cache = false;
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_equal(s_client(port, "-tls1_2 -reconnect -no_ticket", "ping\\n", sout,
				  sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(count(sout, "Reused, TLSv1.2"), 0);

	/* with client certificates the cache is never used: each connection
	 * presents its certificate */
	s = srv_mutual;
	s.cache = true;
	s.naccept = 6;
	pid = spawn_server_tcp(&s, &port, &resfd);
	assert_int_equal(s_client(port, "-tls1_2 -reconnect -no_ticket -cert cli.pem -key cli.key",
				  "ping\\n", sout, sizeof(sout)), 0);
	collect(pid, resfd, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.nserved, 6);
	assert_int_equal(count(sout, "Reused, TLSv1.2"), 0);
	assert_true(r.has_cert);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchors_load),
		cmocka_unit_test(test_anchors_errors),
		cmocka_unit_test(test_chain_and_keys),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_client_hello_policy),
		cmocka_unit_test(test_rng_seeder),
		cmocka_unit_test(test_ours_basic),
		cmocka_unit_test(test_ours_bulk_and_close),
		cmocka_unit_test(test_truncation_detected),
		cmocka_unit_test(test_server_name_mismatch),
		cmocka_unit_test(test_unknown_root),
		cmocka_unit_test(test_expired_and_not_yet_valid),
		cmocka_unit_test(test_rsa_anchor_and_pinned_cert),
		cmocka_unit_test(test_rsa_server_refused_by_client),
		cmocka_unit_test(test_timeout_and_hangup),
		cmocka_unit_test(test_mutual_ours),
		cmocka_unit_test(test_optional_client_cert),
		cmocka_unit_test(test_mutual_failures),
		cmocka_unit_test(test_openssl_server_basic),
		cmocka_unit_test(test_openssl_server_suites),
		cmocka_unit_test(test_openssl_server_refusals),
		cmocka_unit_test(test_openssl_server_mutual),
		cmocka_unit_test(test_openssl_client),
		cmocka_unit_test(test_openssl_client_mutual),
		cmocka_unit_test(test_openssl_client_refusals),
		cmocka_unit_test(test_openssl_client_rsa_server),
		cmocka_unit_test(test_session_cache),
	};

	return cmocka_run_group_tests_name("tls", tests, group_setup, group_teardown);
}
