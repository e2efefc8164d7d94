/*
 * report_apps: what the device tells the controller about its app instances,
 * volumes and content trees, as EVE's zedagent does (pure builders, like
 * report.h):
 *   report_app_info      ZInfoMsg{ZiApp, ainfo}: AppID, appVersion, AppName,
 *                        state, bootTime, volumeRefs, assignedAdapters
 *                        (ZioBundle: type, name, members = the phylabels of
 *                        the plan's I/O in that assignment group,
 *                        usedByAppUUID), appErr (ErrorInfo, severity ERROR);
 *   report_volume_info   ZInfoMsg{ZiVolume, vinfo}: uuid, displayName, state,
 *                        progressPercentage, generation_count, resources
 *                        (maxSizeBytes, curSizeBytes), volumeErr;
 *   report_content_info  ZInfoMsg{ZiContentTree, cinfo}: uuid, displayName,
 *                        sha256, state, progressPercentage, generation_count,
 *                        resources (curSizeBytes), err;
 *   report_gone_info     a deleted object: EVE (zedagent Publish*ToZedCloud
 *                        with a nil status) sends the info message with the id
 *                        only, no state;
 *   report_app_metric_fill  one appMetric of a ZMetricMsg (used by
 *                        report_metrics() for report_metrics.apps).
 * Ownership: outputs are malloc'd for the caller; inputs are only read (the
 * built messages point into them, so they must outlive the pack, which
 * happens inside each call).
 */
#ifndef EV_REPORT_APPS_H
#define EV_REPORT_APPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "appplan.h"
#include "appstatus.h"

#include "metrics/metrics.pb-c.h"

/* plan may be NULL: the bundles then carry no members. */
int report_app_info(const struct status_app *a, const struct app_plan *plan, const char *devid,
		    time_t now, uint8_t **out, size_t *len);
int report_volume_info(const struct status_volume *v, const char *devid, time_t now,
		       uint8_t **out, size_t *len);
int report_content_info(const struct status_content *c, const char *devid, time_t now,
			uint8_t **out, size_t *len);
/* ztype: 3 ZiApp, 7 ZiVolume, 8 ZiContentTree (struct apps_status.gone);
 * -EINVAL for anything else. */
int report_gone_info(uint32_t ztype, const char *uuid, const char *devid, time_t now,
		     uint8_t **out, size_t *len);

/* The sub-messages of one appMetric, in caller memory.  After
 * report_app_metric_fill, r->am is ready to be placed in ZMetricMsg.am; it
 * points into r and m.  cpu: total (seconds) and total_ns as EVE fills them,
 * upTime = the time since boot as a Timestamp (EVE's encoding) when the app
 * has a boot time; memory (the deprecated memoryMetric: used, available =
 * allocated - used, percentages) and appMemory (allocatedMB, usedMB); network:
 * one networkMetric with the sum over the app's vifs (struct app_metric
 * carries totals only). */
struct report_app_metric {
	Org__Lfedge__Eve__Metrics__AppMetric am;
	Org__Lfedge__Eve__Metrics__AppCpuMetric cpu;
	Org__Lfedge__Eve__Metrics__MemoryMetric mem;
	Org__Lfedge__Eve__Metrics__AppMemoryMetric amem;
	Org__Lfedge__Eve__Metrics__NetworkMetric net, *netp;
	Google__Protobuf__Timestamp up;
};

void report_app_metric_fill(struct report_app_metric *r, const struct app_metric *m, time_t now);

#endif
