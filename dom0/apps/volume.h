/*
 * volume: app volumes as files on /persist, made by Debian's qemu-img as
 * asynchronous jobs that fit the apps role's poll() loop.
 *
 * A volume is DIR/<uuid>.<generation>.<qcow2|raw> (a new generation in the
 * config means a new file; the old one is removed by the caller with
 * volume_remove).  It is built in DIR/<name>.tmp and renamed into place
 * (then the folder is fsynced), so a volume file that exists is complete.
 *
 * A job is a short chain of qemu-img runs, each spawned without a shell
 * (posix_spawn), its stdout and stderr going to memory files (bounded: only
 * the first VOLUME_OUT_MAX bytes are read), so the child never blocks on a
 * pipe nobody drains:
 *   from content: info (format, virtual and actual size; the disk-space
 *                 check) -> convert -> resize up to max_size when larger
 *   blank:        create (max_size required)
 * volume_job_start() spawns the first step and sets j->pid; the caller
 * reaps that pid (SIGCHLD via signalfd, waitpid) and hands the status to
 * volume_job_reaped(), which starts the next step (new j->pid) or ends.
 *
 * Ownership: struct volume_job is caller-owned and holds the two memory
 * files until the job ends (done, failed or cancelled); the request is
 * copied.
 */
#ifndef EV_VOLUME_H
#define EV_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "appplan.h"

#define VOLUME_PATH_MAX 1024
#define VOLUME_ERR_MAX 1024
#define VOLUME_OUT_MAX 8192      /* qemu-img output we read back */
#define VOLUME_SLACK (4u << 20)  /* headroom kept free on the disk */
#define VOLUME_QEMU_IMG "/usr/bin/qemu-img"

struct volume_req {
	char dir[VOLUME_PATH_MAX];    /* the volumes folder (/persist/volumes) */
	char uuid[PLAN_UUID];         /* lower-case UUID */
	int64_t generation;           /* >= 0 */
	uint32_t format;              /* PLAN_FMT_QCOW2 or PLAN_FMT_RAW */
	uint64_t max_size;            /* maxsizebytes: blank needs it; content grows to it */
	char src[VOLUME_PATH_MAX];    /* a verified blob; "" = blank */
	uint32_t src_format;          /* PLAN_FMT_RAW / QCOW2 / UNKNOWN (qemu-img detects) */
	char qemu_img[VOLUME_PATH_MAX]; /* "" = VOLUME_QEMU_IMG */
};

enum volume_step { VOLUME_IDLE = 0, VOLUME_INFO, VOLUME_CONVERT, VOLUME_RESIZE, VOLUME_CREATE };

struct volume_job {
	struct volume_req req;
	pid_t pid;                    /* the running qemu-img, -1 when none */
	enum volume_step step;
	int out_fd, err_fd;           /* memfds: the child's stdout, stderr */
	char src_fmt[16];             /* "raw", "qcow2", ... as qemu-img says */
	uint64_t virtual_size;        /* of the content */
	char path[VOLUME_PATH_MAX];   /* the volume file */
	char tmp[VOLUME_PATH_MAX];    /* where it is built */
	char err[VOLUME_ERR_MAX];
};

/*
 * Checks r and starts the job's first qemu-img step: 0 and j->pid set, or
 * -EINVAL (bad request: uuid, format, blank without max_size),
 * -ENOSPC ("not enough space in DIR: need N bytes, M free"), -errno from
 * spawning, with err.  For a blank volume the disk check is done here; for
 * content after the info step.
 */
int volume_job_start(struct volume_job *j, const struct volume_req *r, char *err,
		     size_t errsz);

/*
 * The status of j->pid (from waitpid): 0 done (j->path complete), 1 next
 * step started (new j->pid), or -errno with j->err: -EIO "qemu-img convert
 * failed (exit 1): <its stderr>", -EFBIG (content larger than max_size),
 * -ENOSPC, -EBADMSG (unreadable qemu-img info).  On 0 or < 0 the job is
 * over (memory files closed, a failed volume's tmp removed).
 */
int volume_job_reaped(struct volume_job *j, int wait_status);

/* Kills the running step (SIGKILL) and ends the job: tmp removed, files
 * closed.  Returns the pid the caller must still reap, or -1.  Safe on an
 * ended job. */
pid_t volume_job_cancel(struct volume_job *j);

/* DIR/<uuid>.<generation>.<qcow2|raw> into out: 0, -EINVAL, -ENAMETOOLONG. */
int volume_path(const char *dir, const char *uuid, int64_t generation, uint32_t format,
		char *out, size_t cap);

/* Blocks allocated to a volume file (st_blocks * 512), or -errno. */
int64_t volume_used_bytes(const char *path);

struct volume_ent {
	char uuid[PLAN_UUID];
	int64_t generation;
	uint32_t format;              /* PLAN_FMT_QCOW2 / PLAN_FMT_RAW */
	uint64_t used_bytes;
};

/* The volumes in dir (finished ones; .tmp and other names ignored), at
 * most cap: the number found (may exceed cap: only cap filled) or -errno. */
int volume_list(const char *dir, struct volume_ent *out, size_t cap);

/* Removes uuid's volume files of `generation` (-1: every generation) and
 * their leftover .tmp: the number removed, or -errno. */
int volume_remove(const char *dir, const char *uuid, int64_t generation);

#endif
