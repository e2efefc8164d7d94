/* report_apps: ZInfoApp, ZInfoVolume, ZInfoContentTree and appMetric.  See report_apps.h. */
#include "report_apps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "info/info.pb-c.h"

typedef Org__Lfedge__Eve__Info__ZInfoMsg ZInfoMsg;
typedef Org__Lfedge__Eve__Info__ErrorInfo ErrorInfo;

#define ZI(x) ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__##x

static int
pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	*out = malloc(*len ? *len : 1);
	if (!*out) {
		*len = 0;
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, *out);
	return 0;
}

static void
msg_init(ZInfoMsg *msg, Google__Protobuf__Timestamp *at, int ztype, const char *devid,
	 time_t now)
{
	org__lfedge__eve__info__zinfo_msg__init(msg);
	google__protobuf__timestamp__init(at);
	msg->ztype = ztype;
	msg->devid = (char *)devid;
	at->seconds = now;
	msg->attimestamp = at;
}

/* ErrorInfo for err, or NULL when there is none. */
static ErrorInfo *
err_fill(ErrorInfo *e, Google__Protobuf__Timestamp *ts, const struct status_error *err)
{
	if (!err->text[0])
		return NULL;
	org__lfedge__eve__info__error_info__init(e);
	google__protobuf__timestamp__init(ts);
	e->description = (char *)err->text;
	ts->seconds = err->time;
	e->timestamp = ts;
	e->severity = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR;
	return e;
}

/* state as the wire enum: a value the checks let through is always in range */
static int
state_of(uint32_t s)
{
	return s <= ZSW_MAX ? (int)s : ZSW_INVALID;
}

int
report_app_info(const struct status_app *a, const struct app_plan *plan, const char *devid,
		time_t now, uint8_t **out, size_t *len)
{
	ZInfoMsg msg;
	Org__Lfedge__Eve__Info__ZInfoApp ai = ORG__LFEDGE__EVE__INFO__ZINFO_APP__INIT;
	Org__Lfedge__Eve__Info__ZioBundle zb[PLAN_MAX_APP_ADAPTERS], *zbp[PLAN_MAX_APP_ADAPTERS];
	char *members[PLAN_MAX_APP_ADAPTERS][PLAN_MAX_IO];
	char *vols[PLAN_MAX_APP_VOLUMES];
	ErrorInfo e, *ep;
	Google__Protobuf__Timestamp at, boot = GOOGLE__PROTOBUF__TIMESTAMP__INIT, ets;
	uint32_t nv = a->n_volumes < PLAN_MAX_APP_VOLUMES ? a->n_volumes : PLAN_MAX_APP_VOLUMES;
	uint32_t na = a->n_adapters < PLAN_MAX_APP_ADAPTERS ? a->n_adapters : PLAN_MAX_APP_ADAPTERS;

	msg_init(&msg, &at, ZI(ZiApp), devid, now);
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO;
	msg.ainfo = &ai;
	ai.appid = (char *)a->uuid;
	ai.appversion = (char *)a->version;
	ai.appname = (char *)a->name;
	ai.state = state_of(a->state);
	if (a->boot_time) {
		boot.seconds = a->boot_time;
		ai.boottime = &boot;
	}
	for (uint32_t i = 0; i < nv; i++)
		vols[i] = (char *)a->volumes[i];
	ai.n_volumerefs = nv;
	ai.volumerefs = vols;
	for (uint32_t i = 0; i < na; i++) {
		const struct plan_adapter *ad = &a->adapters[i];
		size_t nm = 0;

		org__lfedge__eve__info__zio_bundle__init(&zb[i]);
		zb[i].type = (int)ad->type;
		zb[i].name = (char *)ad->name;
		zb[i].usedbyappuuid = (char *)a->uuid;
		for (uint32_t k = 0; plan && k < plan->n_io && k < PLAN_MAX_IO; k++)
			if (!strcmp(plan->io[k].assigngrp, ad->name))
				members[i][nm++] = (char *)plan->io[k].phylabel;
		zb[i].n_members = nm;
		zb[i].members = members[i];
		zbp[i] = &zb[i];
	}
	ai.n_assignedadapters = na;
	ai.assignedadapters = zbp;
	if ((ep = err_fill(&e, &ets, &a->err))) {
		ai.n_apperr = 1;
		ai.apperr = &ep;
	}
	return pack(&msg.base, out, len);
}

int
report_volume_info(const struct status_volume *v, const char *devid, time_t now, uint8_t **out,
		   size_t *len)
{
	ZInfoMsg msg;
	Org__Lfedge__Eve__Info__ZInfoVolume vi = ORG__LFEDGE__EVE__INFO__ZINFO_VOLUME__INIT;
	Org__Lfedge__Eve__Info__VolumeResources res = ORG__LFEDGE__EVE__INFO__VOLUME_RESOURCES__INIT;
	ErrorInfo e;
	Google__Protobuf__Timestamp at, ets;

	msg_init(&msg, &at, ZI(ZiVolume), devid, now);
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO;
	msg.vinfo = &vi;
	vi.uuid = (char *)v->uuid;
	vi.displayname = (char *)v->name;
	vi.state = state_of(v->state);
	vi.progresspercentage = v->progress;
	vi.generation_count = v->generation;
	res.maxsizebytes = v->max_size;
	res.cursizebytes = v->used;
	vi.resources = &res;
	vi.volumeerr = err_fill(&e, &ets, &v->err);
	return pack(&msg.base, out, len);
}

int
report_content_info(const struct status_content *c, const char *devid, time_t now,
		    uint8_t **out, size_t *len)
{
	ZInfoMsg msg;
	Org__Lfedge__Eve__Info__ZInfoContentTree ci = ORG__LFEDGE__EVE__INFO__ZINFO_CONTENT_TREE__INIT;
	Org__Lfedge__Eve__Info__ContentResources res =
		ORG__LFEDGE__EVE__INFO__CONTENT_RESOURCES__INIT;
	ErrorInfo e;
	Google__Protobuf__Timestamp at, ets;

	msg_init(&msg, &at, ZI(ZiContentTree), devid, now);
	msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO;
	msg.cinfo = &ci;
	ci.uuid = (char *)c->uuid;
	ci.displayname = (char *)c->name;
	ci.sha256 = (char *)c->sha256;
	ci.state = state_of(c->state);
	ci.progresspercentage = c->progress;
	ci.generation_count = c->generation;
	/* EVE: ContentTreeStatus.TotalSize; while it is unknown, what we have */
	res.cursizebytes = c->size ? c->size : c->done;
	ci.resources = &res;
	ci.err = err_fill(&e, &ets, &c->err);
	return pack(&msg.base, out, len);
}

int
report_gone_info(uint32_t ztype, const char *uuid, const char *devid, time_t now, uint8_t **out,
		 size_t *len)
{
	ZInfoMsg msg;
	Org__Lfedge__Eve__Info__ZInfoApp ai = ORG__LFEDGE__EVE__INFO__ZINFO_APP__INIT;
	Org__Lfedge__Eve__Info__ZInfoVolume vi = ORG__LFEDGE__EVE__INFO__ZINFO_VOLUME__INIT;
	Org__Lfedge__Eve__Info__ZInfoContentTree ci = ORG__LFEDGE__EVE__INFO__ZINFO_CONTENT_TREE__INIT;
	Google__Protobuf__Timestamp at;

	*out = NULL;
	*len = 0;
	msg_init(&msg, &at, (int)ztype, devid, now);
	switch (ztype) {
	case ZI(ZiApp):
		msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO;
		ai.appid = (char *)uuid;
		msg.ainfo = &ai;
		break;
	case ZI(ZiVolume):
		msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO;
		vi.uuid = (char *)uuid;
		msg.vinfo = &vi;
		break;
	case ZI(ZiContentTree):
		msg.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO;
		ci.uuid = (char *)uuid;
		msg.cinfo = &ci;
		break;
	default:
		return -EINVAL;
	}
	return pack(&msg.base, out, len);
}

void
report_app_metric_fill(struct report_app_metric *r, const struct app_metric *m, time_t now)
{
	memset(r, 0, sizeof(*r));
	org__lfedge__eve__metrics__app_metric__init(&r->am);
	org__lfedge__eve__metrics__app_cpu_metric__init(&r->cpu);
	org__lfedge__eve__metrics__memory_metric__init(&r->mem);
	org__lfedge__eve__metrics__app_memory_metric__init(&r->amem);
	org__lfedge__eve__metrics__network_metric__init(&r->net);
	google__protobuf__timestamp__init(&r->up);

	r->am.appid = (char *)m->uuid;
	r->am.appname = (char *)m->name;
	r->cpu.total = m->cpu_ns / 1000000000u;
	r->cpu.total_ns = m->cpu_ns;
	if (m->boot_time > 0 && now >= m->boot_time) {
		r->up.seconds = now - m->boot_time;
		r->cpu.uptime = &r->up;
	}
	r->am.cpu = &r->cpu;
	r->mem.usedmem = m->mem_used_mib;
	r->mem.availmem = m->mem_alloc_mib > m->mem_used_mib ? m->mem_alloc_mib - m->mem_used_mib
							     : 0;
	if (m->mem_alloc_mib) {
		r->mem.usedpercentage = 100.0 * m->mem_used_mib / m->mem_alloc_mib;
		r->mem.availpercentage = 100.0 - r->mem.usedpercentage;
	}
	r->am.memory = &r->mem;
	r->amem.allocatedmb = m->mem_alloc_mib;
	r->amem.usedmb = m->mem_used_mib;
	r->am.appmemory = &r->amem;
	r->net.txbytes = m->tx_bytes;
	r->net.rxbytes = m->rx_bytes;
	r->net.txpkts = m->tx_pkts;
	r->net.rxpkts = m->rx_pkts;
	r->netp = &r->net;
	r->am.n_network = 1;
	r->am.network = &r->netp;
}
