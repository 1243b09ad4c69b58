/*
 * check_xcap_server.c - the XCAP request handler (xcap/handler.c) and the
 * Digest authenticator (xcap/xauth.c) without the network: requests are
 * handed to xcap_handle_auth()/xcap_handle() directly, against a fresh
 * store in a temp directory and the real resource engine.
 *
 * What is proved here and not over HTTPS: the compare-and-swap retry
 * (a concurrent change is injected between the read and the write through
 * the engine's service-URI hook, which runs exactly there), that an audit
 * record and a change event follow each committed change and nothing
 * follows a refused one, and nonce expiry with an injected clock.
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/auth.h"
#include "db/db.h"
#include "src/core.h"
#include "xcap/xcap_int.h"
#include "xcap/xcap_res.h"

#ifndef PD_SRCDIR
#define PD_SRCDIR "."
#endif

static char tmpdir[512];
static char dbpath[600];
static struct db *db;

/* --------------------------------------------------------------- helpers */

/* A request's headers: NULL-terminated name/value pairs. */
struct hdrs {
	const char *kv[16];
};

static const char *hdr_get(void *hctx, const char *name)
{
	struct hdrs *h = hctx;

	for (int i = 0; h->kv[i]; i += 2)
		if (strcasecmp(h->kv[i], name) == 0)
			return h->kv[i + 1];
	return NULL;
}

/* The test authenticator: the user named in X-Test-User, else 401. */
static int stub_auth(void *ctx, const struct xcap_auth_request *req,
		     struct xcap_auth_result *res)
{
	const char *u = req->header(req->hctx, "X-Test-User");

	if (!u) {
		snprintf(res->challenge[0], sizeof(res->challenge[0]),
			 "Test realm=\"x\"");
		res->n_challenges = 1;
		return XCAP_AUTH_CHALLENGE;
	}
	snprintf(res->impi, sizeof(res->impi), "%s", u);
	return XCAP_AUTH_OK;
}

static const struct xcap_authenticator stub = {
	.name = "test", .authenticate = stub_auth,
};

struct event {
	char xui[256];
	char auid[64];
};
static struct event events[16];
static int n_events;

static void on_changed(const char *xui, const char *auid, void *arg)
{
	if (n_events < 16) {
		snprintf(events[n_events].xui, 256, "%s", xui);
		snprintf(events[n_events].auid, 64, "%s", auid);
	}
	n_events++;
}

static struct xcap_handler_cfg cfg = {
	.root = "/xcap-root",
	.base = "https://xcap.example.test",
	.max_uri = 4096,
	.rls_index_readers = "rls@example.test bob@example.test",
	.auth = &stub,
	.changed = on_changed,
};

/* Run one request through both steps; returns the status. */
static int run(const char *method, const char *uri, const char *body,
	       struct hdrs *h, struct xcap_reply *out)
{
	struct xcap_auth_result auth;
	struct xcap_req req = {
		.method = method, .uri = uri,
		.body = (const uint8_t *)body, .body_len = body ? strlen(body) : 0,
		.header = hdr_get, .hctx = h, .remote_addr = "127.0.0.1",
	};

	xcap_thread_db_set(db);
	if (xcap_handle_auth(&cfg, db, &req, &auth, out) == 0)
		xcap_handle(&cfg, db, &req, &auth, out);
	xcap_thread_db_set(NULL);
	return out->status;
}

static int audit_count_fn(const struct db_audit *a, void *arg)
{
	if (strncmp(a->action, "xcap.", 5) == 0)
		++*(int *)arg;
	return 0;
}

static int audits(void)
{
	int n = 0;

	ck_assert_int_eq(db_audit_foreach(db, 0, audit_count_fn, &n), 0);
	return n;
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	const char *s = getenv("top_srcdir");
	struct db_subscriber sub;
	const char *alice[] = { "sip:alice@example.test", "tel:+15551234" };
	const char *bob[] = { "sip:bob@example.test" };
	char err[256], dir[1024];

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_xcap_server.XXXXXX",
		 t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/store.db", tmpdir);
	ck_assert_int_eq(db_open(&db, dbpath, DB_OPEN_CREATE, 0, err,
				 sizeof(err)), 0);
	memset(&sub, 0, sizeof(sub));
	snprintf(sub.impi, sizeof(sub.impi), "alice@example.test");
	ck_assert_int_eq(db_subscriber_add(db, &sub, alice, 2), 0);
	memset(&sub, 0, sizeof(sub));
	snprintf(sub.impi, sizeof(sub.impi), "bob@example.test");
	ck_assert_int_eq(db_subscriber_add(db, &sub, bob, 1), 0);
	snprintf(dir, sizeof(dir), "%s/xcap/schemas",
		 s && *s ? s : PD_SRCDIR);
	ck_assert_int_eq(xcap_res_init(dir), 0);
	xcap_res_set_service_uri_hook(xcap_rls_service_taken, NULL);
	n_events = 0;
}

static void teardown(void)
{
	char path[1100];

	xcap_res_set_service_uri_hook(NULL, NULL);
	xcap_res_cleanup();
	db_close(db);
	db = NULL;
	snprintf(path, sizeof(path), "%s/store.db", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/store.db-wal", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/store.db-shm", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	clock_set_source(NULL, NULL);
}

#define RL_URI "/xcap-root/resource-lists/users/sip:alice@example.test/index"
#define RL_DOC "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">" \
	"<list name=\"friends\"/></resource-lists>"
#define RL_TYPE "application/resource-lists+xml"

static struct hdrs as_alice = { { "X-Test-User", "alice@example.test",
				  "Content-Type", RL_TYPE, NULL } };

/* --------------------------------------------------------------- tests */

/* RFC 4825 8.2.1 + 7.11: a created document has a strong ETag, writes
 * are audited and announced, refused writes are neither. */
START_TEST(rfc4825_8_2_put_audit_event)
{
	struct xcap_reply r;

	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &as_alice, &r), 201);
	ck_assert_msg(r.etag[0] == '"' && r.etag[strlen(r.etag) - 1] == '"',
		      "quoted ETag: %s", r.etag);
	xcap_reply_clear(&r);
	ck_assert_int_eq(audits(), 1);
	ck_assert_int_eq(n_events, 1);
	ck_assert_str_eq(events[0].xui, "sip:alice@example.test");
	ck_assert_str_eq(events[0].auid, "resource-lists");

	/* 409: nothing stored, audited or announced */
	ck_assert_int_eq(run("PUT", RL_URI, "<resource-lists", &as_alice, &r),
			 409);
	ck_assert_str_eq(r.content_type, "application/xcap-error+xml");
	xcap_reply_clear(&r);
	ck_assert_int_eq(audits(), 1);
	ck_assert_int_eq(n_events, 1);

	/* DELETE is audited and announced too */
	ck_assert_int_eq(run("DELETE", RL_URI, NULL, &as_alice, &r), 200);
	xcap_reply_clear(&r);
	ck_assert_int_eq(audits(), 2);
	ck_assert_int_eq(n_events, 2);
}
END_TEST

/* RFC 9110 13.1.1/13.1.2 as RFC 4825 7.11 uses them. */
START_TEST(rfc4825_7_11_conditional)
{
	struct xcap_reply r;
	char etag[80], inm[100];
	struct hdrs h = { { "X-Test-User", "alice@example.test",
			    "Content-Type", RL_TYPE, NULL, NULL, NULL } };

	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &as_alice, &r), 201);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	xcap_reply_clear(&r);

	h.kv[4] = "If-None-Match";
	h.kv[5] = etag;
	ck_assert_int_eq(run("GET", RL_URI, NULL, &h, &r), 304);
	ck_assert_ptr_null(r.body);
	ck_assert_str_eq(r.etag, etag);
	xcap_reply_clear(&r);
	snprintf(inm, sizeof(inm), "\"x\", W/%s", etag);  /* weak matches */
	h.kv[5] = inm;
	ck_assert_int_eq(run("GET", RL_URI, NULL, &h, &r), 304);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &h, &r), 412);
	xcap_reply_clear(&r);

	h.kv[4] = "If-Match";
	h.kv[5] = inm;      /* strong comparison: W/ never matches */
	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &h, &r), 412);
	xcap_reply_clear(&r);
	h.kv[5] = "*";
	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &h, &r), 200);
	ck_assert_str_ne(r.etag, etag);
	xcap_reply_clear(&r);
	h.kv[5] = "garbage";
	ck_assert_int_eq(run("GET", RL_URI, NULL, &h, &r), 412);
	xcap_reply_clear(&r);
}
END_TEST

/* Users act on their own IMPUs only; global documents are read-only. */
START_TEST(authorization)
{
	struct xcap_reply r;
	struct hdrs bob = { { "X-Test-User", "bob@example.test",
			      "Content-Type", RL_TYPE, NULL } };
	struct hdrs anon = { { "Content-Type", RL_TYPE, NULL } };

	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &as_alice, &r), 201);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("GET", RL_URI, NULL, &bob, &r), 403);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("PUT", RL_URI, RL_DOC, &bob, &r), 403);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("GET", RL_URI, NULL, &anon, &r), 401);
	ck_assert_int_eq(r.n_challenges, 1);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("PUT", "/xcap-root/resource-lists/users/"
			     "tel:+15551234/index", RL_DOC, &as_alice, &r), 201);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("GET", "/xcap-root/xcap-caps/global/index", NULL,
			     &bob, &r), 200);
	ck_assert_str_eq(r.content_type, "application/xcap-caps+xml");
	ck_assert(r.etag[0] == '"');
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("DELETE", "/xcap-root/xcap-caps/global/index",
			     NULL, &bob, &r), 403);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("PUT", "/xcap-root/rls-services/global/index",
			     "<x/>", &bob, &r), 403);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("POST", RL_URI, NULL, &as_alice, &r), 405);
	ck_assert_str_eq(r.allow, "GET, PUT, DELETE");
	xcap_reply_clear(&r);
	ck_assert_int_eq(audits(), 2);
}
END_TEST

/* --- compare-and-swap: a concurrent writer slips in between the read and
 * the write.  The engine calls the service-URI hook while it computes an
 * rls-services document, i.e. exactly in that window. */
static int interfere_left;

static int interfering_hook(const char *uri, const struct xcap_uri *u,
			    void *arg)
{
	static const char other[] =
		"<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"/>";
	struct db_xcap_doc d;
	bool created;

	if (interfere_left > 0) {
		interfere_left--;
		memset(&d, 0, sizeof(d));
		snprintf(d.auid, sizeof(d.auid), "rls-services");
		snprintf(d.xui, sizeof(d.xui), "sip:alice@example.test");
		snprintf(d.name, sizeof(d.name), "index");
		snprintf(d.etag, sizeof(d.etag), "intruder%d", interfere_left);
		d.body = (const uint8_t *)other;
		d.body_len = strlen(other);
		ck_assert_int_eq(db_xcap_put(db, &d, NULL, &created), 0);
	}
	return 0;
}

#define RLS_URI "/xcap-root/rls-services/users/sip:alice@example.test/index"
#define RLS_DOC "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\" " \
	"xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\">" \
	"<service uri=\"sip:mine@example.test\"><list/><packages>" \
	"<package>presence</package></packages></service></rls-services>"

START_TEST(cas_retry_and_conflict)
{
	struct xcap_reply r;
	struct db_xcap_doc d;
	uint8_t *body = NULL;
	char etag[80];
	struct hdrs h = { { "X-Test-User", "alice@example.test",
			    "Content-Type", "application/rls-services+xml",
			    NULL, NULL, NULL } };

	xcap_res_set_service_uri_hook(interfering_hook, NULL);
	interfere_left = 0;
	ck_assert_int_eq(run("PUT", RLS_URI, RLS_DOC, &h, &r), 201);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	xcap_reply_clear(&r);

	/* Unconditional: the lost race is re-run and the write lands. */
	interfere_left = 1;
	ck_assert_int_eq(run("PUT", RLS_URI, RLS_DOC, &h, &r), 200);
	xcap_reply_clear(&r);
	ck_assert_int_eq(interfere_left, 0);
	ck_assert_int_eq(db_xcap_get(db, "rls-services",
				     "sip:alice@example.test", "index", &d,
				     &body), 0);
	ck_assert_ptr_nonnull(strstr((char *)body, "sip:mine@example.test"));
	free(body);

	/* Conditional: the version named by If-Match is gone -> 412, and
	 * the intruder's document stays. */
	ck_assert_int_eq(run("GET", RLS_URI, NULL, &h, &r), 200);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	xcap_reply_clear(&r);
	h.kv[4] = "If-Match";
	h.kv[5] = etag;
	interfere_left = 1;
	ck_assert_int_eq(run("PUT", RLS_URI, RLS_DOC, &h, &r), 412);
	xcap_reply_clear(&r);
	ck_assert_int_eq(db_xcap_get(db, "rls-services",
				     "sip:alice@example.test", "index", &d,
				     &body), 0);
	ck_assert_str_eq(d.etag, "intruder0");
	free(body);

	/* A writer that always loses gives up: 503, nothing half-written. */
	h.kv[4] = NULL;
	interfere_left = 100;
	ck_assert_int_eq(run("PUT", RLS_URI, RLS_DOC, &h, &r), 503);
	xcap_reply_clear(&r);
	ck_assert_int_eq(n_events, 2);
}
END_TEST

/* RFC 4826 4.4.5: a service URI is unique across users' documents. */
START_TEST(rfc4826_4_4_5_service_uri_unique)
{
	struct xcap_reply r;
	struct hdrs a = { { "X-Test-User", "alice@example.test",
			    "Content-Type", "application/rls-services+xml",
			    NULL } };
	struct hdrs b = { { "X-Test-User", "bob@example.test",
			    "Content-Type", "application/rls-services+xml",
			    NULL } };

	ck_assert_int_eq(run("PUT", RLS_URI, RLS_DOC, &a, &r), 201);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("PUT", "/xcap-root/rls-services/users/"
			     "sip:bob@example.test/index", RLS_DOC, &b, &r),
			 409);
	ck_assert_ptr_nonnull(strstr(r.body, "uniqueness-failure"));
	xcap_reply_clear(&r);
	/* the global index is the union, served read-only, and only to the
	 * identities of xcap.rls_index_readers */
	ck_assert_int_eq(run("GET", "/xcap-root/rls-services/global/index",
			     NULL, &a, &r), 403);
	xcap_reply_clear(&r);
	ck_assert_int_eq(run("GET", "/xcap-root/rls-services/global/index",
			     NULL, &b, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "sip:mine@example.test"));
	xcap_reply_clear(&r);
}
END_TEST

/* --- the Digest authenticator with an injected clock */
static int64_t fake_now;
static int64_t fake_clock(void *arg) { return fake_now; }

static void digest_answer_alg(enum auth_digest_alg alg,
			      const char *challenge, const char *uri, int nc,
			      char *out, size_t outlen)
{
	char nonce[128] = "", ha1[65], resp[65], ncs[9];
	const char *n = strstr(challenge, "nonce=\"");
	struct auth_digest_input in = { 0 };

	ck_assert_ptr_nonnull(n);
	sscanf(n + 7, "%127[^\"]", nonce);
	ck_assert_int_eq(auth_digest_ha1(alg, "alice@example.test",
					 "example.test", "pw", ha1,
					 sizeof(ha1)), 0);
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	in.alg = alg;
	in.ha1_hex = ha1;
	in.nonce = nonce;
	in.nc = ncs;
	in.cnonce = "c0ffee";
	in.qop = "auth";
	in.method = "GET";
	in.uri = uri;
	ck_assert_int_eq(auth_digest_response(&in, resp, sizeof(resp)), 0);
	snprintf(out, outlen, "Digest username=\"alice@example.test\", "
		 "realm=\"example.test\", nonce=\"%s\", uri=\"%s\", "
		 "algorithm=%s, qop=auth, nc=%s, cnonce=\"c0ffee\", "
		 "response=\"%s\"", nonce, uri,
		 alg == AUTH_DIGEST_MD5 ? "MD5" : "SHA-256", ncs, resp);
}

static void digest_answer(const char *challenge, const char *uri, int nc,
			  char *out, size_t outlen)
{
	digest_answer_alg(AUTH_DIGEST_SHA256, challenge, uri, nc, out, outlen);
}

START_TEST(rfc7616_3_3_stale_and_replay)
{
	struct conf *c = conf_new();
	struct db_subscriber s;
	void *ctx = NULL;
	struct xcap_auth_request req = { 0 };
	struct xcap_auth_result res;
	struct hdrs none = { { NULL } };
	char cred[1024], challenge[512];
	char err[128];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(conf_override(c, "xcap.nonce_lifetime=60", err,
				       sizeof(err)), 0);
	fake_now = 1000000;
	clock_set_source(fake_clock, NULL);
	ck_assert_int_eq(db_subscriber_get(db, "alice@example.test", &s), 0);
	snprintf(s.realm, sizeof(s.realm), "example.test");
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, s.impi, s.realm,
					 "pw", s.ha1_sha256,
					 sizeof(s.ha1_sha256)), 0);
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, s.impi, s.realm,
					 "pw", s.ha1_md5, sizeof(s.ha1_md5)), 0);
	ck_assert_int_eq(db_subscriber_delete(db, s.impi), 0);
	{
		const char *impus[] = { "sip:alice@example.test" };

		ck_assert_int_eq(db_subscriber_add(db, &s, impus, 1), 0);
	}
	ck_assert_int_eq(xcap_auth_digest.create(&ctx, c), 0);
	req.method = "GET";
	req.uri = RL_URI;
	req.header = hdr_get;
	req.hctx = &none;
	req.db = db;

	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(xcap_auth_digest.authenticate(ctx, &req, &res),
			 XCAP_AUTH_CHALLENGE);
	ck_assert_int_eq(res.n_challenges, 2);
	ck_assert_ptr_nonnull(strstr(res.challenge[0], "algorithm=SHA-256"));
	ck_assert_ptr_nonnull(strstr(res.challenge[1], "algorithm=MD5"));
	snprintf(challenge, sizeof(challenge), "%s", res.challenge[0]);
	{	/* the MD5 challenge works as well */
		char md5ch[512];

		snprintf(md5ch, sizeof(md5ch), "%s", res.challenge[1]);
		digest_answer_alg(AUTH_DIGEST_MD5, md5ch, RL_URI, 1, cred,
				  sizeof(cred));
		req.authorization = cred;
		memset(&res, 0, sizeof(res));
		ck_assert_int_eq(xcap_auth_digest.authenticate(ctx, &req, &res),
				 XCAP_AUTH_OK);
		ck_assert_str_eq(res.impi, "alice@example.test");
	}

	digest_answer(challenge, RL_URI, 1, cred, sizeof(cred));
	req.authorization = cred;
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(xcap_auth_digest.authenticate(ctx, &req, &res),
			 XCAP_AUTH_OK);
	ck_assert_str_eq(res.impi, "alice@example.test");
	ck_assert_ptr_nonnull(strstr(res.auth_info, "rspauth="));

	/* the same nc again: a replay, re-challenged with stale=true */
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(xcap_auth_digest.authenticate(ctx, &req, &res),
			 XCAP_AUTH_CHALLENGE);
	ck_assert_ptr_nonnull(strstr(res.challenge[0], "stale=true"));

	/* the next nc, but after the nonce lifetime: stale=true */
	fake_now += 61;
	digest_answer(challenge, RL_URI, 2, cred, sizeof(cred));
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(xcap_auth_digest.authenticate(ctx, &req, &res),
			 XCAP_AUTH_CHALLENGE);
	ck_assert_ptr_nonnull(strstr(res.challenge[0], "stale=true"));

	/* the digest uri must be the request-target */
	fake_now -= 61;
	digest_answer(challenge, "/elsewhere", 3, cred, sizeof(cred));
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(xcap_auth_digest.authenticate(ctx, &req, &res),
			 XCAP_AUTH_CHALLENGE);
	ck_assert_ptr_null(strstr(res.challenge[0], "stale=true"));

	xcap_auth_digest.destroy(ctx);
	conf_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xcap_server");
	TCase *tc;

	tc = tcase_create("rfc4825_8_2_put_audit_event");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc4825_8_2_put_audit_event);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc4825_7_11_conditional");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc4825_7_11_conditional);
	suite_add_tcase(s, tc);
	tc = tcase_create("authorization");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, authorization);
	suite_add_tcase(s, tc);
	tc = tcase_create("cas_retry_and_conflict");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cas_retry_and_conflict);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc4826_4_4_5_service_uri_unique");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc4826_4_4_5_service_uri_unique);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc7616_3_3_stale_and_replay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc7616_3_3_stale_and_replay);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
