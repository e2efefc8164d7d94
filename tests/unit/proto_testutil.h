/*
 * Helpers shared by the tests/unit/test_proto*.c suites.
 *
 * Everything here is static inline so that each test binary can include
 * it without a separate object file and without unused-function warnings.
 *
 *  - pt_alloc:  a ProtobufCAllocator that counts live blocks, so a test can
 *               assert that a failed unpack (or a free) leaves nothing behind
 *               even when the suite is not built with ASan.
 *  - pt_msg_equal: deep, descriptor-driven comparison of two messages
 *               (every field, recursively, oneof cases and unknown-field counts).
 *  - pt_protoc_decode: runs `protoc --decode=<type>` on some bytes (fed on
 *               stdin through a pipe, no shell) and captures its text output.
 *               The caller owns nothing: output goes into a caller buffer.
 *
 * Tests run with the current directory at the repository root, so protoc
 * is pointed at ./proto and /usr/include. $PROTOC overrides the binary.
 */
#ifndef EDGEVISOR_PROTO_TESTUTIL_H
#define EDGEVISOR_PROTO_TESTUTIL_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

/* ---- counting allocator ------------------------------------------------ */

struct pt_alloc_stats {
	long live;   /* blocks allocated and not yet freed */
	long total;  /* blocks ever allocated */
};

static inline void *pt_alloc_fn(void *ad, size_t size)
{
	struct pt_alloc_stats *st = ad;
	void *p = malloc(size);

	if (p != NULL) {
		st->live++;
		st->total++;
	}
	return p;
}

static inline void pt_free_fn(void *ad, void *p)
{
	struct pt_alloc_stats *st = ad;

	if (p != NULL)
		st->live--;
	free(p);
}

/* Initialise an allocator bound to @st (both owned by the caller). */
static inline void pt_alloc_init(ProtobufCAllocator *a, struct pt_alloc_stats *st)
{
	st->live = 0;
	st->total = 0;
	a->alloc = pt_alloc_fn;
	a->free = pt_free_fn;
	a->allocator_data = st;
}

/* ---- deep comparison ---------------------------------------------------- */

static inline size_t pt_elt_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static inline bool pt_msg_equal(const ProtobufCMessage *a, const ProtobufCMessage *b);

/* Compare one value of field @f stored at @pa / @pb. */
static inline bool pt_value_equal(const ProtobufCFieldDescriptor *f,
				  const void *pa, const void *pb)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *sa = *(char *const *)pa;
		const char *sb = *(char *const *)pb;

		return strcmp(sa ? sa : "", sb ? sb : "") == 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *ba = pa;
		const ProtobufCBinaryData *bb = pb;

		if (ba->len != bb->len)
			return false;
		return ba->len == 0 || memcmp(ba->data, bb->data, ba->len) == 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return pt_msg_equal(*(ProtobufCMessage *const *)pa,
				    *(ProtobufCMessage *const *)pb);
	case PROTOBUF_C_TYPE_BOOL:
		return (*(const protobuf_c_boolean *)pa != 0) ==
		       (*(const protobuf_c_boolean *)pb != 0);
	default:
		return memcmp(pa, pb, pt_elt_size(f->type)) == 0;
	}
}

/*
 * True when @a and @b (same descriptor) hold the same data. On a mismatch
 * the message and field name are printed to stderr to help debugging.
 */
static inline bool pt_msg_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	const ProtobufCMessageDescriptor *d;
	unsigned i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->descriptor != b->descriptor) {
		fprintf(stderr, "pt_msg_equal: descriptors differ\n");
		return false;
	}
	d = a->descriptor;
	if (a->n_unknown_fields != b->n_unknown_fields) {
		fprintf(stderr, "pt_msg_equal: %s: unknown field count differs\n", d->name);
		return false;
	}
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *ca = (const char *)a;
		const char *cb = (const char *)b;
		bool ok = true;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t na = *(const size_t *)(ca + f->quantifier_offset);
			size_t nb = *(const size_t *)(cb + f->quantifier_offset);
			const char *va = *(char *const *)(ca + f->offset);
			const char *vb = *(char *const *)(cb + f->offset);
			size_t es = pt_elt_size(f->type);
			size_t k;

			ok = na == nb;
			for (k = 0; ok && k < na; k++)
				ok = pt_value_equal(f, va + k * es, vb + k * es);
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t ka = *(const uint32_t *)(ca + f->quantifier_offset);
			uint32_t kb = *(const uint32_t *)(cb + f->quantifier_offset);

			ok = ka == kb;
			if (ok && ka == f->id)
				ok = pt_value_equal(f, ca + f->offset, cb + f->offset);
		} else if (f->quantifier_offset != 0 &&
			   f->type != PROTOBUF_C_TYPE_MESSAGE &&
			   f->type != PROTOBUF_C_TYPE_STRING) {
			/* proto2-style has_ flag (e.g. none in our proto3 files) */
			protobuf_c_boolean ha = *(const protobuf_c_boolean *)(ca + f->quantifier_offset);
			protobuf_c_boolean hb = *(const protobuf_c_boolean *)(cb + f->quantifier_offset);

			ok = (ha != 0) == (hb != 0);
			if (ok && ha)
				ok = pt_value_equal(f, ca + f->offset, cb + f->offset);
		} else {
			ok = pt_value_equal(f, ca + f->offset, cb + f->offset);
		}
		if (!ok) {
			fprintf(stderr, "pt_msg_equal: %s.%s differs\n", d->name, f->name);
			return false;
		}
	}
	return true;
}

/* ---- running protoc ----------------------------------------------------- */

/*
 * Feed @in to `protoc --decode=@type --proto_path=proto --proto_path=/usr/include
 * @proto_file` and store its stdout, NUL-terminated, in @out (capacity @cap).
 * Returns protoc's exit status (0 on success), or a negative errno value when
 * the process could not be run or the output did not fit.
 */
static inline int pt_protoc_decode(const char *type, const char *proto_file,
				   const uint8_t *in, size_t in_len,
				   char *out, size_t cap)
{
	const char *protoc = getenv("PROTOC");
	char decode_arg[256];
	int to_child[2] = { -1, -1 };
	int from_child[2] = { -1, -1 };
	size_t used = 0;
	size_t off = 0;
	pid_t pid = -1;
	int status = 0;
	int rc = 0;

	if (protoc == NULL || protoc[0] == '\0')
		protoc = "protoc";
	if (cap == 0)
		return -EINVAL;
	snprintf(decode_arg, sizeof(decode_arg), "--decode=%s", type);
	/* protoc may exit before reading all of stdin; do not die on EPIPE */
	signal(SIGPIPE, SIG_IGN);

	if (pipe(to_child) != 0 || pipe(from_child) != 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(from_child[1], STDOUT_FILENO);
		close(to_child[0]);
		close(to_child[1]);
		close(from_child[0]);
		close(from_child[1]);
		execlp(protoc, protoc, decode_arg, "--proto_path=proto",
		       "--proto_path=/usr/include", proto_file, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", protoc, strerror(errno));
		_exit(127);
	}
	close(to_child[0]);
	to_child[0] = -1;
	close(from_child[1]);
	from_child[1] = -1;

	/* inputs are small (well under a pipe buffer), so write then read */
	while (off < in_len) {
		ssize_t r = write(to_child[1], in + off, in_len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(to_child[1]);
	to_child[1] = -1;

	for (;;) {
		ssize_t r = read(from_child[0], out + used, cap - 1 - used);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		used += (size_t)r;
		if (used == cap - 1) {
			rc = -ENOSPC;
			break;
		}
	}
	out[used] = '\0';

out:
	if (to_child[0] >= 0)
		close(to_child[0]);
	if (to_child[1] >= 0)
		close(to_child[1]);
	if (from_child[0] >= 0)
		close(from_child[0]);
	if (from_child[1] >= 0)
		close(from_child[1]);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (rc == 0)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
	}
	return rc;
}

#endif /* EDGEVISOR_PROTO_TESTUTIL_H */
