/* backoff: capped exponential backoff with jitter.  See backoff.h. */
#include "backoff.h"

void
backoff_init(struct backoff *b, uint32_t base_ms, uint32_t cap_ms)
{
	b->base_ms = base_ms ? base_ms : 1;
	b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
	b->failures = 0;
}

uint32_t
backoff_next(struct backoff *b, uint32_t random)
{
	uint64_t d = b->base_ms;

	for (unsigned i = 0; i < b->failures && d < b->cap_ms; i++)
		d *= 2;
	if (d > b->cap_ms)
		d = b->cap_ms;
	if (b->failures < 64)
		b->failures++;
	/* full range [d/2, d] */
	return (uint32_t)(d / 2 + (uint64_t)random % (d - d / 2 + 1));
}

void
backoff_reset(struct backoff *b)
{
	b->failures = 0;
}
