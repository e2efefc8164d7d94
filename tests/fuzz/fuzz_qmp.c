/*
 * libFuzzer target: the QMP message parser (dom0/hv/hv_qmp.h).  Every input
 * either parses into a classified message whose strings are terminated and
 * free of control bytes, or is refused with an error sentence.  Seeds:
 * tests/fuzz/corpus/qmp/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_qmp.h"

static void
check_str(const char *s, size_t cap)
{
	const char *end = memchr(s, 0, cap);

	if (!end)
		abort();
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_qmp_msg m;
	char err[HV_ERR];

	err[0] = 0;
	if (hv_qmp_parse((const char *)data, size, &m, err) != 0) {
		if (!err[0] || !memchr(err, 0, sizeof err))
			abort();
		return 0;
	}
	if (m.kind < HV_QMP_GREETING || m.kind > HV_QMP_EVENT)
		abort();
	check_str(m.status, sizeof m.status);
	check_str(m.error_class, sizeof m.error_class);
	check_str(m.error_desc, sizeof m.error_desc);
	check_str(m.event, sizeof m.event);
	if (m.has_status && m.kind != HV_QMP_RETURN)
		abort();
	return 0;
}
