/*
 * store: the controller's state in SQLite (WAL), under the controller's
 * folder as evc.db.  `evc serve` and every admin command open the same file;
 * SQLite's locking makes them safe together (busy timeout 5 s).
 *
 * What it holds:
 *   enterprises and their projects;
 *   onboarding certificates, each issued to one enterprise (and project), and
 *   the serials each may onboard ("*" = any serial) — a serial is claimed by
 *   one enterprise only;
 *   devices: uuid, enterprise, project, serial, soft serial, device cert
 *   (DER and its SHA-256), whether pre-registered or onboarded;
 *   per device: the current EdgeDevConfig (protobuf bytes) and its hash;
 *   bounded histories of info, metrics and log entries (oldest dropped).
 *
 * Ownership: strings and blobs returned in structs are malloc'd and freed by
 * the matching *_free; a struct store is owned by its opener (store_close).
 * Every function returns 0 or a negative errno, with a sentence in
 * store->err (e.g. "serial 'S1' is already claimed by enterprise 'acme'").
 */
#ifndef EV_STORE_H
#define EV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#define STORE_ERR_MAX 256
#define STORE_HISTORY_DEFAULT 1000 /* rows kept per device and kind */

struct store {
	struct sqlite3 *db;
	unsigned history;          /* rows kept per device for info/metrics/logs */
	char err[STORE_ERR_MAX];
};

int store_open(struct store *st, const char *path);
void store_close(struct store *st);

/* Enterprise/project names are created on first use; returns their ids. */
int store_project_ensure(struct store *st, const char *enterprise, const char *project,
			 int64_t *enterprise_id, int64_t *project_id);

/* ---- onboarding ---- */
struct store_onboard {
	int64_t id;
	char *enterprise, *project;
	uint8_t cert_hash[32];
	uint8_t *cert_der;
	size_t cert_len;
};
/* Adds (or finds) an onboarding cert for enterprise/project and allows
 * serial on it ("*" for any).  -EEXIST if the cert belongs to another
 * enterprise or is a device's; -EADDRINUSE if the serial is claimed by
 * another enterprise. */
int store_onboard_add(struct store *st, const char *enterprise, const char *project,
		      const uint8_t *der, size_t len, const uint8_t hash[32], const char *serial);
/* Looks an onboarding cert up by hash: 0, or -ENOENT. */
int store_onboard_find(struct store *st, const uint8_t hash[32], struct store_onboard *o);
void store_onboard_free(struct store_onboard *o);
/* May onboarding cert `onboard_id` onboard `serial`?  0 yes; -EACCES not
 * listed; -EADDRINUSE claimed by another enterprise (err names it). */
int store_onboard_check_serial(struct store *st, int64_t onboard_id, const char *serial);

/* ---- devices ---- */
enum store_device_state { STORE_DEV_PREREGISTERED = 0, STORE_DEV_ONBOARDED = 1 };

struct store_device {
	char uuid[37];
	char *enterprise, *project, *serial, *soft_serial;
	uint8_t cert_hash[32];
	uint8_t *cert_der;
	size_t cert_len;
	int state;                 /* enum store_device_state */
	int64_t created, last_seen; /* unix seconds; last_seen 0 = never */
};

/* Pre-registers a device by its certificate (variant b).  -EEXIST if known
 * as a device or as an onboarding certificate. */
int store_device_add(struct store *st, const char *enterprise, const char *project,
		     const uint8_t *der, size_t len, const uint8_t hash[32], const char *serial,
		     char uuid_out[37]);

/*
 * Registration (variant a) through onboarding cert `onboard_id`.
 * Returns 201-style 1 (created), 200-style 0 (same cert registered again),
 * -EADDRINUSE (409: serial claimed by another enterprise, or this serial
 * already registered with another cert), -EACCES (403: serial not allowed),
 * -EINVAL (the device certificate is an onboarding certificate).
 */
int store_device_register(struct store *st, int64_t onboard_id, const uint8_t *der, size_t len,
			  const uint8_t hash[32], const char *serial, const char *soft_serial,
			  char uuid_out[37]);

int store_device_by_cert(struct store *st, const uint8_t hash[32], struct store_device *d);
int store_device_by_uuid(struct store *st, const char *uuid, struct store_device *d);
void store_device_free(struct store_device *d);
int store_device_touch(struct store *st, const char *uuid);
/* Calls fn for every device, ordered by enterprise, project, serial. */
int store_device_list(struct store *st, int (*fn)(const struct store_device *d, void *arg),
		      void *arg);

/* ---- config ---- */
/* Sets a device's config; its hash is the hex SHA-256 of the bytes. */
int store_config_set(struct store *st, const char *uuid, const uint8_t *pb, size_t len);
/* Gets it: -ENOENT when none was set.  *pb malloc'd. */
int store_config_get(struct store *st, const char *uuid, uint8_t **pb, size_t *len,
		     char hash_hex[65]);

/* ---- certificate status (docs/revocation.md) ---- */
/* Marks a certificate (by the SHA-256 of its DER) revoked from now on. */
int store_cert_revoke(struct store *st, const uint8_t hash[32]);
/* 0 and *when if revoked; -ENOENT if not. */
int store_cert_revoked(struct store *st, const uint8_t hash[32], int64_t *when);

/* ---- telemetry ---- */
enum store_kind { STORE_INFO, STORE_METRICS, STORE_LOGS };

/* Appends a record (protobuf bytes for info/metrics, one JSON LogEntry per
 * record for logs) and trims the history to st->history. */
int store_record_add(struct store *st, const char *uuid, enum store_kind kind,
		     const uint8_t *data, size_t len);
/* Appends n records in one transaction: all of them, or none (error). */
int store_records_add(struct store *st, const char *uuid, enum store_kind kind,
		      const uint8_t *const *data, const size_t *len, size_t n);
/* Calls fn for records with id > after_id, oldest first, at most limit
 * (0 = all); *last_id gets the id of the last one seen. */
int store_record_list(struct store *st, const char *uuid, enum store_kind kind, int64_t after_id,
		      unsigned limit,
		      int (*fn)(int64_t id, int64_t when, const uint8_t *data, size_t len, void *arg),
		      void *arg, int64_t *last_id);

#endif
