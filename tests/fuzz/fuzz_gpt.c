/* Fuzz target: gpt_disk_load on any bytes taken as a disk of 512-byte
 * blocks; whatever loads must select, commit both copies, and load back
 * clean with the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"

struct fdisk {
	uint8_t *b;
	size_t n;
};

static int
f_read(void *ctx, uint64_t lba, void *buf, size_t len)
{
	struct fdisk *d = ctx;

	if (lba > d->n / 512 || len > d->n - lba * 512)
		return -5;
	memcpy(buf, d->b + lba * 512, len);
	return 0;
}

static int
f_write(void *ctx, uint64_t lba, const void *buf, size_t len)
{
	struct fdisk *d = ctx;

	if (lba > d->n / 512 || len > d->n - lba * 512)
		abort(); /* commit must stay on the disk */
	memcpy(d->b + lba * 512, buf, len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdisk d = { .n = size / 512 * 512 };
	struct gpt_io io = { .ctx = &d, .block_size = 512, .read = f_read, .write = f_write };
	struct gpt_table *t = malloc(sizeof(*t)), *u = malloc(sizeof(*u));
	struct gpt_scratch *s = malloc(sizeof(*s));
	struct gpt_status st;
	struct gpt_choice c;
	uint8_t blk[GPT_BLOCK_MAX];
	char err[GPT_ERR_MAX];

	if (d.n < 4 * 512)
		goto out;
	d.b = malloc(d.n);
	memcpy(d.b, data, d.n);
	io.last_lba = d.n / 512 - 1;
	if (gpt_disk_load(&io, t, &st, s) != 0)
		goto out;
	if (gpt_select(t, gpt_type_img, NULL, false, &c) == 0 &&
	    (c.index < 0 || (uint32_t)c.index >= t->entry_count))
		abort();
	for (uint32_t i = 0; i < t->entry_count; i++) {
		char name[GPT_NAME_MAX + 1];

		gpt_entry_name(t, i, name);
		if (strlen(name) > GPT_NAME_MAX)
			abort();
	}
	if (gpt_disk_commit(&io, t, blk, err) != 0)
		goto out;
	if (gpt_disk_load(&io, u, &st, s) != 0 || st.fix != GPT_FIX_NONE ||
	    u->entry_count != t->entry_count || u->entry_size != t->entry_size ||
	    memcmp(u->entries, t->entries, (size_t)t->entry_count * t->entry_size) != 0)
		abort();
out:
	free(d.b);
	free(s);
	free(u);
	free(t);
	return 0;
}
