/*
 * der: a DER (X.690 Distinguished Encoding Rules) writer and a strict,
 * bounded DER reader: the primitives under our X.509 certificate and CSR
 * writer and reader.  Pure: bytes in, bytes out, no I/O, no allocation,
 * no globals.
 *
 * Writer.  Elements are written forward, in reading order, into a caller
 * buffer.  A constructed element is opened with der_begin() and closed with
 * der_end(), which inserts the (minimal) length in front of the contents.
 * Errors are sticky: after the first one (no room, bad value, unbalanced
 * begin/end) every call is a no-op and der_writer_finish() reports it, so
 * a long sequence of writes needs one check at the end.
 *
 * Reader.  der_read() walks one TLV at a time with strict DER rules: single
 * byte tags only, no indefinite lengths, no non-minimal or over-long length
 * encodings, no length beyond the input.  der_enter() descends into a
 * constructed element, at most DER_MAX_DEPTH levels deep.  Every error fills
 * the reader's error buffer with the offset and reason and returns
 * -EBADMSG; the value getters (INTEGER, BOOLEAN, BIT STRING, OID, times)
 * check the DER rules of their type too.
 *
 * Ownership: der_writer.buf belongs to the caller.  A der_reader and every
 * der_tlv point into the caller's input, which must outlive them; the error
 * buffer belongs to the caller and is shared by a reader and the readers
 * der_enter() derives from it.
 */
#ifndef EV_DER_H
#define EV_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Universal tags (single byte, with the constructed bit where it applies). */
#define DER_BOOLEAN          0x01
#define DER_INTEGER          0x02
#define DER_BIT_STRING       0x03
#define DER_OCTET_STRING     0x04
#define DER_NULL             0x05
#define DER_OID              0x06
#define DER_UTF8_STRING      0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_T61_STRING       0x14
#define DER_IA5_STRING       0x16
#define DER_UTC_TIME         0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_BMP_STRING       0x1e
#define DER_SEQUENCE         0x30
#define DER_SET              0x31
/* Context-specific tags [n], n < 31: implicit primitive and constructed
 * (the latter is also the tag of an explicit [n]). */
#define DER_CTX(n)           (0x80 | (n))
#define DER_CTX_CONS(n)      (0xa0 | (n))

#define DER_MAX_DEPTH 16      /* nesting bound for writer and reader */
#define DER_MAX_LEN 0xffffff  /* longest element we write or accept (16 MiB) */
#define DER_OID_MAX_ARCS 20   /* OIDs we encode, compare or print */
#define DER_OID_STR_MAX 96    /* der_oid_to_str output with NUL */

/* ---- writer ------------------------------------------------------------ */

struct der_writer {
	uint8_t *buf;           /* caller-owned, cap bytes */
	size_t cap;
	size_t len;             /* bytes written so far */
	size_t open[DER_MAX_DEPTH]; /* content start of each open element */
	unsigned depth;
	int err;                /* first error (sticky), 0 if none */
};

void der_writer_init(struct der_writer *w, uint8_t *buf, size_t cap);
/* 0 and *len = bytes written, or the first error: -ENOSPC (buffer too
 * small), -EINVAL (a value DER cannot carry), -EPROTO (begin/end not
 * balanced, or nesting beyond DER_MAX_DEPTH). */
int der_writer_finish(struct der_writer *w, size_t *len);

/* Opens an element whose contents are the elements written until der_end():
 * DER_SEQUENCE, DER_SET, DER_CTX_CONS(n) (an explicit [n], or an implicitly
 * tagged constructed type), or an OCTET STRING / BIT STRING that
 * encapsulates DER (extension values; for a BIT STRING write the unused-bits
 * byte 0x00 first with der_put_raw). */
void der_begin(struct der_writer *w, uint8_t tag);
/* Closes the innermost open element. */
void der_end(struct der_writer *w);

/* Any primitive element: tag, minimal length, value bytes. */
void der_put_tlv(struct der_writer *w, uint8_t tag, const void *val, size_t len);
/* Pre-encoded DER copied as it is (a Name taken from another certificate). */
void der_put_raw(struct der_writer *w, const void *der, size_t len);
/* INTEGER from a signed value (version, pathLenConstraint). */
void der_put_int(struct der_writer *w, int64_t v);
/* INTEGER from an unsigned big-endian magnitude (serials, ECDSA r and s):
 * leading zero bytes dropped, one 0x00 added when the top bit is set, so the
 * value is positive and minimal; an empty or all-zero magnitude is 0. */
void der_put_uint_be(struct der_writer *w, const uint8_t *be, size_t len);
void der_put_bool(struct der_writer *w, bool v);
void der_put_null(struct der_writer *w);
/* OID from its arcs: {1, 2, 840, 10045, 2, 1}.  At least two arcs, the first
 * 0..2, the second < 40 unless the first is 2. */
void der_put_oid(struct der_writer *w, const uint32_t *arcs, size_t n);
void der_put_octet_string(struct der_writer *w, const void *p, size_t len);
/* BIT STRING of whole bytes (keys, signatures): 0 unused bits. */
void der_put_bit_string(struct der_writer *w, const void *p, size_t len);
/* BIT STRING of a named bit list (KeyUsage): bit i of `bits` is the ASN.1
 * bit i (bit 0 = top bit of the first byte); trailing zero bits dropped as
 * DER requires. */
void der_put_named_bits(struct der_writer *w, uint32_t bits);
/* NUL-terminated strings.  UTF8String checks for valid UTF-8 without NUL;
 * PrintableString checks the PrintableString alphabet; IA5String ASCII. */
void der_put_utf8(struct der_writer *w, const char *s);
void der_put_printable(struct der_writer *w, const char *s);
void der_put_ia5(struct der_writer *w, const char *s);
void der_put_ia5_tagged(struct der_writer *w, uint8_t tag, const char *s);
/* Time as RFC 5280 wants it: UTCTime YYMMDDHHMMSSZ for 1950..2049,
 * GeneralizedTime YYYYMMDDHHMMSSZ otherwise (years 0..9999). */
void der_put_time(struct der_writer *w, time_t t);

/* ---- reader ------------------------------------------------------------ */

struct der_tlv {
	uint8_t tag;
	const uint8_t *raw;     /* the whole element: tag, length, value */
	size_t raw_len;
	const uint8_t *val;     /* the value (contents) */
	size_t len;
	size_t off;             /* offset of the element in the top-level input */
};

struct der_reader {
	const uint8_t *p;       /* caller-owned input */
	size_t len;
	size_t pos;             /* next element starts at p + pos */
	size_t base;            /* offset of p in the top-level input */
	unsigned depth;         /* nesting level of this reader */
	char *err;              /* caller-owned error buffer (may be NULL) */
	size_t errsz;
	const char *what;       /* name of the input, "certificate" */
};

/* A reader over a whole input; `what` names it in error messages. */
void der_reader_init(struct der_reader *r, const uint8_t *p, size_t len,
		     const char *what, char *err, size_t errsz);
/* true while elements remain. */
bool der_more(const struct der_reader *r);
/* Tag of the next element, or -1 at the end. */
int der_peek_tag(const struct der_reader *r);
/* Reads the next element: 0, or -EBADMSG with the reason. */
int der_read(struct der_reader *r, struct der_tlv *t);
/* Reads the next element and checks its tag; `field` names it in errors. */
int der_expect(struct der_reader *r, uint8_t tag, struct der_tlv *t, const char *field);
/* Reads the next element if its tag matches: 1 read, 0 absent (nothing
 * consumed), -EBADMSG. */
int der_optional(struct der_reader *r, uint8_t tag, struct der_tlv *t);
/* A reader over t's contents, one level deeper (constructed tags only). */
int der_enter(struct der_reader *r, const struct der_tlv *t, struct der_reader *sub);
/* Expects the next element to be `tag` and enters it. */
int der_expect_enter(struct der_reader *r, uint8_t tag, struct der_reader *sub,
		     const char *field);
/* 0 if nothing is left, else -EBADMSG "trailing bytes after <field>". */
int der_end_of(struct der_reader *r, const char *field);
/* Fills the error buffer with "<what>: <field>: <reason> at offset N" and
 * returns -EBADMSG; for callers above the DER layer. */
int der_fail(struct der_reader *r, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Whole-structure check: every element (recursively into constructed ones)
 * follows the length rules and nesting stays within max_depth; nothing
 * trails the first element. */
int der_check(struct der_reader *r, unsigned max_depth);

/* Value getters (the tag has been checked by the caller). */
int der_get_bool(struct der_reader *r, const struct der_tlv *t, bool *v, const char *field);
/* Small INTEGER within [min, max]. */
int der_get_int(struct der_reader *r, const struct der_tlv *t, int64_t min, int64_t max,
		int64_t *v, const char *field);
/* Non-negative INTEGER as a big-endian magnitude without the sign byte;
 * *mag points into the input.  Rejects negative and non-minimal values. */
int der_get_uint_be(struct der_reader *r, const struct der_tlv *t,
		    const uint8_t **mag, size_t *mag_len, const char *field);
/* BIT STRING with 0 unused bits: the bytes after the unused-bits byte. */
int der_get_bit_string(struct der_reader *r, const struct der_tlv *t,
		       const uint8_t **p, size_t *len, const char *field);
/* Named-bit-list BIT STRING into bits (bit i = ASN.1 bit i, i < 32). */
int der_get_named_bits(struct der_reader *r, const struct der_tlv *t, uint32_t *bits,
		       const char *field);
/* OID content well-formed (minimal base-128 arcs, at most DER_OID_MAX_ARCS,
 * each < 2^32). */
int der_get_oid(struct der_reader *r, const struct der_tlv *t, const char *field);
/* UTCTime or GeneralizedTime in RFC 5280's strict form (Z, seconds, no
 * fraction) into seconds since the epoch. */
int der_get_time(struct der_reader *r, const struct der_tlv *t, time_t *v, const char *field);

/* ---- OIDs and times (pure helpers) ---------------------------------- */

/* Encodes arcs into out (OID contents, no tag): bytes written, or 0 when
 * the arcs are invalid or out is too small. */
size_t der_oid_encode(const uint32_t *arcs, size_t n, uint8_t *out, size_t cap);
/* true when the OID contents (val, len) are exactly these arcs. */
bool der_oid_eq(const uint8_t *val, size_t len, const uint32_t *arcs, size_t n);
/* Dotted form "1.2.840.10045.2.1" of OID contents, for messages; a
 * malformed OID prints as "(malformed OID)". */
void der_oid_to_str(const uint8_t *val, size_t len, char *out, size_t outsz);

/* String alphabets: UTF-8 (well-formed, no NUL, no surrogates or overlong
 * forms), PrintableString, IA5String (ASCII without NUL). */
bool der_utf8_valid(const uint8_t *p, size_t len);
bool der_printable_valid(const uint8_t *p, size_t len);
bool der_ia5_valid(const uint8_t *p, size_t len);

/* Civil date (proleptic Gregorian, UTC) <-> seconds since the epoch, for
 * years 0..9999: DER_TIME_MIN is 0000-01-01T00:00:00Z, DER_TIME_MAX
 * 9999-12-31T23:59:59Z; der_time_to_civil clamps t to that range. */
#define DER_TIME_MIN (-62167219200LL)
#define DER_TIME_MAX 253402300799LL
int64_t der_time_from_civil(int y, int mon, int d, int h, int mi, int s);
void der_time_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *mi, int *s);

/* Formats err (errsz bytes; may be NULL) and returns rc: the error helper of
 * the X.509 toolkit's writers and readers. */
int der_errf(char *err, size_t errsz, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
