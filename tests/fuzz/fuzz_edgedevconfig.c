/*
 * libFuzzer target: EdgeDevConfig decoding (the largest message a controller
 * sends us, parsed in the network-facing evc role).
 *
 * For every input that unpacks: walk the result a little, re-pack it, and
 * require that the re-packed bytes unpack again and re-pack to the very same
 * bytes (pack is a fixed point after one round). Anything else is a bug and
 * aborts. Seeds: tests/fuzz/corpus/edgedevconfig/.
 *
 * Known protobuf-c 1.4.1 bug, filtered here: field number 0 is invalid, and
 * unpack rejects it in its one-byte form (0x02) but accepts an over-long tag
 * such as 0x82 0x00, keeping it as an unknown field with tag 0; pack then
 * writes 0x02 and the re-packed bytes no longer parse. Inputs carrying such
 * a field anywhere in the tree are treated as invalid, which is what the
 * decoding layer in eved must do too (or never persist re-packed bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/devconfig.pb-c.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;

static volatile size_t fuzz_sink;

/* True if @m or any message below it kept an unknown field numbered 0. */
static int has_field_zero(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;

	for (i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return 1;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
			size_t k;

			for (k = 0; k < n; k++)
				if (has_field_zero(v[k]))
					return 1;
		} else {
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);

			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
			if (sub != NULL && has_field_zero(sub))
				return 1;
		}
	}
	return 0;
}

static size_t walk_config(const EdgeDevConfig *c)
{
	size_t n = c->n_apps + c->n_volumes + c->n_networks + c->n_networkinstances +
		   c->n_contentinfo + c->n_datastores + c->n_configitems;
	size_t i;

	for (i = 0; i < c->n_apps; i++) {
		const Org__Lfedge__Eve__Config__AppInstanceConfig *app = c->apps[i];

		n += strlen(app->displayname) + app->n_interfaces + app->n_volumereflist;
		if (app->fixedresources != NULL)
			n += app->fixedresources->vcpus + app->fixedresources->n_irqs;
		if (app->uuidandversion != NULL)
			n += strlen(app->uuidandversion->uuid);
	}
	for (i = 0; i < c->n_volumes; i++) {
		n += strlen(c->volumes[i]->uuid);
		if (c->volumes[i]->origin != NULL)
			n += (size_t)c->volumes[i]->origin->type;
	}
	for (i = 0; i < c->n_networks; i++)
		if (c->networks[i]->ip != NULL)
			n += c->networks[i]->ip->n_dns;
	for (i = 0; i < c->n_configitems; i++)
		n += strlen(c->configitems[i]->key) + strlen(c->configitems[i]->value);
	if (c->baseos != NULL)
		n += strlen(c->baseos->content_tree_uuid);
	return n;
}

/* Pack @c into a new buffer; abort if the size bookkeeping disagrees. */
static uint8_t *pack_or_die(const EdgeDevConfig *c, size_t *len)
{
	size_t want = org__lfedge__eve__config__edge_dev_config__get_packed_size(c);
	uint8_t *buf = malloc(want ? want : 1);

	if (buf == NULL)
		abort();
	if (org__lfedge__eve__config__edge_dev_config__pack(c, buf) != want)
		abort();
	*len = want;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EdgeDevConfig *first = NULL;
	EdgeDevConfig *second = NULL;
	uint8_t *pack1 = NULL;
	uint8_t *pack2 = NULL;
	size_t len1 = 0;
	size_t len2 = 0;

	first = org__lfedge__eve__config__edge_dev_config__unpack(NULL, size, data);
	if (first == NULL || has_field_zero(&first->pbc_base))
		goto out;
	fuzz_sink += walk_config(first);

	pack1 = pack_or_die(first, &len1);
	second = org__lfedge__eve__config__edge_dev_config__unpack(NULL, len1, pack1);
	if (second == NULL)
		abort(); /* we produced bytes we cannot read back */
	fuzz_sink += walk_config(second);

	pack2 = pack_or_die(second, &len2);
	if (len2 != len1 || memcmp(pack1, pack2, len1) != 0)
		abort(); /* encoding is not stable */

out:
	free(pack2);
	free(pack1);
	if (second != NULL)
		org__lfedge__eve__config__edge_dev_config__free_unpacked(second, NULL);
	if (first != NULL)
		org__lfedge__eve__config__edge_dev_config__free_unpacked(first, NULL);
	return 0;
}
