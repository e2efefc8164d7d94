/*
 * cfgdiff: what changed between two EdgeDevConfigs, by identity and version
 * the way EVE's controllers mean it: apps and network instances by
 * UUIDandVersion, volumes by uuid and generationCount, config items by key
 * and value.  Pure; O(n log n) (sorted by id).  The roles that act on a new
 * config (apps, net) take their work lists from it.
 */
#ifndef EV_CFGDIFF_H
#define EV_CFGDIFF_H

#include "config/devconfig.pb-c.h"

struct cfgdiff_counts {
	unsigned added, removed, changed, same;
};

struct cfgdiff {
	struct cfgdiff_counts apps, networks, volumes, items;
};

/* old may be NULL (everything in new is added).  0, or -ENOMEM. */
int cfgdiff_compute(const Org__Lfedge__Eve__Config__EdgeDevConfig *old,
		    const Org__Lfedge__Eve__Config__EdgeDevConfig *cur, struct cfgdiff *d);

#endif
