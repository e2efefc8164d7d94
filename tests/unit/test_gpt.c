/* Unit tests: dom0/core/gpt — CRCs against zlib, golden header layout,
 * A/B attributes, selection cases, both-copy writes and repair, hostile
 * headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gpt.h"

#define BS 512u
#define NBLK 2048u
#define LAST (NBLK - 1)

/* ---- a memory disk ---- */
struct mdisk {
	uint8_t b[NBLK * BS];
	int fail_read_at; /* LBA whose read fails, or -1 */
	int writes, flushes;
};

static int
m_read(void *ctx, uint64_t lba, void *buf, size_t len)
{
	struct mdisk *d = ctx;

	if (d->fail_read_at >= 0 && lba == (uint64_t)d->fail_read_at)
		return -EIO;
	if (lba * BS + len > sizeof(d->b))
		return -EIO;
	memcpy(buf, d->b + lba * BS, len);
	return 0;
}

static int
m_write(void *ctx, uint64_t lba, const void *buf, size_t len)
{
	struct mdisk *d = ctx;

	if (lba * BS + len > sizeof(d->b))
		return -EIO;
	memcpy(d->b + lba * BS, buf, len);
	d->writes++;
	return 0;
}

static int
m_flush(void *ctx)
{
	((struct mdisk *)ctx)->flushes++;
	return 0;
}

static struct gpt_io
m_io(struct mdisk *d)
{
	return (struct gpt_io){ .ctx = d, .block_size = BS, .last_lba = LAST, .read = m_read,
				.write = m_write, .flush = m_flush };
}

static const uint8_t esp_type[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				      0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

static void
set_entry(struct gpt_table *t, uint32_t i, const uint8_t type[16], const char *name,
	  uint64_t first, uint64_t last, unsigned ab)
{
	uint8_t *e = gpt_entry(t, i);

	memcpy(e, type, 16);
	for (int k = 0; k < 16; k++)
		e[16 + k] = (uint8_t)(0x40 + i * 16 + k);
	for (int k = 0; k < 8; k++) {
		e[32 + k] = (uint8_t)(first >> (8 * k));
		e[40 + k] = (uint8_t)(last >> (8 * k));
	}
	gpt_entry_set_attrs(t, i, gpt_attr_set_ab(0, ab));
	for (size_t k = 0; name[k]; k++)
		e[56 + 2 * k] = (uint8_t)name[k];
}

/* ESP, IMGA (active), IMGB (unused), 128 entries of 128 bytes. */
static struct gpt_table *
make_table(void)
{
	struct gpt_table *t = calloc(1, sizeof(*t));

	t->block_size = BS;
	t->last_lba = LAST;
	t->first_usable = 34;
	t->last_usable = LAST - 33;
	t->primary_entries_lba = 2;
	t->backup_entries_lba = LAST - 32;
	for (int k = 0; k < 16; k++)
		t->disk_guid[k] = (uint8_t)(0xd0 + k);
	t->entry_count = 128;
	t->entry_size = 128;
	set_entry(t, 0, esp_type, "ESP", 34, 233, 0);
	set_entry(t, 1, gpt_type_img, "IMGA", 234, 1033, GPT_AB_ACTIVE);
	set_entry(t, 2, gpt_type_img, "IMGB", 1034, 1833, GPT_AB_UNUSED);
	return t;
}

static struct mdisk *
make_disk(const struct gpt_table *t)
{
	struct mdisk *d = calloc(1, sizeof(*d));
	struct gpt_io io = m_io(d);
	uint8_t blk[GPT_BLOCK_MAX];
	char err[GPT_ERR_MAX];

	d->fail_read_at = -1;
	assert_int_equal(gpt_disk_commit(&io, t, blk, err), 0);
	return d;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Recomputes a header's CRC after a test edits it. */
static void
reseal(uint8_t *h)
{
	memset(h + 16, 0, 4);
	uint32_t c = (uint32_t)crc32(0, h, 92);
	for (int k = 0; k < 4; k++)
		h[16 + k] = (uint8_t)(c >> (8 * k));
}

/* ---- tests ---- */

static void
test_crc32_matches_zlib(void **state)
{
	uint8_t buf[1000];

	(void)state;
	assert_int_equal(gpt_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(gpt_crc32(0, "", 0), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	for (size_t n = 0; n < sizeof(buf); n += 97)
		assert_int_equal(gpt_crc32(0, buf, n), (uint32_t)crc32(0, buf, (uInt)n));
	/* chaining */
	assert_int_equal(gpt_crc32(gpt_crc32(0, buf, 300), buf + 300, 700),
			 (uint32_t)crc32(0, buf, 1000));
}

static void
test_golden_layout(void **state)
{
	struct gpt_table *t = make_table();
	struct mdisk *d = make_disk(t);
	const uint8_t *p = d->b + BS, *b = d->b + LAST * BS;
	uint8_t h[92];

	(void)state;
	/* primary header fields */
	assert_memory_equal(p, "EFI PART", 8);
	assert_int_equal(le32(p + 8), 0x00010000);
	assert_int_equal(le32(p + 12), 92);
	assert_int_equal(le64(p + 24), 1);
	assert_int_equal(le64(p + 32), LAST);
	assert_int_equal(le64(p + 40), 34);
	assert_int_equal(le64(p + 48), LAST - 33);
	assert_memory_equal(p + 56, t->disk_guid, 16);
	assert_int_equal(le64(p + 72), 2);
	assert_int_equal(le32(p + 80), 128);
	assert_int_equal(le32(p + 84), 128);
	/* CRCs as zlib computes them */
	assert_int_equal(le32(p + 88), (uint32_t)crc32(0, d->b + 2 * BS, 128 * 128));
	memcpy(h, p, 92);
	memset(h + 16, 0, 4);
	assert_int_equal(le32(p + 16), (uint32_t)crc32(0, h, 92));
	/* backup: swapped LBAs, own entry array, same entries CRC */
	assert_int_equal(le64(b + 24), LAST);
	assert_int_equal(le64(b + 32), 1);
	assert_int_equal(le64(b + 72), LAST - 32);
	assert_int_equal(le32(b + 88), le32(p + 88));
	assert_memory_equal(d->b + 2 * BS, d->b + (LAST - 32) * BS, 128 * 128);
	memcpy(h, b, 92);
	memset(h + 16, 0, 4);
	assert_int_equal(le32(b + 16), (uint32_t)crc32(0, h, 92));
	/* entry 2 (IMGA): type GUID bytes and attribute word 0x102 << 48 */
	assert_memory_equal(d->b + 2 * BS + 128, gpt_type_img, 16);
	assert_int_equal(le64(d->b + 2 * BS + 128 + 48), 0x0102000000000000ull);
	/* two flushes: one per copy */
	assert_int_equal(d->flushes, 2);
	free(d);
	free(t);
}

static void
test_attributes(void **state)
{
	uint64_t a = 0xabcull; /* low bits are kept */

	(void)state;
	a = gpt_attr_set_priority(a, 3);
	a = gpt_attr_set_tries(a, 15);
	a = gpt_attr_set_successful(a, true);
	assert_int_equal(gpt_attr_priority(a), 3);
	assert_int_equal(gpt_attr_tries(a), 15);
	assert_true(gpt_attr_successful(a));
	assert_int_equal(gpt_attr_ab(a), 0x1f3);
	assert_int_equal(a & 0xffff, 0xabc);
	a = gpt_attr_set_ab(a, GPT_AB_UPDATING);
	assert_int_equal(gpt_attr_priority(a), 3);
	assert_int_equal(gpt_attr_tries(a), 1);
	assert_false(gpt_attr_successful(a));
	a = gpt_attr_set_ab(0, GPT_AB_ACTIVE);
	assert_int_equal(a, 0x0102000000000000ull);
	assert_int_equal(gpt_attr_priority(a), 2);
	assert_int_equal(gpt_attr_tries(a), 0);
	assert_true(gpt_attr_successful(a));
	assert_int_equal(gpt_attr_set_priority(a, 0x1f), gpt_attr_set_priority(a, 0xf));
}

static void
test_names_and_set(void **state)
{
	struct gpt_table *t = make_table();
	char n[GPT_NAME_MAX + 1];

	(void)state;
	gpt_entry_name(t, 1, n);
	assert_string_equal(n, "IMGA");
	assert_int_equal(gpt_find_name(t, "IMGB"), 2);
	assert_int_equal(gpt_find_name(t, "IMG"), -ENOENT);
	assert_int_equal(gpt_find_name(t, "IMGBX"), -ENOENT);
	assert_int_equal(gpt_set_ab(t, "IMGB", 3, 2, 0), 0);
	assert_int_equal(gpt_attr_ab(gpt_entry_attrs(t, 2)), 0x23);
	assert_int_equal(gpt_set_ab(t, "IMGB", -1, -1, 1), 0);
	assert_int_equal(gpt_attr_ab(gpt_entry_attrs(t, 2)), 0x123);
	assert_int_equal(gpt_set_ab(t, "IMGB", 16, -1, -1), -EINVAL);
	assert_int_equal(gpt_set_ab(t, "NOPE", 1, 1, 1), -ENOENT);
	free(t);
}

struct sel_case {
	const char *what;
	unsigned a, b;         /* A/B words of IMGA, IMGB */
	int want;              /* entry index: 1 IMGA, 2 IMGB, -1 none */
	bool changed, last_resort;
	unsigned a_after, b_after;
};

static void
test_select_cases(void **state)
{
	static const struct sel_case cases[] = {
		{ "A active, B unused", 0x102, 0x000, 1, false, false, 0x102, 0x000 },
		{ "B updating beats A", 0x102, 0x023, 2, true, false, 0x102, 0x013 },
		{ "B last try", 0x102, 0x013, 2, true, false, 0x102, 0x003 },
		{ "B out of tries: A", 0x102, 0x003, 1, false, false, 0x102, 0x003 },
		{ "B successful higher", 0x102, 0x103, 2, false, false, 0x102, 0x103 },
		{ "tie goes to lower index", 0x102, 0x102, 1, false, false, 0x102, 0x102 },
		{ "tie with tries: lower index, decremented", 0x022, 0x122, 1, true, false,
		  0x012, 0x122 },
		{ "priority 0 never qualifies", 0x1f0, 0x011, 2, true, false, 0x1f0, 0x001 },
		{ "none qualifies: highest priority", 0x003, 0x002, 1, false, true, 0x003, 0x002 },
		{ "none qualifies: B higher", 0x001, 0x004, 2, false, true, 0x001, 0x004 },
		{ "all unused: lower index", 0x000, 0x000, 1, false, true, 0x000, 0x000 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct sel_case *c = &cases[k];
		struct gpt_table *t = make_table();
		struct gpt_choice ch;

		print_message("# case: %s\n", c->what);
		gpt_entry_set_attrs(t, 1, gpt_attr_set_ab(0, c->a));
		gpt_entry_set_attrs(t, 2, gpt_attr_set_ab(0, c->b));
		/* dry run never changes the table */
		assert_int_equal(gpt_select(t, gpt_type_img, NULL, true, &ch), 0);
		assert_int_equal(ch.index, c->want);
		assert_false(ch.changed);
		assert_int_equal(gpt_attr_ab(gpt_entry_attrs(t, 1)), c->a);
		assert_int_equal(gpt_attr_ab(gpt_entry_attrs(t, 2)), c->b);
		assert_int_equal(gpt_select(t, gpt_type_img, NULL, false, &ch), 0);
		assert_int_equal(ch.index, c->want);
		assert_int_equal(ch.changed, c->changed);
		assert_int_equal(ch.last_resort, c->last_resort);
		assert_int_equal(gpt_attr_ab(gpt_entry_attrs(t, 1)), c->a_after);
		assert_int_equal(gpt_attr_ab(gpt_entry_attrs(t, 2)), c->b_after);
		free(t);
	}
}

static void
test_select_skip_and_none(void **state)
{
	struct gpt_table *t = make_table();
	struct gpt_choice ch;
	uint8_t skip[GPT_MAX_ENTRIES] = { 0 };

	(void)state;
	gpt_entry_set_attrs(t, 2, gpt_attr_set_ab(0, 0x013));
	skip[2] = 1;
	assert_int_equal(gpt_select(t, gpt_type_img, skip, false, &ch), 0);
	assert_int_equal(ch.index, 1);
	skip[1] = 1;
	assert_int_equal(gpt_select(t, gpt_type_img, skip, false, &ch), -ENOENT);
	assert_int_equal(ch.index, -1);
	/* the ESP is never an IMG candidate */
	memset(gpt_entry(t, 1), 0, 16);
	memset(gpt_entry(t, 2), 0, 16);
	assert_int_equal(gpt_select(t, gpt_type_img, NULL, false, &ch), -ENOENT);
	free(t);
}

static void
test_roundtrip_clean(void **state)
{
	struct gpt_table *t = make_table(), *u = calloc(1, sizeof(*u));
	struct mdisk *d = make_disk(t);
	struct gpt_io io = m_io(d);
	struct gpt_status st;
	struct gpt_scratch *s = malloc(sizeof(*s));

	(void)state;
	assert_int_equal(gpt_disk_load(&io, u, &st, s), 0);
	assert_int_equal(st.fix, GPT_FIX_NONE);
	assert_false(st.differ);
	assert_int_equal(u->entry_count, 128);
	assert_int_equal(u->backup_entries_lba, LAST - 32);
	assert_memory_equal(u->entries, t->entries, 128 * 128);
	assert_int_equal(gpt_attr_ab(gpt_entry_attrs(u, 1)), GPT_AB_ACTIVE);
	free(s);
	free(d);
	free(u);
	free(t);
}

/* Corrupts one copy in several ways; load takes the other, commit repairs. */
static void
check_repair(size_t off, uint8_t xor, enum gpt_fix want_fix, const char *want_err)
{
	struct gpt_table *t = make_table(), *u = calloc(1, sizeof(*u));
	struct mdisk *d = make_disk(t);
	struct gpt_io io = m_io(d);
	struct gpt_status st;
	struct gpt_scratch *s = malloc(sizeof(*s));
	uint8_t blk[GPT_BLOCK_MAX];
	char err[GPT_ERR_MAX];
	uint8_t *before = malloc(sizeof(d->b));

	memcpy(before, d->b, sizeof(d->b));
	d->b[off] ^= xor;
	assert_int_equal(gpt_disk_load(&io, u, &st, s), 0);
	assert_int_equal(st.fix, want_fix);
	assert_non_null(strstr(want_fix == GPT_FIX_PRIMARY ? st.primary_err : st.backup_err,
			       want_err));
	assert_memory_equal(u->entries, t->entries, 128 * 128);
	assert_int_equal(gpt_disk_commit(&io, u, blk, err), 0);
	assert_memory_equal(d->b, before, sizeof(d->b)); /* byte for byte as built */
	assert_int_equal(gpt_disk_load(&io, u, &st, s), 0);
	assert_int_equal(st.fix, GPT_FIX_NONE);
	free(before);
	free(s);
	free(d);
	free(u);
	free(t);
}

static void
test_repair(void **state)
{
	(void)state;
	check_repair(BS + 0, 0xff, GPT_FIX_PRIMARY, "primary GPT header: no \"EFI PART\"");
	check_repair(BS + 40, 0x01, GPT_FIX_PRIMARY, "primary GPT header: header CRC mismatch");
	check_repair(2 * BS + 128 + 48 + 6, 0x04, GPT_FIX_PRIMARY,
		     "primary GPT entries: entry array CRC mismatch");
	check_repair(LAST * BS + 3, 0x20, GPT_FIX_BACKUP, "backup GPT header: no \"EFI PART\"");
	check_repair(LAST * BS + 90, 0x20, GPT_FIX_BACKUP, "backup GPT header: header CRC");
	check_repair((LAST - 32) * BS + 70, 0x01, GPT_FIX_BACKUP,
		     "backup GPT entries: entry array CRC mismatch");
}

static void
test_differ_primary_wins(void **state)
{
	struct gpt_table *t = make_table(), *u = calloc(1, sizeof(*u));
	struct mdisk *d = make_disk(t);
	struct gpt_io io = m_io(d);
	struct gpt_status st;
	struct gpt_scratch *s = malloc(sizeof(*s));
	uint8_t blk[GPT_BLOCK_MAX];
	char err[GPT_ERR_MAX];

	(void)state;
	/* a commit that stopped after the primary: write only the primary */
	gpt_entry_set_attrs(t, 2, gpt_attr_set_ab(0, GPT_AB_UPDATING));
	memcpy(d->b + 2 * BS, t->entries, 128 * 128);
	gpt_header_build(t, false, blk);
	memcpy(d->b + BS, blk, BS);
	assert_int_equal(gpt_disk_load(&io, u, &st, s), 0);
	assert_true(st.differ);
	assert_int_equal(st.fix, GPT_FIX_BACKUP);
	assert_int_equal(gpt_attr_ab(gpt_entry_attrs(u, 2)), GPT_AB_UPDATING);
	assert_int_equal(gpt_disk_commit(&io, u, blk, err), 0);
	assert_int_equal(gpt_disk_load(&io, u, &st, s), 0);
	assert_false(st.differ);
	assert_int_equal(st.fix, GPT_FIX_NONE);
	assert_int_equal(le64(d->b + (LAST - 32) * BS + 2 * 128 + 48), 0x0013000000000000ull);
	free(s);
	free(d);
	free(u);
	free(t);
}

static void
test_both_corrupt_and_io_errors(void **state)
{
	struct gpt_table *t = make_table(), *u = calloc(1, sizeof(*u));
	struct mdisk *d = make_disk(t);
	struct gpt_io io = m_io(d);
	struct gpt_status st;
	struct gpt_scratch *s = malloc(sizeof(*s));

	(void)state;
	d->fail_read_at = 1;
	assert_int_equal(gpt_disk_load(&io, u, &st, s), 0); /* backup carries it */
	assert_int_equal(st.primary_rc, -EIO);
	assert_int_equal(st.fix, GPT_FIX_PRIMARY);
	d->fail_read_at = -1;
	d->b[BS] = 0;
	d->b[LAST * BS] = 0;
	assert_int_equal(gpt_disk_load(&io, u, &st, s), -EBADMSG);
	assert_non_null(strstr(st.primary_err, "primary GPT header"));
	assert_non_null(strstr(st.backup_err, "backup GPT header"));
	d->fail_read_at = LAST;
	assert_int_equal(gpt_disk_load(&io, u, &st, s), -EIO);
	free(s);
	free(d);
	free(u);
	free(t);
}

struct hostile {
	size_t off;
	int width; /* 4 or 8 */
	uint64_t value;
	const char *want;
};

static void
test_hostile_headers(void **state)
{
	static const struct hostile cases[] = {
		{ 80, 4, 0xffffffffu, "entry count 4294967295 out of range" },
		{ 80, 4, 0, "entry count 0 out of range" },
		{ 80, 4, 129, "entry count 129 out of range" },
		{ 84, 4, 0, "entry size 0 is not 128 * 2^n" },
		{ 84, 4, 384, "entry size 384" },
		{ 84, 4, 0x80000000u, "entry size" },
		{ 12, 4, 91, "header size 91 out of range" },
		{ 12, 4, 513, "header size 513 out of range" },
		{ 8, 4, 0x00020000, "unsupported revision" },
		{ 24, 8, 5, "my LBA 5 is not where the header is" },
		{ 32, 8, LAST + 1, "alternate LBA 2048 out of range" },
		{ 32, 8, 1, "alternate LBA 1 out of range" },
		{ 40, 8, 1, "usable LBAs out of range" },
		{ 48, 8, LAST, "usable LBAs out of range" },
		{ 48, 8, 1ull << 63, "usable LBAs out of range" },
		{ 72, 8, 0, "entry array LBA 0 out of range" },
		{ 72, 8, UINT64_MAX - 3, "entry array LBA" },
		{ 72, 8, 20, "entry array at LBA 20 overlaps" },
	};
	struct gpt_table *t = make_table();
	struct mdisk *d = make_disk(t);
	struct gpt_header h;
	char err[GPT_ERR_MAX];
	uint8_t blk[BS];

	(void)state;
	memcpy(blk, d->b + BS, BS);
	assert_int_equal(gpt_header_parse(blk, BS, 1, LAST, &h, err), 0);
	assert_int_equal(gpt_header_parse(blk, BS, 1, LAST, &h, NULL), 0);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memcpy(blk, d->b + BS, BS);
		for (int i = 0; i < cases[k].width; i++)
			blk[cases[k].off + i] = (uint8_t)(cases[k].value >> (8 * i));
		/* the CRC must not be what rejects it */
		reseal(blk);
		print_message("# hostile: %s\n", cases[k].want);
		assert_int_equal(gpt_header_parse(blk, BS, 1, LAST, &h, err), -EBADMSG);
		assert_non_null(strstr(err, "primary GPT header: "));
		assert_non_null(strstr(err, cases[k].want));
	}
	/* CRC mismatch itself */
	memcpy(blk, d->b + BS, BS);
	blk[60] ^= 1;
	assert_int_equal(gpt_header_parse(blk, BS, 1, LAST, &h, err), -EBADMSG);
	assert_string_equal(err, "primary GPT header: header CRC mismatch");
	/* the backup checked as a backup; the primary is not a backup */
	memcpy(blk, d->b + LAST * BS, BS);
	assert_int_equal(gpt_header_parse(blk, BS, LAST, LAST, &h, err), 0);
	memcpy(blk, d->b + BS, BS);
	assert_int_equal(gpt_header_parse(blk, BS, LAST, LAST, &h, err), -EBADMSG);
	assert_non_null(strstr(err, "backup GPT header: my LBA 1"));
	/* odd block size, header outside the disk */
	assert_int_equal(gpt_header_parse(blk, 1000, 1, LAST, &h, err), -EBADMSG);
	assert_int_equal(gpt_header_parse(blk, BS, LAST + 1, LAST, &h, err), -EBADMSG);
	free(d);
	free(t);
}

static void
test_hostile_entries(void **state)
{
	struct gpt_table *t = make_table();
	struct mdisk *d = make_disk(t);
	struct gpt_header h;
	char err[GPT_ERR_MAX];
	uint8_t *e = d->b + 2 * BS;

	(void)state;
	assert_int_equal(gpt_header_parse(d->b + BS, BS, 1, LAST, &h, err), 0);
	assert_int_equal(gpt_entries_check(&h, e, "primary GPT entries", err), 0);
	/* an entry reaching past the usable LBAs, CRC fixed up */
	e[128 * 2 + 40 + 1] = 0x7f;
	h.entries_crc = (uint32_t)crc32(0, e, 128 * 128);
	assert_int_equal(gpt_entries_check(&h, e, "primary GPT entries", err), -EBADMSG);
	assert_string_equal(err, "primary GPT entries: entry 3 lies outside the usable LBAs");
	free(d);
	free(t);
}

static void
test_commit_refuses_bad_layout(void **state)
{
	struct gpt_table *t = make_table();
	struct mdisk *d = calloc(1, sizeof(*d));
	struct gpt_io io = m_io(d);
	uint8_t blk[GPT_BLOCK_MAX];
	char err[GPT_ERR_MAX];

	(void)state;
	t->backup_entries_lba = LAST - 10; /* 32 blocks do not fit */
	assert_int_equal(gpt_disk_commit(&io, t, blk, err), -EINVAL);
	assert_non_null(strstr(err, "does not fit"));
	t->backup_entries_lba = LAST - 32;
	io.last_lba = LAST - 1;
	assert_int_equal(gpt_disk_commit(&io, t, blk, err), -EINVAL);
	assert_int_equal(d->writes, 0);
	free(d);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_matches_zlib),
		cmocka_unit_test(test_golden_layout),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_names_and_set),
		cmocka_unit_test(test_select_cases),
		cmocka_unit_test(test_select_skip_and_none),
		cmocka_unit_test(test_roundtrip_clean),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_differ_primary_wins),
		cmocka_unit_test(test_both_corrupt_and_io_errors),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_commit_refuses_bad_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
