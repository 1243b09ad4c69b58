/*
 * db_int.h - private to db/: the handle behind `struct db`, the table of
 * cached prepared statements, and the helpers every db_*.c file shares
 * (error mapping, per-operation transactions, bounded binds and reads).
 *
 * Rules the helpers enforce:
 *  - a statement is prepared once, on first use, with
 *    SQLITE_PREPARE_PERSISTENT, and kept on the handle until db_close();
 *  - after each use it is reset and its bindings cleared (db_stmt_done), so
 *    no pointer into a caller's buffer outlives the call;
 *  - SQL text is a compile-time constant next to the function that runs
 *    it; values only ever travel as bound parameters;
 *  - a string longer than the struct field it reads back into is refused
 *    on write (DB_EINVAL), so every round trip is lossless;
 *  - error texts name the operation and SQLite's reason, never a value.
 */
#ifndef PRESENCED_DB_INT_H
#define PRESENCED_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/* One slot per operation; the SQL lives with the function using it. */
enum db_stmt_id {
	/* db.c, db_schema.c */
	DB_ST_BEGIN,
	DB_ST_COMMIT,
	DB_ST_ROLLBACK,
	DB_ST_SAVEPOINT,
	DB_ST_RELEASE,
	DB_ST_ROLLBACK_TO,
	DB_ST_USER_VERSION,
	/* db_subscriber.c */
	DB_ST_SUB_INSERT,
	DB_ST_SUB_DELETE,
	DB_ST_SUB_GET,
	DB_ST_SUB_BY_IMPU,
	DB_ST_SUB_ALL,
	DB_ST_SUB_SET_SQN,
	DB_ST_SUB_COUNT,
	DB_ST_IMPU_INSERT,
	DB_ST_IMPU_ADD,
	DB_ST_IMPU_LIST,
	DB_ST_IMPU_BELONGS,
	DB_ST_IMPU_DEFAULT,
	DB_ST_IMPU_EXISTS,
	/* db_presence.c */
	DB_ST_PUB_PUT,
	DB_ST_PUB_UPDATE,
	DB_ST_PUB_DELETE,
	DB_ST_PUB_BY,
	DB_ST_PUB_ALL,
	DB_ST_PUB_EXPIRED,
	DB_ST_PUB_EXPIRE,
	DB_ST_WAT_PUT,
	DB_ST_WAT_GET,
	DB_ST_WAT_DELETE,
	DB_ST_WAT_LIST,
	/* db_subscription.c */
	DB_ST_SUBS_INSERT,
	DB_ST_SUBS_UPDATE,
	DB_ST_SUBS_DELETE,
	DB_ST_SUBS_GET,
	DB_ST_SUBS_FIND,
	DB_ST_SUBS_ALL,
	DB_ST_SUBS_BY,
	DB_ST_SUBS_SET_CSEQ,
	DB_ST_SUBS_COUNT,
	DB_ST_SUBS_EXPIRE,
	/* db_xcap.c */
	DB_ST_XCAP_GET,
	DB_ST_XCAP_ETAG,
	DB_ST_XCAP_UPSERT,
	DB_ST_XCAP_DELETE,
	DB_ST_XCAP_BY_XUI,
	DB_ST_XCAP_BY_AUID,
	/* db_bootstrap.c */
	DB_ST_BOOT_PUT,
	DB_ST_BOOT_GET,
	DB_ST_BOOT_DELETE,
	DB_ST_BOOT_EXPIRE,
	/* db_audit.c */
	DB_ST_AUDIT_ADD,
	DB_ST_AUDIT_LIST,

	DB_ST_COUNT
};

struct db {
	sqlite3 *h;
	sqlite3_stmt *st[DB_ST_COUNT];
	bool txn;                 /* inside db_begin() ... db_commit() */
	bool readonly;
	int64_t (*now)(void *arg);/* clock for created/modified columns */
	void *now_arg;
	char err[256];            /* last error, never a value */
};

/* How one public write protected itself (see db_op_begin). */
struct db_op {
	enum { DB_OP_NONE, DB_OP_TXN, DB_OP_SAVEPOINT } kind;
};

/* Size of a char-array member, for the bounded binds. */
#define DB_FIELD(type, member) sizeof(((type *)0)->member)

/* Fetch (preparing on first use) the statement `id` with text `sql`.
 * DB_EINVAL when db is NULL or the statement is already running (a
 * re-entrant call from inside a foreach callback of the same kind). */
int db_stmt(struct db *db, enum db_stmt_id id, const char *sql,
	    sqlite3_stmt **stp);
/* Reset a statement and clear its bindings.  NULL is a no-op. */
void db_stmt_done(sqlite3_stmt *st);
/* Step a statement that returns no row; map a failure.  Does not reset. */
int db_step_done(struct db *db, sqlite3_stmt *st, const char *what);

/* Map an SQLite result code (extended codes are on) to DB_E* and record
 * "what: reason" as the handle's message.  Returns the DB_E* code. */
int db_sqlerr(struct db *db, int src, const char *what);
/* Record a message for a code of our own and return the code. */
int db_seterr(struct db *db, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Map without touching any handle (db_open before the handle exists). */
int db_maprc(int src);

/*
 * Atomicity for a public write that runs more than one statement.
 * Outside an explicit transaction: BEGIN IMMEDIATE ... COMMIT.  Inside one
 * (db_begin): a SAVEPOINT, so a failed call still changes nothing while
 * the caller's transaction goes on.  db_op_end commits/releases when rc is
 * 0, rolls back otherwise, and returns the final code.
 */
int db_op_begin(struct db *db, struct db_op *op);
int db_op_end(struct db *db, struct db_op *op, int rc);

/* Bind a NUL-terminated string that must fit a field of `cap` bytes
 * (strlen < cap); DB_EINVAL naming `field` otherwise, or when s is NULL. */
int db_bind_str(struct db *db, sqlite3_stmt *st, int idx, const char *s,
		size_t cap, const char *field);
/* Bind NULL when s is NULL, else like db_bind_str. */
int db_bind_str_or_null(struct db *db, sqlite3_stmt *st, int idx,
			const char *s, size_t cap, const char *field);
int db_bind_blob(struct db *db, sqlite3_stmt *st, int idx, const void *p,
		 size_t len);
int db_bind_i64(struct db *db, sqlite3_stmt *st, int idx, int64_t v);

/* Copy a TEXT column into a field of `cap` bytes.  A stored value that
 * does not fit (only possible if written behind our back) is DB_EIO, never
 * silently truncated: a cut identity could name somebody else. */
int db_col_str(struct db *db, sqlite3_stmt *st, int col, char *out,
	       size_t cap, const char *field);
/* Copy a BLOB column of exactly `len` bytes; DB_EIO on another size. */
int db_col_blob(struct db *db, sqlite3_stmt *st, int col, uint8_t *out,
		size_t len, const char *field);

/* The handle's clock (time(NULL) unless db_set_clock replaced it). */
int64_t db_now(struct db *db);
/* Wipe memory that held a secret; not elided by the compiler. */
void db_wipe(void *p, size_t len);

/* db_schema.c: bring the store to DB_SCHEMA_VERSION or refuse it. */
int db_schema_migrate(struct db *db);

#endif /* PRESENCED_DB_INT_H */
