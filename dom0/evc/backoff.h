/*
 * backoff: capped exponential backoff with jitter, for retrying the
 * controller (register, info, logs).  Pure: the random value is passed in.
 * The n-th delay is drawn from [d/2, d] where d = min(cap, base * 2^n), so
 * a fleet that lost its controller together does not come back in lockstep.
 */
#ifndef EV_BACKOFF_H
#define EV_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint32_t base_ms, cap_ms;
	unsigned failures;         /* since the last success */
};

void backoff_init(struct backoff *b, uint32_t base_ms, uint32_t cap_ms);
/* The delay before the next try after a failure; counts the failure. */
uint32_t backoff_next(struct backoff *b, uint32_t random);
void backoff_reset(struct backoff *b);

#endif
