/*
 * hv_int: helpers shared by the hypervisor backends (hv.c); not for users of
 * hv.h.  Everything here is pure: a spec in, a verdict or a parsed value out.
 */
#ifndef EV_HV_INT_H
#define EV_HV_INT_H

#include "hv.h"

/* Fills err (HV_ERR) with "hv domain NAME: ..." and returns rc. */
int hv_errf(char *err, const struct hv_domain_spec *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Checks every field of s a backend turns into a command line or a
 * configuration: strings terminated inside their arrays, uuid and name
 * syntax, memory and vcpus in range, device counts within the HV_MAX_*
 * bounds, absolute paths without commas or control characters (QEMU's
 * option syntax would split them), MAC, bridge, BDF and USB address syntax.
 * need_run_dir: the backend keeps files in s->run_dir.
 * 0, or -EINVAL / -E2BIG with err naming the field.
 */
int hv_spec_check(const struct hv_domain_spec *s, bool need_run_dir, char *err);

/* "DDDD:BB:DD.F" (hex; the domain part may be left out) -> numbers. */
/* "BUS:ADDR" (decimal, 1..255 and 1..127). */
int hv_usb_parse(const char *s, unsigned *bus, unsigned *addr);
/* "xx:xx:xx:xx:xx:xx" (hex). */
int hv_mac_parse(const char *s, uint8_t mac[6]);

#endif
