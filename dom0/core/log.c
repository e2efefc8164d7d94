/* log: levelled logging into a bounded ring.  See log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void
log_ring_init(struct log_ring *r, struct log_entry *slots, size_t nslots)
{
	r->slots = slots;
	r->nslots = nslots;
	r->next_seq = 1;
}

uint64_t
log_ring_push(struct log_ring *r, const struct log_entry *e)
{
	uint64_t seq = r->next_seq++;
	struct log_entry *slot;

	if (r->nslots == 0)
		return seq;
	slot = &r->slots[seq % r->nslots];
	*slot = *e;
	slot->seq = seq;
	return seq;
}

int
log_ring_read(const struct log_ring *r, uint64_t *cursor, struct log_entry *out,
	      uint64_t *lost)
{
	uint64_t oldest, want = *cursor + 1;

	*lost = 0;
	if (want >= r->next_seq || r->nslots == 0)
		return -EAGAIN;
	oldest = r->next_seq > r->nslots ? r->next_seq - r->nslots : 1;
	if (want < oldest) {
		*lost = oldest - want;
		want = oldest;
	}
	*out = r->slots[want % r->nslots];
	*cursor = want;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { n = 2; cp = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { n = 3; cp = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
log_sanitize(char *dst, size_t dstsz, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n;

	if (dstsz == 0)
		return;
	while (*s) {
		n = utf8_len(s);
		if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f))) {
			if (*s == '\t') { /* tabs are harmless; keep them readable */
				n = 1;
			} else {
				if (o + 1 >= dstsz)
					goto cut;
				dst[o++] = '?';
				s++;
				continue;
			}
		}
		if (o + n >= dstsz)
			goto cut;
		memcpy(dst + o, s, n);
		o += n;
		s += n;
	}
	dst[o] = '\0';
	return;
cut:
	/* Mark the cut; back off to a character boundary first. */
	if (dstsz >= 4) {
		o = dstsz - 4;
		while (o > 0 && ((unsigned char)dst[o] & 0xc0) == 0x80)
			o--;
		memcpy(dst + o, "...", 3);
		o += 3;
	} else {
		o = dstsz - 1;
	}
	dst[o] = '\0';
}

static const char *const level_names[8] = {
	[0] = "emerg", [1] = "alert", [2] = "crit", [LOG_LEVEL_ERR] = "err", [LOG_LEVEL_WARN] = "warn", [LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};

const char *
log_level_name(int level)
{
	if (level < 0 || level > 7 || !level_names[level])
		return "?";
	return level_names[level];
}

int
log_level_parse(const char *s)
{
	for (int i = 0; i < 8; i++)
		if (level_names[i] && strcmp(s, level_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* ---- the process's logger ---- */

#define LOG_GLOBAL_SLOTS 512

static struct log_entry global_slots[LOG_GLOBAL_SLOTS];
static struct log_ring global_ring = { global_slots, LOG_GLOBAL_SLOTS, 1 };
static char global_source[LOG_SOURCE_MAX] = "eved";
static enum log_level global_min = LOG_LEVEL_INFO;
static log_sink_fn global_sink = log_sink_stderr;
static void *global_sink_arg;
static int in_sink; /* a sink that logs must not recurse */

void
log_init(const char *source, enum log_level min)
{
	log_sanitize(global_source, sizeof(global_source), source);
	global_min = min;
}

void
log_set_level(enum log_level min)
{
	global_min = min;
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	global_sink = fn ? fn : log_sink_stderr;
	global_sink_arg = fn ? arg : NULL;
}

struct log_ring *
log_ring_global(void)
{
	return &global_ring;
}

void
log_sink_stderr(const struct log_entry *e, void *arg)
{
	struct timespec ts = { e->time_ns / 1000000000, e->time_ns % 1000000000 };
	struct tm tm;
	char when[32] = "";

	(void)arg;
	if (gmtime_r(&ts.tv_sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	dprintf(STDERR_FILENO, "%s.%03ldZ %-6s %s: %s\n", when, ts.tv_nsec / 1000000,
		log_level_name(e->level), e->source, e->text);
}

static void
log_emit(struct log_entry *e)
{
	e->seq = log_ring_push(&global_ring, e);
	if (in_sink) {
		log_sink_stderr(e, NULL);
		return;
	}
	in_sink = 1;
	global_sink(e, global_sink_arg);
	in_sink = 0;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	struct log_entry e;
	struct timespec ts;
	char raw[LOG_TEXT_MAX + 8]; /* a little longer, so a cut is detected */
	int n;

	if ((int)level > (int)global_min)
		return;
	memset(&e, 0, sizeof(e));
	clock_gettime(CLOCK_REALTIME, &ts);
	e.time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	e.level = (uint8_t)level;
	memcpy(e.source, global_source, sizeof(e.source));
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		snprintf(raw, sizeof(raw), "(unformattable message: %s)", fmt);
	/* raw is longer than text, so a message vsnprintf cut is cut (and
	 * marked "...") again here */
	log_sanitize(e.text, sizeof(e.text), raw);
	log_emit(&e);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_relay(const struct log_entry *src)
{
	struct log_entry e = *src;
	char tmp[LOG_TEXT_MAX];

	if (e.level > LOG_LEVEL_DEBUG)
		e.level = LOG_LEVEL_DEBUG;
	if ((int)e.level > (int)global_min)
		return;
	memcpy(tmp, e.source, sizeof(e.source));
	tmp[LOG_SOURCE_MAX - 1] = '\0';
	log_sanitize(e.source, sizeof(e.source), tmp);
	memcpy(tmp, e.text, sizeof(tmp));
	tmp[LOG_TEXT_MAX - 1] = '\0';
	log_sanitize(e.text, sizeof(e.text), tmp);
	log_emit(&e);
}

_Noreturn void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
