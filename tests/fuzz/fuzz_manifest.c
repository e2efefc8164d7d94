/*
 * libFuzzer target: the VMManifest parser and its mapping into an
 * EdgeDevConfig (controller/app_import.h).
 *
 * Every input goes through app_import_parse() and app_import_probe().  For
 * a manifest that parses, every image gets a made-up local file and the
 * manifest is added to an empty config, which must then hold exactly one
 * app with one volume per image, pack, and read back with the same counts;
 * an input that is refused must leave a zeroed manifest.  ASan catches
 * leaks and overruns.  Seeds: tests/fuzz/corpus/manifest/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_import.h"

#include "config/devconfig.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct app_manifest m, zero;
	struct appimp_image_file files[APPIMP_MAX_IMAGES];
	struct app_import_input in = { .ds_url = "http://ds.example:8080/img" };
	struct app_import_result res;
	Org__Lfedge__Eve__Config__EdgeDevConfig *c, *back;
	struct appimp_file pf;
	char err[APPIMP_ERR];
	uint8_t *pb;
	size_t n, nf = 0;

	app_import_probe(data, size < APPIMP_PROBE_BYTES ? size : APPIMP_PROBE_BYTES, size, &pf,
			 err);
	if (app_import_parse((const char *)data, size, &m, err) < 0) {
		if (memcmp(&m, &zero, sizeof(m)) != 0 || !err[0])
			abort();
		return 0;
	}
	for (uint32_t i = 0; i < m.n_images; i++) {
		if (m.images[i].drvtype == 4)
			continue;
		memset(&files[nf], 0, sizeof(files[nf]));
		files[nf].imagename = m.images[i].imagename;
		memset(files[nf].sha256, 'a', 64);
		files[nf].size = 4096;
		files[nf].probe.format = 1;
		files[nf].probe.virtual_size = 4096;
		nf++;
	}
	in.files = files;
	in.n_files = nf;
	for (int i = 0; i < APPIMP_UUIDS; i++)
		snprintf(in.uuids[i], 37, "00000000-0000-4000-8000-%012d", i);
	c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	org__lfedge__eve__config__edge_dev_config__init(c);
	if (app_import_to_config(&m, &in, c, &res, err) == 0) {
		if (c->n_apps != 1 || c->n_volumes != m.n_images ||
		    c->apps[0]->n_volumereflist != m.n_images || c->n_datastores != 1)
			abort();
		n = protobuf_c_message_get_packed_size(&c->pbc_base);
		pb = malloc(n ? n : 1);
		if (pb) {
			protobuf_c_message_pack(&c->pbc_base, pb);
			back = org__lfedge__eve__config__edge_dev_config__unpack(NULL, n, pb);
			if (!back || back->n_apps != 1 || back->n_volumes != m.n_images)
				abort();
			org__lfedge__eve__config__edge_dev_config__free_unpacked(back, NULL);
			free(pb);
		}
	} else if (c->n_apps || c->n_volumes || c->n_contentinfo || c->n_datastores) {
		abort();
	}
	protobuf_c_message_free_unpacked(&c->pbc_base, NULL);
	return 0;
}
