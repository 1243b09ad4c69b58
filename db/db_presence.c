/*
 * db_presence.c - event state published with PUBLISH (RFC 3903) and the
 * authorization state of watchers (RFC 3857) in the store.
 *
 * A publication is keyed by the entity tag the server issued (RFC 3903
 * section 4.1); a refresh or modify moves it to a new entity tag in one
 * UPDATE (section 4.4), so no reader ever sees it twice or not at all.
 */
#include <string.h>

#include "db/db_int.h"

#define PUB_CAP(m) DB_FIELD(struct db_publication, m)
#define WAT_CAP(m) DB_FIELD(struct db_watcher, m)

#define PUB_COLS "etag, presentity, event, content_type, expires, modified, body"

/* Fill `p` from a row selected with PUB_COLS; the body points into the
 * statement and lives until the next step or reset. */
static int pub_row(struct db *db, sqlite3_stmt *st, struct db_publication *p)
{
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = db_col_str(db, st, 0, p->etag, sizeof p->etag, "etag")) ||
	    (rc = db_col_str(db, st, 1, p->presentity, sizeof p->presentity,
			     "presentity")) ||
	    (rc = db_col_str(db, st, 2, p->event, sizeof p->event, "event")) ||
	    (rc = db_col_str(db, st, 3, p->content_type,
			     sizeof p->content_type, "content type")))
		return rc;
	p->expires = sqlite3_column_int64(st, 4);
	p->modified = sqlite3_column_int64(st, 5);
	p->body = sqlite3_column_blob(st, 6);
	p->body_len = (size_t)sqlite3_column_bytes(st, 6);
	if (p->body == NULL && p->body_len != 0)
		return db_seterr(db, DB_ENOMEM, "reading publication body");
	return 0;
}

int db_publication_put(struct db *db, const struct db_publication *p)
{
	static const char sql[] =
		"INSERT INTO publication (etag, presentity, event, content_type,"
		" expires, modified, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (etag) DO UPDATE SET presentity = excluded.presentity,"
		" event = excluded.event, content_type = excluded.content_type,"
		" expires = excluded.expires, modified = excluded.modified,"
		" body = excluded.body";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_PUB_PUT, sql, &st)) != 0)
		return rc;
	if (p == NULL)
		rc = db_seterr(db, DB_EINVAL, "put publication: no publication");
	else if (!(rc = db_bind_str(db, st, 1, p->etag, PUB_CAP(etag), "etag")) &&
		 !(rc = db_bind_str(db, st, 2, p->presentity,
				    PUB_CAP(presentity), "presentity")) &&
		 !(rc = db_bind_str(db, st, 3, p->event, PUB_CAP(event),
				    "event")) &&
		 !(rc = db_bind_str(db, st, 4, p->content_type,
				    PUB_CAP(content_type), "content type")) &&
		 !(rc = db_bind_i64(db, st, 5, p->expires)) &&
		 !(rc = db_bind_i64(db, st, 6, db_now(db))) &&
		 !(rc = db_bind_blob(db, st, 7, p->body, p->body_len)))
		rc = db_step_done(db, st, "put publication");
	db_stmt_done(st);
	return rc;
}

int db_publication_update(struct db *db, const char *old_etag,
			  const struct db_publication *p)
{
	/* ?5 says whether a new body (and its content type) comes along:
	 * a refresh (RFC 3903 section 4.3) keeps the stored one. */
	static const char sql[] =
		"UPDATE publication SET etag = ?2, expires = ?3, modified = ?4,"
		" content_type = CASE WHEN ?5 THEN ?6 ELSE content_type END,"
		" body = CASE WHEN ?5 THEN ?7 ELSE body END"
		" WHERE etag = ?1";
	sqlite3_stmt *st;
	bool modify;
	int rc;

	if ((rc = db_stmt(db, DB_ST_PUB_UPDATE, sql, &st)) != 0)
		return rc;
	if (p == NULL) {
		rc = db_seterr(db, DB_EINVAL, "update publication: none given");
		goto out;
	}
	modify = p->body != NULL;
	if ((rc = db_bind_str(db, st, 1, old_etag, PUB_CAP(etag), "etag")) ||
	    (rc = db_bind_str(db, st, 2, p->etag, PUB_CAP(etag), "etag")) ||
	    (rc = db_bind_i64(db, st, 3, p->expires)) ||
	    (rc = db_bind_i64(db, st, 4, db_now(db))) ||
	    (rc = db_bind_i64(db, st, 5, modify ? 1 : 0)))
		goto out;
	if (modify &&
	    ((rc = db_bind_str(db, st, 6, p->content_type, PUB_CAP(content_type),
			       "content type")) ||
	     (rc = db_bind_blob(db, st, 7, p->body, p->body_len))))
		goto out;
	if ((rc = db_step_done(db, st, "update publication")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "update publication: unknown entity tag");
out:
	db_stmt_done(st);
	return rc;
}

int db_publication_delete(struct db *db, const char *etag)
{
	static const char sql[] = "DELETE FROM publication WHERE etag = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_PUB_DELETE, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_str(db, st, 1, etag, PUB_CAP(etag), "etag")) == 0 &&
	    (rc = db_step_done(db, st, "delete publication")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "delete publication: unknown entity tag");
	db_stmt_done(st);
	return rc;
}

int db_publication_foreach(struct db *db, const char *presentity,
			   const char *event,
			   int (*fn)(const struct db_publication *p, void *arg),
			   void *arg)
{
	/* event NULL with a presentity: every event package of it. */
	static const char sql_by[] =
		"SELECT " PUB_COLS " FROM publication"
		" WHERE presentity = ?1 AND (?2 IS NULL OR event = ?2)"
		" ORDER BY modified, rowid";
	static const char sql_all[] =
		"SELECT " PUB_COLS " FROM publication ORDER BY modified, rowid";
	struct db_publication p;
	sqlite3_stmt *st;
	int src, rc;

	if (presentity != NULL)
		rc = db_stmt(db, DB_ST_PUB_BY, sql_by, &st);
	else
		rc = db_stmt(db, DB_ST_PUB_ALL, sql_all, &st);
	if (rc != 0)
		return rc;
	if (fn == NULL) {
		rc = db_seterr(db, DB_EINVAL, "publication foreach: no callback");
		goto out;
	}
	if (presentity != NULL &&
	    ((rc = db_bind_str(db, st, 1, presentity, PUB_CAP(presentity),
			       "presentity")) ||
	     (rc = db_bind_str_or_null(db, st, 2, event, PUB_CAP(event),
				       "event"))))
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = pub_row(db, st, &p)) != 0 || (rc = fn(&p, arg)) != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_sqlerr(db, src, "publication foreach");
out:
	db_stmt_done(st);
	return rc;
}

int db_publication_expire(struct db *db, int64_t now,
			  void (*fn)(const struct db_publication *p, void *arg),
			  void *arg, int *n)
{
	static const char sql_sel[] =
		"SELECT " PUB_COLS " FROM publication WHERE expires <= ?1"
		" ORDER BY expires, rowid";
	static const char sql_del[] =
		"DELETE FROM publication WHERE expires <= ?1";
	struct db_op op = { DB_OP_NONE };
	struct db_publication p;
	sqlite3_stmt *st = NULL;
	int src, rc;

	if (db == NULL)
		return DB_EINVAL;
	/* One write transaction: the rows the callbacks see are exactly the
	 * rows deleted, nobody can slip a refresh in between. */
	if ((rc = db_op_begin(db, &op)) != 0)
		return rc;
	if (fn != NULL) {
		if ((rc = db_stmt(db, DB_ST_PUB_EXPIRED, sql_sel, &st)) ||
		    (rc = db_bind_i64(db, st, 1, now)))
			goto out;
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if ((rc = pub_row(db, st, &p)) != 0)
				goto out;
			fn(&p, arg);
		}
		if (src != SQLITE_DONE) {
			rc = db_sqlerr(db, src, "expire publications");
			goto out;
		}
		db_stmt_done(st);
	}
	if ((rc = db_stmt(db, DB_ST_PUB_EXPIRE, sql_del, &st)) ||
	    (rc = db_bind_i64(db, st, 1, now)) ||
	    (rc = db_step_done(db, st, "expire publications")))
		goto out;
	if (n != NULL)
		*n = sqlite3_changes(db->h);
out:
	db_stmt_done(st);
	return db_op_end(db, &op, rc);
}

/* ----------------------------------------------------------------- watchers */

#define WAT_COLS "presentity, watcher, event, status, last_event, display," \
		 " first_seen, updated"

static int wat_row(struct db *db, sqlite3_stmt *st, struct db_watcher *w)
{
	int rc;

	memset(w, 0, sizeof *w);
	if ((rc = db_col_str(db, st, 0, w->presentity, sizeof w->presentity,
			     "presentity")) ||
	    (rc = db_col_str(db, st, 1, w->watcher, sizeof w->watcher,
			     "watcher")) ||
	    (rc = db_col_str(db, st, 2, w->event, sizeof w->event, "event")) ||
	    (rc = db_col_str(db, st, 3, w->status, sizeof w->status,
			     "status")) ||
	    (rc = db_col_str(db, st, 4, w->last_event, sizeof w->last_event,
			     "last event")) ||
	    (rc = db_col_str(db, st, 5, w->display, sizeof w->display,
			     "display")))
		return rc;
	w->first_seen = sqlite3_column_int64(st, 6);
	w->updated = sqlite3_column_int64(st, 7);
	return 0;
}

int db_watcher_put(struct db *db, const struct db_watcher *w)
{
	/* first_seen is kept across updates; 0 in the struct means "now"
	 * for both time columns. */
	static const char sql[] =
		"INSERT INTO watcher (" WAT_COLS ")"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT (presentity, watcher, event) DO UPDATE SET"
		" status = excluded.status, last_event = excluded.last_event,"
		" display = excluded.display, updated = excluded.updated";
	sqlite3_stmt *st;
	int64_t now;
	int rc;

	if ((rc = db_stmt(db, DB_ST_WAT_PUT, sql, &st)) != 0)
		return rc;
	if (w == NULL) {
		rc = db_seterr(db, DB_EINVAL, "put watcher: none given");
		goto out;
	}
	now = db_now(db);
	if (!(rc = db_bind_str(db, st, 1, w->presentity, WAT_CAP(presentity),
			       "presentity")) &&
	    !(rc = db_bind_str(db, st, 2, w->watcher, WAT_CAP(watcher),
			       "watcher")) &&
	    !(rc = db_bind_str(db, st, 3, w->event, WAT_CAP(event), "event")) &&
	    !(rc = db_bind_str(db, st, 4, w->status, WAT_CAP(status),
			       "status")) &&
	    !(rc = db_bind_str(db, st, 5, w->last_event, WAT_CAP(last_event),
			       "last event")) &&
	    !(rc = db_bind_str(db, st, 6, w->display, WAT_CAP(display),
			       "display")) &&
	    !(rc = db_bind_i64(db, st, 7, w->first_seen ? w->first_seen : now)) &&
	    !(rc = db_bind_i64(db, st, 8, w->updated ? w->updated : now)))
		rc = db_step_done(db, st, "put watcher");
out:
	db_stmt_done(st);
	return rc;
}

/* Bind the (presentity, watcher, event) key to ?1..?3. */
static int wat_bind_key(struct db *db, sqlite3_stmt *st, const char *presentity,
			const char *watcher, const char *event)
{
	int rc;

	if ((rc = db_bind_str(db, st, 1, presentity, WAT_CAP(presentity),
			      "presentity")) ||
	    (rc = db_bind_str(db, st, 2, watcher, WAT_CAP(watcher),
			      "watcher")))
		return rc;
	return db_bind_str(db, st, 3, event, WAT_CAP(event), "event");
}

int db_watcher_get(struct db *db, const char *presentity, const char *watcher,
		   const char *event, struct db_watcher *out)
{
	static const char sql[] =
		"SELECT " WAT_COLS " FROM watcher"
		" WHERE presentity = ?1 AND watcher = ?2 AND event = ?3";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_WAT_GET, sql, &st)) != 0)
		return rc;
	if (out == NULL)
		rc = db_seterr(db, DB_EINVAL, "get watcher: no output");
	else if ((rc = wat_bind_key(db, st, presentity, watcher, event)) == 0) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW)
			rc = wat_row(db, st, out);
		else if (src == SQLITE_DONE)
			rc = db_seterr(db, DB_ENOTFOUND,
				       "get watcher: no such watcher");
		else
			rc = db_sqlerr(db, src, "get watcher");
	}
	db_stmt_done(st);
	return rc;
}

int db_watcher_delete(struct db *db, const char *presentity,
		      const char *watcher, const char *event)
{
	static const char sql[] =
		"DELETE FROM watcher"
		" WHERE presentity = ?1 AND watcher = ?2 AND event = ?3";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_WAT_DELETE, sql, &st)) != 0)
		return rc;
	if ((rc = wat_bind_key(db, st, presentity, watcher, event)) == 0 &&
	    (rc = db_step_done(db, st, "delete watcher")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "delete watcher: no such watcher");
	db_stmt_done(st);
	return rc;
}

int db_watcher_foreach(struct db *db, const char *presentity,
		       int (*fn)(const struct db_watcher *w, void *arg),
		       void *arg)
{
	static const char sql[] =
		"SELECT " WAT_COLS " FROM watcher WHERE presentity = ?1"
		" ORDER BY event, first_seen, watcher";
	struct db_watcher w;
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_WAT_LIST, sql, &st)) != 0)
		return rc;
	if (fn == NULL) {
		rc = db_seterr(db, DB_EINVAL, "watcher foreach: no callback");
		goto out;
	}
	if ((rc = db_bind_str(db, st, 1, presentity, WAT_CAP(presentity),
			      "presentity")) != 0)
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = wat_row(db, st, &w)) != 0 || (rc = fn(&w, arg)) != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_sqlerr(db, src, "watcher foreach");
out:
	db_stmt_done(st);
	return rc;
}
