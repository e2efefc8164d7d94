/* eved: options and main().  See eved.h. */
#include "eved.h"
#include "sysinit.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: eved [--host] [--config DIR] [--persist DIR] [--log-level LEVEL]\n"
		"            [--ping-interval-ms N] [--stop-timeout-ms N]\n"
		"            [--backoff-min-ms N] [--backoff-max-ms N] [--backoff-reset-ms N]\n"
		"            [--ready-fd FD] [--tcti TCTI] [--evc-interval-ms N]\n"
		"            [--run-dir DIR] [--board IO.json] [--hv xen|kvm]\n"
		"            [--dl-max-parallel N] [--slot IMGA|IMGB]\n"
		"            [--net-dhcp none|auto|IF[,IF]] [--debug-console-dev PATH]\n"
		"       eved --print-csr [--persist DIR] [--config DIR] [--tcti TCTI]\n"
		"Edgevisor control domain: supervises the roles evc, download, identity,\n"
		"apps, net, baseos and console.  SIGTERM stops them all and exits.\n"
		"--tcti: how the identity role reaches the TPM (a tpm2-tss TCTI such as\n"
		"\"swtpm:host=127.0.0.1,port=2321\"); default /dev/tpmrm0 when present,\n"
		"else a soft key on PERSIST.\n"
		"--evc-interval-ms: how often the device polls its config and sends metrics\n"
		"until the config says otherwise (timer.config.interval,\n"
		"timer.metric.interval); default 60000.\n"
		"--run-dir: runtime state of the guests (QMP sockets, pid files, consoles);\n"
		"default /run/edgevisor.  A guest outlives eved and is adopted again.\n"
		"--board: the board's I/O model (board/<board>/io.json): which adapters\n"
		"(PCI, COM, USB) apps may be given.  Without it none can be.\n"
		"--hv: the hypervisor backend; default xen in a Xen dom0, else kvm (QEMU).\n"
		"--dl-max-parallel: concurrent datastore downloads (default 2).\n"
		"--net-dhcp: which ports the net role runs DHCP on: none (default),\n"
		"auto (every physical Ethernet port) or a list of interface names.\n"
		"--debug-console-dev: the serial device of the debug console, which the\n"
		"controller turns on and off with the config item debug.enable.console;\n"
		"default none (the console cannot be enabled); /dev/hvc0 as PID 1.\n"
		"--slot: the A/B slot this system booted from (edgevisor.slot= on the\n"
		"kernel command line when eved is PID 1).\n"
		"As PID 1 (dom0's /init; unless --host comes first) eved boots the system\n"
		"first (sysinit.h) and takes no arguments: dom0's defaults are --config\n"
		"/config --persist /persist --run-dir /run/edgevisor --hv xen --board\n"
		"/etc/edgevisor/io.json.  It powers off when stopped (SIGTERM, SIGPWR);\n"
		"SIGINT (ctrl-alt-del) reboots.\n"
		"--print-csr: a PKCS#10 request for the device key, PEM on stdout.\n");
}

/* --net-dhcp: none, auto, or 1..8 comma-separated interface names. */
static bool
net_dhcp_spec_ok(const char *s)
{
	unsigned n = 0;

	if (strcmp(s, "none") == 0 || strcmp(s, "auto") == 0)
		return true;
	while (*s) {
		size_t len = strcspn(s, ",");

		if (len == 0 || len > 15 || ++n > 8 || memchr(s, '/', len))
			return false;
		s += len;
		if (*s == ',' && !*++s)
			return false;
	}
	return n > 0;
}

static int
parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "eved: %s: '%s' is not a number in %u..%u\n", opt, s, min, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", no_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'c' },
		{ "persist", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "ping-interval-ms", required_argument, NULL, 'P' },
		{ "stop-timeout-ms", required_argument, NULL, 'S' },
		{ "backoff-min-ms", required_argument, NULL, 'b' },
		{ "backoff-max-ms", required_argument, NULL, 'B' },
		{ "backoff-reset-ms", required_argument, NULL, 'R' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "tcti", required_argument, NULL, 'T' },
		{ "evc-interval-ms", required_argument, NULL, 'I' },
		{ "role", required_argument, NULL, 'o' },
		{ "run-dir", required_argument, NULL, 'D' },
		{ "board", required_argument, NULL, 'W' },
		{ "hv", required_argument, NULL, 'V' },
		{ "dl-max-parallel", required_argument, NULL, 'L' },
		{ "net-dhcp", required_argument, NULL, 'N' },
		{ "print-csr", no_argument, NULL, 'C' },
		{ "slot", required_argument, NULL, 's' },
		{ "debug-console-dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct eved_opts o = {
		.config_dir = "/config",
		.persist_dir = "/persist",
		.log_level = LOG_LEVEL_INFO,
		.ping_interval_ms = 5000,
		.stop_timeout_ms = 5000,
		.backoff_min_ms = 100,
		.backoff_max_ms = 30000,
		.backoff_reset_ms = 10000,
		.ready_fd = -1,
		.run_dir = "/run/edgevisor",
		.dl_max_parallel = 2,
		.argv = argv,
	};
	unsigned fd;
	int c, lvl;
	bool print_csr = false;

	/* PID 1 of dom0: boot the system, then supervise with dom0's defaults.
	 * Arguments are whatever the kernel passed on: ignored, never fatal.
	 * (PID 1 of a container started with --host is a service, not dom0.) */
	if (getpid() == 1 && !(argc > 1 && strcmp(argv[1], "--host") == 0)) {
		static struct sysinit si;

		log_init("eved", LOG_LEVEL_INFO);
		sysinit_boot(&si);
		for (int i = 1; i < argc; i++)
			log_notice("argument '%s' from the kernel ignored", argv[i]);
		o.sysinit = &si;
		o.hv = "xen";
		o.board_io = "/etc/edgevisor/io.json";
		o.net_dhcp = "auto";
		o.debug_console_dev = "/dev/hvc0";
		o.slot = si.cmd.slot[0] ? si.cmd.slot : NULL;
		supervisor_main(&o);
		sysinit_halt(&si);
	}

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 'H': o.host_mode = true; break;
		case 'c': o.config_dir = optarg; break;
		case 'p': o.persist_dir = optarg; break;
		case 'l':
			lvl = log_level_parse(optarg);
			if (lvl < 0) {
				fprintf(stderr, "eved: --log-level: '%s' is not one of "
						"err, warn, notice, info, debug\n", optarg);
				return 2;
			}
			o.log_level = (enum log_level)lvl;
			break;
		case 'P': rc = parse_uint("--ping-interval-ms", optarg, 10, 3600000, &o.ping_interval_ms); break;
		case 'S': rc = parse_uint("--stop-timeout-ms", optarg, 10, 600000, &o.stop_timeout_ms); break;
		case 'b': rc = parse_uint("--backoff-min-ms", optarg, 1, 3600000, &o.backoff_min_ms); break;
		case 'B': rc = parse_uint("--backoff-max-ms", optarg, 1, 3600000, &o.backoff_max_ms); break;
		case 'R': rc = parse_uint("--backoff-reset-ms", optarg, 1, 3600000, &o.backoff_reset_ms); break;
		case 'r':
			rc = parse_uint("--ready-fd", optarg, 0, INT_MAX, &fd);
			o.ready_fd = (int)fd;
			break;
		case 'T': o.tcti = optarg; break;
		case 'I': rc = parse_uint("--evc-interval-ms", optarg, 100, 86400000, &o.evc_interval_ms); break;
		case 'o': o.role = optarg; break;
		case 'D': o.run_dir = optarg; break;
		case 'W': o.board_io = optarg; break;
		case 'V':
			if (strcmp(optarg, "xen") != 0 && strcmp(optarg, "kvm") != 0) {
				fprintf(stderr, "eved: --hv: '%s' is not xen or kvm\n", optarg);
				rc = -EINVAL;
			}
			o.hv = optarg;
			break;
		case 'L': rc = parse_uint("--dl-max-parallel", optarg, 1, 16, &o.dl_max_parallel); break;
		case 'N':
			if (!net_dhcp_spec_ok(optarg)) {
				fprintf(stderr, "eved: --net-dhcp: '%s' is not none, auto or "
						"IF[,IF]... (at most 8 names of 1..15 bytes)\n", optarg);
				rc = -EINVAL;
			}
			o.net_dhcp = optarg;
			break;
		case 'C': print_csr = true; break;
		case 'd':
			if (optarg[0] != '/' || strlen(optarg) >= IPC_CONSOLE_DEV) {
				fprintf(stderr, "eved: --debug-console-dev: '%s' is not an absolute "
						"path shorter than %d bytes\n", optarg, IPC_CONSOLE_DEV);
				rc = -EINVAL;
			}
			o.debug_console_dev = optarg;
			break;
		case 's':
			if (strcmp(optarg, "IMGA") != 0 && strcmp(optarg, "IMGB") != 0) {
				fprintf(stderr, "eved: --slot: '%s' is not IMGA or IMGB\n", optarg);
				rc = -EINVAL;
			}
			o.slot = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (rc < 0)
			return 2;
	}
	if (optind != argc) {
		fprintf(stderr, "eved: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (o.backoff_max_ms < o.backoff_min_ms) {
		fprintf(stderr, "eved: --backoff-max-ms %u is below --backoff-min-ms %u\n",
			o.backoff_max_ms, o.backoff_min_ms);
		return 2;
	}
	if (print_csr)
		return identity_print_csr(&o);
	if (o.role) {
		const struct role_desc *rd = eved_role_find(o.role);

		if (!rd) {
			fprintf(stderr, "eved: --role: unknown role '%s'\n", o.role);
			return 2;
		}
		return role_main(rd, &o);
	}
	return supervisor_main(&o);
}
