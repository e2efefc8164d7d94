/*
 * libFuzzer target: a board's io.json -> struct iomodel (dom0/apps/iomodel).
 * Any input: no crash, no leak (ASan), an error message on refusal.  For a
 * model that parses: every string is NUL-terminated within its array, no
 * phylabel repeats, and assigning every group to one app then releasing it
 * leaves the model as it was.  Seeds: tests/fuzz/corpus/iomodel/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iomodel.h"

static struct iomodel m, before;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char owner[] = "11111111-1111-1111-1111-111111111111";
	struct plan_adapter a[PLAN_MAX_APP_ADAPTERS];
	struct io_grant g[IOMODEL_MAX];
	char err[IOMODEL_ERR_MAX];
	size_t n = 0;
	int rc;

	err[0] = '\0';
	rc = iomodel_parse((const char *)data, size, &m, err, sizeof(err));
	if (rc < 0) {
		if (!err[0] || m.n != 0)
			abort();
		return 0;
	}
	if (m.n > IOMODEL_MAX)
		abort();
	for (uint32_t i = 0; i < m.n; i++) {
		const struct plan_io *io = &m.e[i].io;

		if (!memchr(io->phylabel, 0, sizeof(io->phylabel)) ||
		    !memchr(io->assigngrp, 0, sizeof(io->assigngrp)) ||
		    !memchr(io->pcilong, 0, sizeof(io->pcilong)) ||
		    !memchr(io->serial, 0, sizeof(io->serial)) || !io->phylabel[0])
			abort();
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(m.e[j].io.phylabel, io->phylabel))
				abort();
		if (n < PLAN_MAX_APP_ADAPTERS) {
			memset(&a[n], 0, sizeof(a[n]));
			a[n].type = io->ptype;
			memcpy(a[n].name, io->assigngrp, sizeof(a[n].name));
			n++;
		}
	}
	before = m;
	rc = iomodel_assign(&m, owner, "fuzz", a, n, NULL, 0, g, IOMODEL_MAX, err, sizeof(err));
	if (rc >= 0 && iomodel_release(&m, owner) != rc)
		abort();
	if (rc < 0 && !err[0])
		abort();
	if (memcmp(&before, &m, sizeof(m)) != 0)
		abort();
	return 0;
}
