/*
 * check_sip_engine.c - the engine through its public API (sip/sip.h):
 * restore of a stored subscription at create, the authorization hook,
 * and sip_engine_documents_changed() ending a subscription the policy
 * now blocks (RFC 5025 3.2.1: terminated;reason=rejected), which removes
 * it from the store once its final NOTIFY fails (RFC 6665 4.2.2; the
 * watcher's address is a closed port).
 */
#include "config.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip/sip.h"
#include "db/db.h"
#include "src/core.h"

static char dir[512], store[600];
static struct conf *conf;
static struct sip_loop *loop;

static struct {
	int calls;
	char presentity[256], watcher[256];
	bool authenticated;
	enum sip_authz_result answer;
} seen;

static int decide(void *ctx, const char *presentity, const char *watcher,
		  bool authenticated, struct sip_authz_decision *out)
{
	(void)ctx;
	seen.calls++;
	snprintf(seen.presentity, sizeof(seen.presentity), "%s", presentity);
	snprintf(seen.watcher, sizeof(seen.watcher), "%s", watcher);
	seen.authenticated = authenticated;
	out->result = seen.answer;
	out->transforms = 0;
	return 0;
}

static const struct sip_authz_ops ops = { decide };

static void set(const char *kv)
{
	char err[256];

	ck_assert_msg(conf_override(conf, kv, err, sizeof(err)) == 0, "%s", err);
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	char kv[700];
	struct db *db;
	struct db_subscription s;
	char err[256];

	memset(&seen, 0, sizeof(seen));
	log_setup(LOG_TO_STDERR, LOG_LVL_ERR, "check_sip_engine");
	snprintf(dir, sizeof(dir), "%s/check_sip_engine.XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(store, sizeof(store), "%s/store.db", dir);
	conf = conf_new();
	ck_assert_ptr_nonnull(conf);
	snprintf(kv, sizeof(kv), "store.path=%s", store);
	set(kv);
	snprintf(kv, sizeof(kv), "sip.listen=udp:127.0.0.1:%d",
		 20000 + (int)(getpid() % 20000));
	set(kv);
	set("server.domains=example.test");
	set("sip.default_policy=allow");

	/* One active subscription, as a previous run would have left it. */
	ck_assert_int_eq(db_open(&db, store, DB_OPEN_CREATE, 0, err, sizeof(err)), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.call_id, sizeof(s.call_id), "c1@test");
	snprintf(s.local_tag, sizeof(s.local_tag), "lt1");
	snprintf(s.remote_tag, sizeof(s.remote_tag), "rt1");
	snprintf(s.event, sizeof(s.event), "presence");
	snprintf(s.presentity, sizeof(s.presentity), "sip:alice@example.test");
	snprintf(s.watcher, sizeof(s.watcher), "sip:bob@example.test");
	snprintf(s.remote_uri, sizeof(s.remote_uri), "sip:bob@example.test");
	snprintf(s.local_uri, sizeof(s.local_uri), "sip:alice@example.test");
	/* Port 9 (discard) on loopback: nobody listens, the NOTIFY fails. */
	snprintf(s.remote_target, sizeof(s.remote_target), "sip:bob@127.0.0.1:9");
	snprintf(s.local_contact, sizeof(s.local_contact), "<sip:127.0.0.1>");
	snprintf(s.accept, sizeof(s.accept), "application/pidf+xml");
	s.state = DB_SUB_ACTIVE;
	s.expires = clock_now() + 600;
	s.local_cseq = 5;
	s.remote_cseq = 1;
	ck_assert_int_eq(db_subscription_insert(db, &s), 0);
	{
		struct db_subscriber sub;
		const char *impus[] = { "sip:alice@example.test" };
		memset(&sub, 0, sizeof(sub));
		snprintf(sub.impi, sizeof(sub.impi), "alice@example.test");
		ck_assert_int_eq(db_subscriber_add(db, &sub, impus, 1), 0);
	}
	db_close(db);
	ck_assert_int_eq(sip_loop_create(&loop), 0);
}

static void teardown(void)
{
	char p[700];

	clock_set_source(NULL, NULL);
	sip_loop_destroy(loop);
	conf_free(conf);
	unlink(store);
	snprintf(p, sizeof(p), "%s-wal", store);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", store);
	unlink(p);
	rmdir(dir);
}

static void stop(void *arg)
{
	sip_loop_stop(arg);
}

static int64_t stored(void)
{
	struct db *db;
	int64_t n = -1;
	char err[256];

	ck_assert_int_eq(db_open(&db, store, 0, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(db_subscription_count(db, &n), 0);
	db_close(db);
	return n;
}

START_TEST(rfc5025_3_2_1_block_after_documents_changed)
{
	struct sip_engine *e = NULL;

	ck_assert_int_eq(sip_engine_create(&e, loop, conf), 0);
	ck_assert_int_eq(stored(), 1);

	/* A policy that still allows changes nothing. */
	seen.answer = SIP_AUTHZ_ALLOW;
	sip_engine_set_authz(e, &ops, NULL);
	sip_engine_documents_changed(e, "sip:alice@example.test");
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_str_eq(seen.presentity, "sip:alice@example.test");
	ck_assert_str_eq(seen.watcher, "sip:bob@example.test");
	ck_assert(seen.authenticated);
	sip_engine_documents_changed(e, "sip:nobody@example.test");
	ck_assert_int_eq(seen.calls, 1);   /* nobody watches nobody */

	/* Now the rules block bob: rejected, final NOTIFY, gone. */
	seen.answer = SIP_AUTHZ_BLOCK;
	sip_engine_documents_changed(e, "alice@example.test"); /* bare XUI */
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_int_eq(sip_loop_every(loop, 1500, stop, loop), 0);
	sip_loop_run(loop);
	sip_engine_destroy(e);
	ck_assert_int_eq(stored(), 0);
}
END_TEST

START_TEST(rfc6665_4_1_3_noresource_when_presentity_deleted)
{
	struct sip_engine *e = NULL;
	struct db *db;
	char err[256];

	ck_assert_int_eq(sip_engine_create(&e, loop, conf), 0);
	ck_assert_int_eq(db_open(&db, store, 0, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(db_subscriber_delete(db, "alice@example.test"), 0);
	db_close(db);
	sip_engine_set_authz(e, &ops, NULL);
	sip_engine_documents_changed(e, "sip:alice@example.test");
	ck_assert_int_eq(seen.calls, 0);   /* no policy for a gone presentity */
	ck_assert_int_eq(sip_loop_every(loop, 1500, stop, loop), 0);
	sip_loop_run(loop);
	sip_engine_destroy(e);
	ck_assert_int_eq(stored(), 0);
}
END_TEST

static int64_t offset;
static int64_t shifted_clock(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL) + offset;
}

START_TEST(rfc6665_restart_drops_expired)
{
	struct sip_engine *e = NULL;

	/* Create, destroy: the subscription stays in the store. */
	ck_assert_int_eq(sip_engine_create(&e, loop, conf), 0);
	sip_engine_destroy(e);
	ck_assert_int_eq(stored(), 1);
	/* An hour later (injected clock) it has expired while "down": the
	 * next start drops it. */
	offset = 3600;
	clock_set_source(shifted_clock, NULL);
	e = NULL;
	ck_assert_int_eq(sip_engine_create(&e, loop, conf), 0);
	sip_engine_destroy(e);
	clock_set_source(NULL, NULL);
	ck_assert_int_eq(stored(), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sip_engine");
	TCase *tc = tcase_create("rfc5025_3_2_1_block_after_documents_changed");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc5025_3_2_1_block_after_documents_changed);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc6665_4_1_3_noresource_when_presentity_deleted");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc6665_4_1_3_noresource_when_presentity_deleted);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc6665_restart_drops_expired");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc6665_restart_drops_expired);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
