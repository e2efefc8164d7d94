/*
 * Bench: decode and diff a 100-app EdgeDevConfig (issue 3: goal <= 10 ms),
 * against `protoc --decode` of the same bytes measured in the same run (a
 * tool we did not write; it includes its process start, so the ratio is
 * generous to it only in that it parses text-free binary as we do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfgdiff.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig Cfg;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A config of 100 apps (each 2 interfaces with an ACL, 2 volumes), 100
 * volumes, 10 network instances, 20 config items; `gen` changes half the
 * app versions. */
static uint8_t *
make(int gen, size_t *len)
{
	static char ids[100][37], vers[100][8], names[100][16], vids[100][37], nids[10][37],
		keys[20][32];
	Cfg c = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	Org__Lfedge__Eve__Config__AppInstanceConfig app[100], *appp[100];
	Org__Lfedge__Eve__Config__UUIDandVersion uv[100], nuv[10];
	Org__Lfedge__Eve__Config__VmConfig vm[100];
	Org__Lfedge__Eve__Config__NetworkAdapter na[200], *nap[200];
	Org__Lfedge__Eve__Config__ACE ace[200], *acep[200];
	Org__Lfedge__Eve__Config__ACEMatch m[200], *mp[200];
	Org__Lfedge__Eve__Config__VolumeRef vr[200], *vrp[200];
	Org__Lfedge__Eve__Config__Volume vol[100], *volp[100];
	Org__Lfedge__Eve__Config__NetworkInstanceConfig ni[10], *nip[10];
	Org__Lfedge__Eve__Config__ConfigItem it[20], *itp[20];
	uint8_t *buf;

	for (int i = 0; i < 100; i++) {
		snprintf(ids[i], 37, "00000000-0000-4000-8000-%012d", i);
		snprintf(vids[i], 37, "00000000-0000-4000-9000-%012d", i);
		snprintf(vers[i], 8, "%d", i % 2 ? gen : 1);
		snprintf(names[i], 16, "app-%03d", i);
		org__lfedge__eve__config__app_instance_config__init(&app[i]);
		org__lfedge__eve__config__uuidand_version__init(&uv[i]);
		org__lfedge__eve__config__vm_config__init(&vm[i]);
		uv[i].uuid = ids[i];
		uv[i].version = vers[i];
		app[i].uuidandversion = &uv[i];
		app[i].displayname = names[i];
		vm[i].memory = 512000;
		vm[i].vcpus = 2;
		app[i].fixedresources = &vm[i];
		for (int k = 0; k < 2; k++) {
			int j = 2 * i + k;

			org__lfedge__eve__config__network_adapter__init(&na[j]);
			org__lfedge__eve__config__ace__init(&ace[j]);
			org__lfedge__eve__config__acematch__init(&m[j]);
			org__lfedge__eve__config__volume_ref__init(&vr[j]);
			m[j].type = "host";
			m[j].value = "example.com";
			mp[j] = &m[j];
			ace[j].n_matches = 1;
			ace[j].matches = &mp[j];
			ace[j].id = 1;
			acep[j] = &ace[j];
			na[j].name = "eth0";
			na[j].n_acls = 1;
			na[j].acls = &acep[j];
			nap[j] = &na[j];
			vr[j].uuid = vids[i];
			vrp[j] = &vr[j];
		}
		app[i].n_interfaces = 2;
		app[i].interfaces = &nap[2 * i];
		app[i].n_volumereflist = 2;
		app[i].volumereflist = &vrp[2 * i];
		appp[i] = &app[i];
		org__lfedge__eve__config__volume__init(&vol[i]);
		vol[i].uuid = vids[i];
		vol[i].generationcount = gen;
		vol[i].displayname = names[i];
		volp[i] = &vol[i];
	}
	for (int i = 0; i < 10; i++) {
		snprintf(nids[i], 37, "00000000-0000-4000-a000-%012d", i);
		org__lfedge__eve__config__network_instance_config__init(&ni[i]);
		org__lfedge__eve__config__uuidand_version__init(&nuv[i]);
		nuv[i].uuid = nids[i];
		nuv[i].version = "1";
		ni[i].uuidandversion = &nuv[i];
		ni[i].displayname = "ni";
		nip[i] = &ni[i];
	}
	for (int i = 0; i < 20; i++) {
		snprintf(keys[i], 32, "timer.item.%d", i);
		org__lfedge__eve__config__config_item__init(&it[i]);
		it[i].key = keys[i];
		it[i].value = "60";
		itp[i] = &it[i];
	}
	c.n_apps = 100;
	c.apps = appp;
	c.n_volumes = 100;
	c.volumes = volp;
	c.n_networkinstances = 10;
	c.networkinstances = nip;
	c.n_configitems = 20;
	c.configitems = itp;
	*len = org__lfedge__eve__config__edge_dev_config__get_packed_size(&c);
	buf = malloc(*len);
	org__lfedge__eve__config__edge_dev_config__pack(&c, buf);
	return buf;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench";
	size_t l1, l2;
	uint8_t *v1 = make(1, &l1), *v2 = make(2, &l2);
	Cfg *old = org__lfedge__eve__config__edge_dev_config__unpack(NULL, l1, v1);
	struct cfgdiff d;
	char path[256], cmd[512];
	double t0, ours, ref;
	int n = 200, nref = 5;
	FILE *f;

	t0 = now_ms();
	for (int i = 0; i < n; i++) {
		Cfg *c = org__lfedge__eve__config__edge_dev_config__unpack(NULL, l2, v2);

		cfgdiff_compute(old, c, &d);
		org__lfedge__eve__config__edge_dev_config__free_unpacked(c, NULL);
	}
	ours = (now_ms() - t0) / n;
	snprintf(path, sizeof(path), "%s/config100.pb", dir);
	f = fopen(path, "wb");
	if (!f || fwrite(v2, 1, l2, f) != l2)
		return 1;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "protoc --decode=org.lfedge.eve.config.EdgeDevConfig "
		 "--proto_path=proto --proto_path=/usr/include proto/config/devconfig.proto < %s "
		 "> /dev/null", path);
	t0 = now_ms();
	for (int i = 0; i < nref; i++)
		if (system(cmd) != 0)
			return 1;
	ref = (now_ms() - t0) / nref;
	printf("bench config_decode_diff_100apps: %.3f ms (%zu bytes; apps ~%u same %u), "
	       "protoc --decode %.1f ms, ratio %.1f (goal: <= 10 ms)\n", ours, l2, d.apps.changed,
	       d.apps.same, ref, ref / ours);
	org__lfedge__eve__config__edge_dev_config__free_unpacked(old, NULL);
	free(v1);
	free(v2);
	return 0;
}
