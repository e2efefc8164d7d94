/*
 * tls: loading trust anchors, certificate chains and private keys from PEM
 * (bytes in, structures out; the _load variants read a bounded file first).
 * See tls.h.
 */
#include "tls_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
tls_seterr(char err[TLS_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, TLS_ERR_MAX, fmt, ap);
	va_end(ap);
}

/* ---- PEM objects ------------------------------------------------------ */

/* Called once per complete object the caller asked for: 0 to go on, or
 * -errno (err filled) to stop.  idx counts every object from 1. */
typedef int (*pem_obj_fn)(void *arg, const char *objname, unsigned idx,
			  const unsigned char *der, size_t len, char err[TLS_ERR_MAX]);
/* Whether the caller wants the object's bytes. */
typedef bool (*pem_want_fn)(const char *objname);

struct derbuf {
	unsigned char *p; /* TLS_DER_MAX bytes */
	size_t len;
	bool overflow;
};

static void
der_append(void *ctx, const void *src, size_t len)
{
	struct derbuf *d = ctx;

	if (d->overflow || len > TLS_DER_MAX - d->len) {
		d->overflow = true;
		return;
	}
	memcpy(d->p + d->len, src, len);
	d->len += len;
}

static int
pem_each(const void *pem, size_t len, const char *name, pem_want_fn want,
	 pem_obj_fn fn, void *arg, char err[TLS_ERR_MAX])
{
	br_pem_decoder_context pc;
	struct derbuf d = { 0 };
	const unsigned char *p = pem;
	char objname[sizeof(pc.name)] = "";
	bool inobj = false, wanted = false, nl_done = false;
	unsigned idx = 0;
	size_t off = 0;
	int rc = 0;

	if (len > TLS_PEM_FILE_MAX) {
		tls_seterr(err, "%s: %zu bytes is more than the %d allowed", name, len,
			   TLS_PEM_FILE_MAX);
		return -E2BIG;
	}
	if (!(d.p = malloc(TLS_DER_MAX))) {
		tls_seterr(err, "%s: out of memory", name);
		return -ENOMEM;
	}
	br_pem_decoder_init(&pc);
	for (;;) {
		int ev = br_pem_decoder_event(&pc);

		if (ev == 0) {
			if (off < len) {
				off += br_pem_decoder_push(&pc, p + off, len - off);
				continue;
			}
			if (!nl_done) {
				/* a last line without its newline still ends the
				 * object; 0 means an event came first: retry */
				nl_done = br_pem_decoder_push(&pc, "\n", 1) == 1;
				continue;
			}
			break;
		}
		if (ev == BR_PEM_BEGIN_OBJ) {
			idx++;
			snprintf(objname, sizeof(objname), "%s", br_pem_decoder_name(&pc));
			inobj = true;
			wanted = want(objname);
			d.len = 0;
			d.overflow = false;
			br_pem_decoder_setdest(&pc, wanted ? der_append : NULL, &d);
		} else if (ev == BR_PEM_END_OBJ) {
			inobj = false;
			if (!wanted)
				continue;
			if (d.overflow) {
				tls_seterr(err, "%s: PEM object %u (%s) is larger than %d bytes",
					   name, idx, objname, TLS_DER_MAX);
				rc = -E2BIG;
				goto out;
			}
			if ((rc = fn(arg, objname, idx, d.p, d.len, err)) < 0)
				goto out;
		} else if (ev == BR_PEM_ERROR) {
			tls_seterr(err, "%s: PEM object %u (%s): invalid base64 or framing",
				   name, idx, inobj ? objname : "?");
			rc = -EINVAL;
			goto out;
		}
	}
	if (inobj) {
		tls_seterr(err, "%s: PEM object %u (%s) has no END line", name, idx, objname);
		rc = -EINVAL;
	}
out:
	free(d.p);
	return rc;
}

static int
read_file(const char *path, unsigned char **out, size_t *outlen, char err[TLS_ERR_MAX])
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int fd = -1, rc = 0;
	ssize_t r;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		tls_seterr(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* one byte more than allowed, to tell "too long" from "just fits" */
	if (!(buf = malloc(TLS_PEM_FILE_MAX + 1))) {
		rc = -ENOMEM;
		tls_seterr(err, "%s: out of memory", path);
		goto out;
	}
	while (len < TLS_PEM_FILE_MAX + 1) {
		r = read(fd, buf + len, TLS_PEM_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			tls_seterr(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > TLS_PEM_FILE_MAX) {
		rc = -E2BIG;
		tls_seterr(err, "%s: larger than %d bytes", path, TLS_PEM_FILE_MAX);
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static bool
want_cert(const char *objname)
{
	return strcmp(objname, "CERTIFICATE") == 0 || strcmp(objname, "X509 CERTIFICATE") == 0;
}

/* ---- certificates ----------------------------------------------------- */

struct dnbuf {
	unsigned char p[TLS_DN_MAX];
	size_t len;
	bool overflow;
};

static void
dn_append(void *ctx, const void *src, size_t len)
{
	struct dnbuf *d = ctx;

	if (d->overflow || len > sizeof(d->p) - d->len) {
		d->overflow = true;
		return;
	}
	memcpy(d->p + d->len, src, len);
	d->len += len;
}

static void
copy_pkey(br_x509_pkey *dst, const br_x509_pkey *src, unsigned char *kbuf)
{
	dst->key_type = src->key_type;
	if (src->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_public_key *k = &src->key.rsa;

		memcpy(kbuf, k->n, k->nlen);
		memcpy(kbuf + k->nlen, k->e, k->elen);
		dst->key.rsa.n = kbuf;
		dst->key.rsa.nlen = k->nlen;
		dst->key.rsa.e = kbuf + k->nlen;
		dst->key.rsa.elen = k->elen;
	} else {
		const br_ec_public_key *k = &src->key.ec;

		memcpy(kbuf, k->q, k->qlen);
		dst->key.ec.curve = k->curve;
		dst->key.ec.q = kbuf;
		dst->key.ec.qlen = k->qlen;
	}
}

static size_t
pkey_size(const br_x509_pkey *pk)
{
	if (pk->key_type == BR_KEYTYPE_RSA)
		return pk->key.rsa.nlen + pk->key.rsa.elen;
	return pk->key.ec.qlen;
}

int
tls_cert_pubkey(const unsigned char *der, size_t len, br_x509_pkey *pk,
		unsigned char *kbuf, size_t kbuflen)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *k;
	int e;

	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, len);
	if ((e = br_x509_decoder_last_error(&dc)) != 0)
		return e;
	k = br_x509_decoder_get_pkey(&dc);
	if (!k)
		return BR_ERR_X509_TRUNCATED;
	if (pkey_size(k) > kbuflen)
		return BR_ERR_X509_LIMIT_EXCEEDED;
	copy_pkey(pk, k, kbuf);
	return 0;
}

static int
cert_error(char err[TLS_ERR_MAX], const char *name, unsigned idx, int e)
{
	const char *n = tls_br_error_name(e);

	tls_seterr(err, "%s: PEM object %u: bad certificate: %s (%s)", name, idx,
		   n ? tls_br_error_text(e) : "unknown error", n ? n : "?");
	return -EINVAL;
}

struct anchors_acc {
	struct tls_anchors *a;
	const char *name;
};

static int
anchor_add(void *arg, const char *objname, unsigned idx, const unsigned char *der,
	   size_t len, char err[TLS_ERR_MAX])
{
	struct anchors_acc *acc = arg;
	struct tls_anchors *a = acc->a;
	br_x509_decoder_context dc;
	br_x509_trust_anchor *ta;
	struct dnbuf *dn = NULL;
	const br_x509_pkey *pk;
	unsigned char *block;
	int e, rc = 0;

	(void)objname;
	if (a->n >= TLS_ANCHORS_MAX) {
		tls_seterr(err, "%s: more than %d certificates", acc->name, TLS_ANCHORS_MAX);
		return -E2BIG;
	}
	if (!(dn = calloc(1, sizeof(*dn)))) {
		tls_seterr(err, "%s: out of memory", acc->name);
		return -ENOMEM;
	}
	br_x509_decoder_init(&dc, dn_append, dn);
	br_x509_decoder_push(&dc, der, len);
	if ((e = br_x509_decoder_last_error(&dc)) != 0) {
		rc = cert_error(err, acc->name, idx, e);
		goto out;
	}
	if (dn->overflow) {
		tls_seterr(err, "%s: PEM object %u: subject name longer than %d bytes",
			   acc->name, idx, TLS_DN_MAX);
		rc = -E2BIG;
		goto out;
	}
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || (pk->key_type != BR_KEYTYPE_RSA && pk->key_type != BR_KEYTYPE_EC)) {
		tls_seterr(err, "%s: PEM object %u: public key is neither RSA nor EC",
			   acc->name, idx);
		rc = -EINVAL;
		goto out;
	}
	/* one block per anchor: the DN, then the key bytes */
	if (!(block = malloc(dn->len + pkey_size(pk) + 1))) {
		tls_seterr(err, "%s: out of memory", acc->name);
		rc = -ENOMEM;
		goto out;
	}
	ta = &a->ta[a->n];
	memcpy(block, dn->p, dn->len);
	ta->dn.data = block;
	ta->dn.len = dn->len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	copy_pkey(&ta->pkey, pk, block + dn->len);
	a->n++;
out:
	free(dn);
	return rc;
}

int
tls_anchors_parse(struct tls_anchors *a, const void *pem, size_t len, const char *name,
		  char err[TLS_ERR_MAX])
{
	struct anchors_acc acc = { a, name };
	int rc;

	a->n = 0;
	if (!(a->ta = calloc(TLS_ANCHORS_MAX, sizeof(*a->ta)))) {
		tls_seterr(err, "%s: out of memory", name);
		return -ENOMEM;
	}
	rc = pem_each(pem, len, name, want_cert, anchor_add, &acc, err);
	if (rc == 0 && a->n == 0) {
		tls_seterr(err, "%s: no CERTIFICATE in it", name);
		rc = -ENOENT;
	}
	if (rc < 0)
		tls_anchors_free(a);
	return rc;
}

int
tls_anchors_load(struct tls_anchors *a, const char *path, char err[TLS_ERR_MAX])
{
	unsigned char *buf;
	size_t len;
	int rc;

	a->ta = NULL;
	a->n = 0;
	if ((rc = read_file(path, &buf, &len, err)) < 0)
		return rc;
	rc = tls_anchors_parse(a, buf, len, path, err);
	free(buf);
	return rc;
}

void
tls_anchors_free(struct tls_anchors *a)
{
	if (a->ta)
		for (size_t i = 0; i < a->n; i++)
			free(a->ta[i].dn.data);
	free(a->ta);
	a->ta = NULL;
	a->n = 0;
}

struct chain_acc {
	struct tls_chain *c;
	const char *name;
};

static int
chain_add(void *arg, const char *objname, unsigned idx, const unsigned char *der,
	  size_t len, char err[TLS_ERR_MAX])
{
	struct chain_acc *acc = arg;
	struct tls_chain *c = acc->c;
	br_x509_decoder_context dc;
	unsigned char *copy;
	int e;

	(void)objname;
	if (c->n >= TLS_CHAIN_MAX) {
		tls_seterr(err, "%s: more than %d certificates", acc->name, TLS_CHAIN_MAX);
		return -E2BIG;
	}
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, len);
	if ((e = br_x509_decoder_last_error(&dc)) != 0)
		return cert_error(err, acc->name, idx, e);
	if (!(copy = malloc(len))) {
		tls_seterr(err, "%s: out of memory", acc->name);
		return -ENOMEM;
	}
	memcpy(copy, der, len);
	c->certs[c->n].data = copy;
	c->certs[c->n].data_len = len;
	c->n++;
	return 0;
}

int
tls_chain_parse(struct tls_chain *c, const void *pem, size_t len, const char *name,
		char err[TLS_ERR_MAX])
{
	struct chain_acc acc = { c, name };
	int rc;

	c->n = 0;
	if (!(c->certs = calloc(TLS_CHAIN_MAX, sizeof(*c->certs)))) {
		tls_seterr(err, "%s: out of memory", name);
		return -ENOMEM;
	}
	rc = pem_each(pem, len, name, want_cert, chain_add, &acc, err);
	if (rc == 0 && c->n == 0) {
		tls_seterr(err, "%s: no CERTIFICATE in it", name);
		rc = -ENOENT;
	}
	if (rc < 0)
		tls_chain_free(c);
	return rc;
}

int
tls_chain_load(struct tls_chain *c, const char *path, char err[TLS_ERR_MAX])
{
	unsigned char *buf;
	size_t len;
	int rc;

	c->certs = NULL;
	c->n = 0;
	if ((rc = read_file(path, &buf, &len, err)) < 0)
		return rc;
	rc = tls_chain_parse(c, buf, len, path, err);
	free(buf);
	return rc;
}

void
tls_chain_free(struct tls_chain *c)
{
	if (c->certs)
		for (size_t i = 0; i < c->n; i++)
			free(c->certs[i].data);
	free(c->certs);
	c->certs = NULL;
	c->n = 0;
}

/* ---- private keys ----------------------------------------------------- */

static bool
want_key(const char *objname)
{
	/* every "... PRIVATE KEY", so that an encrypted or unsupported key is
	 * reported rather than skipped; certificates and the rest are skipped */
	return strstr(objname, "PRIVATE KEY") != NULL;
}

struct key_acc {
	struct tls_key *k;
	const char *name;
	unsigned nkeys;
};

static int
key_add(void *arg, const char *objname, unsigned idx, const unsigned char *der,
	size_t len, char err[TLS_ERR_MAX])
{
	struct key_acc *acc = arg;
	struct tls_key *k = acc->k;
	br_skey_decoder_context *dc = NULL;
	int e, rc = 0;

	if (strcmp(objname, "EC PRIVATE KEY") != 0 && strcmp(objname, "PRIVATE KEY") != 0 &&
	    strcmp(objname, "RSA PRIVATE KEY") != 0) {
		tls_seterr(err, "%s: PEM object %u (%s): not a supported private key%s", acc->name,
			   idx, objname,
			   strstr(objname, "ENCRYPTED") ? " (encrypted keys are not supported)" : "");
		return -EINVAL;
	}
	if (++acc->nkeys > 1) {
		tls_seterr(err, "%s: more than one private key (PEM object %u)", acc->name, idx);
		return -EINVAL;
	}
	if (!(dc = malloc(sizeof(*dc)))) {
		tls_seterr(err, "%s: out of memory", acc->name);
		return -ENOMEM;
	}
	br_skey_decoder_init(dc);
	br_skey_decoder_push(dc, der, len);
	if ((e = br_skey_decoder_last_error(dc)) != 0) {
		const char *n = tls_br_error_name(e);

		tls_seterr(err, "%s: PEM object %u (%s): bad private key: %s (%s)", acc->name,
			   idx, objname, n ? tls_br_error_text(e) : "unknown error", n ? n : "?");
		rc = -EINVAL;
		goto out;
	}
	k->type = br_skey_decoder_key_type(dc);
	if (k->type == BR_KEYTYPE_EC) {
		const br_ec_private_key *ec = br_skey_decoder_get_ec(dc);

		if (ec->curve != BR_EC_secp256r1 && ec->curve != BR_EC_secp384r1 &&
		    ec->curve != BR_EC_secp521r1) {
			tls_seterr(err, "%s: EC key on curve %d; only P-256, P-384, P-521",
				   acc->name, ec->curve);
			rc = -EINVAL;
			goto out;
		}
		if (!(k->buf = malloc(ec->xlen))) {
			rc = -ENOMEM;
			goto out;
		}
		k->buflen = ec->xlen;
		memcpy(k->buf, ec->x, ec->xlen);
		k->ec.curve = ec->curve;
		k->ec.x = k->buf;
		k->ec.xlen = ec->xlen;
	} else if (k->type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *r = br_skey_decoder_get_rsa(dc);
		size_t n = r->plen + r->qlen + r->dplen + r->dqlen + r->iqlen;
		unsigned char *p;

		if (!(k->buf = malloc(n))) {
			rc = -ENOMEM;
			goto out;
		}
		k->buflen = n;
		p = k->buf;
		k->rsa.n_bitlen = r->n_bitlen;
#define TAKE(f)                               \
	do {                                  \
		memcpy(p, r->f, r->f##len);   \
		k->rsa.f = p;                 \
		k->rsa.f##len = r->f##len;    \
		p += r->f##len;               \
	} while (0)
		TAKE(p);
		TAKE(q);
		TAKE(dp);
		TAKE(dq);
		TAKE(iq);
#undef TAKE
	} else {
		tls_seterr(err, "%s: PEM object %u: unsupported key type %d", acc->name, idx,
			   k->type);
		rc = -EINVAL;
	}
out:
	if (rc == -ENOMEM)
		tls_seterr(err, "%s: out of memory", acc->name);
	explicit_bzero(dc, sizeof(*dc));
	free(dc);
	return rc;
}

int
tls_key_parse(struct tls_key *k, const void *pem, size_t len, const char *name,
	      char err[TLS_ERR_MAX])
{
	struct key_acc acc = { k, name, 0 };
	int rc;

	memset(k, 0, sizeof(*k));
	rc = pem_each(pem, len, name, want_key, key_add, &acc, err);
	if (rc == 0 && acc.nkeys == 0) {
		tls_seterr(err, "%s: no private key in it", name);
		rc = -ENOENT;
	}
	if (rc < 0)
		tls_key_free(k);
	return rc;
}

int
tls_key_load(struct tls_key *k, const char *path, char err[TLS_ERR_MAX])
{
	unsigned char *buf;
	size_t len;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = read_file(path, &buf, &len, err)) < 0)
		return rc;
	rc = tls_key_parse(k, buf, len, path, err);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

void
tls_key_free(struct tls_key *k)
{
	if (k->buf) {
		explicit_bzero(k->buf, k->buflen);
		free(k->buf);
	}
	memset(k, 0, sizeof(*k));
}

/* Big-endian integers equal, ignoring leading zeros. */
static bool
int_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	while (alen && !*a) {
		a++;
		alen--;
	}
	while (blen && !*b) {
		b++;
		blen--;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
tls_key_check_chain(const struct tls_key *k, const struct tls_chain *c, char err[TLS_ERR_MAX])
{
	unsigned char kbuf[BR_X509_BUFSIZE_KEY];
	br_x509_pkey pk;
	int e;

	if (!c || c->n == 0 || !k || !k->buf) {
		tls_seterr(err, "TLS: no certificate chain or no key");
		return -EINVAL;
	}
	if ((e = tls_cert_pubkey(c->certs[0].data, c->certs[0].data_len, &pk, kbuf,
				 sizeof(kbuf))) != 0) {
		tls_seterr(err, "TLS: certificate: %s (%s)", tls_br_error_text(e),
			   tls_br_error_name(e));
		return -EINVAL;
	}
	if (pk.key_type != k->type) {
		tls_seterr(err, "TLS: the certificate's key is %s but the private key is %s",
			   pk.key_type == BR_KEYTYPE_EC ? "EC" : "RSA",
			   k->type == BR_KEYTYPE_EC ? "EC" : "RSA");
		return -EINVAL;
	}
	if (k->type == BR_KEYTYPE_EC) {
		unsigned char pub[BR_EC_KBUF_PUB_MAX_SIZE];
		size_t n = br_ec_compute_pub(br_ec_get_default(), NULL, pub, &k->ec);

		if (n == 0 || pk.key.ec.curve != k->ec.curve || n != pk.key.ec.qlen ||
		    memcmp(pub, pk.key.ec.q, n) != 0) {
			tls_seterr(err, "TLS: the private key does not match the certificate");
			return -EINVAL;
		}
	} else {
		unsigned char n[512];
		br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
		size_t nlen = mod(NULL, &k->rsa);

		if (nlen == 0 || nlen > sizeof(n) || mod(n, &k->rsa) != nlen ||
		    !int_eq(n, nlen, pk.key.rsa.n, pk.key.rsa.nlen)) {
			tls_seterr(err, "TLS: the private key does not match the certificate");
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- session cache ---------------------------------------------------- */

int
tls_session_cache_init(struct tls_session_cache *c, size_t bytes, char err[TLS_ERR_MAX])
{
	if (bytes < 1024 || bytes > (64u << 20)) {
		tls_seterr(err, "TLS: session cache size %zu out of 1 KiB..64 MiB", bytes);
		return -EINVAL;
	}
	if (!(c->store = malloc(bytes))) {
		tls_seterr(err, "TLS: session cache: out of memory");
		return -ENOMEM;
	}
	c->size = bytes;
	br_ssl_session_cache_lru_init(&c->lru, c->store, bytes);
	return 0;
}

void
tls_session_cache_free(struct tls_session_cache *c)
{
	if (c->store) {
		explicit_bzero(c->store, c->size); /* master secrets */
		free(c->store);
	}
	c->store = NULL;
	c->size = 0;
}
