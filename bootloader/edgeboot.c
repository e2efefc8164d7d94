/*
 * edgeboot — the EFI boot selector (\EFI\BOOT\BOOTX64.EFI on the ESP).
 *
 * 1. Finds the whole-disk BlockIo of the disk it was loaded from (the
 *    device path of its own partition up to the HARDDRIVE node).
 * 2. Reads both GPT copies (dom0/core/gpt, the same code eved and gptctl
 *    use), repairs a corrupt or stale copy from the good one.
 * 3. Selects among the IMG partitions (highest priority with tries > 0 or
 *    successful; ties: lower index), decrements tries unless successful,
 *    writes both copies (WriteBlocks + FlushBlocks) before booting, and
 *    prints one line to ConOut (the serial console under OVMF).
 * 4. LoadImage/StartImage \xen.efi from the chosen partition (found by
 *    its unique GUID in a HARDDRIVE device path node on the same disk),
 *    by full device path so xen.efi finds xen.cfg beside it.
 * A slot whose \xen.efi does not load, or returns, gets priority 0 in
 * both copies and the next choice is tried.  When nothing is left:
 * a message, 10 s, a reset.  When no IMG slot qualifies, the one with
 * the highest priority boots anyway as a last resort (said on the line).
 *
 * Memory: the GPT buffers are static; the firmware owns handle buffers
 * until FreePool.
 */
#include <efi.h>
#include <efilib.h>

#include "gpt.h"

/* gnu-efi's libefi provides memcpy and memset; gpt.c needs memcmp too. */
int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

static struct gpt_table table;
static struct gpt_scratch scratch;
static UINT8 blk[GPT_BLOCK_MAX];
/* BlockIo transfers go through this aligned bounce buffer (IoAlign). */
static UINT8 bounce[GPT_ENTRIES_MAX + GPT_BLOCK_MAX] __attribute__((aligned(4096)));

struct disk {
	EFI_BLOCK_IO *bio;
	EFI_HANDLE handle;
	EFI_DEVICE_PATH *path;
	UINTN prefix; /* bytes of the disk's device path, End node excluded */
};

static int
d_read(void *ctx, uint64_t lba, void *buf, size_t len)
{
	struct disk *d = ctx;
	EFI_STATUS s;

	if (len > sizeof(bounce))
		return -22;
	s = uefi_call_wrapper(d->bio->ReadBlocks, 5, d->bio, d->bio->Media->MediaId, lba, len,
			      bounce);
	if (EFI_ERROR(s))
		return -5;
	CopyMem(buf, bounce, len);
	return 0;
}

static int
d_write(void *ctx, uint64_t lba, const void *buf, size_t len)
{
	struct disk *d = ctx;
	EFI_STATUS s;

	if (len > sizeof(bounce))
		return -22;
	CopyMem(bounce, (void *)buf, len);
	s = uefi_call_wrapper(d->bio->WriteBlocks, 5, d->bio, d->bio->Media->MediaId, lba, len,
			      bounce);
	return EFI_ERROR(s) ? -5 : 0;
}

static int
d_flush(void *ctx)
{
	struct disk *d = ctx;
	EFI_STATUS s = uefi_call_wrapper(d->bio->FlushBlocks, 1, d->bio);

	return EFI_ERROR(s) ? -5 : 0;
}

/* Bytes of a device path before its first node of type/subtype (or its
 * End node when there is none). */
static UINTN
path_prefix(EFI_DEVICE_PATH *p, UINT8 type, UINT8 sub)
{
	UINT8 *start = (UINT8 *)p;

	while (!IsDevicePathEnd(p) && !(DevicePathType(p) == type && DevicePathSubType(p) == sub))
		p = NextDevicePathNode(p);
	return (UINTN)((UINT8 *)p - start);
}

static EFI_DEVICE_PATH *
handle_path(EFI_HANDLE h)
{
	return DevicePathFromHandle(h);
}

/* The whole-disk BlockIo whose device path is our partition's path
 * without its HARDDRIVE node. */
static EFI_STATUS
find_disk(EFI_HANDLE image, struct disk *d)
{
	EFI_LOADED_IMAGE *li;
	EFI_DEVICE_PATH *esp;
	EFI_HANDLE *hs = NULL;
	UINTN n = 0, i;
	EFI_STATUS s;

	s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(s))
		return s;
	esp = handle_path(li->DeviceHandle);
	if (!esp)
		return EFI_NOT_FOUND;
	d->prefix = path_prefix(esp, MEDIA_DEVICE_PATH, MEDIA_HARDDRIVE_DP);
	s = LibLocateHandle(ByProtocol, &BlockIoProtocol, NULL, &n, &hs);
	if (EFI_ERROR(s))
		return s;
	s = EFI_NOT_FOUND;
	for (i = 0; i < n; i++) {
		EFI_DEVICE_PATH *p = handle_path(hs[i]);
		EFI_BLOCK_IO *bio;

		if (!p || path_prefix(p, 0xff, 0xff) != d->prefix || CompareMem(p, esp, d->prefix))
			continue;
		if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, hs[i], &BlockIoProtocol,
						(void **)&bio)) ||
		    bio->Media->LogicalPartition)
			continue;
		d->bio = bio;
		d->handle = hs[i];
		d->path = esp;
		s = EFI_SUCCESS;
		break;
	}
	FreePool(hs);
	return s;
}

/* The partition handle on our disk whose HARDDRIVE node carries guid. */
static EFI_HANDLE
find_partition(const struct disk *d, const UINT8 guid[16])
{
	EFI_HANDLE *hs = NULL, found = NULL;
	UINTN n = 0, i;

	if (EFI_ERROR(LibLocateHandle(ByProtocol, &BlockIoProtocol, NULL, &n, &hs)))
		return NULL;
	for (i = 0; i < n && !found; i++) {
		EFI_DEVICE_PATH *p = handle_path(hs[i]), *node;
		HARDDRIVE_DEVICE_PATH *hd;

		if (!p || path_prefix(p, MEDIA_DEVICE_PATH, MEDIA_HARDDRIVE_DP) != d->prefix ||
		    CompareMem(p, d->path, d->prefix))
			continue;
		node = (EFI_DEVICE_PATH *)((UINT8 *)p + d->prefix);
		if (IsDevicePathEnd(node))
			continue;
		hd = (HARDDRIVE_DEVICE_PATH *)node;
		if (hd->SignatureType == SIGNATURE_TYPE_GUID && !CompareMem(hd->Signature, guid, 16))
			found = hs[i];
	}
	FreePool(hs);
	return found;
}

static void
print_slots(const struct gpt_choice *c, unsigned tries_before)
{
	char name[GPT_NAME_MAX + 1];
	uint64_t a;

	gpt_entry_name(&table, (uint32_t)c->index, name);
	a = gpt_entry_attrs(&table, (uint32_t)c->index);
	Print(L"edgeboot: %a%a (priority %d tries ", c->last_resort ? "last resort " : "", name,
	      gpt_attr_priority(a));
	if (c->changed)
		Print(L"%d->", tries_before);
	Print(L"%d successful %d)", gpt_attr_tries(a), gpt_attr_successful(a));
	for (uint32_t i = 0; i < table.entry_count; i++) {
		if ((int)i == c->index || !gpt_entry_used(&table, i) ||
		    CompareMem(gpt_entry(&table, i), (void *)gpt_type_img, 16))
			continue;
		gpt_entry_name(&table, i, name);
		a = gpt_entry_attrs(&table, i);
		Print(L"; %a priority %d tries %d successful %d", name, gpt_attr_priority(a),
		      gpt_attr_tries(a), gpt_attr_successful(a));
	}
	Print(L"\r\n");
}

static int
commit(const struct gpt_io *io)
{
	char err[GPT_ERR_MAX] = "";
	int rc = gpt_disk_commit(io, &table, blk, err);

	if (rc < 0)
		Print(L"edgeboot: writing the GPT failed: %a\r\n", err);
	return rc;
}

static void
give_up(const CHAR16 *why)
{
	Print(L"edgeboot: %s; resetting in 10 s\r\n", why);
	uefi_call_wrapper(BS->Stall, 1, 10 * 1000 * 1000);
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_LOAD_ERROR, 0, NULL);
}

/* Loads and starts \xen.efi from the partition of entry i; returns only
 * on failure. */
static EFI_STATUS
boot_slot(EFI_HANDLE image, const struct disk *d, uint32_t i)
{
	EFI_HANDLE part = find_partition(d, gpt_entry(&table, i) + 16), child = NULL;
	EFI_DEVICE_PATH *fp;
	EFI_STATUS s;

	if (!part)
		return EFI_NOT_FOUND;
	uefi_call_wrapper(BS->ConnectController, 4, part, NULL, NULL, TRUE);
	fp = FileDevicePath(part, L"\\xen.efi");
	if (!fp)
		return EFI_OUT_OF_RESOURCES;
	s = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, fp, NULL, 0, &child);
	FreePool(fp);
	if (EFI_ERROR(s))
		return s;
	s = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	return EFI_ERROR(s) ? s : EFI_ABORTED; /* returning at all is a failure */
}

EFI_STATUS
efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static uint8_t skip[GPT_MAX_ENTRIES];
	struct disk d = { 0 };
	struct gpt_status st;
	struct gpt_io io;
	EFI_STATUS s;
	int rc;

	InitializeLib(image, systab);
	s = find_disk(image, &d);
	if (EFI_ERROR(s)) {
		Print(L"edgeboot: cannot find the disk I was loaded from: %r\r\n", s);
		give_up(L"no disk");
		return s;
	}
	io = (struct gpt_io){ .ctx = &d, .block_size = d.bio->Media->BlockSize,
			      .last_lba = d.bio->Media->LastBlock, .read = d_read,
			      .write = d_write, .flush = d_flush };
	rc = gpt_disk_load(&io, &table, &st, &scratch);
	if (rc < 0) {
		Print(L"edgeboot: no valid GPT: %a; %a\r\n", st.primary_err, st.backup_err);
		give_up(L"no partition table");
		return EFI_LOAD_ERROR;
	}
	if (st.fix == GPT_FIX_PRIMARY)
		Print(L"edgeboot: %a; repairing it from the backup\r\n", st.primary_err);
	else if (st.fix == GPT_FIX_BACKUP)
		Print(L"edgeboot: %a; repairing it from the primary\r\n",
		      st.differ ? "GPT copies differ" : st.backup_rc ? st.backup_err
								  : "backup GPT misplaced");
	if (st.fix != GPT_FIX_NONE && commit(&io) == 0)
		Print(L"edgeboot: GPT repaired\r\n");

	for (;;) {
		struct gpt_choice c;
		unsigned before;
		char name[GPT_NAME_MAX + 1];

		if (gpt_select(&table, gpt_type_img, skip, true, &c) < 0)
			break;
		before = gpt_attr_tries(gpt_entry_attrs(&table, (uint32_t)c.index));
		gpt_select(&table, gpt_type_img, skip, false, &c);
		/* the decrement is on disk before the image runs */
		if (c.changed && commit(&io) < 0)
			break;
		print_slots(&c, before);
		s = boot_slot(image, &d, (uint32_t)c.index);
		gpt_entry_name(&table, (uint32_t)c.index, name);
		Print(L"edgeboot: %a: \\xen.efi failed: %r; marking it priority 0\r\n", name, s);
		gpt_entry_set_attrs(&table, (uint32_t)c.index,
				    gpt_attr_set_priority(gpt_entry_attrs(&table, (uint32_t)c.index), 0));
		commit(&io);
		skip[c.index] = 1;
	}
	give_up(L"nothing bootable");
	return EFI_LOAD_ERROR;
}
