/*
 * db_subscriber.c - subscribers (IMPI, AKA keys K/OPc/AMF/SQN, Digest HA1)
 * and their public identities (IMPU) in the store.
 *
 * K, OPc and the HA1 values are secrets: they travel only as bound
 * parameters and struct fields, never into an error message, and the
 * copies a foreach makes on its stack are wiped after each callback.
 */
#include <string.h>

#include "db/db_int.h"

#define SUB_IMPI_CAP DB_FIELD(struct db_subscriber, impi)
#define IMPU_CAP DB_FIELD(struct db_impu, uri)

#define SUB_COLS "id, impi, k, opc, amf, sqn, realm, ha1_md5, ha1_sha256, " \
		 "created"

/* Fill `s` from a row selected with SUB_COLS. */
static int sub_row(struct db *db, sqlite3_stmt *st, struct db_subscriber *s)
{
	int64_t sqn;
	int rc;

	memset(s, 0, sizeof *s);
	s->id = sqlite3_column_int64(st, 0);
	sqn = sqlite3_column_int64(st, 5);
	s->sqn = (uint64_t)(sqn < 0 ? 0 : sqn);
	s->created = sqlite3_column_int64(st, 9);
	if ((rc = db_col_str(db, st, 1, s->impi, sizeof s->impi, "impi")) ||
	    (rc = db_col_blob(db, st, 2, s->k, sizeof s->k, "k")) ||
	    (rc = db_col_blob(db, st, 3, s->opc, sizeof s->opc, "opc")) ||
	    (rc = db_col_blob(db, st, 4, s->amf, sizeof s->amf, "amf")) ||
	    (rc = db_col_str(db, st, 6, s->realm, sizeof s->realm, "realm")) ||
	    (rc = db_col_str(db, st, 7, s->ha1_md5, sizeof s->ha1_md5,
			     "ha1_md5")) ||
	    (rc = db_col_str(db, st, 8, s->ha1_sha256, sizeof s->ha1_sha256,
			     "ha1_sha256")))
		db_wipe(s, sizeof *s);
	return rc;
}

/* Run a one-row SELECT whose result is a subscriber. */
static int sub_fetch(struct db *db, sqlite3_stmt *st,
		     struct db_subscriber *out, const char *what)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return sub_row(db, st, out);
	if (src == SQLITE_DONE)
		return db_seterr(db, DB_ENOTFOUND, "%s: no such subscriber",
				 what);
	return db_sqlerr(db, src, what);
}

static int impu_insert(struct db *db, int64_t sub_id, const char *uri,
		       bool is_default)
{
	static const char sql[] =
		"INSERT INTO impu (uri, subscriber_id, is_default)"
		" VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_IMPU_INSERT, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_str(db, st, 1, uri, IMPU_CAP, "impu")) == 0 &&
	    (rc = db_bind_i64(db, st, 2, sub_id)) == 0 &&
	    (rc = db_bind_i64(db, st, 3, is_default ? 1 : 0)) == 0)
		rc = db_step_done(db, st, "add impu");
	db_stmt_done(st);
	return rc;
}

int db_subscriber_add(struct db *db, struct db_subscriber *s,
		      const char *const *impus, size_t n_impus)
{
	static const char sql[] =
		"INSERT INTO subscriber (impi, k, opc, amf, sqn, realm,"
		" ha1_md5, ha1_sha256, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	struct db_op op = { DB_OP_NONE };
	sqlite3_stmt *st = NULL;
	int64_t id = 0, now = 0;
	size_t i;
	int rc;

	if (db == NULL)
		return DB_EINVAL;
	if (s == NULL || impus == NULL || n_impus == 0)
		return db_seterr(db, DB_EINVAL,
				 "add subscriber: needs at least one IMPU");
	if ((rc = db_op_begin(db, &op)) != 0)
		return rc;
	if ((rc = db_stmt(db, DB_ST_SUB_INSERT, sql, &st)) != 0)
		goto out;
	now = db_now(db);
	if ((rc = db_bind_str(db, st, 1, s->impi, sizeof s->impi, "impi")) ||
	    (rc = db_bind_blob(db, st, 2, s->k, sizeof s->k)) ||
	    (rc = db_bind_blob(db, st, 3, s->opc, sizeof s->opc)) ||
	    (rc = db_bind_blob(db, st, 4, s->amf, sizeof s->amf)) ||
	    (rc = db_bind_i64(db, st, 5, (int64_t)s->sqn)) ||
	    (rc = db_bind_str(db, st, 6, s->realm, sizeof s->realm,
			      "realm")) ||
	    (rc = db_bind_str(db, st, 7, s->ha1_md5, sizeof s->ha1_md5,
			      "ha1_md5")) ||
	    (rc = db_bind_str(db, st, 8, s->ha1_sha256, sizeof s->ha1_sha256,
			      "ha1_sha256")) ||
	    (rc = db_bind_i64(db, st, 9, now)) ||
	    (rc = db_step_done(db, st, "add subscriber")))
		goto out;
	id = sqlite3_last_insert_rowid(db->h);
	db_stmt_done(st);
	st = NULL;
	/* TS 23.228: the first IMPU is the default public identity. */
	for (i = 0; i < n_impus; i++)
		if ((rc = impu_insert(db, id, impus[i], i == 0)) != 0)
			goto out;
out:
	db_stmt_done(st);
	rc = db_op_end(db, &op, rc);
	if (rc == 0) {
		s->id = id;
		s->created = now;
	}
	return rc;
}

int db_subscriber_delete(struct db *db, const char *impi)
{
	static const char sql[] = "DELETE FROM subscriber WHERE impi = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUB_DELETE, sql, &st)) != 0)
		return rc;
	/* One statement: the IMPUs and bootstrap sessions go by cascade. */
	if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP, "impi")) == 0 &&
	    (rc = db_step_done(db, st, "delete subscriber")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND,
			       "delete subscriber: no such subscriber");
	db_stmt_done(st);
	return rc;
}

int db_subscriber_get(struct db *db, const char *impi,
		      struct db_subscriber *out)
{
	static const char sql[] =
		"SELECT " SUB_COLS " FROM subscriber WHERE impi = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUB_GET, sql, &st)) != 0)
		return rc;
	if (out == NULL)
		rc = db_seterr(db, DB_EINVAL, "get subscriber: no output");
	else if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP,
				   "impi")) == 0)
		rc = sub_fetch(db, st, out, "get subscriber");
	db_stmt_done(st);
	return rc;
}

int db_subscriber_by_impu(struct db *db, const char *impu,
			  struct db_subscriber *out)
{
	static const char sql[] =
		"SELECT s.id, s.impi, s.k, s.opc, s.amf, s.sqn, s.realm,"
		" s.ha1_md5, s.ha1_sha256, s.created"
		" FROM impu u JOIN subscriber s ON s.id = u.subscriber_id"
		" WHERE u.uri = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUB_BY_IMPU, sql, &st)) != 0)
		return rc;
	if (out == NULL)
		rc = db_seterr(db, DB_EINVAL, "subscriber by impu: no output");
	else if ((rc = db_bind_str(db, st, 1, impu, IMPU_CAP, "impu")) == 0)
		rc = sub_fetch(db, st, out, "subscriber by impu");
	db_stmt_done(st);
	return rc;
}

int db_subscriber_foreach(struct db *db,
			  int (*fn)(const struct db_subscriber *s, void *arg),
			  void *arg)
{
	static const char sql[] =
		"SELECT " SUB_COLS " FROM subscriber ORDER BY impi";
	struct db_subscriber s;
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_SUB_ALL, sql, &st)) != 0)
		return rc;
	if (fn == NULL) {
		rc = db_seterr(db, DB_EINVAL, "subscriber foreach: no callback");
		goto out;
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = sub_row(db, st, &s)) != 0)
			goto out;
		rc = fn(&s, arg);
		db_wipe(&s, sizeof s);
		if (rc != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_sqlerr(db, src, "subscriber foreach");
out:
	db_stmt_done(st);
	return rc;
}

int db_subscriber_set_sqn(struct db *db, const char *impi, uint64_t sqn)
{
	static const char sql[] = "UPDATE subscriber SET sqn = ?2 WHERE impi = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_SUB_SET_SQN, sql, &st)) != 0)
		return rc;
	/* A value >= 2^48 (or >= 2^63, negative here) fails the CHECK. */
	if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP, "impi")) == 0 &&
	    (rc = db_bind_i64(db, st, 2, (int64_t)sqn)) == 0 &&
	    (rc = db_step_done(db, st, "set sqn")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND, "set sqn: no such subscriber");
	db_stmt_done(st);
	return rc;
}

int db_subscriber_count(struct db *db, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM subscriber";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_SUB_COUNT, sql, &st)) != 0)
		return rc;
	if (count == NULL)
		rc = db_seterr(db, DB_EINVAL, "count subscribers: no output");
	else if ((src = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		rc = db_sqlerr(db, src, "count subscribers");
	db_stmt_done(st);
	return rc;
}

/* ----------------------------------------------------- public identities */

int db_impu_add(struct db *db, const char *impi, const char *uri)
{
	/* One statement: no subscriber, no row (DB_ENOTFOUND). */
	static const char sql[] =
		"INSERT INTO impu (uri, subscriber_id, is_default)"
		" SELECT ?2, id, 0 FROM subscriber WHERE impi = ?1";
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, DB_ST_IMPU_ADD, sql, &st)) != 0)
		return rc;
	if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP, "impi")) == 0 &&
	    (rc = db_bind_str(db, st, 2, uri, IMPU_CAP, "impu")) == 0 &&
	    (rc = db_step_done(db, st, "add impu")) == 0 &&
	    sqlite3_changes(db->h) == 0)
		rc = db_seterr(db, DB_ENOTFOUND, "add impu: no such subscriber");
	db_stmt_done(st);
	return rc;
}

int db_impu_foreach(struct db *db, const char *impi,
		    int (*fn)(const struct db_impu *u, void *arg), void *arg)
{
	static const char sql[] =
		"SELECT u.uri, s.impi, u.is_default"
		" FROM subscriber s JOIN impu u ON u.subscriber_id = s.id"
		" WHERE s.impi = ?1 ORDER BY u.is_default DESC, u.uri";
	struct db_impu u;
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_IMPU_LIST, sql, &st)) != 0)
		return rc;
	if (fn == NULL) {
		rc = db_seterr(db, DB_EINVAL, "impu foreach: no callback");
		goto out;
	}
	if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP, "impi")) != 0)
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&u, 0, sizeof u);
		if ((rc = db_col_str(db, st, 0, u.uri, sizeof u.uri, "impu")) ||
		    (rc = db_col_str(db, st, 1, u.impi, sizeof u.impi, "impi")))
			goto out;
		u.is_default = sqlite3_column_int(st, 2) != 0;
		if ((rc = fn(&u, arg)) != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_sqlerr(db, src, "impu foreach");
out:
	db_stmt_done(st);
	return rc;
}

int db_impu_belongs(struct db *db, const char *impi, const char *uri,
		    bool *yes)
{
	static const char sql[] =
		"SELECT 1 FROM impu u JOIN subscriber s ON s.id = u.subscriber_id"
		" WHERE u.uri = ?2 AND s.impi = ?1";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_IMPU_BELONGS, sql, &st)) != 0)
		return rc;
	if (yes == NULL)
		rc = db_seterr(db, DB_EINVAL, "impu belongs: no output");
	else if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP, "impi")) == 0 &&
		 (rc = db_bind_str(db, st, 2, uri, IMPU_CAP, "impu")) == 0) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW || src == SQLITE_DONE)
			*yes = src == SQLITE_ROW;
		else
			rc = db_sqlerr(db, src, "impu belongs");
	}
	db_stmt_done(st);
	return rc;
}

int db_impu_exists(struct db *db, const char *uri, bool *yes)
{
	static const char sql[] = "SELECT 1 FROM impu WHERE uri = ?1";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_IMPU_EXISTS, sql, &st)) != 0)
		return rc;
	if (yes == NULL)
		rc = db_seterr(db, DB_EINVAL, "impu exists: no output");
	else if ((rc = db_bind_str(db, st, 1, uri, IMPU_CAP, "impu")) == 0) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW || src == SQLITE_DONE)
			*yes = src == SQLITE_ROW;
		else
			rc = db_sqlerr(db, src, "impu exists");
	}
	db_stmt_done(st);
	return rc;
}

int db_impu_default(struct db *db, const char *impi, char *out,
		    size_t outlen)
{
	static const char sql[] =
		"SELECT u.uri FROM subscriber s"
		" JOIN impu u ON u.subscriber_id = s.id AND u.is_default = 1"
		" WHERE s.impi = ?1";
	sqlite3_stmt *st;
	int src, rc;

	if ((rc = db_stmt(db, DB_ST_IMPU_DEFAULT, sql, &st)) != 0)
		return rc;
	if (out == NULL || outlen == 0)
		rc = db_seterr(db, DB_EINVAL, "default impu: no output");
	else if ((rc = db_bind_str(db, st, 1, impi, SUB_IMPI_CAP,
				   "impi")) == 0) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW)
			rc = db_col_str(db, st, 0, out, outlen, "impu");
		else if (src == SQLITE_DONE)
			rc = db_seterr(db, DB_ENOTFOUND,
				       "default impu: no such subscriber");
		else
			rc = db_sqlerr(db, src, "default impu");
		/* A too-small buffer is the caller's mistake, not the store's. */
		if (rc == DB_EIO && src == SQLITE_ROW &&
		    (size_t)sqlite3_column_bytes(st, 0) >= outlen)
			rc = db_seterr(db, DB_EINVAL,
				       "default impu: buffer too small");
	}
	db_stmt_done(st);
	return rc;
}
