/*
 * db.c - open and close the store, connection settings, error mapping,
 * explicit and per-operation transactions, and the statement cache.
 *
 * Connection settings (docs/store.md explains the durability trade-off):
 * WAL journal, synchronous=NORMAL, foreign_keys=ON, a busy timeout, and
 * SQLITE_OPEN_NOMUTEX because a handle belongs to one thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "db/db_int.h"

#define DB_DEFAULT_BUSY_MS 5000

/* ------------------------------------------------------------- errors */

int db_maprc(int src)
{
	switch (src) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_EEXIST;
	case SQLITE_NOMEM:
		return DB_ENOMEM;
	}
	switch (src & 0xff) {
	case SQLITE_CONSTRAINT:
		return DB_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_EBUSY;
	case SQLITE_NOMEM:
		return DB_ENOMEM;
	default:
		return DB_EIO;
	}
}

int db_sqlerr(struct db *db, int src, const char *what)
{
	int rc = db_maprc(src);

	/* SQLite's messages name tables, columns and constraints but never
	 * a bound value, so they are safe to pass on. */
	if (db != NULL)
		snprintf(db->err, sizeof db->err, "%s: %s", what,
			 db->h != NULL ? sqlite3_errmsg(db->h)
				       : sqlite3_errstr(src));
	return rc;
}

int db_seterr(struct db *db, int code, const char *fmt, ...)
{
	va_list ap;

	if (db != NULL) {
		va_start(ap, fmt);
		vsnprintf(db->err, sizeof db->err, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *db_errmsg(struct db *db)
{
	if (db == NULL)
		return "no store handle";
	return db->err[0] != '\0' ? db->err : "no error";
}

const char *db_strerror(int rc)
{
	switch (rc) {
	case DB_OK:          return "success";
	case DB_ENOTFOUND:   return "not found";
	case DB_EEXIST:      return "duplicate";
	case DB_ECONFLICT:   return "etag mismatch";
	case DB_ECONSTRAINT: return "constraint violated";
	case DB_EBUSY:       return "store busy";
	case DB_EVERSION:    return "unsupported store version";
	case DB_EINVAL:      return "invalid argument";
	case DB_ENOMEM:      return "out of memory";
	case DB_EIO:         return "store error";
	default:             return "unknown error";
	}
}

/* ---------------------------------------------------------- statements */

int db_stmt(struct db *db, enum db_stmt_id id, const char *sql,
	    sqlite3_stmt **stp)
{
	int src;

	*stp = NULL;
	if (db == NULL || (unsigned)id >= DB_ST_COUNT)
		return DB_EINVAL;
	if (db->st[id] == NULL) {
		src = sqlite3_prepare_v3(db->h, sql, -1,
					 SQLITE_PREPARE_PERSISTENT,
					 &db->st[id], NULL);
		if (src != SQLITE_OK) {
			db->st[id] = NULL;
			return db_sqlerr(db, src, "prepare");
		}
	} else if (sqlite3_stmt_busy(db->st[id])) {
		/* Resetting it would pull the rows from under a running
		 * foreach on the same handle. */
		return db_seterr(db, DB_EINVAL,
				 "re-entrant use of a store operation");
	}
	*stp = db->st[id];
	return 0;
}

void db_stmt_done(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int db_step_done(struct db *db, sqlite3_stmt *st, const char *what)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_DONE || src == SQLITE_ROW)
		return 0;
	return db_sqlerr(db, src, what);
}

/* Run one of the transaction-control statements. */
static int db_run(struct db *db, enum db_stmt_id id, const char *sql,
		  const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_stmt(db, id, sql, &st)) != 0)
		return rc;
	rc = db_step_done(db, st, what);
	db_stmt_done(st);
	return rc;
}

/* ------------------------------------------------------------- binding */

int db_bind_str(struct db *db, sqlite3_stmt *st, int idx, const char *s,
		size_t cap, const char *field)
{
	size_t len;
	int src;

	if (s == NULL)
		return db_seterr(db, DB_EINVAL, "%s missing", field);
	len = strnlen(s, cap);
	if (len >= cap)
		return db_seterr(db, DB_EINVAL, "%s too long (max %zu bytes)",
				 field, cap - 1);
	src = sqlite3_bind_text(st, idx, s, (int)len, SQLITE_STATIC);
	return src == SQLITE_OK ? 0 : db_sqlerr(db, src, "bind");
}

int db_bind_str_or_null(struct db *db, sqlite3_stmt *st, int idx,
			const char *s, size_t cap, const char *field)
{
	int src;

	if (s != NULL)
		return db_bind_str(db, st, idx, s, cap, field);
	src = sqlite3_bind_null(st, idx);
	return src == SQLITE_OK ? 0 : db_sqlerr(db, src, "bind");
}

int db_bind_blob(struct db *db, sqlite3_stmt *st, int idx, const void *p,
		 size_t len)
{
	int src;

	if (len > (size_t)INT32_MAX)
		return db_seterr(db, DB_EINVAL, "blob too large");
	/* A zero-length blob, not NULL, when the caller gave an empty body. */
	if (p == NULL && len == 0)
		src = sqlite3_bind_zeroblob(st, idx, 0);
	else if (p == NULL)
		return db_seterr(db, DB_EINVAL, "blob missing");
	else
		src = sqlite3_bind_blob(st, idx, p, (int)len, SQLITE_STATIC);
	return src == SQLITE_OK ? 0 : db_sqlerr(db, src, "bind");
}

int db_bind_i64(struct db *db, sqlite3_stmt *st, int idx, int64_t v)
{
	int src = sqlite3_bind_int64(st, idx, v);

	return src == SQLITE_OK ? 0 : db_sqlerr(db, src, "bind");
}

int db_col_str(struct db *db, sqlite3_stmt *st, int col, char *out,
	       size_t cap, const char *field)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);

	if (s == NULL) {
		if (sqlite3_column_type(st, col) != SQLITE_NULL)
			return db_seterr(db, DB_ENOMEM, "reading %s", field);
		out[0] = '\0';
		return 0;
	}
	if (len >= cap)
		return db_seterr(db, DB_EIO, "stored %s too long", field);
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int db_col_blob(struct db *db, sqlite3_stmt *st, int col, uint8_t *out,
		size_t len, const char *field)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (n != len || (p == NULL && len != 0))
		return db_seterr(db, DB_EIO, "stored %s has a wrong size",
				 field);
	if (len != 0)
		memcpy(out, p, len);
	return 0;
}

/* --------------------------------------------------------------- misc */

static int64_t db_clock_real(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

int64_t db_now(struct db *db)
{
	return db->now(db->now_arg);
}

void db_set_clock(struct db *db, int64_t (*now)(void *arg), void *arg)
{
	if (db == NULL)
		return;
	db->now = now != NULL ? now : db_clock_real;
	db->now_arg = now != NULL ? arg : NULL;
}

void db_wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len-- > 0)
		*v++ = 0;
}

/* -------------------------------------------------------- transactions */

int db_set_autocheckpoint(struct db *db, int pages)
{
	int src;

	if (db == NULL || pages < 0)
		return DB_EINVAL;
	src = sqlite3_wal_autocheckpoint(db->h, pages);
	return src == SQLITE_OK ? 0 : db_sqlerr(db, src, "wal_autocheckpoint");
}

int db_checkpoint(struct db *db, int *frames, int *done)
{
	int f = 0, d = 0, src;

	if (db == NULL)
		return DB_EINVAL;
	src = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE,
					&f, &d);
	if (frames)
		*frames = f;
	if (done)
		*done = d;
	/* BUSY: another checkpoint is running; try again next time. */
	return src == SQLITE_OK || src == SQLITE_BUSY
	       ? 0 : db_sqlerr(db, src, "wal_checkpoint");
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

int db_begin(struct db *db)
{
	int rc;

	if (db == NULL)
		return DB_EINVAL;
	if (db->txn)
		return db_seterr(db, DB_EINVAL, "transaction already open");
	if ((rc = db_run(db, DB_ST_BEGIN, sql_begin, "begin")) != 0)
		return rc;
	db->txn = true;
	return 0;
}

int db_commit(struct db *db)
{
	int rc;

	if (db == NULL)
		return DB_EINVAL;
	if (!db->txn)
		return db_seterr(db, DB_EINVAL, "no transaction open");
	db->txn = false;
	if (sqlite3_get_autocommit(db->h))
		return db_seterr(db, DB_EIO, "transaction was rolled back by "
				 "an earlier error");
	rc = db_run(db, DB_ST_COMMIT, sql_commit, "commit");
	if (rc != 0 && !sqlite3_get_autocommit(db->h))
		(void)db_run(db, DB_ST_ROLLBACK, sql_rollback, "rollback");
	return rc;
}

int db_rollback(struct db *db)
{
	if (db == NULL)
		return DB_EINVAL;
	if (!db->txn)
		return db_seterr(db, DB_EINVAL, "no transaction open");
	db->txn = false;
	/* SQLite may have rolled back already (I/O error, out of memory). */
	if (sqlite3_get_autocommit(db->h))
		return 0;
	return db_run(db, DB_ST_ROLLBACK, sql_rollback, "rollback");
}

int db_op_begin(struct db *db, struct db_op *op)
{
	int rc;

	op->kind = DB_OP_NONE;
	if (db->txn) {
		if (sqlite3_get_autocommit(db->h))
			return db_seterr(db, DB_EIO, "transaction was rolled "
					 "back by an earlier error");
		rc = db_run(db, DB_ST_SAVEPOINT, "SAVEPOINT pd_op",
			    "savepoint");
		if (rc == 0)
			op->kind = DB_OP_SAVEPOINT;
		return rc;
	}
	rc = db_run(db, DB_ST_BEGIN, sql_begin, "begin");
	if (rc == 0)
		op->kind = DB_OP_TXN;
	return rc;
}

int db_op_end(struct db *db, struct db_op *op, int rc)
{
	int rc2;

	switch (op->kind) {
	case DB_OP_NONE:
		return rc;
	case DB_OP_TXN:
		if (rc == 0) {
			rc = db_run(db, DB_ST_COMMIT, sql_commit, "commit");
			if (rc == 0)
				break;
		}
		if (!sqlite3_get_autocommit(db->h))
			(void)db_run(db, DB_ST_ROLLBACK, sql_rollback,
				     "rollback");
		break;
	case DB_OP_SAVEPOINT:
		if (rc != 0 && !sqlite3_get_autocommit(db->h))
			(void)db_run(db, DB_ST_ROLLBACK_TO,
				     "ROLLBACK TO pd_op", "rollback to");
		/* RELEASE also after ROLLBACK TO, which keeps the savepoint. */
		if (!sqlite3_get_autocommit(db->h)) {
			rc2 = db_run(db, DB_ST_RELEASE, "RELEASE pd_op",
				     "release");
			if (rc == 0)
				rc = rc2;
		}
		break;
	}
	op->kind = DB_OP_NONE;
	return rc;
}

/* -------------------------------------------------------- open / close */

/* The store holds K, OPc and Ks: create it 0600 before SQLite does (which
 * would follow the umask); SQLite gives -wal and -shm the same mode. */
static int db_create_private(const char *path)
{
	int fd;

	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Run a fixed PRAGMA and, when `want` is given, check its one-row answer
 * (case-insensitively: journal_mode answers "wal"). */
static int db_pragma(struct db *db, const char *sql, const char *want,
		     const char *alt)
{
	sqlite3_stmt *st = NULL;
	const char *got;
	int src, rc = 0;

	src = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (src != SQLITE_OK)
		return db_sqlerr(db, src, sql);
	src = sqlite3_step(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = db_sqlerr(db, src, sql);
		goto out;
	}
	if (want != NULL) {
		got = src == SQLITE_ROW
		      ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (got == NULL || (strcasecmp(got, want) != 0 &&
				    (alt == NULL || strcasecmp(got, alt) != 0)))
			rc = db_seterr(db, DB_EIO, "%s: refused (got %s)",
				       sql, got != NULL ? got : "nothing");
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int db_open(struct db **dbp, const char *path, int flags, int busy_ms,
	    char *err, size_t errlen)
{
	struct db *db = NULL;
	int oflags, src, rc = 0;

	if (dbp == NULL || path == NULL || busy_ms < 0 ||
	    (flags & ~(DB_OPEN_CREATE | DB_OPEN_READONLY)) != 0 ||
	    ((flags & DB_OPEN_CREATE) && (flags & DB_OPEN_READONLY))) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "db_open: invalid arguments");
		return DB_EINVAL;
	}
	db = calloc(1, sizeof *db);
	if (db == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "db_open: out of memory");
		return DB_ENOMEM;
	}
	db->now = db_clock_real;
	db->readonly = (flags & DB_OPEN_READONLY) != 0;

	if (flags & DB_OPEN_CREATE) {
		int e = db_create_private(path);

		if (e != 0) {
			rc = db_seterr(db, DB_EIO, "cannot create store %s: %s",
				       path, strerror(-e));
			goto out;
		}
	}
	oflags = SQLITE_OPEN_NOMUTEX |
		 (db->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	src = sqlite3_open_v2(path, &db->h, oflags, NULL);
	if (src != SQLITE_OK) {
		rc = db_seterr(db, db_maprc(src), "cannot open store %s: %s",
			       path, db->h != NULL ? sqlite3_errmsg(db->h)
						   : sqlite3_errstr(src));
		goto out;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, busy_ms > 0 ? busy_ms : DB_DEFAULT_BUSY_MS);
	/* Hardening: no writes to the schema behind SQLite's back, no
	 * functions with side effects from within the schema. */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

	if (!db->readonly &&
	    (rc = db_pragma(db, "PRAGMA journal_mode=WAL", "wal",
			    "memory")) != 0)
		goto out;
	if ((rc = db_pragma(db, "PRAGMA foreign_keys=ON", NULL, NULL)) != 0 ||
	    (rc = db_pragma(db, "PRAGMA foreign_keys", "1", NULL)) != 0 ||
	    (rc = db_pragma(db, "PRAGMA synchronous=NORMAL", NULL, NULL)) != 0)
		goto out;
	rc = db_schema_migrate(db);
out:
	if (rc != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", db->err);
		db_close(db);
		return rc;
	}
	db->err[0] = '\0';
	*dbp = db;
	return 0;
}

void db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	/* An open transaction is rolled back by the close. */
	sqlite3_close(db->h);
	free(db);
}
