/*
 * report: what the device tells the controller, as bytes.  Pure builders:
 *   device info   ZInfoMsg{ZiDevice, devId, dinfo}: architecture, CPUs,
 *                 memory, host name, boot time, whether the device key is in
 *                 a TPM (EVE's HSMStatus/HSMInfo), and the applied config
 *                 (its hash as config item "edgevisor.config.hash", and the
 *                 config items in force);
 *   metrics       ZMetricMsg{devID, dm{memory, newlog}, am[]} (am: one
 *                 appMetric per running app, report_apps.h);
 *   newlogs       gzip (zlib) of newline-separated canonical-JSON LogEntry,
 *                 the gzip header comment naming device, image and version
 *                 as EVE does.
 * Ownership: outputs are malloc'd for the caller.
 */
#ifndef EV_REPORT_H
#define EV_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "log.h"

struct app_metric;

#define REPORT_ITEMS_MAX 32

struct report_device {
	const char *uuid;
	const char *config_hash;      /* "" before any config */
	bool key_in_tpm;
	const char *key_info;         /* HSMInfo text */
	const char *hostname;
	const char *arch;
	uint32_t ncpu;
	uint64_t memory_mib;
	time_t boot_time;
	time_t now;
	const char *items[REPORT_ITEMS_MAX][2]; /* config items in force: key, value */
	size_t n_items;
};

struct report_metrics {
	const char *uuid;
	time_t now;
	uint32_t mem_used_mib, mem_avail_mib;
	uint64_t log_bytes_sent;
	uint32_t log_4xx;
	bool log_failed;
	const struct app_metric *apps;  /* n_apps entries (appstatus.h); NULL when 0 */
	size_t n_apps;
};

int report_device_info(const struct report_device *d, uint8_t **out, size_t *len);
int report_metrics(const struct report_metrics *m, uint8_t **out, size_t *len);

/* newlogs: entries[0..n) into one gzip member. */
int report_newlogs(const struct log_entry *entries, size_t n, const char *uuid,
		   const char *image, const char *version, uint8_t **out, size_t *len,
		   char *err, size_t errsz);

/* logs (v1): a protobuf LogBundle of entries[0..n). */
int report_logbundle(const struct log_entry *entries, size_t n, const char *uuid,
		     const char *image, const char *version, uint8_t **out, size_t *len);

#endif
