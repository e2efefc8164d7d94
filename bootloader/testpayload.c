/*
 * testpayload — a stand-in for xen.efi in the boot selector's tests.
 * Built twice (PAYLOAD_SLOT "A" and "B").  Prints
 *   EDGEBOOT-PAYLOAD <slot> cfg=<first line of \xen.cfg beside it>
 * (reading xen.cfg from its own device proves edgeboot loaded it by the
 * partition's full device path, as xen.efi needs), then powers off.
 */
#include <efi.h>
#include <efilib.h>

#ifndef PAYLOAD_SLOT
#error PAYLOAD_SLOT must name the slot
#endif

static void
first_line(EFI_HANDLE dev, CHAR8 *out, UINTN cap)
{
	EFI_FILE_HANDLE root, f;
	UINTN n = cap - 1, i;

	out[0] = '\0';
	root = LibOpenRoot(dev);
	if (!root)
		return;
	if (EFI_ERROR(uefi_call_wrapper(root->Open, 5, root, &f, L"\\xen.cfg", EFI_FILE_MODE_READ,
					0)))
		return;
	if (EFI_ERROR(uefi_call_wrapper(f->Read, 3, f, &n, out)))
		n = 0;
	uefi_call_wrapper(f->Close, 1, f);
	for (i = 0; i < n && out[i] != '\n' && out[i] != '\r'; i++)
		;
	out[i] = '\0';
}

EFI_STATUS
efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li;
	CHAR8 cfg[64];

	InitializeLib(image, systab);
	cfg[0] = '\0';
	if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
					 (void **)&li)))
		first_line(li->DeviceHandle, cfg, sizeof(cfg));
	Print(L"EDGEBOOT-PAYLOAD %a cfg=%a\r\n", PAYLOAD_SLOT, cfg[0] ? (char *)cfg : "none");
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	return EFI_SUCCESS;
}
