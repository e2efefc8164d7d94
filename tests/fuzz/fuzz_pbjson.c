/*
 * libFuzzer target: JSON -> EdgeDevConfig -> JSON -> EdgeDevConfig through
 * dom0/pbjson (the path `evc config set` takes with an operator's file).
 *
 * For every input that converts: printing must succeed; the printed JSON
 * must convert again; both messages must pack to identical bytes, and
 * printing the second must give the very same text (a fixed point after one
 * round).  The output flags (pretty, defaults, proto names, enum numbers)
 * and PBJSON_IGNORE_UNKNOWN come from the input's size, so every spelling
 * is read back.
 * Inputs that do not convert must leave nothing allocated (ASan) and an
 * error message.  Seeds: tests/fuzz/corpus/pbjson/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/devconfig.pb-c.h"
#include "pbjson.h"

#define EDC (&org__lfedge__eve__config__edge_dev_config__descriptor)

static uint8_t *pack_or_die(const ProtobufCMessage *m, size_t *len)
{
	size_t want = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(want ? want : 1);

	if (buf == NULL || protobuf_c_message_pack(m, buf) != want)
		abort();
	*len = want;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flag_bits[] = {
		PBJSON_PRETTY, PBJSON_EMIT_DEFAULTS, PBJSON_PROTO_NAMES, PBJSON_ENUMS_AS_INTS,
	};
	ProtobufCMessage *m1 = NULL, *m2 = NULL;
	char err[PBJSON_ERR_LEN];
	char *j1 = NULL, *j2 = NULL;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0, i;
	unsigned flags = 0, in_flags = 0;

	for (i = 0; i < sizeof(flag_bits) / sizeof(flag_bits[0]); i++)
		if ((size >> i) & 1)
			flags |= flag_bits[i];
	if (size & 0x10)
		in_flags = PBJSON_IGNORE_UNKNOWN;

	if (pbjson_to_message_flags(EDC, (const char *)data, size, in_flags, NULL, &m1, err) != 0) {
		if (m1 != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (!protobuf_c_message_check(m1))
		abort();
	if (pbjson_from_message(m1, flags, &j1, err) != 0)
		abort(); /* whatever we read, we can print */
	if (pbjson_to_message(EDC, j1, strlen(j1), NULL, &m2, err) != 0)
		abort(); /* and read back */
	b1 = pack_or_die(m1, &l1);
	b2 = pack_or_die(m2, &l2);
	if (l1 != l2 || memcmp(b1, b2, l1) != 0)
		abort();
	if (pbjson_from_message(m2, flags, &j2, err) != 0 || strcmp(j1, j2) != 0)
		abort();
	free(j2);
	free(j1);
	free(b2);
	free(b1);
	protobuf_c_message_free_unpacked(m2, NULL);
	protobuf_c_message_free_unpacked(m1, NULL);
	return 0;
}
