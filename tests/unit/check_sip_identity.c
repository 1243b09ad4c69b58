/*
 * check_sip_identity.c - the watcher-identity glue of sip/ (identity.c):
 * trusted-peer lists, and Digest answers checked against a subscriber in
 * a real (temporary) store through auth/ (RFC 3261 22, RFC 7616, RFC 8760).
 */
#include "config.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sip/engine_int.h"
#include "auth/auth.h"
#include "db/db.h"
#include "src/core.h"

static char tmpdir[512];
static char path[600];
static struct db *db;
static struct auth_digest *dg;

#define REALM "example.test"
#define IMPI "alice@example.test"
#define IMPU "sip:alice@example.test"
#define IMPU2 "sip:alice.work@example.test"
#define PASSWORD "secret"
#define RURI "sip:bob@example.test"

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	struct db_subscriber s;
	const char *impus[] = { IMPU, IMPU2 };
	char err[256];

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_sip_identity.XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/store.db", tmpdir);
	ck_assert_int_eq(db_open(&db, path, DB_OPEN_CREATE, 0, err, sizeof(err)), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.impi, sizeof(s.impi), IMPI);
	snprintf(s.realm, sizeof(s.realm), REALM);
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, IMPI, REALM, PASSWORD,
					 s.ha1_md5, sizeof(s.ha1_md5)), 0);
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, IMPI, REALM,
					 PASSWORD, s.ha1_sha256,
					 sizeof(s.ha1_sha256)), 0);
	ck_assert_int_eq(db_subscriber_add(db, &s, impus, 2), 0);
	ck_assert_int_eq(auth_digest_create(&dg, NULL), 0);
}

static void teardown(void)
{
	char p[700];

	auth_digest_destroy(dg);
	db_close(db);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(tmpdir);
}

/* Build an Authorization value answering a fresh challenge. */
static void answer(enum auth_digest_alg alg, const char *password,
		   const char *method, const char *uri, const char *nc,
		   char *out, size_t outlen, char *nonce_out)
{
	char ch[AUTH_DIGEST_CHALLENGE_SIZE], ha1[65], resp[65];
	char *n, *q;
	struct auth_digest_input in = { 0 };

	ck_assert_int_eq(auth_digest_challenge(dg, REALM, alg, false, ch,
					       sizeof(ch)), 0);
	n = strstr(ch, "nonce=\"");
	ck_assert_ptr_nonnull(n);
	n += 7;
	q = strchr(n, '"');
	ck_assert_ptr_nonnull(q);
	memcpy(nonce_out, n, (size_t)(q - n));
	nonce_out[q - n] = '\0';
	ck_assert_int_eq(auth_digest_ha1(alg, IMPI, REALM, password, ha1,
					 sizeof(ha1)), 0);
	in.alg = alg;
	in.ha1_hex = ha1;
	in.nonce = nonce_out;
	in.nc = nc;
	in.cnonce = "c0ffee";
	in.qop = "auth";
	in.method = method;
	in.uri = uri;
	ck_assert_int_eq(auth_digest_response(&in, resp, sizeof(resp)), 0);
	snprintf(out, outlen,
		 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		 "response=\"%s\", algorithm=%s, qop=auth, nc=%s, cnonce=\"c0ffee\"",
		 IMPI, REALM, nonce_out, uri, resp,
		 alg == AUTH_DIGEST_MD5 ? "MD5" : "SHA-256", nc);
}

static int check_it(const char *authz, const char *from, bool md5, bool sha,
		    struct sip_identity *id, bool *stale)
{
	struct sip_digest_req req = { authz, "SUBSCRIBE", RURI, from, md5, sha };
	char realm[256];

	return sip_digest_check(dg, db, &req, id, stale, realm, sizeof(realm));
}

START_TEST(rfc3261_22_digest_md5_and_sha256)
{
	char authz[1024], nonce[128];
	struct sip_identity id;
	bool stale;

	answer(AUTH_DIGEST_MD5, PASSWORD, "SUBSCRIBE", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU, true, true, &id, &stale), 0);
	ck_assert(id.authenticated);
	ck_assert_str_eq(id.uri, IMPU);
	ck_assert_str_eq(id.impi, IMPI);

	answer(AUTH_DIGEST_SHA256, PASSWORD, "SUBSCRIBE", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU2, true, true, &id, &stale), 0);
	ck_assert_str_eq(id.uri, IMPU2);   /* the From IMPU, it is alice's */
}
END_TEST

START_TEST(ts33141_4_identity_never_the_bare_from)
{
	char authz[1024], nonce[128];
	struct sip_identity id;
	bool stale;

	/* Alice authenticates but claims to be carol in From: she is
	 * identified as her own default IMPU, not as carol. */
	answer(AUTH_DIGEST_MD5, PASSWORD, "SUBSCRIBE", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, "sip:carol@example.test", true, true,
				  &id, &stale), 0);
	ck_assert_str_eq(id.uri, IMPU);
}
END_TEST

START_TEST(rfc7616_3_4_wrong_password_replay_and_method)
{
	char authz[1024], nonce[128];
	struct sip_identity id;
	bool stale;

	answer(AUTH_DIGEST_MD5, "wrong", "SUBSCRIBE", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU, true, true, &id, &stale), -1);
	ck_assert(!stale);

	answer(AUTH_DIGEST_MD5, PASSWORD, "SUBSCRIBE", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU, true, true, &id, &stale), 0);
	/* The same nc again is a replay: refused, re-challenge stale. */
	ck_assert_int_eq(check_it(authz, IMPU, true, true, &id, &stale), -1);
	ck_assert(stale);

	/* Computed for PUBLISH, presented with a SUBSCRIBE. */
	answer(AUTH_DIGEST_MD5, PASSWORD, "PUBLISH", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU, true, true, &id, &stale), -1);

	/* For another Request-URI. */
	answer(AUTH_DIGEST_MD5, PASSWORD, "SUBSCRIBE", "sip:eve@example.test",
	       "00000001", authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU, true, true, &id, &stale), -1);
}
END_TEST

START_TEST(rfc8760_algorithm_not_offered)
{
	char authz[1024], nonce[128];
	struct sip_identity id;
	bool stale;

	answer(AUTH_DIGEST_SHA256, PASSWORD, "SUBSCRIBE", RURI, "00000001",
	       authz, sizeof(authz), nonce);
	ck_assert_int_eq(check_it(authz, IMPU, true, false, &id, &stale), -1);
	ck_assert_int_eq(check_it("Digest garbage", IMPU, true, true, &id,
				  &stale), -1);
	ck_assert_int_eq(check_it(NULL, IMPU, true, true, &id, &stale), -1);
}
END_TEST

START_TEST(rfc3325_trusted_peer_lists)
{
	struct sip_peer_net n[8];

	ck_assert_int_eq(sip_peers_parse("", n, 8), 0);
	ck_assert_int_eq(sip_peers_parse("127.0.0.1 10.0.0.0/8, ::1 2001:db8::/32",
					 n, 8), 4);
	ck_assert_int_eq(n[0].family, AF_INET);
	ck_assert_uint_eq(n[0].prefix, 32);
	ck_assert_uint_eq(n[1].prefix, 8);
	ck_assert_int_eq(n[2].family, AF_INET6);
	ck_assert_uint_eq(n[2].prefix, 128);
	ck_assert_uint_eq(n[3].prefix, 32);
	ck_assert_int_eq(sip_peers_parse("10.0.0.0/33", n, 8), -1);
	ck_assert_int_eq(sip_peers_parse("example.test", n, 8), -1);
	ck_assert_int_eq(sip_peers_parse("::1/129", n, 8), -1);
	ck_assert_int_eq(sip_peers_parse("1.2.3.4/x", n, 8), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sip_identity");
	struct { const char *name; const TTest *t; } cases[] = {
		{ "rfc3261_22_digest_md5_and_sha256", rfc3261_22_digest_md5_and_sha256 },
		{ "ts33141_4_identity_never_the_bare_from", ts33141_4_identity_never_the_bare_from },
		{ "rfc7616_3_4_wrong_password_replay_and_method", rfc7616_3_4_wrong_password_replay_and_method },
		{ "rfc8760_algorithm_not_offered", rfc8760_algorithm_not_offered },
		{ "rfc3325_trusted_peer_lists", rfc3325_trusted_peer_lists },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].t);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	log_setup(LOG_TO_STDERR, LOG_LVL_ERR, "check_sip_identity");
	return check_main_run(suite());
}
