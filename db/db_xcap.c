/*
 * db_xcap.c - XCAP documents (RFC 4825) stored whole, keyed by
 * (AUID, XUI, document name), each with its entity tag.
 *
 * Writes are compare-and-swap on the entity tag (RFC 4825 section 7.11,
 * conditional operations per RFC 7232): the stored tag is read and the
 * row written inside one BEGIN IMMEDIATE transaction (a SAVEPOINT inside
 * a caller's db_begin, which already holds the write lock), so two PUTs
 * carrying the same If-Match can never both succeed.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

#define CAP(m) DB_FIELD(struct db_xcap_doc, m)

/* Bind (auid, xui, name) to ?1..?3. */
static int xcap_bind_key(struct db *db, sqlite3_stmt *st, const char *auid,
			 const char *xui, const char *name)
{
	int rc;

	if ((rc = db_bind_str(db, st, 1, auid, CAP(auid), "auid")) ||
	    (rc = db_bind_str(db, st, 2, xui, CAP(xui), "xui")))
		return rc;
	return db_bind_str(db, st, 3, name, CAP(name), "document name");
}

/* Fill the key, etag and modified time from columns 0..4. */
static int xcap_row(struct db *db, sqlite3_stmt *st, struct db_xcap_doc *d)
{
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = db_col_str(db, st, 0, d->auid, sizeof d->auid, "auid")) ||
	    (rc = db_col_str(db, st, 1, d->xui, sizeof d->xui, "xui")) ||
	    (rc = db_col_str(db, st, 2, d->name, sizeof d->name,
			     "document name")) ||
	    (rc = db_col_str(db, st, 3, d->etag, sizeof d->etag, "etag")))
		return rc;
	d->modified = sqlite3_column_int64(st, 4);
	return 0;
}

int db_xcap_get(struct db *db, const char *auid, const char *xui,
		const char *name, struct db_xcap_doc *out, uint8_t **body)
{
	static const char sql[] =
		"SELECT auid, xui, name, etag, modified, body FROM xcap_document"
		" WHERE auid = ?1 AND xui = ?2 AND name = ?3";
	sqlite3_stmt *st;
	const void *p;
	uint8_t *buf;
	size_t len;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_XCAP_GET, sql, &st)) != 0)
		return rc;
	if (out == NULL) {
		rc = db_seterr(db, DB_EINVAL, "xcap get: no output");
		goto out;
	}
	if ((rc = xcap_bind_key(db, st, auid, xui, name)) != 0)
		goto out;
	src = sqlite3_step(st);
	if (src == SQLITE_DONE) {
		rc = db_seterr(db, DB_ENOTFOUND, "xcap get: no such document");
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_sqlerr(db, src, "xcap get");
		goto out;
	}
	if ((rc = xcap_row(db, st, out)) != 0)
		goto out;
	p = sqlite3_column_blob(st, 5);
	len = (size_t)sqlite3_column_bytes(st, 5);
	out->body_len = len;
	if (body != NULL) {
		/* One spare NUL byte, so that text parsers may rely on it. */
		buf = malloc(len + 1);
		if (buf == NULL) {
			rc = db_seterr(db, DB_ENOMEM, "xcap get: out of memory");
			goto out;
		}
		if (len != 0)
			memcpy(buf, p, len);
		buf[len] = '\0';
		*body = buf;
		out->body = buf;
	}
out:
	db_stmt_done(st);
	return rc;
}

/* The stored etag of a document into `etag`; *found false if absent. */
static int xcap_etag(struct db *db, const struct db_xcap_doc *doc,
		     char *etag, size_t cap, bool *found)
{
	static const char sql[] =
		"SELECT etag FROM xcap_document"
		" WHERE auid = ?1 AND xui = ?2 AND name = ?3";
	sqlite3_stmt *st;
	int src, rc;

	*found = false;
	if ((rc = db_stmt(db, DB_ST_XCAP_ETAG, sql, &st)) != 0)
		return rc;
	if ((rc = xcap_bind_key(db, st, doc->auid, doc->xui, doc->name)) == 0) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			*found = true;
			rc = db_col_str(db, st, 0, etag, cap, "etag");
		} else if (src != SQLITE_DONE) {
			rc = db_sqlerr(db, src, "xcap etag");
		}
	}
	db_stmt_done(st);
	return rc;
}

/* Apply the if_etag rule of db_xcap_put/db_xcap_delete to what is stored. */
static int xcap_check(struct db *db, const char *if_etag, bool found,
		      const char *etag)
{
	if (if_etag == NULL)
		return 0;
	if (if_etag[0] == '\0')
		return found ? db_seterr(db, DB_EEXIST,
					 "xcap: document exists") : 0;
	if (!found)
		return db_seterr(db, DB_ENOTFOUND, "xcap: no such document");
	/* Entity tags are public (sent in ETag headers): strcmp is fine. */
	if (strcmp(etag, if_etag) != 0)
		return db_seterr(db, DB_ECONFLICT, "xcap: etag mismatch");
	return 0;
}

int db_xcap_put(struct db *db, const struct db_xcap_doc *doc,
		const char *if_etag, bool *created)
{
	static const char sql[] =
		"INSERT INTO xcap_document (auid, xui, name, etag, body, modified)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (auid, xui, name) DO UPDATE SET"
		" etag = excluded.etag, body = excluded.body,"
		" modified = excluded.modified";
	struct db_op op = { DB_OP_NONE };
	char etag[DB_FIELD(struct db_xcap_doc, etag)];
	sqlite3_stmt *st = NULL;
	bool found = false;
	int rc;

	if (db == NULL)
		return DB_EINVAL;
	if (doc == NULL)
		return db_seterr(db, DB_EINVAL, "xcap put: no document");
	if ((rc = db_op_begin(db, &op)) != 0)
		return rc;
	if ((rc = xcap_etag(db, doc, etag, sizeof etag, &found)) ||
	    (rc = xcap_check(db, if_etag, found, etag)))
		goto out;
	if ((rc = db_stmt(db, DB_ST_XCAP_UPSERT, sql, &st)) ||
	    (rc = xcap_bind_key(db, st, doc->auid, doc->xui, doc->name)) ||
	    (rc = db_bind_str(db, st, 4, doc->etag, CAP(etag), "etag")) ||
	    (rc = db_bind_blob(db, st, 5, doc->body, doc->body_len)) ||
	    (rc = db_bind_i64(db, st, 6, db_now(db))) ||
	    (rc = db_step_done(db, st, "xcap put")))
		goto out;
out:
	db_stmt_done(st);
	rc = db_op_end(db, &op, rc);
	if (rc == 0 && created != NULL)
		*created = !found;
	return rc;
}

int db_xcap_delete(struct db *db, const char *auid, const char *xui,
		   const char *name, const char *if_etag)
{
	static const char sql[] =
		"DELETE FROM xcap_document"
		" WHERE auid = ?1 AND xui = ?2 AND name = ?3";
	struct db_op op = { DB_OP_NONE };
	struct db_xcap_doc key;
	char etag[DB_FIELD(struct db_xcap_doc, etag)];
	sqlite3_stmt *st = NULL;
	bool found = false;
	int rc;

	if (db == NULL)
		return DB_EINVAL;
	if ((rc = db_op_begin(db, &op)) != 0)
		return rc;
	if ((rc = db_stmt(db, DB_ST_XCAP_DELETE, sql, &st)) ||
	    (rc = xcap_bind_key(db, st, auid, xui, name)))
		goto out;
	if (if_etag != NULL) {
		/* The key fits the struct: xcap_bind_key just checked it. */
		memset(&key, 0, sizeof key);
		memcpy(key.auid, auid, strlen(auid) + 1);
		memcpy(key.xui, xui, strlen(xui) + 1);
		memcpy(key.name, name, strlen(name) + 1);
		if ((rc = xcap_etag(db, &key, etag, sizeof etag, &found)) ||
		    (rc = xcap_check(db, if_etag, found, etag)))
			goto out;
		/* "" means "only if absent": nothing left to delete. */
		if (!found) {
			rc = db_seterr(db, DB_ENOTFOUND,
				       "xcap delete: no such document");
			goto out;
		}
	}
	if ((rc = db_step_done(db, st, "xcap delete")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND, "xcap delete: no such document");
out:
	db_stmt_done(st);
	return db_op_end(db, &op, rc);
}

/* Walk the rows of a SELECT auid, xui, name, etag, modified, length(body). */
static int xcap_walk(struct db *db, sqlite3_stmt *st,
		     int (*fn)(const struct db_xcap_doc *d, void *arg),
		     void *arg, const char *what)
{
	struct db_xcap_doc d;
	int src, rc;

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = xcap_row(db, st, &d)) != 0)
			return rc;
		d.body = NULL;
		d.body_len = (size_t)sqlite3_column_int64(st, 5);
		if ((rc = fn(&d, arg)) != 0)
			return rc;
	}
	return src == SQLITE_DONE ? 0 : db_sqlerr(db, src, what);
}

int db_xcap_foreach(struct db *db, const char *auid, const char *xui,
		    int (*fn)(const struct db_xcap_doc *d, void *arg),
		    void *arg)
{
	static const char sql[] =
		"SELECT auid, xui, name, etag, modified, length(body)"
		" FROM xcap_document WHERE xui = ?2 AND (?1 IS NULL OR auid = ?1)"
		" ORDER BY auid, name";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_XCAP_BY_XUI, sql, &st)) != 0)
		return rc;
	if (fn == NULL)
		rc = db_seterr(db, DB_EINVAL, "xcap foreach: no callback");
	else if ((rc = db_bind_str_or_null(db, st, 1, auid, CAP(auid),
					   "auid")) == 0 &&
		 (rc = db_bind_str(db, st, 2, xui, CAP(xui), "xui")) == 0)
		rc = xcap_walk(db, st, fn, arg, "xcap foreach");
	db_stmt_done(st);
	return rc;
}

int db_xcap_foreach_auid(struct db *db, const char *auid,
			 int (*fn)(const struct db_xcap_doc *d, void *arg),
			 void *arg)
{
	static const char sql[] =
		"SELECT auid, xui, name, etag, modified, length(body)"
		" FROM xcap_document WHERE auid = ?1 ORDER BY xui, name";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_XCAP_BY_AUID, sql, &st)) != 0)
		return rc;
	if (fn == NULL)
		rc = db_seterr(db, DB_EINVAL, "xcap foreach: no callback");
	else if ((rc = db_bind_str(db, st, 1, auid, CAP(auid), "auid")) == 0)
		rc = xcap_walk(db, st, fn, arg, "xcap foreach auid");
	db_stmt_done(st);
	return rc;
}
