/*
 * hv_qmp: the QEMU Machine Protocol reply parser used by the kvm backend.
 * Pure code: one QMP message (a JSON object, without its newline) in, a
 * classified struct out; no I/O, no globals.  The caller owns both buffers.
 *
 * A message is one of: the greeting {"QMP": {...}}, a command's success
 * {"return": ...}, its failure {"error": {"class": C, "desc": D}}, or an
 * asynchronous event {"event": NAME, ...}.  For a query-status return the
 * status string and the running flag are extracted.
 */
#ifndef EV_HV_QMP_H
#define EV_HV_QMP_H

#include <stdbool.h>
#include <stddef.h>

#define HV_QMP_MAX 65536               /* bytes in one message */

enum hv_qmp_kind { HV_QMP_GREETING, HV_QMP_RETURN, HV_QMP_ERROR, HV_QMP_EVENT };

struct hv_qmp_msg {
	int kind;                      /* enum hv_qmp_kind */
	bool has_status;               /* a query-status return */
	bool running;
	char status[32];               /* "running", "paused", "shutdown", ... */
	char error_class[64];
	char error_desc[160];
	char event[64];
};

/* 0, or -EINVAL / -E2BIG with err (HV_ERR bytes) saying what is wrong. */
int hv_qmp_parse(const char *msg, size_t len, struct hv_qmp_msg *m, char *err);

#endif
