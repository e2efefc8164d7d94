/*
 * Fuzz target: the debug console's input path (dom0/console/dbgcmd): bytes
 * from the serial line through dbgline into dbgcmd_parse, and the same bytes
 * as one netlink route message (dbgroute_parse).  Invariants: lines never
 * exceed DBGCMD_LINE_MAX; parse gives 0 or -EINVAL/-E2BIG with an error
 * sentence; an accepted command is one of the fixed set with its arguments
 * in range; formatting what was parsed stays inside its buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbgcmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbgline l;
	struct dbgcmd c;
	struct dbg_route r;
	char err[DBGCMD_ERR_MAX], out[4096];
	struct dbgout o;

	dbgline_init(&l);
	for (size_t i = 0; i < size; i++) {
		int rc = dbgline_push(&l, data[i]);

		if (rc != 0 && rc != 1 && rc != -E2BIG)
			abort();
		if (l.len > DBGCMD_LINE_MAX)
			abort();
		if (rc != 1)
			continue;
		err[0] = '\0';
		rc = dbgcmd_parse(l.buf, l.len, &c, err, sizeof(err));
		if (rc == 0) {
			if (c.id > DBG_EXIT)
				abort();
			if (c.id == DBG_LOGS && (c.n < 1 || c.n > DBGCMD_LOGS_MAX))
				abort();
			if (c.id == DBG_PING && (c.host[0] == '\0' || strlen(c.host) > 15))
				abort();
		} else if ((rc != -EINVAL && rc != -E2BIG) || err[0] == '\0') {
			abort();
		}
	}
	/* the whole input as one line, unsplit */
	if (dbgcmd_parse((const char *)data, size, &c, err, sizeof(err)) == 0 && c.id > DBG_EXIT)
		abort();
	if (dbgroute_parse(data, size, &r) == 0) {
		dbgout_init(&o, out, sizeof(out));
		dbgcmd_fmt_routes(&o, &r, 1, NULL, 0);
		if (o.len >= sizeof(out) || strlen(out) != o.len)
			abort();
	}
	return 0;
}
