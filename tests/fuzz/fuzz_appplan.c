/*
 * libFuzzer target: the app plan, both ways.
 *   first byte 'C': the rest is an EdgeDevConfig (protobuf); whatever it
 *     says, appplan_from_config must give a plan that appplan_check accepts
 *     (the evc role never sends bytes the apps role refuses) -- else abort;
 *   otherwise: the bytes (zero-padded to the struct) are a received plan;
 *     appplan_check must refuse or accept without reading out of bounds, and
 *     an accepted plan is walked with the lookups.
 * Seeds: tests/fuzz/corpus/appplan/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appplan.h"

#include "config/devconfig.pb-c.h"

static volatile size_t fuzz_sink;

static void
walk(const struct app_plan *p)
{
	for (uint32_t i = 0; i < p->n_apps; i++)
		for (uint32_t j = 0; j < p->apps[i].n_volumes; j++)
			fuzz_sink += appplan_find_volume(p, p->apps[i].volumes[j].uuid) != NULL;
	for (uint32_t i = 0; i < p->n_volumes; i++)
		fuzz_sink += appplan_find_content(p, p->volumes[i].content_uuid) != NULL;
	for (uint32_t i = 0; i < p->n_contents; i++)
		fuzz_sink += appplan_find_datastore(p, p->contents[i].ds_id) != NULL;
	for (uint32_t i = 0; i < p->n_apps; i++)
		for (uint32_t j = 0; j < p->apps[i].n_adapters; j++)
			fuzz_sink += appplan_find_io(p, p->apps[i].adapters[j].name) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_plan *p = calloc(1, sizeof(*p));
	char err[256];

	if (!p)
		return 0;
	if (size >= 1 && data[0] == 'C') {
		Org__Lfedge__Eve__Config__EdgeDevConfig *c =
			org__lfedge__eve__config__edge_dev_config__unpack(NULL, size - 1, data + 1);

		if (c) {
			appplan_from_config(c, p);
			if (appplan_check(p, sizeof(*p), err, sizeof(err)) != 0) {
				fprintf(stderr, "plan from a config refused: %s\n", err);
				abort();
			}
			walk(p);
			org__lfedge__eve__config__edge_dev_config__free_unpacked(c, NULL);
		}
	} else {
		memcpy(p, data, size < sizeof(*p) ? size : sizeof(*p));
		fuzz_sink += appplan_check(p, size, err, sizeof(err)) == 0;
		if (appplan_check(p, sizeof(*p), err, sizeof(err)) == 0)
			walk(p);
	}
	free(p);
	return 0;
}
