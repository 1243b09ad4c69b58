/*
 * db_bootstrap.c - GBA bootstrapping sessions (3GPP TS 33.220 section
 * 4.5.2): the B-TID, the IMPI it belongs to, RAND and Ks = CK || IK, with
 * the session's lifetime.
 *
 * Ks is a secret: bound as a BLOB, never named in a message, wiped from
 * the caller-visible struct when a read fails half-way.  A session dies
 * with its subscriber (foreign key, ON DELETE CASCADE).
 */
#include <string.h>

#include "db/db_int.h"

#define CAP(m) DB_FIELD(struct db_bootstrap, m)

int db_bootstrap_put(struct db *db, const struct db_bootstrap *b)
{
	/* Insert or replace: the BSF re-issues a B-TID on re-bootstrap. */
	static const char sql[] =
		"INSERT INTO bootstrap_session (btid, impi, rand, ks, created,"
		" expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (btid) DO UPDATE SET impi = excluded.impi,"
		" rand = excluded.rand, ks = excluded.ks,"
		" created = excluded.created, expires = excluded.expires";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_BOOT_PUT, sql, &st)) != 0)
		return rc;
	if (b == NULL)
		rc = db_seterr(db, DB_EINVAL, "put bootstrap: none given");
	else if (!(rc = db_bind_str(db, st, 1, b->btid, CAP(btid), "btid")) &&
		 !(rc = db_bind_str(db, st, 2, b->impi, CAP(impi), "impi")) &&
		 !(rc = db_bind_blob(db, st, 3, b->rand, sizeof b->rand)) &&
		 !(rc = db_bind_blob(db, st, 4, b->ks, sizeof b->ks)) &&
		 !(rc = db_bind_i64(db, st, 5,
				    b->created ? b->created : db_now(db))) &&
		 !(rc = db_bind_i64(db, st, 6, b->expires)))
		rc = db_step_done(db, st, "put bootstrap");
	db_stmt_done(st);
	return rc;
}

int db_bootstrap_get(struct db *db, const char *btid, struct db_bootstrap *out)
{
	static const char sql[] =
		"SELECT btid, impi, rand, ks, created, expires"
		" FROM bootstrap_session WHERE btid = ?1";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_BOOT_GET, sql, &st)) != 0)
		return rc;
	if (out == NULL) {
		rc = db_seterr(db, DB_EINVAL, "get bootstrap: no output");
		goto out;
	}
	if ((rc = db_bind_str(db, st, 1, btid, CAP(btid), "btid")) != 0)
		goto out;
	src = sqlite3_step(st);
	if (src == SQLITE_DONE) {
		rc = db_seterr(db, DB_ENOTFOUND, "get bootstrap: no such btid");
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_sqlerr(db, src, "get bootstrap");
		goto out;
	}
	memset(out, 0, sizeof *out);
	if ((rc = db_col_str(db, st, 0, out->btid, sizeof out->btid, "btid")) ||
	    (rc = db_col_str(db, st, 1, out->impi, sizeof out->impi, "impi")) ||
	    (rc = db_col_blob(db, st, 2, out->rand, sizeof out->rand, "rand")) ||
	    (rc = db_col_blob(db, st, 3, out->ks, sizeof out->ks, "ks"))) {
		db_wipe(out, sizeof *out);
		goto out;
	}
	out->created = sqlite3_column_int64(st, 4);
	out->expires = sqlite3_column_int64(st, 5);
out:
	db_stmt_done(st);
	return rc;
}

int db_bootstrap_delete(struct db *db, const char *btid)
{
	static const char sql[] = "DELETE FROM bootstrap_session WHERE btid = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_BOOT_DELETE, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_str(db, st, 1, btid, CAP(btid), "btid")) == 0 &&
	    (rc = db_step_done(db, st, "delete bootstrap")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND, "delete bootstrap: no such btid");
	db_stmt_done(st);
	return rc;
}

int db_bootstrap_expire(struct db *db, int64_t now, int *n)
{
	static const char sql[] =
		"DELETE FROM bootstrap_session WHERE expires <= ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_BOOT_EXPIRE, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_i64(db, st, 1, now)) == 0 &&
	    (rc = db_step_done(db, st, "expire bootstrap")) == 0 &&
	    n != NULL)
		*n = sqlite3_changes(db->h);
	db_stmt_done(st);
	return rc;
}
