/*
 * db_schema.c - the versioned schema of the store and its migrations.
 *
 * PRAGMA user_version holds the schema version.  migrations[i] takes a
 * store from version i to i + 1; db_schema_migrate() runs every step the
 * store lacks inside one BEGIN IMMEDIATE transaction, so a store is either
 * fully migrated or untouched, and two processes opening a fresh file at
 * once cannot both migrate it (the second re-reads the version under the
 * write lock).  A store newer than DB_SCHEMA_VERSION is refused: an older
 * binary must not write rows it does not understand.
 *
 * To change the schema: append a step, bump DB_SCHEMA_VERSION in db.h,
 * never edit a step that has shipped.  docs/store.md lists the tables.
 */
#include <stdio.h>

#include "db/db_int.h"

/* Version 0 -> 1: everything. */
static const char schema_v1[] =
	/* Subscribers: an IMPI with its AKA keys and Digest HA1 values. */
	"CREATE TABLE subscriber ("
	" id INTEGER PRIMARY KEY,"
	" impi TEXT NOT NULL UNIQUE,"
	" k BLOB NOT NULL CHECK (typeof(k) = 'blob' AND length(k) = 16),"
	" opc BLOB NOT NULL CHECK (typeof(opc) = 'blob' AND length(opc) = 16),"
	" amf BLOB NOT NULL CHECK (typeof(amf) = 'blob' AND length(amf) = 2),"
	" sqn INTEGER NOT NULL"
	"  CHECK (typeof(sqn) = 'integer' AND sqn >= 0"
	"         AND sqn < 281474976710656),"
	" realm TEXT NOT NULL DEFAULT '',"
	" ha1_md5 TEXT NOT NULL DEFAULT ''"
	"  CHECK (length(ha1_md5) IN (0, 32)"
	"         AND ha1_md5 NOT GLOB '*[^0-9a-f]*'),"
	" ha1_sha256 TEXT NOT NULL DEFAULT ''"
	"  CHECK (length(ha1_sha256) IN (0, 64)"
	"         AND ha1_sha256 NOT GLOB '*[^0-9a-f]*'),"
	" created INTEGER NOT NULL"
	");"
	/* Public identities; exactly one default per subscriber (the
	 * partial unique index allows at most one, db_subscriber_add
	 * always writes one). */
	"CREATE TABLE impu ("
	" uri TEXT PRIMARY KEY,"
	" subscriber_id INTEGER NOT NULL"
	"  REFERENCES subscriber(id) ON DELETE CASCADE,"
	" is_default INTEGER NOT NULL CHECK (is_default IN (0, 1))"
	");"
	"CREATE INDEX impu_subscriber ON impu(subscriber_id);"
	"CREATE UNIQUE INDEX impu_one_default ON impu(subscriber_id)"
	" WHERE is_default = 1;"
	/* RFC 3903 event state, one row per entity tag. */
	"CREATE TABLE publication ("
	" etag TEXT PRIMARY KEY,"
	" presentity TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" content_type TEXT NOT NULL DEFAULT '',"
	" expires INTEGER NOT NULL,"
	" modified INTEGER NOT NULL,"
	" body BLOB"
	");"
	"CREATE INDEX publication_presentity ON publication(presentity, event);"
	"CREATE INDEX publication_expires ON publication(expires);"
	/* RFC 6665 subscriptions with the dialog state a restart needs. */
	"CREATE TABLE subscription ("
	" id INTEGER PRIMARY KEY,"
	" call_id TEXT NOT NULL,"
	" local_tag TEXT NOT NULL,"
	" remote_tag TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" presentity TEXT NOT NULL,"
	" watcher TEXT NOT NULL,"
	" watcher_display TEXT NOT NULL DEFAULT '',"
	" remote_uri TEXT NOT NULL,"
	" local_uri TEXT NOT NULL,"
	" remote_target TEXT NOT NULL,"
	" route_set TEXT NOT NULL DEFAULT '',"
	" local_contact TEXT NOT NULL,"
	" accept TEXT NOT NULL DEFAULT '',"
	" state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
	" reason TEXT NOT NULL DEFAULT '',"
	" expires INTEGER NOT NULL,"
	" local_cseq INTEGER NOT NULL"
	"  CHECK (local_cseq BETWEEN 0 AND 4294967295),"
	" remote_cseq INTEGER NOT NULL"
	"  CHECK (remote_cseq BETWEEN 0 AND 4294967295),"
	" version INTEGER NOT NULL CHECK (version BETWEEN 0 AND 4294967295),"
	" created INTEGER NOT NULL,"
	" UNIQUE (call_id, local_tag, remote_tag)"
	");"
	"CREATE INDEX subscription_presentity"
	" ON subscription(presentity, event);"
	"CREATE INDEX subscription_expires ON subscription(expires);"
	/* RFC 3857 watcher authorization state. */
	"CREATE TABLE watcher ("
	" presentity TEXT NOT NULL,"
	" watcher TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('pending', 'active', 'waiting', 'terminated')),"
	" last_event TEXT NOT NULL DEFAULT '',"
	" display TEXT NOT NULL DEFAULT '',"
	" first_seen INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" PRIMARY KEY (presentity, watcher, event)"
	");"
	/* RFC 4825 documents, stored whole with their ETag. */
	"CREATE TABLE xcap_document ("
	" auid TEXT NOT NULL,"
	" xui TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" etag TEXT NOT NULL CHECK (etag <> ''),"
	" body BLOB NOT NULL,"
	" modified INTEGER NOT NULL,"
	" PRIMARY KEY (auid, xui, name)"
	");"
	"CREATE INDEX xcap_document_xui ON xcap_document(xui, auid, name);"
	/* TS 33.220 bootstrapping sessions; die with their subscriber. */
	"CREATE TABLE bootstrap_session ("
	" btid TEXT PRIMARY KEY,"
	" impi TEXT NOT NULL"
	"  REFERENCES subscriber(impi) ON DELETE CASCADE,"
	" rand BLOB NOT NULL CHECK (typeof(rand) = 'blob' AND length(rand) = 16),"
	" ks BLOB NOT NULL CHECK (typeof(ks) = 'blob' AND length(ks) = 32),"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL"
	");"
	"CREATE INDEX bootstrap_session_expires ON bootstrap_session(expires);"
	"CREATE INDEX bootstrap_session_impi ON bootstrap_session(impi);"
	/* Who changed what; never a secret in any column. */
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" detail TEXT NOT NULL DEFAULT ''"
	");"
	"PRAGMA user_version = 1;";

static const char *const migrations[] = {
	schema_v1,                /* 0 -> 1 */
};

_Static_assert(sizeof migrations / sizeof migrations[0] == DB_SCHEMA_VERSION,
	       "one migration step per schema version");

int db_schema_version(struct db *db, int *version)
{
	sqlite3_stmt *st;
	int src, rc;

	if (version == NULL)
		return db_seterr(db, DB_EINVAL, "schema version: no output");
	if ((rc = db_stmt(db, DB_ST_USER_VERSION, "PRAGMA user_version",
			  &st)) != 0)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		rc = db_sqlerr(db, src, "schema version");
	db_stmt_done(st);
	return rc;
}

static int db_schema_check(struct db *db, int version)
{
	if (version > DB_SCHEMA_VERSION)
		return db_seterr(db, DB_EVERSION,
				 "store schema version %d is newer than this "
				 "presenced (%d); upgrade presenced",
				 version, DB_SCHEMA_VERSION);
	if (version < 0)
		return db_seterr(db, DB_EVERSION,
				 "store schema version %d is invalid", version);
	return 0;
}

int db_schema_migrate(struct db *db)
{
	struct db_op op;
	char *msg = NULL;
	int version, v, src, rc;

	if ((rc = db_schema_version(db, &version)) != 0 ||
	    (rc = db_schema_check(db, version)) != 0)
		return rc;
	if (version == DB_SCHEMA_VERSION)
		return 0;
	if (db->readonly)
		return db_seterr(db, DB_EVERSION,
				 "store schema version %d is older than this "
				 "presenced (%d); open it read-write once to "
				 "migrate", version, DB_SCHEMA_VERSION);

	if ((rc = db_op_begin(db, &op)) != 0)
		return rc;
	/* Another process may have migrated while we waited for the lock. */
	if ((rc = db_schema_version(db, &version)) != 0 ||
	    (rc = db_schema_check(db, version)) != 0)
		goto out;
	for (v = version; v < DB_SCHEMA_VERSION; v++) {
		/* Fixed DDL, no parameters: sqlite3_exec is the right tool. */
		src = sqlite3_exec(db->h, migrations[v], NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = db_seterr(db, db_maprc(src),
				       "migrating store from version %d: %s",
				       v, msg != NULL ? msg
						      : sqlite3_errstr(src));
			sqlite3_free(msg);
			goto out;
		}
	}
out:
	return db_op_end(db, &op, rc);
}
