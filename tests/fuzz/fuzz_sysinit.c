/* Fuzz target: sysinit's parsers (kernel command line, uevent text, module
 * list) on any bytes.  Invariants: results are NUL-terminated within their
 * bounds, a slot is "", "IMGA" or "IMGB", a module path is absolute and ends
 * in ".ko", the list cursor only moves forward and ends at the end. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sysinit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sysinit_cmdline c;
	char err[SYSINIT_ERR_MAX], dev[SYSINIT_DEVNAME_MAX], part[SYSINIT_PARTNAME_MAX];
	char path[SYSINIT_MODULE_PATH_MAX];
	size_t off = 0, prev;
	int rc;

	if (sysinit_cmdline_parse(s, size, &c, err) == 0 && c.slot[0] &&
	    strcmp(c.slot, "IMGA") != 0 && strcmp(c.slot, "IMGB") != 0)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (sysinit_uevent_parse(s, size, dev, part, err) == 0 &&
	    (!dev[0] || strchr(dev, '/') || strlen(dev) >= sizeof(dev) || strlen(part) >= sizeof(part)))
		abort();
	do {
		prev = off;
		rc = sysinit_modlist_next(s, size, &off, path, err);
		if (rc == 0 && (path[0] != '/' || strlen(path) < 4 ||
				strcmp(path + strlen(path) - 3, ".ko") != 0))
			abort();
		if (rc != -ENOENT && off <= prev)
			abort();
	} while (rc != -ENOENT);
	if (off != size)
		abort();
	return 0;
}
