/*
 * db.h - the presenced store: one SQLite file shared by the SIP and XCAP
 * sides.  Subscribers and their keys, public identities, publications,
 * subscriptions with their dialog state, watchers, XCAP documents,
 * bootstrapping sessions and an audit log.
 *
 * Rules (docs/store.md has the why):
 *  - One `struct db` per thread.  A handle is never shared between threads;
 *    SQLite's WAL mode lets them read and write side by side, and every
 *    connection has a busy timeout.
 *  - One function per operation, each backed by one prepared statement
 *    that the handle keeps for its life.  No SQL lives outside db/.
 *  - Functions return 0 on success or a negative DB_E* code.  Counts and
 *    ids come back through out-parameters, so no valid value ever doubles
 *    as an error.
 *  - Every write is one transaction; a failed write changes nothing.
 *    db_begin()/db_commit()/db_rollback() group several operations into one
 *    transaction (group commit, migrations, bulk import).
 *  - Nothing here logs.  db_errmsg() says what went wrong last, and never
 *    contains a secret.
 *  - A foreach passes a struct on its stack, valid only during the
 *    callback.  A callback may read through the same handle but should not
 *    write (collect, then write after the walk), and calling the same
 *    foreach again from inside it is DB_EINVAL.
 */
#ifndef PRESENCED_DB_H
#define PRESENCED_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Error codes (negative). */
enum {
	DB_OK = 0,
	DB_ENOTFOUND = -1,  /* no such row */
	DB_EEXIST = -2,     /* unique constraint: duplicate */
	DB_ECONFLICT = -3,  /* compare-and-swap lost (ETag mismatch) */
	DB_ECONSTRAINT = -4,/* other constraint (foreign key, check) */
	DB_EBUSY = -5,      /* locked beyond the busy timeout */
	DB_EVERSION = -6,   /* store is newer than this binary */
	DB_EINVAL = -7,     /* bad argument */
	DB_ENOMEM = -8,
	DB_EIO = -9,        /* any other SQLite failure */
};

/* The schema version this binary writes (PRAGMA user_version). */
#define DB_SCHEMA_VERSION 1

struct db;

/* Flags for db_open. */
enum {
	DB_OPEN_CREATE = 1 << 0,   /* create the file if missing */
	DB_OPEN_READONLY = 1 << 1,
};

/*
 * Open (and if needed create and migrate) the store at `path`.  Sets WAL
 * mode, foreign_keys=ON, synchronous=NORMAL and a busy timeout of
 * `busy_ms` (0 picks 5000).  A store with a newer user_version than
 * DB_SCHEMA_VERSION is refused with DB_EVERSION; an older one is migrated
 * in one transaction.  On failure *dbp is left alone and `err` (if not
 * NULL) receives a message.
 */
int db_open(struct db **dbp, const char *path, int flags, int busy_ms,
	    char *err, size_t errlen);
/* Finalize every statement and close (an open transaction is rolled
 * back).  db_close(NULL) is a no-op. */
void db_close(struct db *db);
/* Replace the clock behind the `created`/`modified` columns (default
 * time(NULL)); now == NULL restores it.  For tests and clock_now(). */
void db_set_clock(struct db *db, int64_t (*now)(void *arg), void *arg);
/* The schema version of the open store. */
int db_schema_version(struct db *db, int *version);
/* Last error text for this handle (never a secret). */
const char *db_errmsg(struct db *db);
/* A static name for an error code ("not found", "duplicate", ...). */
const char *db_strerror(int rc);

/* Explicit transactions.  db_begin takes the write lock at once (BEGIN
 * IMMEDIATE) so that a transaction never fails half-way on SQLITE_BUSY.
 * Operations called inside one do not open their own; a multi-statement
 * operation that fails inside one is undone alone (SAVEPOINT) and the
 * transaction goes on.  Transactions do not nest: db_begin inside one is
 * DB_EINVAL.  After a failed db_commit the transaction is rolled back. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* WAL checkpoints (added by issue 3).  A checkpoint copies the WAL back
 * into the database file and fsyncs it; by default SQLite runs one inside
 * the COMMIT that pushes the WAL past 1000 pages, i.e. in whatever thread
 * commits.  A busy writer can turn that off on its connection and let
 * another thread (its own connection) checkpoint. */
/* PRAGMA wal_autocheckpoint for this connection; 0 disables. */
int db_set_autocheckpoint(struct db *db, int pages);
/* A PASSIVE checkpoint (never waits for readers or writers).  *frames and
 * *done (may be NULL) get the WAL size and the frames checkpointed. */
int db_checkpoint(struct db *db, int *frames, int *done);

/* ----------------------------------------------------------- subscribers */

#define DB_KEY_LEN 16
#define DB_AMF_LEN 2

struct db_subscriber {
	int64_t id;               /* set by the store */
	char impi[256];           /* private identity, e.g. alice@example.test */
	uint8_t k[DB_KEY_LEN];
	uint8_t opc[DB_KEY_LEN];
	uint8_t amf[DB_AMF_LEN];
	uint64_t sqn;             /* 48-bit sequence number */
	/* SIP/HTTP Digest secrets: HA1 = H(impi ":" realm ":" password) in
	 * lower-case hex, for MD5 (32 digits) and SHA-256 (64 digits).  Empty
	 * strings when the subscriber has no password (Digest refused). */
	char realm[256];
	char ha1_md5[33];
	char ha1_sha256[65];
	int64_t created;          /* unix seconds, set by the store */
};

/* Add a subscriber with its public identities in one transaction.  The
 * first IMPU is the default; n_impus must be >= 1.  DB_EEXIST when the
 * IMPI or any IMPU exists.  Sets s->id and s->created.  A string longer
 * than its field can hold (e.g. strlen(impi) >= 256) is DB_EINVAL, here
 * and in every other write, so every round trip is lossless.  ha1_* must
 * be "" or lower-case hex of the right length, sqn < 2^48, else
 * DB_ECONSTRAINT. */
int db_subscriber_add(struct db *db, struct db_subscriber *s,
		      const char *const *impus, size_t n_impus);
/* Delete by IMPI, with its identities (cascade).  DB_ENOTFOUND if none. */
int db_subscriber_delete(struct db *db, const char *impi);
int db_subscriber_get(struct db *db, const char *impi, struct db_subscriber *out);
/* Find the subscriber that owns a public identity. */
int db_subscriber_by_impu(struct db *db, const char *impu,
			  struct db_subscriber *out);
/* Call `fn` for each subscriber in IMPI order; a non-zero return from fn
 * stops the walk and is returned. */
int db_subscriber_foreach(struct db *db,
			  int (*fn)(const struct db_subscriber *s, void *arg),
			  void *arg);
/* Store a new SQN (after AKA vector generation or resynchronisation). */
int db_subscriber_set_sqn(struct db *db, const char *impi, uint64_t sqn);
/* Count subscribers. */
int db_subscriber_count(struct db *db, int64_t *count);

/* ------------------------------------------------------ public identities */

struct db_impu {
	char uri[256];
	char impi[256];
	bool is_default;
};

/* Add one more IMPU to an existing subscriber (never the default).
 * DB_ENOTFOUND without such a subscriber, DB_EEXIST if the IMPU exists. */
int db_impu_add(struct db *db, const char *impi, const char *uri);
/* Is `uri` an IMPU of any subscriber?  Sets *yes. */
int db_impu_exists(struct db *db, const char *uri, bool *yes);
/* Call `fn` for each IMPU of a subscriber, default first. */
int db_impu_foreach(struct db *db, const char *impi,
		    int (*fn)(const struct db_impu *u, void *arg), void *arg);
/* Is `uri` one of the IMPUs bound to `impi`?  Sets *yes. */
int db_impu_belongs(struct db *db, const char *impi, const char *uri, bool *yes);
/* The default IMPU of a subscriber. */
int db_impu_default(struct db *db, const char *impi, char *out, size_t outlen);

/* ----------------------------------------------------------- publications */

struct db_publication {
	char etag[64];            /* entity tag issued by the server (RFC 3903) */
	char presentity[256];     /* AOR, e.g. sip:alice@example.test */
	char event[32];           /* "presence" */
	char content_type[64];
	int64_t expires;          /* absolute, unix seconds */
	int64_t modified;         /* set by the store */
	const uint8_t *body;      /* in: caller's buffer; out: see below */
	size_t body_len;
};

/* Insert or replace the publication with this etag. */
int db_publication_put(struct db *db, const struct db_publication *p);
/* Change the etag and expiry of an existing publication (refresh, or
 * modify when body != NULL).  DB_ENOTFOUND when old_etag is unknown. */
int db_publication_update(struct db *db, const char *old_etag,
			  const struct db_publication *p);
int db_publication_delete(struct db *db, const char *etag);
/* Call `fn` for each publication of a presentity and event, oldest first.
 * The body pointer is valid only during the call.  presentity == NULL
 * walks every publication (restart); event == NULL with a presentity
 * walks all its event packages. */
int db_publication_foreach(struct db *db, const char *presentity,
			   const char *event,
			   int (*fn)(const struct db_publication *p, void *arg),
			   void *arg);
/* Delete every publication with expires <= now; *n gets the count.  The
 * caller learns the presentities to re-notify through `fn` (may be NULL),
 * called before each delete. */
int db_publication_expire(struct db *db, int64_t now,
			  void (*fn)(const struct db_publication *p, void *arg),
			  void *arg, int *n);

/* ----------------------------------------------------------- subscriptions */

enum db_sub_state {
	DB_SUB_PENDING = 0,
	DB_SUB_ACTIVE = 1,
	DB_SUB_TERMINATED = 2,
};

struct db_subscription {
	int64_t id;               /* set by the store on insert */
	char call_id[256];
	char local_tag[64];       /* our To-tag */
	char remote_tag[128];     /* the watcher's From-tag */
	char event[32];           /* "presence" or "presence.winfo" */
	char presentity[256];     /* Request-URI AOR */
	char watcher[256];        /* authenticated identity, or anonymous */
	char watcher_display[128];
	char remote_uri[256];     /* From URI, for the NOTIFY To */
	char local_uri[256];      /* To URI, for the NOTIFY From */
	char remote_target[512];  /* Contact */
	char route_set[2048];     /* Record-Route set, comma separated, in the
				   * order a NOTIFY uses it */
	char local_contact[256];
	char accept[128];         /* negotiated body type */
	int state;                /* enum db_sub_state */
	char reason[32];          /* Subscription-State reason when terminated */
	int64_t expires;          /* absolute unix seconds */
	uint32_t local_cseq;      /* last CSeq we used in a NOTIFY */
	uint32_t remote_cseq;     /* last CSeq seen in a SUBSCRIBE */
	uint32_t version;         /* winfo / rlmi version counter */
	int64_t created;
};

/* Insert; sets s->id.  DB_EEXIST when the dialog ids exist. */
int db_subscription_insert(struct db *db, struct db_subscription *s);
/* Replace every mutable column of the row with this id. */
int db_subscription_update(struct db *db, const struct db_subscription *s);
int db_subscription_delete(struct db *db, int64_t id);
int db_subscription_get(struct db *db, int64_t id, struct db_subscription *out);
int db_subscription_find(struct db *db, const char *call_id,
			 const char *local_tag, const char *remote_tag,
			 struct db_subscription *out);
/* Walk every subscription (restart), or those of one presentity and event
 * when presentity != NULL (event NULL: every event package). */
int db_subscription_foreach(struct db *db, const char *presentity,
			    const char *event,
			    int (*fn)(const struct db_subscription *s, void *arg),
			    void *arg);
/* Record the CSeq of a NOTIFY about to be sent (cheap, one column). */
int db_subscription_set_local_cseq(struct db *db, int64_t id, uint32_t cseq);
int db_subscription_count(struct db *db, int64_t *count);
/* Delete every subscription with expires <= now; *n (may be NULL) gets
 * the count. */
int db_subscription_expire(struct db *db, int64_t now, int *n);

/* ----------------------------------------------------------------- watchers */

/* The authorization state of one watcher of one presentity (RFC 3857):
 * status pending/active/waiting/terminated and the last event. */
struct db_watcher {
	char presentity[256];
	char watcher[256];
	char event[32];           /* the watched event package */
	char status[16];          /* pending, active, waiting, terminated */
	char last_event[16];      /* subscribed, approved, rejected, ... */
	char display[128];
	int64_t first_seen;
	int64_t updated;
};

/* Insert or update by (presentity, watcher, event).  first_seen is kept
 * from the first insert; first_seen/updated 0 mean "now".  status must be
 * pending, active, waiting or terminated (else DB_ECONSTRAINT). */
int db_watcher_put(struct db *db, const struct db_watcher *w);
int db_watcher_get(struct db *db, const char *presentity, const char *watcher,
		   const char *event, struct db_watcher *out);
int db_watcher_delete(struct db *db, const char *presentity,
		      const char *watcher, const char *event);
int db_watcher_foreach(struct db *db, const char *presentity,
		       int (*fn)(const struct db_watcher *w, void *arg),
		       void *arg);

/* ----------------------------------------------------------- XCAP documents */

struct db_xcap_doc {
	char auid[64];
	char xui[256];            /* "" for global documents */
	char name[256];           /* document name, e.g. index */
	char etag[64];
	int64_t modified;
	const uint8_t *body;
	size_t body_len;
};

/* Read a document.  The body is copied into a malloc'd buffer that the
 * caller frees with free(); on DB_ENOTFOUND nothing is allocated.  The
 * buffer carries one extra NUL byte after body_len (not counted), and
 * out->body points to it.  body == NULL: metadata only, nothing
 * allocated, out->body NULL, out->body_len still set. */
int db_xcap_get(struct db *db, const char *auid, const char *xui,
		const char *name, struct db_xcap_doc *out, uint8_t **body);
/*
 * Compare-and-swap write, atomic in one transaction:
 *  - if_etag == NULL: create or replace unconditionally;
 *  - if_etag == "":   create only; DB_EEXIST if the document exists;
 *  - otherwise:       replace only if the stored etag equals if_etag,
 *                     else DB_ECONFLICT (DB_ENOTFOUND if absent).
 * `doc->etag` is the new etag.  *created is set true when the document
 * did not exist before.
 */
int db_xcap_put(struct db *db, const struct db_xcap_doc *doc,
		const char *if_etag, bool *created);
/* Delete, with the same if_etag rules (NULL: unconditional; "": nothing is
 * ever deleted, DB_EEXIST or DB_ENOTFOUND; etag: DB_ECONFLICT on mismatch).
 * DB_ENOTFOUND when absent. */
int db_xcap_delete(struct db *db, const char *auid, const char *xui,
		   const char *name, const char *if_etag);
/* Walk the documents of one XUI (xui "" for global) in one AUID (auid NULL
 * for all).  Bodies are not loaded (body NULL, body_len the size). */
int db_xcap_foreach(struct db *db, const char *auid, const char *xui,
		    int (*fn)(const struct db_xcap_doc *d, void *arg),
		    void *arg);
/* Walk every document of one AUID across all XUIs (global included), in
 * (xui, name) order; bodies are not loaded as for db_xcap_foreach. */
int db_xcap_foreach_auid(struct db *db, const char *auid,
			 int (*fn)(const struct db_xcap_doc *d, void *arg),
			 void *arg);

/* ----------------------------------------------------- bootstrap sessions */

struct db_bootstrap {
	char btid[256];
	char impi[256];
	uint8_t rand[16];
	uint8_t ks[32];           /* CK || IK: a secret */
	int64_t created;
	int64_t expires;
};

/* Insert or replace by B-TID.  The IMPI must be a subscriber's (else
 * DB_ECONSTRAINT); sessions are deleted with their subscriber.
 * created 0 means "now". */
int db_bootstrap_put(struct db *db, const struct db_bootstrap *b);
int db_bootstrap_get(struct db *db, const char *btid, struct db_bootstrap *out);
int db_bootstrap_delete(struct db *db, const char *btid);
/* Delete sessions with expires <= now; *n gets the count. */
int db_bootstrap_expire(struct db *db, int64_t now, int *n);

/* --------------------------------------------------------------- audit log */

struct db_audit {
	int64_t id;
	int64_t ts;               /* unix seconds */
	char actor[256];          /* who: an identity, "presencectl", ... */
	char action[64];          /* what: "subscriber.add", "xcap.put", ... */
	char object[512];         /* on what */
	char detail[512];         /* free text, never a secret */
};

/* Append a record stamped with the store's clock; detail may be NULL. */
int db_audit_add(struct db *db, const char *actor, const char *action,
		 const char *object, const char *detail);
/* Walk the newest `limit` records, newest first (limit 0: all). */
int db_audit_foreach(struct db *db, int limit,
		     int (*fn)(const struct db_audit *a, void *arg), void *arg);

#endif /* PRESENCED_DB_H */
