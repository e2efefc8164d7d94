/* Unit tests: dom0/eved/sysinit's pure parsers -- the kernel command line,
 * block devices' uevent text, the module load list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sysinit.h"

static int
parse(const char *s, struct sysinit_cmdline *c, char *err)
{
	return sysinit_cmdline_parse(s, strlen(s), c, err);
}

static void
test_cmdline_slot(void **state)
{
	struct sysinit_cmdline c;
	char err[SYSINIT_ERR_MAX];

	(void)state;
	assert_int_equal(parse("console=hvc0 edgevisor.slot=IMGB quiet", &c, err), 0);
	assert_string_equal(c.slot, "IMGB");
	assert_int_equal(c.unknown, 0);
	assert_int_equal(parse("BOOT_IMAGE=/vmlinuz root=/dev/sda1\nedgevisor.slot=IMGA\n", &c, err), 0);
	assert_string_equal(c.slot, "IMGA");
	/* not given: empty */
	assert_int_equal(parse("console=ttyS0 panic=-1", &c, err), 0);
	assert_string_equal(c.slot, "");
	assert_int_equal(parse("", &c, err), 0);
	/* the last word wins, like the kernel's own parameters */
	assert_int_equal(parse("edgevisor.slot=IMGA edgevisor.slot=IMGB", &c, err), 0);
	assert_string_equal(c.slot, "IMGB");
}

static void
test_cmdline_quotes_and_unknown(void **state)
{
	struct sysinit_cmdline c;
	char err[SYSINIT_ERR_MAX];

	(void)state;
	/* a quoted value with a blank is one word; it is not ours */
	assert_int_equal(parse("dyndbg=\"file x.c +p\" edgevisor.slot=IMGA", &c, err), 0);
	assert_string_equal(c.slot, "IMGA");
	/* quotes around our word are removed as the kernel does */
	assert_int_equal(parse("\"edgevisor.slot=IMGB\"", &c, err), 0);
	assert_string_equal(c.slot, "IMGB");
	/* unknown edgevisor.* keys are counted and ignored; prefixes of ours are not ours */
	assert_int_equal(parse("edgevisor.future=1 edgevisor.slotx=IMGA edgevisor", &c, err), 0);
	assert_string_equal(c.slot, "");
	assert_int_equal(c.unknown, 2);
	/* NUL bytes separate like blanks (the buffer need not be a C string) */
	assert_int_equal(sysinit_cmdline_parse("a\0edgevisor.slot=IMGA", 21, &c, err), 0);
	assert_string_equal(c.slot, "IMGA");
}

static void
test_cmdline_bad_slot(void **state)
{
	struct sysinit_cmdline c;
	char err[SYSINIT_ERR_MAX], big[SYSINIT_CMDLINE_MAX + 2];

	(void)state;
	assert_int_equal(parse("edgevisor.slot=IMGC", &c, err), -EINVAL);
	assert_non_null(strstr(err, "edgevisor.slot='IMGC' is not IMGA or IMGB"));
	assert_int_equal(parse("edgevisor.slot", &c, err), -EINVAL);
	assert_int_equal(parse("edgevisor.slot=imga", &c, err), -EINVAL);
	assert_int_equal(parse("edgevisor.slot=IMGAA", &c, err), -EINVAL);
	/* a hostile value is not echoed */
	assert_int_equal(parse("edgevisor.slot=\"\x1b[2J\"", &c, err), -EINVAL);
	assert_null(strchr(err, '\x1b'));
	memset(big, 'a', sizeof(big));
	assert_int_equal(sysinit_cmdline_parse(big, sizeof(big), &c, err), -EINVAL);
	assert_non_null(strstr(err, "more than"));
}

static int
uevent(const char *s, char *dev, char *part, char *err)
{
	return sysinit_uevent_parse(s, strlen(s), dev, part, err);
}

static void
test_uevent(void **state)
{
	char dev[SYSINIT_DEVNAME_MAX], part[SYSINIT_PARTNAME_MAX], err[SYSINIT_ERR_MAX];

	(void)state;
	assert_int_equal(uevent("MAJOR=254\nMINOR=4\nDEVNAME=vda4\nDEVTYPE=partition\n"
				"DISKSEQ=9\nPARTN=4\nPARTNAME=CONFIG\n", dev, part, err), 0);
	assert_string_equal(dev, "vda4");
	assert_string_equal(part, "CONFIG");
	/* a whole disk: no PARTNAME; no final newline */
	assert_int_equal(uevent("MAJOR=254\nDEVNAME=vda\nDEVTYPE=disk", dev, part, err), 0);
	assert_string_equal(dev, "vda");
	assert_string_equal(part, "");
	/* no DEVNAME, or one that would leave /dev */
	assert_int_equal(uevent("PARTNAME=CONFIG\n", dev, part, err), -EINVAL);
	assert_non_null(strstr(err, "no DEVNAME"));
	assert_int_equal(uevent("DEVNAME=../sda\n", dev, part, err), -EINVAL);
	assert_int_equal(uevent("DEVNAME=..\n", dev, part, err), -EINVAL);
	assert_int_equal(uevent("DEVNAME=\n", dev, part, err), -EINVAL);
	assert_int_equal(uevent("DEVNAME=vda\nPARTNAME=CON\x01FIG\n", dev, part, err), -EINVAL);
	assert_non_null(strstr(err, "PARTNAME"));
	/* too long */
	char longname[200] = "DEVNAME=";
	memset(longname + 8, 'x', 100);
	assert_int_equal(uevent(longname, dev, part, err), -EINVAL);
}

static void
test_modlist(void **state)
{
	static const char list[] = "# load order\n\n/lib/modules/virtio.ko\n"
				   "/lib/modules/virtio_blk.ko  \r\n"
				   "virtio_net.ko\n/lib/modules/x.o\n/lib/modules/ext4.ko";
	char path[SYSINIT_MODULE_PATH_MAX], err[SYSINIT_ERR_MAX];
	size_t off = 0, len = sizeof(list) - 1;

	(void)state;
	assert_int_equal(sysinit_modlist_next(list, len, &off, path, err), 0);
	assert_string_equal(path, "/lib/modules/virtio.ko");
	assert_int_equal(sysinit_modlist_next(list, len, &off, path, err), 0);
	assert_string_equal(path, "/lib/modules/virtio_blk.ko");
	/* relative: refused, named, and the next line still comes */
	assert_int_equal(sysinit_modlist_next(list, len, &off, path, err), -EINVAL);
	assert_non_null(strstr(err, "'virtio_net.ko'"));
	assert_int_equal(sysinit_modlist_next(list, len, &off, path, err), -EINVAL);
	assert_non_null(strstr(err, "x.o"));
	assert_int_equal(sysinit_modlist_next(list, len, &off, path, err), 0);
	assert_string_equal(path, "/lib/modules/ext4.ko");
	assert_int_equal(sysinit_modlist_next(list, len, &off, path, err), -ENOENT);
	assert_int_equal(off, len);
	off = 0;
	assert_int_equal(sysinit_modlist_next("", 0, &off, path, err), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_slot),
		cmocka_unit_test(test_cmdline_quotes_and_unknown),
		cmocka_unit_test(test_cmdline_bad_slot),
		cmocka_unit_test(test_uevent),
		cmocka_unit_test(test_modlist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
