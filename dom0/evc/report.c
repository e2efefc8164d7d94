/* report: info, metrics and newlogs bodies.  See report.h. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pbjson.h"
#include "report_apps.h"

#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"

typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry ItemEntry;

static int
pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	*out = malloc(*len ? *len : 1);
	if (!*out)
		return -ENOMEM;
	protobuf_c_message_pack(m, *out);
	return 0;
}

int
report_device_info(const struct report_device *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Info__ZInfoMsg msg = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevice dev = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus st =
		ORG__LFEDGE__EVE__INFO__ZINFO_CONFIG_ITEM_STATUS__INIT;
	Org__Lfedge__Eve__Info__ZInfoConfigItem val[REPORT_ITEMS_MAX + 1];
	ItemEntry ent[REPORT_ITEMS_MAX + 1], *entp[REPORT_ITEMS_MAX + 1];
	Google__Protobuf__Timestamp at = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Timestamp boot = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	size_t n = 0;

	msg.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	msg.devid = (char *)d->uuid;
	at.seconds = d->now;
	msg.attimestamp = &at;
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	msg.dinfo = &dev;
	dev.machinearch = (char *)d->arch;
	dev.cpuarch = (char *)d->arch;
	dev.platform = "edgevisor";
	dev.ncpu = d->ncpu;
	dev.memory = d->memory_mib;
	dev.hostname = (char *)d->hostname;
	boot.seconds = d->boot_time;
	dev.boottime = &boot;
	dev.hsmstatus = d->key_in_tpm ? ORG__LFEDGE__EVE__INFO__HW_SECURITY_MODULE_STATUS__ENABLED
				      : ORG__LFEDGE__EVE__INFO__HW_SECURITY_MODULE_STATUS__NOTFOUND;
	dev.hsminfo = (char *)d->key_info;
	for (size_t i = 0; i <= d->n_items && i <= REPORT_ITEMS_MAX; i++) {
		org__lfedge__eve__info__zinfo_config_item__init(&val[n]);
		org__lfedge__eve__info__zinfo_config_item_status__config_items_entry__init(&ent[n]);
		if (i == 0) {
			ent[n].key = "edgevisor.config.hash";
			val[n].value = (char *)(d->config_hash ? d->config_hash : "");
		} else {
			ent[n].key = (char *)d->items[i - 1][0];
			val[n].value = (char *)d->items[i - 1][1];
		}
		ent[n].value = &val[n];
		entp[n] = &ent[n];
		n++;
	}
	st.n_configitems = n;
	st.configitems = entp;
	dev.configitemstatus = &st;
	return pack(&msg.base, out, len);
}

int
report_metrics(const struct report_metrics *m, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Metrics__ZMetricMsg msg = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	Org__Lfedge__Eve__Metrics__DeviceMetric dm = ORG__LFEDGE__EVE__METRICS__DEVICE_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__MemoryMetric mem = ORG__LFEDGE__EVE__METRICS__MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__NewlogMetric nl = ORG__LFEDGE__EVE__METRICS__NEWLOG_METRIC__INIT;
	Google__Protobuf__Timestamp at = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	uint32_t total = m->mem_used_mib + m->mem_avail_mib;

	msg.devid = (char *)m->uuid;
	at.seconds = m->now;
	msg.attimestamp = &at;
	msg.metric_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM;
	msg.dm = &dm;
	mem.usedmem = m->mem_used_mib;
	mem.availmem = m->mem_avail_mib;
	if (total) {
		mem.usedpercentage = 100.0 * m->mem_used_mib / total;
		mem.availpercentage = 100.0 * m->mem_avail_mib / total;
	}
	dm.memory = &mem;
	nl.totalbytesupload = m->log_bytes_sent;
	nl.num4xxresponses = m->log_4xx;
	nl.failedtosend = m->log_failed;
	dm.newlog = &nl;
	if (m->n_apps) {
		struct report_app_metric *am = calloc(m->n_apps, sizeof(*am));
		Org__Lfedge__Eve__Metrics__AppMetric **amp = calloc(m->n_apps, sizeof(*amp));
		int rc = -ENOMEM;

		if (am && amp) {
			for (size_t i = 0; i < m->n_apps; i++) {
				report_app_metric_fill(&am[i], &m->apps[i], m->now);
				amp[i] = &am[i].am;
			}
			msg.n_am = m->n_apps;
			msg.am = amp;
			rc = pack(&msg.base, out, len);
		}
		free(am);
		free(amp);
		return rc;
	}
	return pack(&msg.base, out, len);
}

int
report_newlogs(const struct log_entry *entries, size_t n, const char *uuid, const char *image,
	       const char *version, uint8_t **out, size_t *len, char *err, size_t errsz)
{
	Org__Lfedge__Eve__Logs__LogEntry le;
	Google__Protobuf__Timestamp ts;
	char perr[PBJSON_ERR_LEN], comment[256], *json, *text = NULL;
	size_t tlen = 0, tcap = 0;
	z_stream z;
	gz_header gh;
	uint8_t *buf = NULL;
	int rc = 0;

	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct log_entry *e = &entries[i];
		size_t jl;

		org__lfedge__eve__logs__log_entry__init(&le);
		google__protobuf__timestamp__init(&ts);
		ts.seconds = e->time_ns / 1000000000;
		ts.nanos = (int32_t)(e->time_ns % 1000000000);
		le.severity = (char *)log_level_name(e->level);
		le.source = (char *)e->source;
		le.content = (char *)e->text;
		le.msgid = e->seq;
		le.timestamp = &ts;
		if ((rc = pbjson_from_message(&le.base, 0, &json, perr)) < 0) {
			snprintf(err, errsz, "log entry %llu: %s", (unsigned long long)e->seq, perr);
			goto out;
		}
		jl = strlen(json);
		if (tlen + jl + 2 > tcap) {
			size_t ncap = (tlen + jl + 2) * 2;
			char *nt = realloc(text, ncap);

			if (!nt) {
				free(json);
				rc = -ENOMEM;
				goto out;
			}
			text = nt;
			tcap = ncap;
		}
		memcpy(text + tlen, json, jl);
		tlen += jl;
		text[tlen++] = '\n';
		free(json);
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		rc = -ENOMEM;
		goto out;
	}
	memset(&gh, 0, sizeof(gh));
	snprintf(comment, sizeof(comment), "{\"devID\":\"%s\",\"image\":\"%s\",\"eveVersion\":\"%s\"}",
		 uuid, image, version);
	gh.comment = (Bytef *)comment;
	gh.os = 3; /* Unix */
	deflateSetHeader(&z, &gh);
	*len = deflateBound(&z, tlen) + sizeof(comment) + 32;
	buf = malloc(*len);
	if (!buf) {
		deflateEnd(&z);
		rc = -ENOMEM;
		goto out;
	}
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)tlen;
	z.next_out = buf;
	z.avail_out = (uInt)*len;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		snprintf(err, errsz, "newlogs: gzip failed");
		rc = -EIO;
		goto out;
	}
	*len = z.total_out;
	deflateEnd(&z);
	*out = buf;
	buf = NULL;
out:
	free(buf);
	free(text);
	if (rc < 0)
		*len = 0;
	return rc;
}

int
report_logbundle(const struct log_entry *entries, size_t n, const char *uuid, const char *image,
		 const char *version, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Logs__LogBundle b = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	Org__Lfedge__Eve__Logs__LogEntry *le = calloc(n + 1, sizeof(*le)), **lp = calloc(n + 1, sizeof(*lp));
	Google__Protobuf__Timestamp *ts = calloc(n + 1, sizeof(*ts));
	int rc;

	if (!le || !lp || !ts) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		org__lfedge__eve__logs__log_entry__init(&le[i]);
		google__protobuf__timestamp__init(&ts[i]);
		ts[i].seconds = entries[i].time_ns / 1000000000;
		ts[i].nanos = (int32_t)(entries[i].time_ns % 1000000000);
		le[i].severity = (char *)log_level_name(entries[i].level);
		le[i].source = (char *)entries[i].source;
		le[i].content = (char *)entries[i].text;
		le[i].msgid = entries[i].seq;
		le[i].timestamp = &ts[i];
		lp[i] = &le[i];
	}
	b.devid = (char *)uuid;
	b.image = (char *)image;
	b.eveversion = (char *)version;
	b.n_log = n;
	b.log = lp;
	rc = pack(&b.base, out, len);
out:
	free(le);
	free(lp);
	free(ts);
	return rc;
}
