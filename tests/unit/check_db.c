/*
 * check_db.c - unit tests of the SQLite store (db/): schema and
 * migrations, every operation's round trip and error codes, the XCAP
 * compare-and-swap rules, transactions, and two threads writing at once
 * through their own connections.
 *
 * Every test works on a fresh store in a mkdtemp directory under $TMPDIR
 * (default /tmp), removed in the teardown.  Time comes from an injected
 * clock (db_set_clock), never from sleeping.
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"

static char tmpdir[4096];
static char store[4200];
static struct db *db;
static int64_t test_now = 1000000;

static int64_t test_clock(void *arg)
{
	return *(int64_t *)arg;
}

static void path_in_tmp(char *out, size_t len, const char *name)
{
	ck_assert_int_lt(snprintf(out, len, "%s/%s", tmpdir, name), (int)len);
}

static struct db *open_store(const char *path, int flags)
{
	struct db *h = NULL;
	char err[256] = "";
	int rc = db_open(&h, path, flags, 0, err, sizeof err);

	ck_assert_msg(rc == 0, "db_open: %d %s", rc, err);
	ck_assert_ptr_nonnull(h);
	db_set_clock(h, test_clock, &test_now);
	return h;
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	ck_assert_int_lt(snprintf(tmpdir, sizeof tmpdir, "%s/check_db.XXXXXX",
				  base), (int)sizeof tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	path_in_tmp(store, sizeof store, "store.db");
	db = open_store(store, DB_OPEN_CREATE);
}

static void teardown(void)
{
	char p[8192];
	struct dirent *e;
	DIR *d;

	db_close(db);
	db = NULL;
	d = opendir(tmpdir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
}

/* Raw SQLite access, only to fake stores the API must refuse. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *h = NULL;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void make_sub(struct db_subscriber *s, const char *impi)
{
	int i;

	memset(s, 0, sizeof *s);
	snprintf(s->impi, sizeof s->impi, "%s", impi);
	for (i = 0; i < DB_KEY_LEN; i++) {
		s->k[i] = (uint8_t)(0xa0 + i);
		s->opc[i] = (uint8_t)(0x10 + i);
	}
	s->amf[0] = 0x80;
	s->amf[1] = 0x01;
	s->sqn = 0xfffffffffffeULL;
	snprintf(s->realm, sizeof s->realm, "example.test");
	snprintf(s->ha1_md5, sizeof s->ha1_md5, "%032x", 0x1234abcd);
	snprintf(s->ha1_sha256, sizeof s->ha1_sha256, "%064x", 0x5678ef);
}

static void add_sub(const char *impi, const char *impu)
{
	struct db_subscriber s;
	const char *u[] = { impu };

	make_sub(&s, impi);
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), 0);
}

/* ---------------------------------------------------------------- schema */

START_TEST(schema_fresh_create)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	struct stat sb;
	int v = -1;

	ck_assert_int_eq(db_schema_version(db, &v), 0);
	ck_assert_int_eq(v, DB_SCHEMA_VERSION);
	/* The store holds secrets: owner-only. */
	ck_assert_int_eq(stat(store, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 077, 0);
	/* WAL is a property of the file: visible to any other reader. */
	ck_assert_int_eq(sqlite3_open(store, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st,
					    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(h);
}
END_TEST

START_TEST(schema_reopen_idempotent)
{
	struct db_subscriber s;
	int v = -1;

	add_sub("alice@example.test", "sip:alice@example.test");
	db_close(db);
	db = open_store(store, 0);
	ck_assert_int_eq(db_schema_version(db, &v), 0);
	ck_assert_int_eq(v, DB_SCHEMA_VERSION);
	ck_assert_int_eq(db_subscriber_get(db, "alice@example.test", &s), 0);
	db_close(db);
	db = open_store(store, DB_OPEN_CREATE);
	ck_assert_int_eq(db_subscriber_get(db, "alice@example.test", &s), 0);
}
END_TEST

START_TEST(schema_newer_refused)
{
	struct db *h = (struct db *)&h; /* sentinel: must stay untouched */
	char err[256] = "";

	db_close(db);
	db = NULL;
	raw_exec(store, "PRAGMA user_version = 7");
	ck_assert_int_eq(db_open(&h, store, 0, 0, err, sizeof err),
			 DB_EVERSION);
	ck_assert_ptr_eq(h, (struct db *)&h);
	ck_assert_ptr_nonnull(strstr(err, "store schema version 7 is newer "
				     "than this presenced (1); upgrade "
				     "presenced"));
	ck_assert_int_eq(db_open(&h, store, DB_OPEN_READONLY, 0, err,
				 sizeof err), DB_EVERSION);
}
END_TEST

START_TEST(schema_migrate_from_v0)
{
	char p[4300];
	struct db *h;
	FILE *f;
	int v = -1;
	int64_t n = -1;

	/* An empty file is an SQLite database at user_version 0. */
	path_in_tmp(p, sizeof p, "v0.db");
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	h = open_store(p, 0);
	ck_assert_int_eq(db_schema_version(h, &v), 0);
	ck_assert_int_eq(v, DB_SCHEMA_VERSION);
	ck_assert_int_eq(db_subscriber_count(h, &n), 0);
	ck_assert_int_eq(n, 0);
	db_close(h);

	/* A v0 store that cannot be migrated is left untouched (one
	 * transaction): a clashing table makes step 0 -> 1 fail. */
	path_in_tmp(p, sizeof p, "clash.db");
	raw_exec(p, "CREATE TABLE audit (x); PRAGMA user_version = 0");
	h = NULL;
	ck_assert_int_eq(db_open(&h, p, 0, 0, NULL, 0), DB_EIO);
	ck_assert_ptr_null(h);
	raw_exec(p, "DROP TABLE audit");
	/* Would fail on "table subscriber already exists" had step 0 -> 1
	 * been left half-done. */
	h = open_store(p, 0);
	ck_assert_int_eq(db_schema_version(h, &v), 0);
	ck_assert_int_eq(v, DB_SCHEMA_VERSION);
	db_close(h);
}
END_TEST

START_TEST(schema_open_errors)
{
	struct db *h = NULL;
	char p[4300], err[256] = "";

	path_in_tmp(p, sizeof p, "missing.db");
	ck_assert_int_eq(db_open(&h, p, 0, 0, err, sizeof err), DB_EIO);
	ck_assert_ptr_null(h);
	ck_assert_int_ne(err[0], '\0');
	ck_assert_int_eq(db_open(&h, p, DB_OPEN_CREATE | DB_OPEN_READONLY, 0,
				 err, sizeof err), DB_EINVAL);
	ck_assert_int_eq(db_open(NULL, p, 0, 0, NULL, 0), DB_EINVAL);
	ck_assert_int_eq(db_open(&h, p, 0, -1, NULL, 0), DB_EINVAL);
	ck_assert_ptr_null(h);
	db_close(NULL);
}
END_TEST

START_TEST(schema_readonly)
{
	struct db *ro;
	struct db_subscriber s;
	const char *u[] = { "sip:bob@example.test" };

	add_sub("alice@example.test", "sip:alice@example.test");
	ro = open_store(store, DB_OPEN_READONLY);
	ck_assert_int_eq(db_subscriber_get(ro, "alice@example.test", &s), 0);
	make_sub(&s, "bob@example.test");
	ck_assert_int_eq(db_subscriber_add(ro, &s, u, 1), DB_EIO);
	db_close(ro);
}
END_TEST

/* ------------------------------------------------------------ subscribers */

static int collect_impi(const struct db_subscriber *s, void *arg)
{
	char *buf = arg;

	strcat(buf, s->impi);
	strcat(buf, ";");
	return 0;
}

static int stop_at_first(const struct db_subscriber *s, void *arg)
{
	(*(int *)arg)++;
	return 42;
}

START_TEST(subscriber_round_trip)
{
	struct db_subscriber s, g;
	const char *u[] = { "sip:alice@example.test", "tel:+15551234" };
	char buf[512] = "";
	int64_t n = 0;
	int calls = 0;

	make_sub(&s, "alice@example.test");
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 2), 0);
	ck_assert_int_gt(s.id, 0);
	ck_assert_int_eq(s.created, test_now);
	ck_assert_int_eq(db_subscriber_get(db, "alice@example.test", &g), 0);
	ck_assert_int_eq(memcmp(&s, &g, sizeof s), 0);
	ck_assert_int_eq(db_subscriber_by_impu(db, "tel:+15551234", &g), 0);
	ck_assert_str_eq(g.impi, "alice@example.test");
	ck_assert_int_eq(db_subscriber_by_impu(db, "sip:nobody@x", &g),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_get(db, "nobody@example.test", &g),
			 DB_ENOTFOUND);

	/* Optional secrets: no password, empty HA1. */
	make_sub(&s, "bob@example.test");
	s.ha1_md5[0] = s.ha1_sha256[0] = s.realm[0] = '\0';
	u[0] = "sip:bob@example.test";
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), 0);
	ck_assert_int_eq(db_subscriber_get(db, "bob@example.test", &g), 0);
	ck_assert_str_eq(g.ha1_md5, "");

	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(db_subscriber_foreach(db, collect_impi, buf), 0);
	ck_assert_str_eq(buf, "alice@example.test;bob@example.test;");
	ck_assert_int_eq(db_subscriber_foreach(db, stop_at_first, &calls), 42);
	ck_assert_int_eq(calls, 1);

	ck_assert_int_eq(db_subscriber_set_sqn(db, "bob@example.test", 77), 0);
	ck_assert_int_eq(db_subscriber_get(db, "bob@example.test", &g), 0);
	ck_assert_uint_eq(g.sqn, 77);
	ck_assert_int_eq(db_subscriber_set_sqn(db, "nobody", 1), DB_ENOTFOUND);
	/* SQN is 48 bits (TS 33.102 section 6.3.2). */
	ck_assert_int_eq(db_subscriber_set_sqn(db, "bob@example.test",
					       1ULL << 48), DB_ECONSTRAINT);
	ck_assert_int_eq(db_subscriber_set_sqn(db, "bob@example.test",
					       UINT64_MAX), DB_ECONSTRAINT);
	ck_assert_int_eq(db_subscriber_set_sqn(db, "bob@example.test",
					       (1ULL << 48) - 1), 0);
}
END_TEST

START_TEST(subscriber_duplicates_atomic)
{
	struct db_subscriber s, g;
	const char *u1[] = { "sip:alice@example.test" };
	const char *u2[] = { "sip:carol@example.test", "sip:alice@example.test" };
	const char *u3[] = { "sip:dave@example.test", "sip:dave@example.test" };
	int64_t n = 0;
	bool yes = true;

	add_sub("alice@example.test", "sip:alice@example.test");
	make_sub(&s, "alice@example.test");
	s.id = -5;
	ck_assert_int_eq(db_subscriber_add(db, &s, u1, 1), DB_EEXIST);
	ck_assert_int_eq(s.id, -5);
	/* The second IMPU collides: carol must not be half-added. */
	make_sub(&s, "carol@example.test");
	ck_assert_int_eq(db_subscriber_add(db, &s, u2, 2), DB_EEXIST);
	ck_assert_int_eq(db_subscriber_get(db, "carol@example.test", &g),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_impu_exists(db, "sip:carol@example.test", &yes), 0);
	ck_assert(!yes);
	make_sub(&s, "dave@example.test");
	ck_assert_int_eq(db_subscriber_add(db, &s, u3, 2), DB_EEXIST);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_subscriber_add(db, &s, u1, 0), DB_EINVAL);
}
END_TEST

START_TEST(subscriber_constraints_no_secret_leak)
{
	struct db_subscriber s;
	const char *u[] = { "sip:eve@example.test" };
	char impi[300];

	make_sub(&s, "eve@example.test");
	/* Upper-case or short HA1 violates the CHECK; the message names the
	 * constraint, never the value. */
	snprintf(s.ha1_md5, sizeof s.ha1_md5, "%s",
		 "0123456789ABCDEF0123456789ABCDEF");
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), DB_ECONSTRAINT);
	ck_assert_ptr_null(strstr(db_errmsg(db), s.ha1_md5));
	ck_assert_ptr_null(strstr(db_errmsg(db), "0123456789"));
	snprintf(s.ha1_md5, sizeof s.ha1_md5, "abc");
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), DB_ECONSTRAINT);
	make_sub(&s, "eve@example.test");
	s.sqn = 1ULL << 48;
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), DB_ECONSTRAINT);

	/* 255 bytes fit impi[256] and round-trip; 256 would not. */
	memset(impi, 'a', 255);
	impi[255] = '\0';
	make_sub(&s, impi);
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), 0);
	ck_assert_int_eq(db_subscriber_get(db, impi, &s), 0);
	ck_assert_str_eq(s.impi, impi);
	memset(impi, 'b', 256);
	impi[256] = '\0';
	ck_assert_int_eq(db_subscriber_get(db, impi, &s), DB_EINVAL);
	ck_assert_int_eq(db_subscriber_delete(db, impi), DB_EINVAL);
	/* An unterminated field is refused, not read past. */
	make_sub(&s, "x@example.test");
	memset(s.realm, 'r', sizeof s.realm);
	u[0] = "sip:x@example.test";
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 1), DB_EINVAL);
}
END_TEST

START_TEST(subscriber_delete_cascades)
{
	struct db_bootstrap b, g;
	struct db_subscriber s;
	bool yes = false;

	add_sub("alice@example.test", "sip:alice@example.test");
	ck_assert_int_eq(db_impu_add(db, "alice@example.test",
				     "sip:a2@example.test"), 0);
	memset(&b, 0, sizeof b);
	snprintf(b.btid, sizeof b.btid, "rand@bsf.example.test");
	snprintf(b.impi, sizeof b.impi, "alice@example.test");
	b.expires = test_now + 3600;
	ck_assert_int_eq(db_bootstrap_put(db, &b), 0);

	ck_assert_int_eq(db_subscriber_delete(db, "alice@example.test"), 0);
	ck_assert_int_eq(db_subscriber_get(db, "alice@example.test", &s),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_impu_exists(db, "sip:alice@example.test", &yes), 0);
	ck_assert(!yes);
	ck_assert_int_eq(db_impu_exists(db, "sip:a2@example.test", &yes), 0);
	ck_assert(!yes);
	ck_assert_int_eq(db_bootstrap_get(db, "rand@bsf.example.test", &g),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_subscriber_delete(db, "alice@example.test"),
			 DB_ENOTFOUND);
	/* The IMPU is free again. */
	add_sub("alice2@example.test", "sip:alice@example.test");
}
END_TEST

/* ------------------------------------------------------ public identities */

static int collect_impu(const struct db_impu *u, void *arg)
{
	char *buf = arg;

	strcat(buf, u->is_default ? "*" : "");
	strcat(buf, u->uri);
	strcat(buf, ";");
	ck_assert_str_eq(u->impi, "alice@example.test");
	return 0;
}

START_TEST(impu_operations)
{
	char buf[512] = "", def[64];
	bool yes = false;

	add_sub("alice@example.test", "sip:zz-alice@example.test");
	add_sub("bob@example.test", "sip:bob@example.test");
	ck_assert_int_eq(db_impu_add(db, "alice@example.test",
				     "sip:aa-alice@example.test"), 0);
	ck_assert_int_eq(db_impu_add(db, "alice@example.test",
				     "sip:bob@example.test"), DB_EEXIST);
	ck_assert_int_eq(db_impu_add(db, "nobody@example.test",
				     "sip:n@example.test"), DB_ENOTFOUND);
	/* Default first, though it sorts last. */
	ck_assert_int_eq(db_impu_foreach(db, "alice@example.test",
					 collect_impu, buf), 0);
	ck_assert_str_eq(buf, "*sip:zz-alice@example.test;"
			 "sip:aa-alice@example.test;");
	ck_assert_int_eq(db_impu_default(db, "alice@example.test", def,
					 sizeof def), 0);
	ck_assert_str_eq(def, "sip:zz-alice@example.test");
	ck_assert_int_eq(db_impu_default(db, "alice@example.test", def, 5),
			 DB_EINVAL);
	ck_assert_int_eq(db_impu_default(db, "nobody", def, sizeof def),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_impu_belongs(db, "alice@example.test",
					 "sip:aa-alice@example.test", &yes), 0);
	ck_assert(yes);
	ck_assert_int_eq(db_impu_belongs(db, "alice@example.test",
					 "sip:bob@example.test", &yes), 0);
	ck_assert(!yes);
	ck_assert_int_eq(db_impu_exists(db, "sip:bob@example.test", &yes), 0);
	ck_assert(yes);
	ck_assert_int_eq(db_impu_exists(db, "sip:carol@example.test", &yes), 0);
	ck_assert(!yes);
}
END_TEST

/* ----------------------------------------------------------- publications */

struct pub_seen {
	int n;
	char etags[256];
	char bodies[256];
};

static int collect_pub(const struct db_publication *p, void *arg)
{
	struct pub_seen *seen = arg;

	seen->n++;
	strcat(seen->etags, p->etag);
	strcat(seen->etags, ";");
	strncat(seen->bodies, (const char *)p->body, p->body_len);
	strcat(seen->bodies, ";");
	return 0;
}

static void expired_pub(const struct db_publication *p, void *arg)
{
	collect_pub(p, arg);
}

static void make_pub(struct db_publication *p, const char *etag,
		     const char *presentity, const char *body, int64_t expires)
{
	memset(p, 0, sizeof *p);
	snprintf(p->etag, sizeof p->etag, "%s", etag);
	snprintf(p->presentity, sizeof p->presentity, "%s", presentity);
	snprintf(p->event, sizeof p->event, "presence");
	snprintf(p->content_type, sizeof p->content_type,
		 "application/pidf+xml");
	p->expires = expires;
	p->body = (const uint8_t *)body;
	p->body_len = strlen(body);
}

START_TEST(rfc3903_publication_store)
{
	struct db_publication p;
	struct pub_seen seen;
	int n = -1;

	make_pub(&p, "e1", "sip:alice@example.test", "<one/>", test_now + 60);
	ck_assert_int_eq(db_publication_put(db, &p), 0);
	test_now++;
	make_pub(&p, "e2", "sip:alice@example.test", "<two/>", test_now + 10);
	ck_assert_int_eq(db_publication_put(db, &p), 0);
	test_now++;
	make_pub(&p, "e3", "sip:bob@example.test", "<three/>", test_now + 60);
	ck_assert_int_eq(db_publication_put(db, &p), 0);

	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(db_publication_foreach(db, "sip:alice@example.test",
						"presence", collect_pub, &seen), 0);
	ck_assert_str_eq(seen.etags, "e1;e2;");
	ck_assert_str_eq(seen.bodies, "<one/>;<two/>;");
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(db_publication_foreach(db, "sip:alice@example.test",
						"dialog", collect_pub, &seen), 0);
	ck_assert_int_eq(seen.n, 0);
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(db_publication_foreach(db, NULL, NULL, collect_pub,
						&seen), 0);
	ck_assert_int_eq(seen.n, 3);

	/* Refresh (section 4.3): new etag and expiry, body kept. */
	test_now++;
	make_pub(&p, "e1b", "sip:alice@example.test", "", test_now + 120);
	p.body = NULL;
	p.body_len = 0;
	ck_assert_int_eq(db_publication_update(db, "e1", &p), 0);
	/* Modify (section 4.4): new body too. */
	test_now++;
	make_pub(&p, "e2b", "sip:alice@example.test", "<two-b/>", test_now + 10);
	ck_assert_int_eq(db_publication_update(db, "e2", &p), 0);
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(db_publication_foreach(db, "sip:alice@example.test",
						NULL, collect_pub, &seen), 0);
	ck_assert_str_eq(seen.etags, "e1b;e2b;");
	ck_assert_str_eq(seen.bodies, "<one/>;<two-b/>;");
	ck_assert_int_eq(db_publication_update(db, "e1", &p), DB_ENOTFOUND);
	make_pub(&p, "e3", "sip:alice@example.test", "<x/>", test_now);
	ck_assert_int_eq(db_publication_update(db, "e1b", &p), DB_EEXIST);
	ck_assert_int_eq(db_publication_put(db, &p), 0); /* replace by etag */

	/* Expiry: e3 (now) and e2b (now + 10) at now + 10, not e1b. */
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(db_publication_expire(db, test_now + 10, expired_pub,
					       &seen, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_str_eq(seen.etags, "e3;e2b;");
	ck_assert_int_eq(db_publication_expire(db, test_now + 10, NULL, NULL,
					       &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(db_publication_delete(db, "e1b"), 0);
	ck_assert_int_eq(db_publication_delete(db, "e1b"), DB_ENOTFOUND);
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(db_publication_foreach(db, NULL, NULL, collect_pub,
						&seen), 0);
	ck_assert_int_eq(seen.n, 0);
}
END_TEST

/* ---------------------------------------------------------- subscriptions */

static void make_subs(struct db_subscription *s, const char *call_id,
		      const char *presentity, int64_t expires)
{
	memset(s, 0, sizeof *s);
	snprintf(s->call_id, sizeof s->call_id, "%s", call_id);
	snprintf(s->local_tag, sizeof s->local_tag, "lt-%s", call_id);
	snprintf(s->remote_tag, sizeof s->remote_tag, "rt-%s", call_id);
	snprintf(s->event, sizeof s->event, "presence");
	snprintf(s->presentity, sizeof s->presentity, "%s", presentity);
	snprintf(s->watcher, sizeof s->watcher, "sip:bob@example.test");
	snprintf(s->watcher_display, sizeof s->watcher_display, "Bob");
	snprintf(s->remote_uri, sizeof s->remote_uri, "sip:bob@example.test");
	snprintf(s->local_uri, sizeof s->local_uri, "%s", presentity);
	snprintf(s->remote_target, sizeof s->remote_target,
		 "sip:bob@192.0.2.1:5060;transport=tcp");
	snprintf(s->route_set, sizeof s->route_set,
		 "<sip:p1.example.test;lr>,<sip:p2.example.test;lr>");
	snprintf(s->local_contact, sizeof s->local_contact,
		 "sip:presence@127.0.0.1:5060");
	snprintf(s->accept, sizeof s->accept, "application/pidf+xml");
	s->state = DB_SUB_ACTIVE;
	s->expires = expires;
	s->local_cseq = 1;
	s->remote_cseq = UINT32_MAX;
	s->version = 3;
}

static int count_subs(const struct db_subscription *s, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

START_TEST(rfc6665_subscription_store)
{
	struct db_subscription s, g;
	int64_t n64 = 0, id;
	int n = 0;

	make_subs(&s, "c1", "sip:alice@example.test", test_now + 100);
	ck_assert_int_eq(db_subscription_insert(db, &s), 0);
	ck_assert_int_gt(s.id, 0);
	ck_assert_int_eq(s.created, test_now);
	id = s.id;
	ck_assert_int_eq(db_subscription_get(db, id, &g), 0);
	ck_assert_int_eq(memcmp(&s, &g, sizeof s), 0);
	ck_assert_int_eq(db_subscription_find(db, "c1", "lt-c1", "rt-c1", &g), 0);
	ck_assert_int_eq(g.id, id);
	ck_assert_int_eq(db_subscription_find(db, "c1", "lt-c1", "other", &g),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_subscription_get(db, id + 100, &g), DB_ENOTFOUND);
	/* Same dialog ids (RFC 3261 section 12): duplicate. */
	ck_assert_int_eq(db_subscription_insert(db, &s), DB_EEXIST);

	/* Update rewrites the mutable columns, not the dialog ids. */
	s.state = DB_SUB_TERMINATED;
	snprintf(s.reason, sizeof s.reason, "timeout");
	s.remote_cseq = 9;
	snprintf(s.remote_target, sizeof s.remote_target, "sip:bob@198.51.100.7");
	snprintf(s.call_id, sizeof s.call_id, "ignored");
	ck_assert_int_eq(db_subscription_update(db, &s), 0);
	ck_assert_int_eq(db_subscription_get(db, id, &g), 0);
	ck_assert_int_eq(g.state, DB_SUB_TERMINATED);
	ck_assert_str_eq(g.reason, "timeout");
	ck_assert_str_eq(g.remote_target, "sip:bob@198.51.100.7");
	ck_assert_str_eq(g.call_id, "c1");
	ck_assert_uint_eq(g.remote_cseq, 9);
	ck_assert_int_eq(db_subscription_set_local_cseq(db, id, 4000000000u), 0);
	ck_assert_int_eq(db_subscription_get(db, id, &g), 0);
	ck_assert_uint_eq(g.local_cseq, 4000000000u);
	ck_assert_int_eq(db_subscription_set_local_cseq(db, id + 100, 1),
			 DB_ENOTFOUND);
	s.id = id + 100;
	ck_assert_int_eq(db_subscription_update(db, &s), DB_ENOTFOUND);

	/* Constraints and bounds. */
	make_subs(&s, "c2", "sip:alice@example.test", test_now + 10);
	s.state = 7;
	ck_assert_int_eq(db_subscription_insert(db, &s), DB_ECONSTRAINT);
	s.state = DB_SUB_PENDING;
	memset(s.route_set, 'r', sizeof s.route_set - 1);
	s.route_set[sizeof s.route_set - 1] = '\0';
	ck_assert_int_eq(db_subscription_insert(db, &s), 0);
	ck_assert_int_eq(db_subscription_get(db, s.id, &g), 0);
	ck_assert_str_eq(g.route_set, s.route_set);
	make_subs(&s, "c3", "sip:carol@example.test", test_now + 50);
	memset(s.route_set, 'r', sizeof s.route_set);
	ck_assert_int_eq(db_subscription_insert(db, &s), DB_EINVAL);
	make_subs(&s, "c3", "sip:carol@example.test", test_now + 50);
	snprintf(s.event, sizeof s.event, "presence.winfo");
	ck_assert_int_eq(db_subscription_insert(db, &s), 0);

	ck_assert_int_eq(db_subscription_count(db, &n64), 0);
	ck_assert_int_eq(n64, 3);
	n = 0;
	ck_assert_int_eq(db_subscription_foreach(db, "sip:alice@example.test",
						 "presence", count_subs, &n), 0);
	ck_assert_int_eq(n, 2);
	n = 0;
	ck_assert_int_eq(db_subscription_foreach(db, "sip:carol@example.test",
						 "presence", count_subs, &n), 0);
	ck_assert_int_eq(n, 0);
	n = 0;
	ck_assert_int_eq(db_subscription_foreach(db, "sip:carol@example.test",
						 NULL, count_subs, &n), 0);
	ck_assert_int_eq(n, 1);
	n = 0;
	ck_assert_int_eq(db_subscription_foreach(db, NULL, NULL, count_subs,
						 &n), 0);
	ck_assert_int_eq(n, 3);

	/* Expiry: c2 (now + 10) and c3 (now + 50), not c1 (now + 100). */
	ck_assert_int_eq(db_subscription_expire(db, test_now + 50, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(db_subscription_delete(db, id), 0);
	ck_assert_int_eq(db_subscription_delete(db, id), DB_ENOTFOUND);
	ck_assert_int_eq(db_subscription_count(db, &n64), 0);
	ck_assert_int_eq(n64, 0);
}
END_TEST

/* --------------------------------------------------------------- watchers */

static int collect_watcher(const struct db_watcher *w, void *arg)
{
	strcat(arg, w->watcher);
	strcat(arg, ";");
	return 0;
}

START_TEST(rfc3857_watcher_store)
{
	struct db_watcher w, g;
	char buf[256] = "";
	int64_t first;

	memset(&w, 0, sizeof w);
	snprintf(w.presentity, sizeof w.presentity, "sip:alice@example.test");
	snprintf(w.watcher, sizeof w.watcher, "sip:bob@example.test");
	snprintf(w.event, sizeof w.event, "presence");
	snprintf(w.status, sizeof w.status, "pending");
	snprintf(w.last_event, sizeof w.last_event, "subscribed");
	snprintf(w.display, sizeof w.display, "Bob");
	ck_assert_int_eq(db_watcher_put(db, &w), 0);
	first = test_now;
	ck_assert_int_eq(db_watcher_get(db, w.presentity, w.watcher, "presence",
					&g), 0);
	ck_assert_str_eq(g.status, "pending");
	ck_assert_int_eq(g.first_seen, first);
	ck_assert_int_eq(g.updated, first);

	test_now += 30;
	snprintf(w.status, sizeof w.status, "active");
	snprintf(w.last_event, sizeof w.last_event, "approved");
	ck_assert_int_eq(db_watcher_put(db, &w), 0);
	ck_assert_int_eq(db_watcher_get(db, w.presentity, w.watcher, "presence",
					&g), 0);
	ck_assert_str_eq(g.status, "active");
	ck_assert_str_eq(g.last_event, "approved");
	ck_assert_int_eq(g.first_seen, first);
	ck_assert_int_eq(g.updated, test_now);

	snprintf(w.watcher, sizeof w.watcher, "sip:carol@example.test");
	ck_assert_int_eq(db_watcher_put(db, &w), 0);
	snprintf(w.status, sizeof w.status, "bogus");
	ck_assert_int_eq(db_watcher_put(db, &w), DB_ECONSTRAINT);
	ck_assert_int_eq(db_watcher_foreach(db, "sip:alice@example.test",
					    collect_watcher, buf), 0);
	ck_assert_str_eq(buf, "sip:bob@example.test;sip:carol@example.test;");
	ck_assert_int_eq(db_watcher_delete(db, "sip:alice@example.test",
					   "sip:bob@example.test", "presence"), 0);
	ck_assert_int_eq(db_watcher_delete(db, "sip:alice@example.test",
					   "sip:bob@example.test", "presence"),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_watcher_get(db, "sip:alice@example.test",
					"sip:bob@example.test", "presence", &g),
			 DB_ENOTFOUND);
}
END_TEST

/* ----------------------------------------------------------------- XCAP */

static void make_doc(struct db_xcap_doc *d, const char *auid, const char *xui,
		     const char *name, const char *etag, const char *body)
{
	memset(d, 0, sizeof *d);
	snprintf(d->auid, sizeof d->auid, "%s", auid);
	snprintf(d->xui, sizeof d->xui, "%s", xui);
	snprintf(d->name, sizeof d->name, "%s", name);
	snprintf(d->etag, sizeof d->etag, "%s", etag);
	d->body = (const uint8_t *)body;
	d->body_len = strlen(body);
}

static int collect_doc(const struct db_xcap_doc *d, void *arg)
{
	char *buf = arg;

	ck_assert_ptr_null(d->body);
	sprintf(buf + strlen(buf), "%s/%s/%s:%zu;", d->auid, d->xui, d->name,
		d->body_len);
	return 0;
}

#define RULES "pres-rules"
#define ALICE "sip:alice@example.test"

START_TEST(rfc4825_7_11_etag_cas)
{
	struct db_xcap_doc d, g;
	uint8_t *body = NULL;
	bool created = false;

	/* NULL: unconditional create. */
	make_doc(&d, RULES, ALICE, "index", "e1", "<rules/>");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, &created), 0);
	ck_assert(created);
	ck_assert_int_eq(db_xcap_get(db, RULES, ALICE, "index", &g, &body), 0);
	ck_assert_str_eq(g.etag, "e1");
	ck_assert_uint_eq(g.body_len, 8);
	ck_assert_ptr_eq(g.body, body);
	ck_assert_int_eq(memcmp(body, "<rules/>", 9), 0); /* NUL included */
	ck_assert_int_eq(g.modified, test_now);
	free(body);
	body = NULL;
	ck_assert_int_eq(db_xcap_get(db, RULES, ALICE, "nope", &g, &body),
			 DB_ENOTFOUND);
	ck_assert_ptr_null(body);
	ck_assert_int_eq(db_xcap_get(db, RULES, ALICE, "index", &g, NULL), 0);
	ck_assert_ptr_null(g.body);
	ck_assert_uint_eq(g.body_len, 8);

	/* "": create only. */
	make_doc(&d, RULES, ALICE, "index", "e2", "<rules>2</rules>");
	ck_assert_int_eq(db_xcap_put(db, &d, "", &created), DB_EEXIST);
	/* Stale etag: conflict, nothing written. */
	ck_assert_int_eq(db_xcap_put(db, &d, "e0", &created), DB_ECONFLICT);
	ck_assert_int_eq(db_xcap_get(db, RULES, ALICE, "index", &g, NULL), 0);
	ck_assert_str_eq(g.etag, "e1");
	/* Matching etag: replace. */
	ck_assert_int_eq(db_xcap_put(db, &d, "e1", &created), 0);
	ck_assert(!created);
	/* The old etag no longer matches: a second PUT with it loses. */
	make_doc(&d, RULES, ALICE, "index", "e3", "<rules>3</rules>");
	ck_assert_int_eq(db_xcap_put(db, &d, "e1", &created), DB_ECONFLICT);
	/* Etag on an absent document. */
	make_doc(&d, RULES, ALICE, "other", "e9", "<rules/>");
	ck_assert_int_eq(db_xcap_put(db, &d, "e1", &created), DB_ENOTFOUND);
	ck_assert_int_eq(db_xcap_put(db, &d, "", &created), 0);
	ck_assert(created);
	/* An empty etag cannot be stored (it would defeat the rules). */
	make_doc(&d, RULES, ALICE, "x", "", "<rules/>");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, &created), DB_ECONSTRAINT);

	/* Delete with the same rules. */
	ck_assert_int_eq(db_xcap_delete(db, RULES, ALICE, "index", "e1"),
			 DB_ECONFLICT);
	ck_assert_int_eq(db_xcap_delete(db, RULES, ALICE, "index", ""),
			 DB_EEXIST);
	ck_assert_int_eq(db_xcap_delete(db, RULES, ALICE, "index", "e2"), 0);
	ck_assert_int_eq(db_xcap_delete(db, RULES, ALICE, "index", "e2"),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_xcap_delete(db, RULES, ALICE, "other", NULL), 0);
	ck_assert_int_eq(db_xcap_delete(db, RULES, ALICE, "other", NULL),
			 DB_ENOTFOUND);
}
END_TEST

START_TEST(rfc4825_6_2_documents_by_xui_and_auid)
{
	struct db_xcap_doc d;
	char buf[1024] = "";

	make_doc(&d, RULES, ALICE, "index", "a", "12345");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, NULL), 0);
	make_doc(&d, "resource-lists", ALICE, "index", "b", "123");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, NULL), 0);
	make_doc(&d, "rls-services", ALICE, "index", "c", "1");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, NULL), 0);
	make_doc(&d, "rls-services", "sip:bob@example.test", "index", "d", "12");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, NULL), 0);
	make_doc(&d, "rls-services", "", "index", "e", "");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, NULL), 0);

	ck_assert_int_eq(db_xcap_foreach(db, NULL, ALICE, collect_doc, buf), 0);
	ck_assert_str_eq(buf, RULES "/" ALICE "/index:5;"
			 "resource-lists/" ALICE "/index:3;"
			 "rls-services/" ALICE "/index:1;");
	buf[0] = '\0';
	ck_assert_int_eq(db_xcap_foreach(db, "rls-services", "", collect_doc,
					 buf), 0);
	ck_assert_str_eq(buf, "rls-services//index:0;");
	buf[0] = '\0';
	ck_assert_int_eq(db_xcap_foreach_auid(db, "rls-services", collect_doc,
					      buf), 0);
	ck_assert_str_eq(buf, "rls-services//index:0;"
			 "rls-services/" ALICE "/index:1;"
			 "rls-services/sip:bob@example.test/index:2;");
}
END_TEST

/* ------------------------------------------------------------- bootstrap */

START_TEST(ts33220_bootstrap_store)
{
	struct db_bootstrap b, g;
	int i, n = -1;

	add_sub("alice@example.test", "sip:alice@example.test");
	memset(&b, 0, sizeof b);
	snprintf(b.btid, sizeof b.btid, "AAAA@bsf.example.test");
	snprintf(b.impi, sizeof b.impi, "alice@example.test");
	for (i = 0; i < 16; i++)
		b.rand[i] = (uint8_t)i;
	for (i = 0; i < 32; i++)
		b.ks[i] = (uint8_t)(255 - i);
	b.expires = test_now + 100;
	ck_assert_int_eq(db_bootstrap_put(db, &b), 0);
	b.created = test_now;
	ck_assert_int_eq(db_bootstrap_get(db, b.btid, &g), 0);
	ck_assert_int_eq(memcmp(&b, &g, sizeof b), 0);
	ck_assert_int_eq(db_bootstrap_get(db, "none@bsf", &g), DB_ENOTFOUND);
	/* Re-bootstrap under the same B-TID replaces. */
	b.expires = test_now + 200;
	ck_assert_int_eq(db_bootstrap_put(db, &b), 0);
	ck_assert_int_eq(db_bootstrap_get(db, b.btid, &g), 0);
	ck_assert_int_eq(g.expires, test_now + 200);
	/* Unknown IMPI: foreign key. */
	snprintf(b.btid, sizeof b.btid, "BBBB@bsf.example.test");
	snprintf(b.impi, sizeof b.impi, "mallory@example.test");
	ck_assert_int_eq(db_bootstrap_put(db, &b), DB_ECONSTRAINT);
	snprintf(b.impi, sizeof b.impi, "alice@example.test");
	b.expires = test_now + 50;
	ck_assert_int_eq(db_bootstrap_put(db, &b), 0);

	ck_assert_int_eq(db_bootstrap_expire(db, test_now + 100, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_bootstrap_get(db, "BBBB@bsf.example.test", &g),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_bootstrap_delete(db, "AAAA@bsf.example.test"), 0);
	ck_assert_int_eq(db_bootstrap_delete(db, "AAAA@bsf.example.test"),
			 DB_ENOTFOUND);
}
END_TEST

/* ----------------------------------------------------------------- audit */

static int collect_audit(const struct db_audit *a, void *arg)
{
	char *buf = arg;

	sprintf(buf + strlen(buf), "%s:%s:%s:%s;", a->actor, a->action,
		a->object, a->detail);
	return 0;
}

START_TEST(audit_log)
{
	char buf[1024] = "", big[600];

	ck_assert_int_eq(db_audit_add(db, "presencectl", "subscriber.add",
				      "alice@example.test", NULL), 0);
	ck_assert_int_eq(db_audit_add(db, "sip:alice@example.test", "xcap.put",
				      "pres-rules/index", "etag e1"), 0);
	ck_assert_int_eq(db_audit_add(db, "x", "y", "z", "w"), 0);
	ck_assert_int_eq(db_audit_foreach(db, 2, collect_audit, buf), 0);
	ck_assert_str_eq(buf, "x:y:z:w;sip:alice@example.test:xcap.put:"
			 "pres-rules/index:etag e1;");
	buf[0] = '\0';
	ck_assert_int_eq(db_audit_foreach(db, 0, collect_audit, buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "presencectl:subscriber.add:"
				     "alice@example.test:;"));
	memset(big, 'd', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(db_audit_add(db, "a", "b", "c", big), DB_EINVAL);
	ck_assert_int_eq(db_audit_add(db, NULL, "b", "c", NULL), DB_EINVAL);
	ck_assert_int_eq(db_audit_foreach(db, -1, collect_audit, buf),
			 DB_EINVAL);
}
END_TEST

/* ---------------------------------------------------------- transactions */

START_TEST(txn_rollback_leaves_nothing)
{
	struct db_xcap_doc d;
	int64_t n = -1;

	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_begin(db), DB_EINVAL);
	add_sub("alice@example.test", "sip:alice@example.test");
	ck_assert_int_eq(db_audit_add(db, "t", "subscriber.add", "alice", NULL),
			 0);
	make_doc(&d, RULES, ALICE, "index", "e1", "<r/>");
	ck_assert_int_eq(db_xcap_put(db, &d, "", NULL), 0);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_rollback(db), 0);
	ck_assert_int_eq(db_rollback(db), DB_EINVAL);
	ck_assert_int_eq(db_commit(db), DB_EINVAL);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(db_xcap_get(db, RULES, ALICE, "index", &d, NULL),
			 DB_ENOTFOUND);

	/* Closing with an open transaction rolls it back too. */
	ck_assert_int_eq(db_begin(db), 0);
	add_sub("bob@example.test", "sip:bob@example.test");
	db_close(db);
	db = open_store(store, 0);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(txn_bulk_and_failed_call_inside)
{
	struct db_subscriber s;
	const char *u[] = { "sip:new@example.test", "sip:u0@example.test" };
	char impi[64], impu[64];
	int64_t n = -1;
	bool yes = true;
	int i;

	ck_assert_int_eq(db_begin(db), 0);
	for (i = 0; i < 200; i++) {
		snprintf(impi, sizeof impi, "u%d@example.test", i);
		snprintf(impu, sizeof impu, "sip:u%d@example.test", i);
		add_sub(impi, impu);
	}
	/* A failing multi-statement call inside the transaction is undone
	 * alone (its first IMPU was inserted before the duplicate hit). */
	make_sub(&s, "new@example.test");
	ck_assert_int_eq(db_subscriber_add(db, &s, u, 2), DB_EEXIST);
	ck_assert_int_eq(db_subscriber_get(db, "new@example.test", &s),
			 DB_ENOTFOUND);
	ck_assert_int_eq(db_impu_exists(db, "sip:new@example.test", &yes), 0);
	ck_assert(!yes);
	ck_assert_int_eq(db_commit(db), 0);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 200);
}
END_TEST

static int reenter(const struct db_subscriber *s, void *arg)
{
	struct db_subscriber g;
	int rc;

	/* Reading through another statement is fine... */
	ck_assert_int_eq(db_subscriber_get(db, s->impi, &g), 0);
	/* ...re-running the walk from inside it is refused. */
	rc = db_subscriber_foreach(db, reenter, arg);
	ck_assert_int_eq(rc, DB_EINVAL);
	(*(int *)arg)++;
	return 0;
}

START_TEST(foreach_reentry_refused)
{
	int n = 0;

	add_sub("alice@example.test", "sip:alice@example.test");
	add_sub("bob@example.test", "sip:bob@example.test");
	ck_assert_int_eq(db_subscriber_foreach(db, reenter, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(db_strerror(DB_ECONFLICT), "etag mismatch");
}
END_TEST

/* ----------------------------------------------------------- concurrency */

#define N_PER_THREAD 500

struct writer {
	int no;
	int failures;
	int last_rc;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct db_subscription s;
	struct db *h = NULL;
	char call_id[64], obj[64];
	int i, rc;

	if (db_open(&h, store, 0, 0, NULL, 0) != 0) {
		w->failures = -1;
		return NULL;
	}
	for (i = 0; i < N_PER_THREAD; i++) {
		snprintf(call_id, sizeof call_id, "t%d-%d", w->no, i);
		make_subs(&s, call_id, "sip:alice@example.test", 1000);
		rc = db_subscription_insert(h, &s);
		if (rc != 0) {
			w->failures++;
			w->last_rc = rc;
		}
		snprintf(obj, sizeof obj, "t%d-%d", w->no, i);
		rc = db_audit_add(h, "thread", "subscription.add", obj, NULL);
		if (rc != 0) {
			w->failures++;
			w->last_rc = rc;
		}
	}
	db_close(h);
	return NULL;
}

static int count_audit(const struct db_audit *a, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

START_TEST(wal_two_writers)
{
	struct writer w[2] = { { .no = 0 }, { .no = 1 } };
	pthread_t t[2];
	int64_t n = 0;
	int i, audits = 0;

	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer_main, &w[i]),
				 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 2; i++)
		ck_assert_msg(w[i].failures == 0, "thread %d: %d failures, "
			      "last %s", i, w[i].failures,
			      db_strerror(w[i].last_rc));
	ck_assert_int_eq(db_subscription_count(db, &n), 0);
	ck_assert_int_eq(n, 2 * N_PER_THREAD);
	ck_assert_int_eq(db_audit_foreach(db, 0, count_audit, &audits), 0);
	ck_assert_int_eq(audits, 2 * N_PER_THREAD);
}
END_TEST

/* Two connections race PUTs carrying the same If-Match: in every round
 * exactly one may win (architecture notes, "XCAP: Writes"). */
#define CAS_ROUNDS 200

struct racer {
	pthread_barrier_t *bar;
	int no;
	int wins;
	int losses;
	int errors;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct db_xcap_doc d, g;
	struct db *h = NULL;
	char etag[64], seen[64];
	int i, rc;

	if (db_open(&h, store, 0, 0, NULL, 0) != 0)
		r->errors++;
	for (i = 0; i < CAS_ROUNDS; i++) {
		pthread_barrier_wait(r->bar);
		seen[0] = '\0';
		if (h != NULL &&
		    db_xcap_get(h, RULES, ALICE, "index", &g, NULL) == 0)
			snprintf(seen, sizeof seen, "%s", g.etag);
		/* Both have read the same etag before either writes. */
		pthread_barrier_wait(r->bar);
		snprintf(etag, sizeof etag, "r%d-t%d", i, r->no);
		make_doc(&d, RULES, ALICE, "index", etag, "<rules/>");
		rc = h != NULL ? db_xcap_put(h, &d, seen, NULL) : DB_EIO;
		if (rc == 0)
			r->wins++;
		else if (rc == DB_ECONFLICT)
			r->losses++;
		else
			r->errors++;
		pthread_barrier_wait(r->bar);
	}
	db_close(h);
	return NULL;
}

START_TEST(rfc4825_7_11_cas_race)
{
	struct racer r[2];
	struct db_xcap_doc d;
	pthread_barrier_t bar;
	pthread_t t[2];
	int i;

	make_doc(&d, RULES, ALICE, "index", "start", "<rules/>");
	ck_assert_int_eq(db_xcap_put(db, &d, NULL, NULL), 0);
	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof r[i]);
		r[i].bar = &bar;
		r[i].no = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer_main, &r[i]),
				 0);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&bar);
	ck_assert_int_eq(r[0].errors + r[1].errors, 0);
	ck_assert_int_eq(r[0].wins + r[1].wins, CAS_ROUNDS);
	ck_assert_int_eq(r[0].losses + r[1].losses, CAS_ROUNDS);
}
END_TEST

/* ------------------------------------------------------------------ main */

static Suite *db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc;

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, schema_fresh_create);
	tcase_add_test(tc, schema_reopen_idempotent);
	tcase_add_test(tc, schema_newer_refused);
	tcase_add_test(tc, schema_migrate_from_v0);
	tcase_add_test(tc, schema_open_errors);
	tcase_add_test(tc, schema_readonly);
	suite_add_tcase(s, tc);

	tc = tcase_create("subscriber");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, subscriber_round_trip);
	tcase_add_test(tc, subscriber_duplicates_atomic);
	tcase_add_test(tc, subscriber_constraints_no_secret_leak);
	tcase_add_test(tc, subscriber_delete_cascades);
	tcase_add_test(tc, impu_operations);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3903_publication");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc3903_publication_store);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc6665_subscription");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc6665_subscription_store);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3857_watcher");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc3857_watcher_store);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc4825_xcap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc4825_7_11_etag_cas);
	tcase_add_test(tc, rfc4825_6_2_documents_by_xui_and_auid);
	tcase_add_test(tc, rfc4825_7_11_cas_race);
	suite_add_tcase(s, tc);

	tc = tcase_create("ts33220_bootstrap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ts33220_bootstrap_store);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, audit_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("transaction");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, txn_rollback_leaves_nothing);
	tcase_add_test(tc, txn_bulk_and_failed_call_inside);
	tcase_add_test(tc, foreach_reentry_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, wal_two_writers);
	suite_add_tcase(s, tc);

	return s;
}

CHECK_MAIN(db_suite)
