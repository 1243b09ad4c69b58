/*
 * db_audit.c - the audit log: who changed what, when.  Append-only from
 * the daemon's point of view; callers must never put a secret in any
 * field (the store cannot tell).
 */
#include <string.h>

#include "db/db_int.h"

#define CAP(m) DB_FIELD(struct db_audit, m)

int db_audit_add(struct db *db, const char *actor, const char *action,
		 const char *object, const char *detail)
{
	static const char sql[] =
		"INSERT INTO audit (ts, actor, action, object, detail)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_AUDIT_ADD, sql, &st)) != 0)
		return rc;
	/* detail is optional: NULL is stored as "". */
	if (!(rc = db_bind_i64(db, st, 1, db_now(db))) &&
	    !(rc = db_bind_str(db, st, 2, actor, CAP(actor), "actor")) &&
	    !(rc = db_bind_str(db, st, 3, action, CAP(action), "action")) &&
	    !(rc = db_bind_str(db, st, 4, object, CAP(object), "object")) &&
	    !(rc = db_bind_str(db, st, 5, detail != NULL ? detail : "",
			       CAP(detail), "detail")))
		rc = db_step_done(db, st, "add audit record");
	db_stmt_done(st);
	return rc;
}

int db_audit_foreach(struct db *db, int limit,
		     int (*fn)(const struct db_audit *a, void *arg), void *arg)
{
	/* LIMIT -1 is "no limit" in SQLite. */
	static const char sql[] =
		"SELECT id, ts, actor, action, object, detail FROM audit"
		" ORDER BY id DESC LIMIT ?1";
	struct db_audit a;
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_AUDIT_LIST, sql, &st)) != 0)
		return rc;
	if (fn == NULL || limit < 0) {
		rc = db_seterr(db, DB_EINVAL, "audit foreach: bad arguments");
		goto out;
	}
	if ((rc = db_bind_i64(db, st, 1, limit > 0 ? limit : -1)) != 0)
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		a.id = sqlite3_column_int64(st, 0);
		a.ts = sqlite3_column_int64(st, 1);
		if ((rc = db_col_str(db, st, 2, a.actor, sizeof a.actor,
				     "actor")) ||
		    (rc = db_col_str(db, st, 3, a.action, sizeof a.action,
				     "action")) ||
		    (rc = db_col_str(db, st, 4, a.object, sizeof a.object,
				     "object")) ||
		    (rc = db_col_str(db, st, 5, a.detail, sizeof a.detail,
				     "detail")) ||
		    (rc = fn(&a, arg)) != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_sqlerr(db, src, "audit foreach");
out:
	db_stmt_done(st);
	return rc;
}
