/*
 * db_subscription.c - SUBSCRIBE dialogs (RFC 6665) with everything a
 * restart needs to go on sending NOTIFY: the dialog identifiers (RFC 3261
 * section 12: Call-ID, local and remote tag), route set, remote target,
 * CSeq numbers, state and expiry.
 *
 * The dialog identifiers, event, presentity and creation time never change
 * after the insert; db_subscription_update() rewrites everything else.
 */
#include <string.h>

#include "db/db_int.h"

#define CAP(m) DB_FIELD(struct db_subscription, m)

#define SUBS_COLS "id, call_id, local_tag, remote_tag, event, presentity," \
		  " watcher, watcher_display, remote_uri, local_uri," \
		  " remote_target, route_set, local_contact, accept, state," \
		  " reason, expires, local_cseq, remote_cseq, version, created"

/* The text columns in SUBS_COLS order from column 1, with their fields. */
#define SUBS_TEXT(X) \
	X(1, call_id, "call-id") \
	X(2, local_tag, "local tag") \
	X(3, remote_tag, "remote tag") \
	X(4, event, "event") \
	X(5, presentity, "presentity") \
	X(6, watcher, "watcher") \
	X(7, watcher_display, "watcher display name") \
	X(8, remote_uri, "remote uri") \
	X(9, local_uri, "local uri") \
	X(10, remote_target, "remote target") \
	X(11, route_set, "route set") \
	X(12, local_contact, "local contact") \
	X(13, accept, "accept") \
	X(15, reason, "reason")

static int subs_row(struct db *db, sqlite3_stmt *st, struct db_subscription *s)
{
	int rc;

	memset(s, 0, sizeof *s);
	s->id = sqlite3_column_int64(st, 0);
#define X(col, m, name) \
	if ((rc = db_col_str(db, st, col, s->m, sizeof s->m, name)) != 0) \
		return rc;
	SUBS_TEXT(X)
#undef X
	s->state = sqlite3_column_int(st, 14);
	s->expires = sqlite3_column_int64(st, 16);
	s->local_cseq = (uint32_t)sqlite3_column_int64(st, 17);
	s->remote_cseq = (uint32_t)sqlite3_column_int64(st, 18);
	s->version = (uint32_t)sqlite3_column_int64(st, 19);
	s->created = sqlite3_column_int64(st, 20);
	return 0;
}

/* Bind every column but id and created to ?1..?20 (in SUBS_COLS order,
 * shifted by one).  Insert and update share the numbering. */
static int subs_bind(struct db *db, sqlite3_stmt *st,
		     const struct db_subscription *s)
{
	int rc;

#define X(col, m, name) \
	if ((rc = db_bind_str(db, st, col, s->m, CAP(m), name)) != 0) \
		return rc;
	SUBS_TEXT(X)
#undef X
	if ((rc = db_bind_i64(db, st, 14, s->state)) ||
	    (rc = db_bind_i64(db, st, 16, s->expires)) ||
	    (rc = db_bind_i64(db, st, 17, s->local_cseq)) ||
	    (rc = db_bind_i64(db, st, 18, s->remote_cseq)) ||
	    (rc = db_bind_i64(db, st, 19, s->version)))
		return rc;
	return 0;
}

int db_subscription_insert(struct db *db, struct db_subscription *s)
{
	static const char sql[] =
		"INSERT INTO subscription (call_id, local_tag, remote_tag,"
		" event, presentity, watcher, watcher_display, remote_uri,"
		" local_uri, remote_target, route_set, local_contact, accept,"
		" state, reason, expires, local_cseq, remote_cseq, version,"
		" created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";
	sqlite3_stmt *st;
	int64_t now;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_INSERT, sql, &st)) != 0)
		return rc;
	if (s == NULL) {
		rc = db_seterr(db, DB_EINVAL, "insert subscription: none given");
		goto out;
	}
	now = db_now(db);
	if ((rc = subs_bind(db, st, s)) ||
	    (rc = db_bind_i64(db, st, 20, now)) ||
	    (rc = db_step_done(db, st, "insert subscription")))
		goto out;
	s->id = sqlite3_last_insert_rowid(db->h);
	s->created = now;
out:
	db_stmt_done(st);
	return rc;
}

int db_subscription_update(struct db *db, const struct db_subscription *s)
{
	/* ?1..?5 are bound (and length-checked) but unused: the dialog ids
	 * and the resource a subscription is about never change (RFC 6665
	 * section 4.1.2).  SQLite keeps a slot for every ?N up to the
	 * highest, so binding them is legal. */
	static const char sql[] =
		"UPDATE subscription SET watcher = ?6, watcher_display = ?7,"
		" remote_uri = ?8, local_uri = ?9, remote_target = ?10,"
		" route_set = ?11, local_contact = ?12, accept = ?13,"
		" state = ?14, reason = ?15, expires = ?16, local_cseq = ?17,"
		" remote_cseq = ?18, version = ?19"
		" WHERE id = ?20";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_UPDATE, sql, &st)) != 0)
		return rc;
	if (s == NULL)
		rc = db_seterr(db, DB_EINVAL, "update subscription: none given");
	else if ((rc = subs_bind(db, st, s)) == 0 &&
		 (rc = db_bind_i64(db, st, 20, s->id)) == 0 &&
		 (rc = db_step_done(db, st, "update subscription")) == 0 &&
		 sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "update subscription: no such subscription");
	db_stmt_done(st);
	return rc;
}

int db_subscription_delete(struct db *db, int64_t id)
{
	static const char sql[] = "DELETE FROM subscription WHERE id = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_DELETE, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_i64(db, st, 1, id)) == 0 &&
	    (rc = db_step_done(db, st, "delete subscription")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "delete subscription: no such subscription");
	db_stmt_done(st);
	return rc;
}

/* Step a one-row SELECT of SUBS_COLS. */
static int subs_fetch(struct db *db, sqlite3_stmt *st,
		      struct db_subscription *out, const char *what)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return subs_row(db, st, out);
	if (src == SQLITE_DONE)
		return db_seterr(db, DB_ENOTFOUND, "%s: no such subscription",
				 what);
	return db_sqlerr(db, src, what);
}

int db_subscription_get(struct db *db, int64_t id, struct db_subscription *out)
{
	static const char sql[] =
		"SELECT " SUBS_COLS " FROM subscription WHERE id = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_GET, sql, &st)) != 0)
		return rc;
	if (out == NULL)
		rc = db_seterr(db, DB_EINVAL, "get subscription: no output");
	else if ((rc = db_bind_i64(db, st, 1, id)) == 0)
		rc = subs_fetch(db, st, out, "get subscription");
	db_stmt_done(st);
	return rc;
}

int db_subscription_find(struct db *db, const char *call_id,
			 const char *local_tag, const char *remote_tag,
			 struct db_subscription *out)
{
	static const char sql[] =
		"SELECT " SUBS_COLS " FROM subscription"
		" WHERE call_id = ?1 AND local_tag = ?2 AND remote_tag = ?3";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_FIND, sql, &st)) != 0)
		return rc;
	if (out == NULL)
		rc = db_seterr(db, DB_EINVAL, "find subscription: no output");
	else if ((rc = db_bind_str(db, st, 1, call_id, CAP(call_id),
				   "call-id")) == 0 &&
		 (rc = db_bind_str(db, st, 2, local_tag, CAP(local_tag),
				   "local tag")) == 0 &&
		 (rc = db_bind_str(db, st, 3, remote_tag, CAP(remote_tag),
				   "remote tag")) == 0)
		rc = subs_fetch(db, st, out, "find subscription");
	db_stmt_done(st);
	return rc;
}

int db_subscription_foreach(struct db *db, const char *presentity,
			    const char *event,
			    int (*fn)(const struct db_subscription *s, void *arg),
			    void *arg)
{
	/* event NULL with a presentity: every event package of it. */
	static const char sql_by[] =
		"SELECT " SUBS_COLS " FROM subscription"
		" WHERE presentity = ?1 AND (?2 IS NULL OR event = ?2)"
		" ORDER BY id";
	static const char sql_all[] =
		"SELECT " SUBS_COLS " FROM subscription ORDER BY id";
	struct db_subscription s;
	sqlite3_stmt *st;
	int src, rc;

	if (presentity != NULL)
		rc = db_stmt(db, DB_ST_SUBS_BY, sql_by, &st);
	else
		rc = db_stmt(db, DB_ST_SUBS_ALL, sql_all, &st);
	if (rc != 0)
		return rc;
	if (fn == NULL) {
		rc = db_seterr(db, DB_EINVAL, "subscription foreach: no callback");
		goto out;
	}
	if (presentity != NULL &&
	    ((rc = db_bind_str(db, st, 1, presentity, CAP(presentity),
			       "presentity")) ||
	     (rc = db_bind_str_or_null(db, st, 2, event, CAP(event), "event"))))
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = subs_row(db, st, &s)) != 0 || (rc = fn(&s, arg)) != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_sqlerr(db, src, "subscription foreach");
out:
	db_stmt_done(st);
	return rc;
}

int db_subscription_set_local_cseq(struct db *db, int64_t id, uint32_t cseq)
{
	static const char sql[] =
		"UPDATE subscription SET local_cseq = ?2 WHERE id = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_SET_CSEQ, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_i64(db, st, 1, id)) == 0 &&
	    (rc = db_bind_i64(db, st, 2, cseq)) == 0 &&
	    (rc = db_step_done(db, st, "set local cseq")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "set local cseq: no such subscription");
	db_stmt_done(st);
	return rc;
}

int db_subscription_count(struct db *db, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM subscription";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_COUNT, sql, &st)) != 0)
		return rc;
	if (count == NULL)
		rc = db_seterr(db, DB_EINVAL, "count subscriptions: no output");
	else if ((src = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		rc = db_sqlerr(db, src, "count subscriptions");
	db_stmt_done(st);
	return rc;
}

int db_subscription_expire(struct db *db, int64_t now, int *n)
{
	static const char sql[] = "DELETE FROM subscription WHERE expires <= ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUBS_EXPIRE, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_i64(db, st, 1, now)) == 0 &&
	    (rc = db_step_done(db, st, "expire subscriptions")) == 0 &&
	    n != NULL)
		*n = sqlite3_changes(db->h);
	db_stmt_done(st);
	return rc;
}
