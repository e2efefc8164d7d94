/* gpt — see gpt.h.  Freestanding-safe: memcpy/memset/memcmp only. */
#include "gpt.h"

#include <errno.h>
#include <string.h>

const uint8_t gpt_type_img[16] = { 0xf4, 0xf5, 0xfb, 0x5d, 0x48, 0x28, 0xac, 0x4b,
				   0xaa, 0x5e, 0x0d, 0x9a, 0x20, 0xb7, 0x45, 0xa6 };

#define GPT_REVISION 0x00010000u
#define E_TYPE 0
#define E_UNIQUE 16
#define E_FIRST 32
#define E_LAST 40
#define E_ATTRS 48
#define E_NAME 56

/* ---- little helpers ---- */

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Error text without stdio: err = a + b [+ decimal v]. */
static void
ecat(char *err, size_t *n, const char *s)
{
	while (*s && *n + 1 < GPT_ERR_MAX)
		err[(*n)++] = *s++;
	err[*n] = '\0';
}

static void
enum64(char *err, size_t *n, uint64_t v)
{
	char d[21];
	int k = 0;

	do {
		d[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k < 20);
	while (k > 0 && *n + 1 < GPT_ERR_MAX)
		err[(*n)++] = d[--k];
	err[*n] = '\0';
}

static int
fail(char *err, const char *what, const char *reason, const char *more, uint64_t v, bool hasv)
{
	size_t n = 0;

	if (!err)
		return -EBADMSG;
	err[0] = '\0';
	ecat(err, &n, what);
	ecat(err, &n, ": ");
	ecat(err, &n, reason);
	if (hasv)
		enum64(err, &n, v);
	if (more)
		ecat(err, &n, more);
	return -EBADMSG;
}

uint32_t
gpt_crc32(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static bool
is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool
zero16(const uint8_t *p)
{
	for (int i = 0; i < 16; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- parse ---- */

size_t
gpt_entries_bytes(const struct gpt_header *h)
{
	return (size_t)h->entry_count * h->entry_size;
}

size_t
gpt_entries_blocks(const struct gpt_header *h, uint32_t block_size)
{
	return (gpt_entries_bytes(h) + block_size - 1) / block_size;
}

int
gpt_header_parse(const uint8_t *blk, uint32_t bs, uint64_t at, uint64_t last,
		 struct gpt_header *h, char err[GPT_ERR_MAX])
{
	const char *what = at == 1 ? "primary GPT header" : "backup GPT header";
	uint8_t tmp[GPT_BLOCK_MAX];
	uint64_t ent_blocks, ent_end;

	if (bs < 512 || bs > GPT_BLOCK_MAX || !is_pow2(bs))
		return fail(err, what, "unsupported block size ", NULL, bs, true);
	if (at < 1 || at > last)
		return fail(err, what, "location outside the disk: LBA ", NULL, at, true);
	if (memcmp(blk, "EFI PART", 8) != 0)
		return fail(err, what, "no \"EFI PART\" signature", NULL, 0, false);
	memset(h, 0, sizeof(*h));
	h->revision = get32(blk + 8);
	h->header_size = get32(blk + 12);
	h->header_crc = get32(blk + 16);
	h->my_lba = get64(blk + 24);
	h->alternate_lba = get64(blk + 32);
	h->first_usable = get64(blk + 40);
	h->last_usable = get64(blk + 48);
	memcpy(h->disk_guid, blk + 56, 16);
	h->entries_lba = get64(blk + 72);
	h->entry_count = get32(blk + 80);
	h->entry_size = get32(blk + 84);
	h->entries_crc = get32(blk + 88);

	if (h->revision >> 16 != 1)
		return fail(err, what, "unsupported revision", NULL, 0, false);
	if (h->header_size < GPT_HEADER_MIN || h->header_size > bs)
		return fail(err, what, "header size ", " out of range", h->header_size, true);
	memcpy(tmp, blk, h->header_size);
	put32(tmp + 16, 0);
	if (gpt_crc32(0, tmp, h->header_size) != h->header_crc)
		return fail(err, what, "header CRC mismatch", NULL, 0, false);
	if (h->my_lba != at)
		return fail(err, what, "my LBA ", " is not where the header is", h->my_lba, true);
	if (at == 1 ? (h->alternate_lba <= 1 || h->alternate_lba > last) : h->alternate_lba != 1)
		return fail(err, what, "alternate LBA ", " out of range", h->alternate_lba, true);
	if (h->entry_size < GPT_ENTRY_MIN || h->entry_size % GPT_ENTRY_MIN ||
	    !is_pow2(h->entry_size / GPT_ENTRY_MIN) || h->entry_size > GPT_ENTRIES_MAX)
		return fail(err, what, "entry size ", " is not 128 * 2^n", h->entry_size, true);
	if (h->entry_count == 0 || (uint64_t)h->entry_count * h->entry_size > GPT_ENTRIES_MAX)
		return fail(err, what, "entry count ", " out of range", h->entry_count, true);
	if (h->first_usable > h->last_usable || h->first_usable < 2 || h->last_usable >= last)
		return fail(err, what, "usable LBAs out of range, first ", NULL, h->first_usable,
			    true);
	ent_blocks = gpt_entries_blocks(h, bs);
	ent_end = h->entries_lba + ent_blocks - 1;
	if (h->entries_lba < 2 || h->entries_lba > last || ent_end > last || ent_end < h->entries_lba)
		return fail(err, what, "entry array LBA ", " out of range", h->entries_lba, true);
	if (at == 1 ? ent_end >= h->first_usable
		    : (h->entries_lba <= h->last_usable || ent_end >= at))
		return fail(err, what, "entry array at LBA ", " overlaps the partitions or header",
			    h->entries_lba, true);
	return 0;
}

int
gpt_entries_check(const struct gpt_header *h, const uint8_t *e, const char *what,
		  char err[GPT_ERR_MAX])
{
	if (gpt_crc32(0, e, gpt_entries_bytes(h)) != h->entries_crc)
		return fail(err, what, "entry array CRC mismatch", NULL, 0, false);
	for (uint32_t i = 0; i < h->entry_count; i++) {
		const uint8_t *p = e + (size_t)i * h->entry_size;
		uint64_t first = get64(p + E_FIRST), lastl = get64(p + E_LAST);

		if (zero16(p + E_TYPE))
			continue;
		if (first > lastl || first < h->first_usable || lastl > h->last_usable)
			return fail(err, what, "entry ", " lies outside the usable LBAs", i + 1,
				    true);
	}
	return 0;
}

void
gpt_table_from(struct gpt_table *t, const struct gpt_header *h, const uint8_t *entries,
	       uint32_t bs, uint64_t last_lba)
{
	size_t n = gpt_entries_bytes(h), blocks = gpt_entries_blocks(h, bs);

	memset(t, 0, sizeof(*t));
	t->block_size = bs;
	t->last_lba = last_lba;
	t->first_usable = h->first_usable;
	t->last_usable = h->last_usable;
	memcpy(t->disk_guid, h->disk_guid, 16);
	t->entry_count = h->entry_count;
	t->entry_size = h->entry_size;
	memcpy(t->entries, entries, n);
	/* Keep each copy's array where the header found it when it is
	 * the usual place; the other copy's goes in its standard place. */
	if (h->my_lba == 1) {
		t->primary_entries_lba = h->entries_lba;
		t->backup_entries_lba = last_lba - blocks;
	} else {
		t->primary_entries_lba = 2;
		t->backup_entries_lba = h->entries_lba;
	}
}

int
gpt_table_check(const struct gpt_table *t, char err[GPT_ERR_MAX])
{
	const char *what = "GPT to write";
	struct gpt_header h = { .entry_count = t->entry_count, .entry_size = t->entry_size };
	uint64_t blocks;

	if (t->block_size < 512 || t->block_size > GPT_BLOCK_MAX || !is_pow2(t->block_size))
		return fail(err, what, "block size ", NULL, t->block_size, true), -EINVAL;
	if (t->entry_size < GPT_ENTRY_MIN || t->entry_size % GPT_ENTRY_MIN || !t->entry_count ||
	    (uint64_t)t->entry_count * t->entry_size > GPT_ENTRIES_MAX)
		return fail(err, what, "entry array geometry", NULL, 0, false), -EINVAL;
	blocks = gpt_entries_blocks(&h, t->block_size);
	if (t->primary_entries_lba < 2 || t->primary_entries_lba + blocks > t->first_usable ||
	    t->first_usable > t->last_usable || t->last_usable >= t->backup_entries_lba ||
	    t->backup_entries_lba + blocks > t->last_lba || t->last_lba < 3)
		return fail(err, what, "layout does not fit a disk of last LBA ", NULL, t->last_lba,
			    true), -EINVAL;
	return 0;
}

/* ---- build ---- */

void
gpt_header_build(const struct gpt_table *t, bool backup, uint8_t *blk)
{
	memset(blk, 0, t->block_size);
	memcpy(blk, "EFI PART", 8);
	put32(blk + 8, GPT_REVISION);
	put32(blk + 12, GPT_HEADER_MIN);
	put64(blk + 24, backup ? t->last_lba : 1);
	put64(blk + 32, backup ? 1 : t->last_lba);
	put64(blk + 40, t->first_usable);
	put64(blk + 48, t->last_usable);
	memcpy(blk + 56, t->disk_guid, 16);
	put64(blk + 72, backup ? t->backup_entries_lba : t->primary_entries_lba);
	put32(blk + 80, t->entry_count);
	put32(blk + 84, t->entry_size);
	put32(blk + 88, gpt_crc32(0, t->entries, (size_t)t->entry_count * t->entry_size));
	put32(blk + 16, gpt_crc32(0, blk, GPT_HEADER_MIN));
}

/* ---- entries ---- */

uint8_t *
gpt_entry(struct gpt_table *t, uint32_t i)
{
	return t->entries + (size_t)i * t->entry_size;
}

const uint8_t *
gpt_entry_const(const struct gpt_table *t, uint32_t i)
{
	return t->entries + (size_t)i * t->entry_size;
}

bool
gpt_entry_used(const struct gpt_table *t, uint32_t i)
{
	return i < t->entry_count && !zero16(gpt_entry_const(t, i) + E_TYPE);
}

uint64_t
gpt_entry_attrs(const struct gpt_table *t, uint32_t i)
{
	return get64(gpt_entry_const(t, i) + E_ATTRS);
}

void
gpt_entry_set_attrs(struct gpt_table *t, uint32_t i, uint64_t a)
{
	put64(gpt_entry(t, i) + E_ATTRS, a);
}

void
gpt_entry_name(const struct gpt_table *t, uint32_t i, char out[GPT_NAME_MAX + 1])
{
	const uint8_t *p = gpt_entry_const(t, i) + E_NAME;
	int k;

	for (k = 0; k < GPT_NAME_MAX; k++) {
		unsigned u = (unsigned)p[2 * k] | (unsigned)p[2 * k + 1] << 8;

		if (!u)
			break;
		out[k] = u >= 0x20 && u < 0x7f ? (char)u : '?';
	}
	out[k] = '\0';
}

int
gpt_find_name(const struct gpt_table *t, const char *name)
{
	char n[GPT_NAME_MAX + 1];
	int k;

	for (uint32_t i = 0; i < t->entry_count && i < GPT_MAX_ENTRIES; i++) {
		if (!gpt_entry_used(t, i))
			continue;
		gpt_entry_name(t, i, n);
		for (k = 0; n[k] && n[k] == name[k]; k++)
			;
		if (n[k] == name[k])
			return (int)i;
	}
	return -ENOENT;
}

/* ---- attributes ---- */

unsigned
gpt_attr_priority(uint64_t a)
{
	return (unsigned)(a >> GPT_ATTR_PRIORITY_SHIFT) & 15u;
}

unsigned
gpt_attr_tries(uint64_t a)
{
	return (unsigned)(a >> GPT_ATTR_TRIES_SHIFT) & 15u;
}

bool
gpt_attr_successful(uint64_t a)
{
	return (a >> GPT_ATTR_SUCCESSFUL_SHIFT) & 1u;
}

uint64_t
gpt_attr_set_priority(uint64_t a, unsigned v)
{
	return (a & ~(15ull << GPT_ATTR_PRIORITY_SHIFT)) |
	       (uint64_t)(v & 15u) << GPT_ATTR_PRIORITY_SHIFT;
}

uint64_t
gpt_attr_set_tries(uint64_t a, unsigned v)
{
	return (a & ~(15ull << GPT_ATTR_TRIES_SHIFT)) | (uint64_t)(v & 15u) << GPT_ATTR_TRIES_SHIFT;
}

uint64_t
gpt_attr_set_successful(uint64_t a, bool v)
{
	return (a & ~(1ull << GPT_ATTR_SUCCESSFUL_SHIFT)) |
	       (uint64_t)(v ? 1u : 0u) << GPT_ATTR_SUCCESSFUL_SHIFT;
}

unsigned
gpt_attr_ab(uint64_t a)
{
	return (unsigned)(a >> GPT_ATTR_PRIORITY_SHIFT) & 0xffffu;
}

uint64_t
gpt_attr_set_ab(uint64_t a, unsigned ab)
{
	return (a & ~(0xffffull << GPT_ATTR_PRIORITY_SHIFT)) |
	       (uint64_t)(ab & 0xffffu) << GPT_ATTR_PRIORITY_SHIFT;
}

int
gpt_set_ab(struct gpt_table *t, const char *name, int priority, int tries, int successful)
{
	int i = gpt_find_name(t, name);
	uint64_t a;

	if (i < 0)
		return i;
	if (priority > 15 || tries > 15 || successful > 1)
		return -EINVAL;
	a = gpt_entry_attrs(t, (uint32_t)i);
	if (priority >= 0)
		a = gpt_attr_set_priority(a, (unsigned)priority);
	if (tries >= 0)
		a = gpt_attr_set_tries(a, (unsigned)tries);
	if (successful >= 0)
		a = gpt_attr_set_successful(a, successful == 1);
	gpt_entry_set_attrs(t, (uint32_t)i, a);
	return 0;
}

/* ---- selection ---- */

int
gpt_select(struct gpt_table *t, const uint8_t type[16], const uint8_t *skip, bool dry_run,
	   struct gpt_choice *c)
{
	int best = -1, any = -1;
	unsigned best_p = 0, any_p = 0;
	uint64_t a;

	c->index = -1;
	c->changed = c->last_resort = false;
	for (uint32_t i = 0; i < t->entry_count && i < GPT_MAX_ENTRIES; i++) {
		const uint8_t *e = gpt_entry_const(t, i);
		unsigned p;

		if ((skip && skip[i]) || memcmp(e + E_TYPE, type, 16) != 0)
			continue;
		a = get64(e + E_ATTRS);
		p = gpt_attr_priority(a);
		if (any < 0 || p > any_p) {
			any = (int)i;
			any_p = p;
		}
		if (p == 0 || !(gpt_attr_tries(a) > 0 || gpt_attr_successful(a)))
			continue;
		if (best < 0 || p > best_p) {
			best = (int)i;
			best_p = p;
		}
	}
	if (best < 0) {
		c->index = any;
		c->last_resort = any >= 0;
		return any >= 0 ? 0 : -ENOENT;
	}
	c->index = best;
	a = gpt_entry_attrs(t, (uint32_t)best);
	if (!gpt_attr_successful(a) && !dry_run) {
		gpt_entry_set_attrs(t, (uint32_t)best,
				    gpt_attr_set_tries(a, gpt_attr_tries(a) - 1));
		c->changed = true;
	}
	return 0;
}

/* ---- disks ---- */

static int
load_copy(const struct gpt_io *io, uint64_t at, struct gpt_header *h, struct gpt_scratch *s,
	  char *err)
{
	const char *what = at == 1 ? "primary GPT entries" : "backup GPT entries";
	int rc = io->read(io->ctx, at, s->blk, io->block_size);
	size_t blocks;

	if (rc < 0) {
		fail(err, at == 1 ? "primary GPT header" : "backup GPT header", "read failed", NULL,
		     0, false);
		return rc;
	}
	rc = gpt_header_parse(s->blk, io->block_size, at, io->last_lba, h, err);
	if (rc < 0)
		return rc;
	blocks = gpt_entries_blocks(h, io->block_size);
	rc = io->read(io->ctx, h->entries_lba, s->entries, blocks * io->block_size);
	if (rc < 0) {
		fail(err, what, "read failed", NULL, 0, false);
		return rc;
	}
	return gpt_entries_check(h, s->entries, what, err);
}

static bool
same_table(const struct gpt_header *p, const struct gpt_header *b)
{
	return p->alternate_lba == b->my_lba && p->first_usable == b->first_usable &&
	       p->last_usable == b->last_usable && !memcmp(p->disk_guid, b->disk_guid, 16) &&
	       p->entry_count == b->entry_count && p->entry_size == b->entry_size &&
	       p->entries_crc == b->entries_crc;
}

int
gpt_disk_load(const struct gpt_io *io, struct gpt_table *t, struct gpt_status *st,
	      struct gpt_scratch *s)
{
	struct gpt_header ph, bh;
	uint64_t backup_at = io->last_lba;

	memset(st, 0, sizeof(*st));
	if (io->block_size < 512 || io->block_size > GPT_BLOCK_MAX || !is_pow2(io->block_size) ||
	    io->last_lba < 3)
		return -EINVAL;
	st->primary_rc = load_copy(io, 1, &ph, s, st->primary_err);
	if (st->primary_rc == 0) {
		/* the backup is where the primary says (a grown disk keeps it
		 * there until rewritten; we rewrite it at the disk's end) */
		gpt_table_from(t, &ph, s->entries, io->block_size, io->last_lba);
		backup_at = ph.alternate_lba;
	}
	st->backup_rc = load_copy(io, backup_at, &bh, s, st->backup_err);
	if (st->primary_rc == 0) {
		if (st->backup_rc != 0 || backup_at != io->last_lba) {
			st->fix = GPT_FIX_BACKUP;
		} else if (!same_table(&ph, &bh) ||
			   memcmp(t->entries, s->entries, gpt_entries_bytes(&ph)) != 0) {
			st->differ = true;
			st->fix = GPT_FIX_BACKUP;
		}
		return 0;
	}
	if (st->backup_rc != 0)
		return st->primary_rc == -EBADMSG && st->backup_rc == -EBADMSG ? -EBADMSG
			: st->primary_rc != -EBADMSG ? st->primary_rc : st->backup_rc;
	gpt_table_from(t, &bh, s->entries, io->block_size, io->last_lba);
	st->fix = GPT_FIX_PRIMARY;
	return 0;
}

int
gpt_disk_commit(const struct gpt_io *io, const struct gpt_table *t, uint8_t *blk,
		char err[GPT_ERR_MAX])
{
	struct gpt_header h = { .entry_count = t->entry_count, .entry_size = t->entry_size };
	size_t bytes = gpt_entries_blocks(&h, t->block_size) * t->block_size;
	int rc = gpt_table_check(t, err);

	if (rc < 0)
		return rc;
	if (io->block_size != t->block_size || io->last_lba != t->last_lba)
		return fail(err, "GPT to write", "geometry differs from the disk", NULL, 0, false),
		       -EINVAL;
	/* Entry arrays are written whole blocks at a time: bytes past the
	 * array inside its last block are whatever t->entries holds there
	 * (zero after gpt_table_from); GPT_ENTRIES_MAX is block aligned. */
	for (int copy = 0; copy < 2; copy++) {
		bool backup = copy == 1;
		uint64_t elba = backup ? t->backup_entries_lba : t->primary_entries_lba;

		rc = io->write(io->ctx, elba, t->entries, bytes);
		if (rc < 0)
			goto io_fail;
		gpt_header_build(t, backup, blk);
		rc = io->write(io->ctx, backup ? t->last_lba : 1, blk, t->block_size);
		if (rc < 0)
			goto io_fail;
		rc = io->flush ? io->flush(io->ctx) : 0;
		if (rc < 0)
			goto io_fail;
	}
	return 0;
io_fail:
	fail(err, "GPT", "write or flush failed", NULL, 0, false);
	return rc;
}
