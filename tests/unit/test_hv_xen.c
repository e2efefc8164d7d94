/*
 * Unit tests: dom0/hv xen backend — golden libxl JSON for PV, PVH and
 * HVM (VNC, PCI, serial, USB, CD-ROM, UEFI), refusals, and open() without
 * Xen failing with a clear reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"
#include "hv_golden.h"

#define UUID "0f4c2a4e-8f1a-4c2b-9d3e-5a6b7c8d9e0f"

static void
base_spec(struct hv_domain_spec *s, uint32_t virt)
{
	memset(s, 0, sizeof *s);
	snprintf(s->uuid, sizeof s->uuid, "%s", UUID);
	snprintf(s->name, sizeof s->name, "app.sensor-2");
	s->virt = virt;
	s->vcpus = 2;
	s->memory_kib = 512 * 1024;
	snprintf(s->kernel, sizeof s->kernel, "/persist/img/vmlinuz");
	snprintf(s->ramdisk, sizeof s->ramdisk, "/persist/img/initrd.gz");
	snprintf(s->extraargs, sizeof s->extraargs, "console=hvc0 root=/dev/xvda");
	s->n_disks = 1;
	snprintf(s->disks[0].path, HV_PATH, "/persist/vol/root.img");
	s->n_nics = 1;
	snprintf(s->nics[0].mac, sizeof s->nics[0].mac, "02:16:3e:0a:0b:0c");
	snprintf(s->nics[0].bridge, sizeof s->nics[0].bridge, "bn1");
}

static char *
json_of(const struct hv_domain_spec *s)
{
	char err[HV_ERR] = "", *json = NULL;

	if (hv_xen_config_json(s, &json, err) != 0)
		fail_msg("hv_xen_config_json: %s", err);
	assert_non_null(json);
	return json;
}

static void
test_pv(void **state)
{
	struct hv_domain_spec s;
	char *j;

	(void)state;
	base_spec(&s, HV_VIRT_PV);
	s.maxmem_kib = 1024 * 1024;
	s.vnc = true;
	s.vnc_display = 2;
	j = json_of(&s);
	hv_golden_check("xen_pv.json", j);
	assert_non_null(strstr(j, "\"type\": \"pv\""));
	assert_non_null(strstr(j, "\"listen\": \"127.0.0.1\""));  /* the vfb */
	free(j);
}

static void
test_pvh(void **state)
{
	struct hv_domain_spec s;
	char *j;

	(void)state;
	base_spec(&s, HV_VIRT_PVH);
	s.ramdisk[0] = 0;
	s.disks[0].format = HV_DISK_QCOW2;
	s.n_disks = 2;
	snprintf(s.disks[1].path, HV_PATH, "/persist/vol/conf.img");
	s.disks[1].readonly = true;
	s.n_nics = 0;
	j = json_of(&s);
	hv_golden_check("xen_pvh.json", j);
	assert_non_null(strstr(j, "\"tsc_mode\": \"native\""));
	assert_non_null(strstr(j, "\"format\": \"qcow2\""));
	free(j);
}

static void
test_hvm_devices(void **state)
{
	struct hv_domain_spec s;
	char *j;

	(void)state;
	base_spec(&s, HV_VIRT_HVM);
	s.kernel[0] = s.ramdisk[0] = s.extraargs[0] = 0;
	s.uefi = true;
	s.vcpus = 4;
	s.n_disks = 4;
	snprintf(s.disks[1].path, HV_PATH, "/persist/vol/tools.iso");
	s.disks[1].cdrom = true;
	snprintf(s.disks[2].path, HV_PATH, "/persist/vol/data.img");
	snprintf(s.disks[3].path, HV_PATH, "/persist/vol/logs.qcow2");
	s.disks[3].format = HV_DISK_QCOW2;
	s.vnc = true;
	s.vnc_display = 1;
	s.n_pci = 2;
	snprintf(s.pci[0].bdf, sizeof s.pci[0].bdf, "0000:03:00.0");
	snprintf(s.pci[1].bdf, sizeof s.pci[1].bdf, "0001:0a:1f.3");
	s.n_serial = 2;
	snprintf(s.serial[0].host_dev, sizeof s.serial[0].host_dev, "/dev/ttyS1");
	snprintf(s.serial[1].host_dev, sizeof s.serial[1].host_dev, "/dev/ttyUSB0");
	s.n_usb = 1;
	snprintf(s.usb[0].hostaddr, sizeof s.usb[0].hostaddr, "2:5");
	j = json_of(&s);
	hv_golden_check("xen_hvm_vnc_pci_serial.json", j);
	assert_non_null(strstr(j, "\"passthrough\": \"enabled\""));
	assert_non_null(strstr(j, "\"bios\": \"ovmf\""));
	assert_non_null(strstr(j, "\"/dev/ttyS1\""));
	assert_null(strstr(j, "0.0.0.0"));
	assert_non_null(strstr(j, "\"vdev\": \"hdc\""));  /* the CD-ROM */
	assert_non_null(strstr(j, "\"vdev\": \"xvde\"")); /* skips xvdc/xvdd */
	free(j);
}

static void
refused(const struct hv_domain_spec *s, int want, const char *text)
{
	char err[HV_ERR] = "", *json = (char *)1;

	assert_int_equal(hv_xen_config_json(s, &json, err), want);
	assert_null(json);
	if (!strstr(err, text))
		fail_msg("error '%s' does not mention '%s'", err, text);
}

static void
test_refused(void **state)
{
	struct hv_domain_spec s;

	(void)state;
	base_spec(&s, HV_VIRT_PV);
	s.kernel[0] = s.ramdisk[0] = 0;
	refused(&s, -EINVAL, "needs a kernel");

	base_spec(&s, HV_VIRT_PVH);
	s.n_serial = 1;
	snprintf(s.serial[0].host_dev, sizeof s.serial[0].host_dev, "/dev/ttyS1");
	refused(&s, -EINVAL, "COM passthrough needs an HVM guest");

	base_spec(&s, HV_VIRT_PV);
	s.uefi = true;
	refused(&s, -EINVAL, "UEFI");

	base_spec(&s, HV_VIRT_HVM);
	s.memory_kib = 0;
	refused(&s, -EINVAL, "memory 0 KiB");

	base_spec(&s, HV_VIRT_HVM);
	s.n_pci = HV_MAX_PCI + 1;
	refused(&s, -E2BIG, "too many devices");

	base_spec(&s, HV_VIRT_HVM);
	snprintf(s.disks[0].path, HV_PATH, "/persist/a\nb");
	refused(&s, -EINVAL, "control character");

	base_spec(&s, HV_VIRT_HVM);
	s.n_disks = 3;
	for (int i = 0; i < 3; i++) {
		snprintf(s.disks[i].path, HV_PATH, "/persist/cd%d.iso", i);
		s.disks[i].cdrom = true;
	}
	refused(&s, -E2BIG, "at most 2 CD-ROMs");

	base_spec(&s, 7);
	refused(&s, -EINVAL, "virtualization mode 7");
}

static void
test_open_without_xen(void **state)
{
	struct hv *h = NULL;
	char err[HV_ERR] = "";
	int rc;

	(void)state;
	rc = hv_ops_xen.open(&h, NULL, err);
	if (access("/dev/xen/privcmd", F_OK) != 0) {
		assert_int_equal(rc, -ENODEV);
		assert_null(h);
		assert_string_equal(err, "hv: xen: no Xen: /dev/xen/privcmd missing");
	} else if (rc == 0) { /* running on Xen's dom0 */
		assert_non_null(h);
		hv_ops_xen.close(h);
	} else {
		assert_true(err[0] != 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pv),
		cmocka_unit_test(test_pvh),
		cmocka_unit_test(test_hvm_devices),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_open_without_xen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
