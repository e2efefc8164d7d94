/* store: the controller's SQLite state.  See store.h. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <bearssl.h>

static const char schema[] =
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS enterprise(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS project(id INTEGER PRIMARY KEY,"
	" enterprise_id INTEGER NOT NULL REFERENCES enterprise(id), name TEXT NOT NULL,"
	" UNIQUE(enterprise_id, name));"
	"CREATE TABLE IF NOT EXISTS onboard(id INTEGER PRIMARY KEY,"
	" project_id INTEGER NOT NULL REFERENCES project(id),"
	" cert_hash BLOB NOT NULL UNIQUE, cert_der BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS onboard_serial(onboard_id INTEGER NOT NULL REFERENCES onboard(id),"
	" serial TEXT NOT NULL, PRIMARY KEY(onboard_id, serial));"
	"CREATE TABLE IF NOT EXISTS device(uuid TEXT PRIMARY KEY,"
	" project_id INTEGER NOT NULL REFERENCES project(id),"
	" serial TEXT NOT NULL DEFAULT '', soft_serial TEXT NOT NULL DEFAULT '',"
	" cert_hash BLOB NOT NULL UNIQUE, cert_der BLOB NOT NULL, state INTEGER NOT NULL,"
	" onboard_id INTEGER REFERENCES onboard(id), created INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS config(uuid TEXT PRIMARY KEY REFERENCES device(uuid),"
	" pb BLOB NOT NULL, hash TEXT NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS record(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" uuid TEXT NOT NULL REFERENCES device(uuid), kind INTEGER NOT NULL, at INTEGER NOT NULL,"
	" data BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS record_by_device ON record(uuid, kind, id);"
	"CREATE TABLE IF NOT EXISTS revoked(cert_hash BLOB PRIMARY KEY, at INTEGER NOT NULL);";

__attribute__((format(printf, 3, 4))) static int
fail(struct store *st, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return rc;
}

static int
dberr(struct store *st, const char *what)
{
	return fail(st, -EIO, "store: %s: %s", what, sqlite3_errmsg(st->db));
}

/* Prepares sql and binds arguments described by types: 't' text, 'i' int64,
 * 'b' blob (pointer, size_t). */
static sqlite3_stmt *
prep(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int i = 1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		dberr(st, "prepare");
		return NULL;
	}
	va_start(ap, types);
	for (const char *t = types; *t; t++, i++) {
		if (*t == 't') {
			sqlite3_bind_text(s, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		} else if (*t == 'i') {
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
		} else {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			sqlite3_bind_blob(s, i, p, (int)n, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	return s;
}

/* Runs a statement that returns no row (or ignores rows); finalizes it. */
static int
run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int r;

	if (!s)
		return -EIO;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		return dberr(st, what);
	return 0;
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return strdup(t ? (const char *)t : "");
}

static uint8_t *
col_blob(sqlite3_stmt *s, int i, size_t *len)
{
	int n = sqlite3_column_bytes(s, i);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);

	if (b && n > 0)
		memcpy(b, sqlite3_column_blob(s, i), (size_t)n);
	*len = n > 0 ? (size_t)n : 0;
	return b;
}

int
store_open(struct store *st, const char *path)
{
	char *msg = NULL;

	memset(st, 0, sizeof(*st));
	st->history = STORE_HISTORY_DEFAULT;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		int rc = fail(st, -EIO, "store %s: %s", path,
			      st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		st->db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
			 &msg) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = fail(st, -EIO, "store %s: %s", path, msg ? msg : "schema");
		sqlite3_free(msg);
		sqlite3_close(st->db);
		st->db = NULL;
		return rc;
	}
	return 0;
}

void
store_close(struct store *st)
{
	if (st->db)
		sqlite3_close(st->db);
	st->db = NULL;
}

static int
begin(struct store *st)
{
	return sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
		       ? 0 : dberr(st, "begin");
}

static int
finish(struct store *st, int rc)
{
	sqlite3_exec(st->db, rc < 0 ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* Looks up or creates by name; returns the id. */
static int
ensure(struct store *st, const char *sel, const char *ins, const char *types, const char *name,
       int64_t parent, int64_t *id)
{
	sqlite3_stmt *s;
	int r;

	for (int pass = 0; pass < 2; pass++) {
		s = types[0] == 'i' ? prep(st, sel, "it", parent, name) : prep(st, sel, "t", name);
		if (!s)
			return -EIO;
		r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			*id = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
			return 0;
		}
		sqlite3_finalize(s);
		if (pass == 0) {
			s = types[0] == 'i' ? prep(st, ins, "it", parent, name)
					    : prep(st, ins, "t", name);
			if (run(st, s, "insert") < 0)
				return -EIO;
		}
	}
	return dberr(st, "lookup");
}

int
store_project_ensure(struct store *st, const char *enterprise, const char *project,
		     int64_t *enterprise_id, int64_t *project_id)
{
	int64_t e, p;
	int rc;

	if (!enterprise[0] || !project[0])
		return fail(st, -EINVAL, "enterprise and project names must not be empty");
	rc = ensure(st, "SELECT id FROM enterprise WHERE name=?1",
		    "INSERT INTO enterprise(name) VALUES(?1)", "t", enterprise, 0, &e);
	if (rc < 0)
		return rc;
	rc = ensure(st, "SELECT id FROM project WHERE enterprise_id=?1 AND name=?2",
		    "INSERT INTO project(enterprise_id, name) VALUES(?1, ?2)", "it", project, e, &p);
	if (rc < 0)
		return rc;
	if (enterprise_id)
		*enterprise_id = e;
	if (project_id)
		*project_id = p;
	return 0;
}

/* The enterprise (other than `mine`) that has claimed serial, if any. */
static int
serial_claimed_elsewhere(struct store *st, const char *serial, int64_t mine, char **who)
{
	sqlite3_stmt *s;
	int r;

	*who = NULL;
	if (strcmp(serial, "*") == 0)
		return 0;
	s = prep(st,
		 "SELECT e.name FROM onboard_serial os JOIN onboard o ON o.id=os.onboard_id"
		 " JOIN project p ON p.id=o.project_id JOIN enterprise e ON e.id=p.enterprise_id"
		 " WHERE os.serial=?1 AND e.id<>?2"
		 " UNION SELECT e.name FROM device d JOIN project p ON p.id=d.project_id"
		 " JOIN enterprise e ON e.id=p.enterprise_id WHERE d.serial=?1 AND e.id<>?2 LIMIT 1",
		 "ti", serial, mine);
	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*who = col_text(s, 0);
	sqlite3_finalize(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return dberr(st, "serial lookup");
	return 0;
}

int
store_onboard_add(struct store *st, const char *enterprise, const char *project,
		  const uint8_t *der, size_t len, const uint8_t hash[32], const char *serial)
{
	struct store_onboard o;
	struct store_device d;
	int64_t e, p, id;
	char *who = NULL;
	int rc;

	if (!serial[0])
		return fail(st, -EINVAL, "serial must not be empty (use '*' for any serial)");
	if ((rc = begin(st)) < 0)
		return rc;
	rc = store_project_ensure(st, enterprise, project, &e, &p);
	if (rc < 0)
		goto out;
	if (store_device_by_cert(st, hash, &d) == 0) {
		rc = fail(st, -EEXIST, "this certificate is the certificate of device %s; an "
			  "onboarding certificate must be another one", d.uuid);
		store_device_free(&d);
		goto out;
	}
	rc = store_onboard_find(st, hash, &o);
	if (rc == 0) {
		if (strcmp(o.enterprise, enterprise) != 0) {
			rc = fail(st, -EEXIST, "this onboarding certificate is already issued to "
				  "enterprise '%s'", o.enterprise);
			store_onboard_free(&o);
			goto out;
		}
		id = o.id;
		store_onboard_free(&o);
	} else if (rc == -ENOENT) {
		rc = run(st, prep(st, "INSERT INTO onboard(project_id, cert_hash, cert_der) "
				      "VALUES(?1, ?2, ?3)", "ibb", p, hash, (size_t)32, der, len),
			 "add onboarding cert");
		if (rc < 0)
			goto out;
		id = sqlite3_last_insert_rowid(st->db);
	} else {
		goto out;
	}
	rc = serial_claimed_elsewhere(st, serial, e, &who);
	if (rc < 0)
		goto out;
	if (who) {
		rc = fail(st, -EADDRINUSE, "serial '%s' is already claimed by enterprise '%s'",
			  serial, who);
		goto out;
	}
	rc = run(st, prep(st, "INSERT OR IGNORE INTO onboard_serial(onboard_id, serial) "
			      "VALUES(?1, ?2)", "it", id, serial), "allow serial");
out:
	free(who);
	return finish(st, rc);
}

int
store_onboard_find(struct store *st, const uint8_t hash[32], struct store_onboard *o)
{
	sqlite3_stmt *s;
	int r;

	memset(o, 0, sizeof(*o));
	s = prep(st, "SELECT o.id, e.name, p.name, o.cert_der FROM onboard o"
		     " JOIN project p ON p.id=o.project_id JOIN enterprise e ON e.id=p.enterprise_id"
		     " WHERE o.cert_hash=?1", "b", hash, (size_t)32);
	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		o->id = sqlite3_column_int64(s, 0);
		o->enterprise = col_text(s, 1);
		o->project = col_text(s, 2);
		o->cert_der = col_blob(s, 3, &o->cert_len);
		memcpy(o->cert_hash, hash, 32);
	}
	sqlite3_finalize(s);
	if (r == SQLITE_DONE)
		return fail(st, -ENOENT, "unknown onboarding certificate");
	if (r != SQLITE_ROW)
		return dberr(st, "onboard lookup");
	return 0;
}

void
store_onboard_free(struct store_onboard *o)
{
	free(o->enterprise);
	free(o->project);
	free(o->cert_der);
	memset(o, 0, sizeof(*o));
}

static int
onboard_enterprise(struct store *st, int64_t onboard_id, int64_t *e, int64_t *p)
{
	sqlite3_stmt *s = prep(st, "SELECT p.enterprise_id, p.id FROM onboard o JOIN project p"
				   " ON p.id=o.project_id WHERE o.id=?1", "i", onboard_id);
	int r;

	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*e = sqlite3_column_int64(s, 0);
		*p = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : fail(st, -ENOENT, "onboarding cert %lld unknown",
					  (long long)onboard_id);
}

int
store_onboard_check_serial(struct store *st, int64_t onboard_id, const char *serial)
{
	int64_t e, p;
	char *who = NULL;
	sqlite3_stmt *s;
	int rc, r;

	if ((rc = onboard_enterprise(st, onboard_id, &e, &p)) < 0)
		return rc;
	if ((rc = serial_claimed_elsewhere(st, serial, e, &who)) < 0)
		return rc;
	if (who) {
		rc = fail(st, -EADDRINUSE, "serial '%s' is claimed by another enterprise ('%s')",
			  serial, who);
		free(who);
		return rc;
	}
	s = prep(st, "SELECT 1 FROM onboard_serial WHERE onboard_id=?1 AND (serial=?2 OR serial='*')",
		 "it", onboard_id, serial);
	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return dberr(st, "serial check");
	return fail(st, -EACCES, "serial '%s' is not allowed for this onboarding certificate",
		    serial);
}

/* A device certificate must not be an onboarding certificate: every device
 * holds the onboarding key, so any of them could speak as that device. */
static int
not_onboard(struct store *st, const uint8_t hash[32], int rc)
{
	struct store_onboard o;

	if (store_onboard_find(st, hash, &o) < 0)
		return 0;
	rc = fail(st, rc, "this certificate is an onboarding certificate (of enterprise '%s'), "
		  "not a device certificate", o.enterprise);
	store_onboard_free(&o);
	return rc;
}

static void
uuid_new(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		/* getrandom on Linux >= 3.17 does not fail for 16 bytes */
		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)rand();
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static int
device_insert(struct store *st, int64_t project, const uint8_t *der, size_t len,
	      const uint8_t hash[32], const char *serial, const char *soft_serial, int state,
	      int64_t onboard_id, char uuid_out[37])
{
	uuid_new(uuid_out);
	return run(st, prep(st, "INSERT INTO device(uuid, project_id, serial, soft_serial, cert_hash,"
				" cert_der, state, onboard_id, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
				" NULLIF(?8, 0), ?9)", "tittbbiii", uuid_out, project, serial,
			    soft_serial, hash, (size_t)32, der, len, (int64_t)state, onboard_id,
			    (int64_t)time(NULL)), "add device");
}

int
store_device_add(struct store *st, const char *enterprise, const char *project,
		 const uint8_t *der, size_t len, const uint8_t hash[32], const char *serial,
		 char uuid_out[37])
{
	struct store_device d;
	int64_t e, p;
	char *who = NULL;
	int rc;

	if ((rc = begin(st)) < 0)
		return rc;
	if ((rc = store_project_ensure(st, enterprise, project, &e, &p)) < 0)
		goto out;
	if (store_device_by_cert(st, hash, &d) == 0) {
		rc = fail(st, -EEXIST, "this device certificate is already device %s", d.uuid);
		store_device_free(&d);
		goto out;
	}
	if ((rc = not_onboard(st, hash, -EEXIST)) < 0)
		goto out;
	if (serial[0] && (rc = serial_claimed_elsewhere(st, serial, e, &who)) == 0 && who) {
		rc = fail(st, -EADDRINUSE, "serial '%s' is already claimed by enterprise '%s'",
			  serial, who);
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = device_insert(st, p, der, len, hash, serial, "", STORE_DEV_PREREGISTERED, 0, uuid_out);
out:
	free(who);
	return finish(st, rc);
}

int
store_device_register(struct store *st, int64_t onboard_id, const uint8_t *der, size_t len,
		      const uint8_t hash[32], const char *serial, const char *soft_serial,
		      char uuid_out[37])
{
	struct store_device d;
	int64_t e, p;
	sqlite3_stmt *s;
	int rc, r;

	if ((rc = begin(st)) < 0)
		return rc;
	if ((rc = onboard_enterprise(st, onboard_id, &e, &p)) < 0)
		goto out;
	if ((rc = store_onboard_check_serial(st, onboard_id, serial)) < 0)
		goto out;
	if ((rc = not_onboard(st, hash, -EINVAL)) < 0)
		goto out;
	rc = store_device_by_cert(st, hash, &d);
	if (rc == 0) {
		/* the same device again: fine within the same enterprise; a
		 * pre-registered device learns its serial here */
		char *oname = NULL;
		sqlite3_stmt *q = prep(st, "SELECT name FROM enterprise WHERE id=?1", "i", e);

		if (q && sqlite3_step(q) == SQLITE_ROW)
			oname = col_text(q, 0);
		sqlite3_finalize(q);
		if (!oname || strcmp(d.enterprise, oname) != 0) {
			rc = fail(st, -EADDRINUSE, "device certificate belongs to enterprise '%s'",
				  d.enterprise);
		} else if (!d.serial[0]) {
			rc = run(st, prep(st, "UPDATE device SET serial=?2, soft_serial=?3,"
					      " state=?4 WHERE uuid=?1", "ttti", d.uuid, serial,
					  soft_serial, (int64_t)STORE_DEV_ONBOARDED), "update device");
			if (rc == 0)
				memcpy(uuid_out, d.uuid, 37);
		} else if (strcmp(d.serial, serial) != 0) {
			rc = fail(st, -EADDRINUSE, "device certificate already registered with "
				  "serial '%s'", d.serial);
		} else {
			memcpy(uuid_out, d.uuid, 37);
			rc = 0;
		}
		free(oname);
		store_device_free(&d);
		goto out;
	}
	if (rc != -ENOENT)
		goto out;
	/* another certificate already holds this serial */
	s = prep(st, "SELECT uuid FROM device WHERE serial=?1", "t", serial);
	if (!s) {
		rc = -EIO;
		goto out;
	}
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r == SQLITE_ROW) {
		rc = fail(st, -EADDRINUSE, "serial '%s' is already registered with another "
			  "device certificate", serial);
		goto out;
	}
	rc = device_insert(st, p, der, len, hash, serial, soft_serial, STORE_DEV_ONBOARDED,
			   onboard_id, uuid_out);
	if (rc == 0)
		rc = 1;
out:
	return finish(st, rc);
}

static const char device_select[] =
	"SELECT d.uuid, e.name, p.name, d.serial, d.soft_serial, d.cert_hash, d.cert_der,"
	" d.state, d.created, d.last_seen FROM device d JOIN project p ON p.id=d.project_id"
	" JOIN enterprise e ON e.id=p.enterprise_id ";

static void
device_row(sqlite3_stmt *s, struct store_device *d)
{
	size_t hl;
	uint8_t *h;

	snprintf(d->uuid, sizeof(d->uuid), "%s", (const char *)sqlite3_column_text(s, 0));
	d->enterprise = col_text(s, 1);
	d->project = col_text(s, 2);
	d->serial = col_text(s, 3);
	d->soft_serial = col_text(s, 4);
	h = col_blob(s, 5, &hl);
	if (h && hl == 32)
		memcpy(d->cert_hash, h, 32);
	free(h);
	d->cert_der = col_blob(s, 6, &d->cert_len);
	d->state = sqlite3_column_int(s, 7);
	d->created = sqlite3_column_int64(s, 8);
	d->last_seen = sqlite3_column_int64(s, 9);
}

static int
device_one(struct store *st, sqlite3_stmt *s, struct store_device *d, const char *what)
{
	int r;

	memset(d, 0, sizeof(*d));
	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		device_row(s, d);
	sqlite3_finalize(s);
	if (r == SQLITE_DONE)
		return fail(st, -ENOENT, "no device with this %s", what);
	return r == SQLITE_ROW ? 0 : dberr(st, "device lookup");
}

int
store_device_by_cert(struct store *st, const uint8_t hash[32], struct store_device *d)
{
	char sql[sizeof(device_select) + 32];

	snprintf(sql, sizeof(sql), "%sWHERE d.cert_hash=?1", device_select);
	return device_one(st, prep(st, sql, "b", hash, (size_t)32), d, "certificate");
}

int
store_device_by_uuid(struct store *st, const char *uuid, struct store_device *d)
{
	char sql[sizeof(device_select) + 32];

	snprintf(sql, sizeof(sql), "%sWHERE d.uuid=?1", device_select);
	return device_one(st, prep(st, sql, "t", uuid), d, "uuid");
}

void
store_device_free(struct store_device *d)
{
	free(d->enterprise);
	free(d->project);
	free(d->serial);
	free(d->soft_serial);
	free(d->cert_der);
	memset(d, 0, sizeof(*d));
}

int
store_device_touch(struct store *st, const char *uuid)
{
	return run(st, prep(st, "UPDATE device SET last_seen=?2 WHERE uuid=?1", "ti", uuid,
			    (int64_t)time(NULL)), "touch device");
}

int
store_device_list(struct store *st, int (*fn)(const struct store_device *d, void *arg), void *arg)
{
	char sql[sizeof(device_select) + 64];
	struct store_device d;
	sqlite3_stmt *s;
	int r, rc = 0;

	snprintf(sql, sizeof(sql), "%sORDER BY e.name, p.name, d.serial, d.uuid", device_select);
	s = prep(st, sql, "");
	if (!s)
		return -EIO;
	while ((r = sqlite3_step(s)) == SQLITE_ROW && rc == 0) {
		memset(&d, 0, sizeof(d));
		device_row(s, &d);
		rc = fn(&d, arg);
		store_device_free(&d);
	}
	sqlite3_finalize(s);
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		return dberr(st, "device list");
	return rc;
}

static void
hash_hex(const uint8_t *d, size_t n, char out[65])
{
	br_sha256_context c;
	uint8_t h[32];

	br_sha256_init(&c);
	br_sha256_update(&c, d, n);
	br_sha256_out(&c, h);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int
store_config_set(struct store *st, const char *uuid, const uint8_t *pb, size_t len)
{
	struct store_device d;
	char hex[65];
	int rc;

	if ((rc = store_device_by_uuid(st, uuid, &d)) < 0)
		return rc;
	store_device_free(&d);
	hash_hex(pb, len, hex);
	return run(st, prep(st, "INSERT INTO config(uuid, pb, hash, updated) VALUES(?1, ?2, ?3, ?4)"
				" ON CONFLICT(uuid) DO UPDATE SET pb=excluded.pb, hash=excluded.hash,"
				" updated=excluded.updated", "tbti", uuid, pb, len, hex,
			    (int64_t)time(NULL)), "set config");
}

int
store_config_get(struct store *st, const char *uuid, uint8_t **pb, size_t *len, char hash[65])
{
	sqlite3_stmt *s = prep(st, "SELECT pb, hash FROM config WHERE uuid=?1", "t", uuid);
	int r;

	*pb = NULL;
	*len = 0;
	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*pb = col_blob(s, 0, len);
		snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	if (r == SQLITE_DONE)
		return fail(st, -ENOENT, "device %s has no config", uuid);
	return r == SQLITE_ROW ? 0 : dberr(st, "get config");
}

int
store_record_add(struct store *st, const char *uuid, enum store_kind kind, const uint8_t *data,
		 size_t len)
{
	return store_records_add(st, uuid, kind, &data, &len, 1);
}

int
store_records_add(struct store *st, const char *uuid, enum store_kind kind,
		  const uint8_t *const *data, const size_t *len, size_t n)
{
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = begin(st)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = run(st, prep(st, "INSERT INTO record(uuid, kind, at, data) VALUES(?1, ?2, ?3,"
				      " ?4)", "tiib", uuid, (int64_t)kind, now, data[i], len[i]),
			 "add record");
	if (rc == 0)
		rc = run(st, prep(st, "DELETE FROM record WHERE uuid=?1 AND kind=?2 AND id <="
				      " (SELECT id FROM record WHERE uuid=?1 AND kind=?2"
				      " ORDER BY id DESC LIMIT 1 OFFSET ?3)", "tii", uuid,
				  (int64_t)kind, (int64_t)st->history), "trim history");
	return finish(st, rc);
}

int
store_record_list(struct store *st, const char *uuid, enum store_kind kind, int64_t after_id,
		  unsigned limit,
		  int (*fn)(int64_t id, int64_t when, const uint8_t *data, size_t len, void *arg),
		  void *arg, int64_t *last_id)
{
	sqlite3_stmt *s = prep(st, "SELECT id, at, data FROM record WHERE uuid=?1 AND kind=?2 AND"
				   " id>?3 ORDER BY id LIMIT ?4", "tiii", uuid, (int64_t)kind,
			       after_id, limit ? (int64_t)limit : (int64_t)-1);
	int r, rc = 0;

	if (last_id)
		*last_id = after_id;
	if (!s)
		return -EIO;
	while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		rc = fn(id, sqlite3_column_int64(s, 1), sqlite3_column_blob(s, 2),
			(size_t)sqlite3_column_bytes(s, 2), arg);
		if (last_id)
			*last_id = id;
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_cert_revoke(struct store *st, const uint8_t hash[32])
{
	return run(st, prep(st, "INSERT OR IGNORE INTO revoked(cert_hash, at) VALUES(?1, ?2)", "bi",
			    hash, (size_t)32, (int64_t)time(NULL)), "revoke");
}

int
store_cert_revoked(struct store *st, const uint8_t hash[32], int64_t *when)
{
	sqlite3_stmt *s = prep(st, "SELECT at FROM revoked WHERE cert_hash=?1", "b", hash,
			       (size_t)32);
	int r;

	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*when = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (r == SQLITE_ROW)
		return 0;
	return r == SQLITE_DONE ? -ENOENT : dberr(st, "revoked lookup");
}
