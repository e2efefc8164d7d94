/*
 * gptctl — inspect and set the A/B attributes of a GPT disk (image file or
 * block device) with the same code the boot selector runs (dom0/core/gpt).
 *
 *   gptctl show DISK
 *   gptctl set DISK NAME [--priority N] [--tries N] [--successful 0|1]
 *   gptctl select DISK [--dry-run]
 *   gptctl repair DISK
 *
 * show prints one line per used partition:
 *   INDEX NAME TYPE-GUID attrs=0x... priority=P tries=T successful=S
 * (INDEX is 1-based, as sgdisk and cgpt number partitions).
 * Every command that writes commits both GPT copies and fsyncs; a corrupt
 * copy is repaired from the good one on the way.  Exit: 0 done, 1 error,
 * 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpt.h"

struct disk {
	const char *path;
	int fd;
};

static int
d_read(void *ctx, uint64_t lba, void *buf, size_t len)
{
	struct disk *d = ctx;
	ssize_t n = pread(d->fd, buf, len, (off_t)(lba * 512));

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static int
d_write(void *ctx, uint64_t lba, const void *buf, size_t len)
{
	struct disk *d = ctx;
	ssize_t n = pwrite(d->fd, buf, len, (off_t)(lba * 512));

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static int
d_flush(void *ctx)
{
	return fsync(((struct disk *)ctx)->fd) == 0 ? 0 : -errno;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gptctl show DISK\n"
			"       gptctl set DISK NAME [--priority N] [--tries N] [--successful 0|1]\n"
			"       gptctl select DISK [--dry-run]\n"
			"       gptctl repair DISK\n");
}

static void
guid_str(const uint8_t *g, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

/* Opens the disk and sets up io (512-byte blocks for files, the device's
 * logical block size for block devices). */
static int
disk_open(struct disk *d, const char *path, bool rw, struct gpt_io *io)
{
	struct stat sb;
	uint64_t bytes;
	int bs = 512;

	d->path = path;
	d->fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (d->fd < 0 || fstat(d->fd, &sb) < 0) {
		fprintf(stderr, "gptctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(sb.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &bytes) < 0 || ioctl(d->fd, BLKSSZGET, &bs) < 0) {
			fprintf(stderr, "gptctl: %s: %s\n", path, strerror(errno));
			return -1;
		}
	} else {
		bytes = (uint64_t)sb.st_size;
	}
	if (bs != 512) {
		fprintf(stderr, "gptctl: %s: %d-byte blocks are not supported\n", path, bs);
		return -1;
	}
	if (bytes % 512 || bytes < 4 * 512) {
		fprintf(stderr, "gptctl: %s: size %llu is not a disk of 512-byte blocks\n", path,
			(unsigned long long)bytes);
		return -1;
	}
	*io = (struct gpt_io){ .ctx = d, .block_size = 512, .last_lba = bytes / 512 - 1,
			       .read = d_read, .write = d_write, .flush = d_flush };
	return 0;
}

/* Loads the table; reports a copy that needs repair on stderr. */
static int
load(const struct gpt_io *io, const char *path, struct gpt_table *t, struct gpt_status *st)
{
	static struct gpt_scratch s;
	int rc = gpt_disk_load(io, t, st, &s);

	if (rc < 0) {
		fprintf(stderr, "gptctl: %s: no valid GPT: %s; %s\n", path,
			st->primary_rc ? st->primary_err : "primary GPT ok",
			st->backup_rc ? st->backup_err : "backup GPT ok");
		return rc;
	}
	if (st->fix == GPT_FIX_PRIMARY)
		fprintf(stderr, "gptctl: %s: %s; using the backup\n", path, st->primary_err);
	else if (st->fix == GPT_FIX_BACKUP)
		fprintf(stderr, "gptctl: %s: %s; using the primary\n", path,
			st->differ ? "GPT copies differ" : st->backup_rc ? st->backup_err
									 : "backup GPT misplaced");
	return 0;
}

static int
commit(const struct gpt_io *io, const char *path, const struct gpt_table *t)
{
	static uint8_t blk[GPT_BLOCK_MAX];
	char err[GPT_ERR_MAX] = "";
	int rc = gpt_disk_commit(io, t, blk, err);

	if (rc < 0)
		fprintf(stderr, "gptctl: %s: %s (%s)\n", path, err, strerror(-rc));
	return rc;
}

static void
print_entry(const struct gpt_table *t, uint32_t i)
{
	char name[GPT_NAME_MAX + 1], type[37];
	uint64_t a = gpt_entry_attrs(t, i);

	gpt_entry_name(t, i, name);
	guid_str(gpt_entry_const(t, i), type);
	printf("%u %s %s attrs=0x%016llx priority=%u tries=%u successful=%d\n", i + 1,
	       name[0] ? name : "-", type, (unsigned long long)a, gpt_attr_priority(a),
	       gpt_attr_tries(a), gpt_attr_successful(a));
}

static int
parse_field(const char *s, const char *what, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *s == '\0' || *end || v < 0 || v > max) {
		fprintf(stderr, "gptctl: %s '%s' is not a number from 0 to %d\n", what, s, max);
		return -1;
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	static struct gpt_table t;
	struct gpt_status st;
	struct gpt_io io;
	struct disk d = { .fd = -1 };
	const char *cmd, *path;
	int rc = 1, prio = -1, tries = -1, succ = -1, opt;
	bool dry = false, rw;

	if (argc < 3) {
		usage();
		return 2;
	}
	cmd = argv[1];
	path = argv[2];
	if (strcmp(cmd, "set") == 0 || strcmp(cmd, "select") == 0) {
		static const struct option lo[] = { { "priority", required_argument, NULL, 'p' },
						    { "tries", required_argument, NULL, 't' },
						    { "successful", required_argument, NULL, 's' },
						    { "dry-run", no_argument, NULL, 'n' },
						    { NULL, 0, NULL, 0 } };
		int first = strcmp(cmd, "set") == 0 ? 4 : 3;

		if (argc < first) {
			usage();
			return 2;
		}
		optind = first;
		while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
			switch (opt) {
			case 'p': prio = parse_field(optarg, "priority", 15); break;
			case 't': tries = parse_field(optarg, "tries", 15); break;
			case 's': succ = parse_field(optarg, "successful", 1); break;
			case 'n': dry = true; break;
			default: usage(); return 2;
			}
			if ((opt == 'p' && prio < 0) || (opt == 't' && tries < 0) ||
			    (opt == 's' && succ < 0))
				return 2;
		}
		if (optind != argc || (first == 4 && (dry || (prio < 0 && tries < 0 && succ < 0))) ||
		    (first == 3 && (prio >= 0 || tries >= 0 || succ >= 0))) {
			usage();
			return 2;
		}
	} else if (strcmp(cmd, "show") != 0 && strcmp(cmd, "repair") != 0) {
		usage();
		return 2;
	} else if (argc != 3) {
		usage();
		return 2;
	}
	rw = strcmp(cmd, "show") != 0 && !dry;
	if (disk_open(&d, path, rw, &io) < 0 || load(&io, path, &t, &st) < 0)
		goto out;

	if (strcmp(cmd, "show") == 0) {
		for (uint32_t i = 0; i < t.entry_count; i++)
			if (gpt_entry_used(&t, i))
				print_entry(&t, i);
		rc = 0;
	} else if (strcmp(cmd, "set") == 0) {
		int r = gpt_set_ab(&t, argv[3], prio, tries, succ);

		if (r < 0) {
			fprintf(stderr, "gptctl: %s: no partition named '%s'\n", path, argv[3]);
			goto out;
		}
		if (commit(&io, path, &t) < 0)
			goto out;
		print_entry(&t, (uint32_t)gpt_find_name(&t, argv[3]));
		rc = 0;
	} else if (strcmp(cmd, "select") == 0) {
		struct gpt_choice c;
		char name[GPT_NAME_MAX + 1];
		uint64_t a;

		if (gpt_select(&t, gpt_type_img, NULL, dry, &c) < 0) {
			fprintf(stderr, "gptctl: %s: no partition of the IMG type\n", path);
			goto out;
		}
		if (!dry && (c.changed || st.fix != GPT_FIX_NONE) && commit(&io, path, &t) < 0)
			goto out;
		gpt_entry_name(&t, (uint32_t)c.index, name);
		a = gpt_entry_attrs(&t, (uint32_t)c.index);
		printf("%s partition=%d priority=%u tries=%u successful=%d%s%s\n", name, c.index + 1,
		       gpt_attr_priority(a), gpt_attr_tries(a), gpt_attr_successful(a),
		       c.changed ? " (tries decremented)" : "",
		       c.last_resort ? " (last resort: none has tries or successful)" : "");
		rc = 0;
	} else { /* repair */
		if (st.fix == GPT_FIX_NONE) {
			printf("%s: both GPT copies valid and identical\n", path);
			rc = 0;
			goto out;
		}
		if (commit(&io, path, &t) < 0)
			goto out;
		printf("%s: rewrote the %s GPT from the %s\n", path,
		       st.fix == GPT_FIX_PRIMARY ? "primary" : "backup",
		       st.fix == GPT_FIX_PRIMARY ? "backup" : "primary");
		rc = 0;
	}
out:
	if (d.fd >= 0)
		close(d.fd);
	return rc;
}
