/*
 * log: levelled logging into a bounded in-memory ring.
 *
 * Every process (the supervisor and each role) has one logger: log_msg()
 * formats an entry, sanitises it (control bytes from hostile input never reach
 * a console or the ring raw), stores it in the process's ring and hands it to
 * the sink (stderr by default; a role's sink forwards to the supervisor over
 * IPC).  Telemetry later drains the ring with a cursor: a reader that fell
 * behind is told how many entries it lost, never handed a torn one.
 *
 * Ownership: the ring's slots belong to the caller of log_ring_init(); the
 * ring never allocates.  Entries handed to a sink are only valid during the
 * call.  The global logger's ring is static inside log.c.
 */
#ifndef EV_LOG_H
#define EV_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Values are syslog's, so they map onto EVE's LogEntry severities. */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

#define LOG_SOURCE_MAX 16   /* "evc", "identity", ... with NUL */
#define LOG_TEXT_MAX 240    /* message bytes with NUL; longer is cut, marked "..." */

struct log_entry {
	uint64_t seq;           /* 1, 2, 3 ... per ring, never reused */
	int64_t time_ns;        /* CLOCK_REALTIME */
	uint8_t level;          /* enum log_level */
	char source[LOG_SOURCE_MAX];
	char text[LOG_TEXT_MAX];
};

struct log_ring {
	struct log_entry *slots; /* caller-owned, nslots entries */
	size_t nslots;
	uint64_t next_seq;       /* seq the next push gets */
};

void log_ring_init(struct log_ring *r, struct log_entry *slots, size_t nslots);
/* Copies e into the ring (its seq is assigned here) and returns that seq. */
uint64_t log_ring_push(struct log_ring *r, const struct log_entry *e);
/*
 * Reads the oldest entry with seq > *cursor into *out and advances *cursor.
 * Returns 0, or -EAGAIN when nothing is newer.  *lost is set to the number of
 * entries the reader missed because the ring overwrote them (0 usually).
 */
int log_ring_read(const struct log_ring *r, uint64_t *cursor, struct log_entry *out,
		  uint64_t *lost);

/* Copies src into dst (size dstsz) replacing control bytes and invalid
 * UTF-8 with '?', cutting with "..." when it does not fit.  Pure. */
void log_sanitize(char *dst, size_t dstsz, const char *src);

const char *log_level_name(int level);
/* Parses "err", "warn", "notice", "info", "debug"; -EINVAL otherwise. */
int log_level_parse(const char *s);

/* ---- the process's logger ---- */
typedef void (*log_sink_fn)(const struct log_entry *e, void *arg);

/* Sets the source name of this process's entries and the minimum level. */
void log_init(const char *source, enum log_level min);
void log_set_level(enum log_level min);
/* NULL sink restores the default (stderr). */
void log_set_sink(log_sink_fn fn, void *arg);
/* The default sink: one line "LEVEL source: text" on stderr. */
void log_sink_stderr(const struct log_entry *e, void *arg);
/* The process's ring (512 entries). */
struct log_ring *log_ring_global(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);
/* Logs an entry produced elsewhere (a role's entry relayed over IPC):
 * keeps its source, time and level, re-sanitises its text. */
void log_relay(const struct log_entry *e);

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Logs at ERR and exits the process with status 1: a broken invariant. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
