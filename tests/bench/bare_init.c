/*
 * bare_init: the reference /init of the Xen boot bench (tests/bench/
 * bench_xen_boot.sh): a dom0 initramfs holding only this static program,
 * which prints a marker with the kernel's uptime on the console and powers
 * off.  The time from QEMU start to its marker is "a bare Xen + dom0 boot to
 * /init through the same firmware path", against which the time to onboard
 * is compared.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

int
main(void)
{
	char up[64] = "?";
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/proc/uptime", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, up, sizeof(up) - 1);

		up[n > 0 ? n : 0] = 0;
		up[strcspn(up, " \n")] = 0;
		close(fd);
	}
	fd = open("/dev/console", O_WRONLY);
	if (fd >= 0) {
		dprintf(fd, "\nEDGEVISOR-BARE-INIT uptime %s s\n", up);
		close(fd);
	}
	sync();
	sleep(1);
	reboot(RB_POWER_OFF);
	return 0;
}
