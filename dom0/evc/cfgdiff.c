/* cfgdiff: config differences by identity and version.  See cfgdiff.h. */
#include "cfgdiff.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct idver {
	const char *id;
	const char *ver;
	char verbuf[24];  /* for numeric versions */
};

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct idver *)a)->id, ((const struct idver *)b)->id);
}

/* Sorted merge of two lists. */
static void
compare(struct idver *o, size_t no, struct idver *n, size_t nn, struct cfgdiff_counts *c)
{
	size_t i = 0, j = 0;

	qsort(o, no, sizeof(*o), by_id);
	qsort(n, nn, sizeof(*n), by_id);
	while (i < no || j < nn) {
		int r = i == no ? 1 : j == nn ? -1 : strcmp(o[i].id, n[j].id);

		if (r < 0) {
			c->removed++;
			i++;
		} else if (r > 0) {
			c->added++;
			j++;
		} else {
			if (strcmp(o[i].ver, n[j].ver) == 0)
				c->same++;
			else
				c->changed++;
			i++;
			j++;
		}
	}
}

typedef Org__Lfedge__Eve__Config__EdgeDevConfig Cfg;

/* Fills the lists of one kind for a config (NULL: empty). */
static size_t
list_of(const Cfg *c, int kind, struct idver *out)
{
	size_t n = 0;

	if (!c)
		return 0;
	switch (kind) {
	case 0:
		for (size_t i = 0; i < c->n_apps; i++) {
			const Org__Lfedge__Eve__Config__UUIDandVersion *u = c->apps[i]->uuidandversion;

			out[n].id = u ? u->uuid : "";
			out[n].ver = u ? u->version : "";
			n++;
		}
		break;
	case 1:
		for (size_t i = 0; i < c->n_networkinstances; i++) {
			const Org__Lfedge__Eve__Config__UUIDandVersion *u =
				c->networkinstances[i]->uuidandversion;

			out[n].id = u ? u->uuid : "";
			out[n].ver = u ? u->version : "";
			n++;
		}
		break;
	case 2:
		for (size_t i = 0; i < c->n_volumes; i++) {
			out[n].id = c->volumes[i]->uuid;
			snprintf(out[n].verbuf, sizeof(out[n].verbuf), "%" PRId64,
				 c->volumes[i]->generationcount);
			out[n].ver = out[n].verbuf;
			n++;
		}
		break;
	default:
		for (size_t i = 0; i < c->n_configitems; i++) {
			out[n].id = c->configitems[i]->key;
			out[n].ver = c->configitems[i]->value;
			n++;
		}
	}
	return n;
}

static size_t
count_of(const Cfg *c, int kind)
{
	if (!c)
		return 0;
	return kind == 0 ? c->n_apps : kind == 1 ? c->n_networkinstances :
	       kind == 2 ? c->n_volumes : c->n_configitems;
}

int
cfgdiff_compute(const Cfg *old, const Cfg *cur, struct cfgdiff *d)
{
	struct cfgdiff_counts *slot[4] = { &d->apps, &d->networks, &d->volumes, &d->items };

	memset(d, 0, sizeof(*d));
	for (int k = 0; k < 4; k++) {
		size_t no = count_of(old, k), nn = count_of(cur, k);
		struct idver *o = calloc(no + 1, sizeof(*o)), *n = calloc(nn + 1, sizeof(*n));

		if (!o || !n) {
			free(o);
			free(n);
			return -ENOMEM;
		}
		no = list_of(old, k, o);
		nn = list_of(cur, k, n);
		compare(o, no, n, nn, slot[k]);
		free(o);
		free(n);
	}
	return 0;
}
