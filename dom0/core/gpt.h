/*
 * gpt — GUID Partition Table: parse, check, repair and write both copies,
 * and the A/B attributes of DESIGN.md §7 (ChromeOS/EVE layout).
 *
 * Pure and freestanding-safe: no allocation, no stdio, no globals; of libc
 * only memcpy/memset/memcmp (the EFI boot selector links this file too).
 * Every buffer belongs to the caller.  Disk access, where needed, goes
 * through the caller's struct gpt_io callbacks (gptctl: pread/pwrite/fsync
 * on an image file; edgeboot: EFI BlockIo; tests and the fuzzer: memory).
 *
 * On disk (little-endian), for block size BS and last block L:
 *   LBA 0            protective MBR (never touched here)
 *   LBA 1            primary header    (my 1, alternate L, entries at 2)
 *   LBA 2..          primary entry array (count * size bytes)
 *   ..L-1            backup entry array
 *   LBA L            backup header     (my L, alternate 1, entries before it)
 * Header: "EFI PART", revision 1.0, header size (92..BS), CRC-32 of the
 * header with the CRC field zeroed, my/alternate LBA, first/last usable
 * LBA, disk GUID, entry array LBA, entry count, entry size (128 * 2^n),
 * CRC-32 of the array.  Entry: type GUID, unique GUID, first/last LBA,
 * attributes (u64), name (36 UTF-16LE units).
 *
 * Bounds: block size 512..4096, entry array at most GPT_ENTRIES_MAX bytes
 * (128 entries of 128 bytes, what sgdisk and cgpt write).
 *
 * A/B attributes (bits of the entry's attribute word):
 *   48..51 priority (0 = never boot), 52..55 tries left, 56 successful.
 *   active 0x102<<48, updating 0x13<<48 (prio 3, 1 try), unused 0.
 *
 * Writing order (gpt_disk_commit): primary array, primary header, flush,
 * then backup array, backup header, flush.  A write torn anywhere leaves
 * one valid copy; when both copies are valid but differ, the primary is
 * the one written last by a completed step, so gpt_disk_load takes it.
 */
#ifndef EV_GPT_H
#define EV_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPT_HEADER_MIN 92u
#define GPT_ENTRY_MIN 128u
#define GPT_ENTRIES_MAX 16384u     /* bytes of one entry array */
#define GPT_BLOCK_MAX 4096u
#define GPT_MAX_ENTRIES (GPT_ENTRIES_MAX / GPT_ENTRY_MIN)
#define GPT_NAME_MAX 36            /* UTF-16 units in an entry name */
#define GPT_ERR_MAX 128

/* Attribute bits (DESIGN.md §7). */
#define GPT_ATTR_PRIORITY_SHIFT 48
#define GPT_ATTR_TRIES_SHIFT 52
#define GPT_ATTR_SUCCESSFUL_SHIFT 56
#define GPT_AB_ACTIVE 0x102u
#define GPT_AB_UPDATING 0x13u
#define GPT_AB_INPROGRESS 0x3u
#define GPT_AB_UNUSED 0x0u

/* The IMGA/IMGB type, 5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6, as on disk. */
extern const uint8_t gpt_type_img[16];

/* The table as one consistent picture of both copies. */
struct gpt_table {
	uint32_t block_size;
	uint64_t last_lba;          /* of the disk: where the backup header goes */
	uint64_t first_usable, last_usable;
	uint64_t primary_entries_lba, backup_entries_lba;
	uint8_t disk_guid[16];
	uint32_t entry_count, entry_size;
	uint8_t entries[GPT_ENTRIES_MAX]; /* entry_count * entry_size used */
};

/* A decoded header (one copy). */
struct gpt_header {
	uint32_t revision, header_size, header_crc;
	uint64_t my_lba, alternate_lba, first_usable, last_usable, entries_lba;
	uint8_t disk_guid[16];
	uint32_t entry_count, entry_size, entries_crc;
};

/* GPT's CRC-32 (zlib's: reflected 0xEDB88320): gpt_crc32(0, p, n)
 * equals zlib's crc32(0, p, n); chain by passing the previous value. */
uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t n);

/* Parses and checks the header in blk (block_size bytes) that should be
 * the copy at LBA at of a disk whose last LBA is last (at == 1: primary,
 * else backup).  0, or -EBADMSG with err "primary GPT header: REASON"
 * (err may be NULL). */
int gpt_header_parse(const uint8_t *blk, uint32_t block_size, uint64_t at, uint64_t last,
		     struct gpt_header *h, char err[GPT_ERR_MAX]);
/* Bytes of the entry array h describes (entry_count * entry_size) and
 * rounded up to whole blocks. */
size_t gpt_entries_bytes(const struct gpt_header *h);
size_t gpt_entries_blocks(const struct gpt_header *h, uint32_t block_size);
/* Checks an entry array (gpt_entries_bytes(h) bytes) against h: CRC and
 * that every used entry lies within the usable LBAs.  0 or -EBADMSG;
 * what names the copy ("backup GPT entries"). */
int gpt_entries_check(const struct gpt_header *h, const uint8_t *entries, const char *what,
		      char err[GPT_ERR_MAX]);
/* Fills t from a checked header and its entry array. */
void gpt_table_from(struct gpt_table *t, const struct gpt_header *h, const uint8_t *entries,
		    uint32_t block_size, uint64_t last_lba);
/* Checks t can be written on its disk (layout, bounds): 0 or -EINVAL. */
int gpt_table_check(const struct gpt_table *t, char err[GPT_ERR_MAX]);

/* Encodes the header of one copy into blk (t->block_size bytes, zero
 * padded) with both CRCs; backup selects the copy.  The entry array is
 * t->entries as is (same bytes for both copies). */
void gpt_header_build(const struct gpt_table *t, bool backup, uint8_t *blk);

/* Entries. */
uint8_t *gpt_entry(struct gpt_table *t, uint32_t i);
const uint8_t *gpt_entry_const(const struct gpt_table *t, uint32_t i);
bool gpt_entry_used(const struct gpt_table *t, uint32_t i);  /* type GUID not zero */
uint64_t gpt_entry_attrs(const struct gpt_table *t, uint32_t i);
void gpt_entry_set_attrs(struct gpt_table *t, uint32_t i, uint64_t attrs);
/* The name as ASCII (other units become '?'), NUL-terminated. */
void gpt_entry_name(const struct gpt_table *t, uint32_t i, char out[GPT_NAME_MAX + 1]);
/* Index of the used entry named name (ASCII, exact), or -ENOENT. */
int gpt_find_name(const struct gpt_table *t, const char *name);

/* Attribute fields. */
unsigned gpt_attr_priority(uint64_t a);
unsigned gpt_attr_tries(uint64_t a);
bool gpt_attr_successful(uint64_t a);
uint64_t gpt_attr_set_priority(uint64_t a, unsigned v); /* v & 15 */
uint64_t gpt_attr_set_tries(uint64_t a, unsigned v);    /* v & 15 */
uint64_t gpt_attr_set_successful(uint64_t a, bool v);
/* The 16-bit A/B word (bits 48..63), e.g. 0x102 for active. */
unsigned gpt_attr_ab(uint64_t a);
uint64_t gpt_attr_set_ab(uint64_t a, unsigned ab);

/* Boot selection among used entries of type type (gpt_type_img):
 * the highest priority with tries > 0 or successful; ties go to the lower
 * index; skip (entry_count flags, may be NULL) excludes entries.
 * Qualifying: choice->index, and unless successful (or dry_run) tries is
 * decremented in t and choice->changed is set.
 * None qualifies: choice->last_resort, index = the highest-priority entry
 * of that type not skipped (ties: lower index), t unchanged; -ENOENT (and
 * index -1) when there is no such entry at all. */
struct gpt_choice {
	int index;
	bool changed, last_resort;
};
int gpt_select(struct gpt_table *t, const uint8_t type[16], const uint8_t *skip, bool dry_run,
	       struct gpt_choice *choice);

/* ---- disks through callbacks ---- */
struct gpt_io {
	void *ctx;
	uint32_t block_size;  /* 512..4096, a power of two */
	uint64_t last_lba;    /* last block of the whole disk */
	/* len is a multiple of block_size; 0 or a negative errno */
	int (*read)(void *ctx, uint64_t lba, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t lba, const void *buf, size_t len);
	int (*flush)(void *ctx);
};

/* What gpt_disk_load found. */
enum gpt_fix { GPT_FIX_NONE, GPT_FIX_PRIMARY, GPT_FIX_BACKUP };
struct gpt_status {
	int primary_rc, backup_rc;        /* 0 valid, -EBADMSG corrupt, other: I/O */
	char primary_err[GPT_ERR_MAX], backup_err[GPT_ERR_MAX];
	bool differ;                      /* both valid, not the same table */
	enum gpt_fix fix;                 /* which copy needs rewriting */
};

/* Scratch for gpt_disk_load: caller-owned (about 20 KiB). */
struct gpt_scratch {
	uint8_t blk[GPT_BLOCK_MAX];
	uint8_t entries[GPT_ENTRIES_MAX];
};

/* Reads both copies into t.  The primary wins when valid; otherwise the
 * backup (st->fix says which copy is stale: commit to repair).  0, or
 * -EBADMSG when neither copy is valid (both reasons in st), or the I/O
 * error.  Nothing is written. */
int gpt_disk_load(const struct gpt_io *io, struct gpt_table *t, struct gpt_status *st,
		  struct gpt_scratch *s);
/* Writes both copies of t (order in the top comment), flushing after
 * each.  blk: caller scratch of GPT_BLOCK_MAX bytes.  0 or the error. */
int gpt_disk_commit(const struct gpt_io *io, const struct gpt_table *t, uint8_t *blk,
		    char err[GPT_ERR_MAX]);

/* Sets the A/B fields of the entry named name (priority/tries: -1 leaves
 * it, successful: -1 leaves it) in t.  0 or -ENOENT / -EINVAL. */
int gpt_set_ab(struct gpt_table *t, const char *name, int priority, int tries, int successful);

#endif
