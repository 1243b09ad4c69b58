/*
 * check_digest.c - Digest authentication (auth/auth.h, Digest section):
 * the RFC 7616 and RFC 2617 response vectors, the credential parser on
 * valid and hostile input (fixture tests/fixtures/digest/), challenges,
 * nonce integrity, expiry with an injected clock, nonce-count replay, the
 * bounded nonce table, realm/uri/method/password checks, and concurrent
 * use of one verifier from several threads.
 */
#include "config.h"
#include "auth/auth.h"
#include "src/core.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ fixtures */

/* RFC 7616 section 3.9.1. */
#define RFC_USER   "Mufasa"
#define RFC_REALM  "http-auth@example.org"
#define RFC_PASS   "Circle of Life"
#define RFC_NONCE  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC_URI    "/dir/index.html"
#define RFC_MD5    "8ca523f5e9506fed4657c9700eebdbec"
#define RFC_SHA256 \
	"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

#define REALM "example.test"
#define USER  "alice@example.test"
#define PASS  "s3cret pass"
#define URI   "sip:bob@example.test"

static int64_t fake_now;

static int64_t fake_clock(void *arg)
{
	return *(int64_t *)arg;
}

static struct auth_digest *d;

static void setup(void)
{
	struct auth_digest_params p = { .nonce_lifetime_s = 60,
					.max_nonces = 64 };

	fake_now = 1700000000;
	clock_set_source(fake_clock, &fake_now);
	ck_assert_int_eq(auth_digest_create(&d, &p), 0);
}

static void teardown(void)
{
	auth_digest_destroy(d);
	d = NULL;
	clock_set_source(NULL, NULL);
}

/* A soft client: what a UA puts in Authorization after a challenge. */
struct client {
	enum auth_digest_alg alg;
	const char *algorithm;   /* as written on the wire */
	bool sess;
	const char *user, *realm, *password;
	const char *method, *uri, *cnonce;
	unsigned nc;
};

static void client_defaults(struct client *c, enum auth_digest_alg alg)
{
	*c = (struct client){
		.alg = alg,
		.algorithm = alg == AUTH_DIGEST_SHA256 ? "SHA-256" : "MD5",
		.user = USER, .realm = REALM, .password = PASS,
		.method = "SUBSCRIBE", .uri = URI, .cnonce = "0a4f113b",
		.nc = 1,
	};
}

static void nonce_of(const char *challenge, char *nonce, size_t len)
{
	const char *p = strstr(challenge, "nonce=\"");
	const char *e;

	ck_assert_ptr_nonnull(p);
	p += 7;
	e = strchr(p, '"');
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - p), len);
	memcpy(nonce, p, (size_t)(e - p));
	nonce[e - p] = '\0';
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Fresh challenge for the client's algorithm; returns its nonce. */
static void challenge(const struct client *c, char *nonce, size_t len)
{
	char buf[AUTH_DIGEST_CHALLENGE_SIZE];

	ck_assert_int_eq(auth_digest_challenge(d, REALM, c->alg, false, buf,
					       sizeof(buf)), 0);
	nonce_of(buf, nonce, len);
}

/* Build the Authorization value the client sends for `nonce`. */
static void answer(const struct client *c, const char *nonce, char *out,
		   size_t outlen)
{
	char ha1[65], rsp[65], nc[9];
	struct auth_digest_input in = {
		.alg = c->alg, .sess = c->sess, .ha1_hex = ha1, .nonce = nonce,
		.nc = nc, .cnonce = c->cnonce, .qop = "auth",
		.method = c->method, .uri = c->uri,
	};

	snprintf(nc, sizeof(nc), "%08x", c->nc);
	ck_assert_int_eq(auth_digest_ha1(c->alg, c->user, c->realm,
					 c->password, ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_response(&in, rsp, sizeof(rsp)), 0);
	snprintf(out, outlen, "Digest username=\"%s\", realm=\"%s\", "
		 "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=%s, "
		 "cnonce=\"%s\", qop=auth, nc=%s",
		 c->user, c->realm, nonce, c->uri, rsp, c->algorithm,
		 c->cnonce, nc);
}

/* Parse `value` and verify it as the server for user USER / PASS. */
static enum auth_digest_result server_verify(const char *value,
					     const char *method,
					     const char *uri)
{
	struct auth_digest_cred cred;
	struct auth_digest_check chk = { method, uri, REALM, NULL };
	enum auth_digest_result res;
	char ha1[65];

	ck_assert_int_eq(auth_digest_parse(value, strlen(value), &cred), 0);
	ck_assert(cred.alg_known);
	ck_assert_int_eq(auth_digest_ha1(cred.alg, USER, REALM, PASS, ha1,
					 sizeof(ha1)), 0);
	chk.ha1_hex = ha1;
	ck_assert_int_eq(auth_digest_verify(d, &cred, &chk, &res), 0);
	return res;
}

/* Challenge, answer, verify with the client as given. */
static enum auth_digest_result round_trip(const struct client *c,
					  const char *nonce)
{
	char value[2048];

	answer(c, nonce, value, sizeof(value));
	return server_verify(value, "SUBSCRIBE", URI);
}

/* ------------------------------------------- rfc7616_3_9_1_example */

START_TEST(rfc7616_example_responses)
{
	struct auth_digest_input in = {
		.nonce = RFC_NONCE, .nc = "00000001", .cnonce = RFC_CNONCE,
		.qop = "auth", .method = "GET", .uri = RFC_URI,
	};
	char ha1[65], out[65];

	in.ha1_hex = ha1;
	in.alg = AUTH_DIGEST_MD5;
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, RFC_USER, RFC_REALM,
					 RFC_PASS, ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, RFC_MD5);

	in.alg = AUTH_DIGEST_SHA256;
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, RFC_USER,
					 RFC_REALM, RFC_PASS, ha1,
					 sizeof(ha1)), 0);
	ck_assert_uint_eq(strlen(ha1), 64);
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, RFC_SHA256);

	/* Upper-case stored HA1 digits give the same answer. */
	for (char *p = ha1; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, RFC_SHA256);
}
END_TEST

START_TEST(rfc7616_example_parse)
{
	/* The SHA-256 Authorization of 3.9.1, folded as SIP allows. */
	static const char v[] =
		"Digest username=\"Mufasa\",\r\n"
		"    realm=\"http-auth@example.org\",\r\n"
		"    uri=\"/dir/index.html\",\r\n"
		"    algorithm=SHA-256,\r\n"
		"    nonce=\"" RFC_NONCE "\",\r\n"
		"    nc=00000001,\r\n"
		"    cnonce=\"" RFC_CNONCE "\",\r\n"
		"    qop=auth,\r\n"
		"    response=\"" RFC_SHA256 "\",\r\n"
		"    opaque=\"" RFC_OPAQUE "\"";
	struct auth_digest_cred c;

	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);
	ck_assert_str_eq(c.username, RFC_USER);
	ck_assert_str_eq(c.realm, RFC_REALM);
	ck_assert_str_eq(c.uri, RFC_URI);
	ck_assert_str_eq(c.algorithm, "SHA-256");
	ck_assert(c.alg_known);
	ck_assert_int_eq(c.alg, AUTH_DIGEST_SHA256);
	ck_assert(!c.sess);
	ck_assert_str_eq(c.nonce, RFC_NONCE);
	ck_assert_str_eq(c.nc, "00000001");
	ck_assert_uint_eq(c.nc_value, 1);
	ck_assert_str_eq(c.cnonce, RFC_CNONCE);
	ck_assert_str_eq(c.qop, "auth");
	ck_assert_str_eq(c.response, RFC_SHA256);
	ck_assert_str_eq(c.opaque, RFC_OPAQUE);
	ck_assert(!c.userhash);
}
END_TEST

START_TEST(rfc7616_example_rspauth)
{
	/* Authentication-Info for the 3.9.1 request.  The RFC gives no
	 * rspauth vector; these were computed independently (Python
	 * hashlib) with A2 = ":" uri, RFC 7616 3.5. */
	static const char v[] =
		"Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
		"uri=\"/dir/index.html\", algorithm=MD5, nonce=\"" RFC_NONCE
		"\", nc=00000001, cnonce=\"" RFC_CNONCE "\", qop=auth, "
		"response=\"" RFC_MD5 "\"";
	struct auth_digest_cred c;
	char ha1[65], info[AUTH_DIGEST_AUTH_INFO_SIZE];

	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, RFC_USER, RFC_REALM,
					 RFC_PASS, ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_auth_info(&c, ha1, info, sizeof(info)), 0);
	ck_assert_str_eq(info, "qop=auth, "
			 "rspauth=\"9b712497bc9f91499fbcca1dfc5f09a5\", "
			 "cnonce=\"" RFC_CNONCE "\", nc=00000001");
	ck_assert_int_eq(auth_digest_auth_info(&c, ha1, info, 20), -ENOSPC);
	ck_assert_str_eq(info, "");

	c.alg = AUTH_DIGEST_SHA256;
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, RFC_USER,
					 RFC_REALM, RFC_PASS, ha1,
					 sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_auth_info(&c, ha1, info, sizeof(info)), 0);
	ck_assert_ptr_nonnull(strstr(info, "rspauth=\"86d3b25618d41854ca5039"
		"a5d7e53ff6355d5134a9b1fb088a78ac3c462195a0\""));
}
END_TEST

START_TEST(rfc7616_3_4_2_sess)
{
	/* -sess variants on the 3.9.1 inputs (independently computed). */
	struct auth_digest_input in = {
		.sess = true, .nonce = RFC_NONCE, .nc = "00000001",
		.cnonce = RFC_CNONCE, .qop = "auth", .method = "GET",
		.uri = RFC_URI,
	};
	char ha1[65], out[65];

	in.ha1_hex = ha1;
	in.alg = AUTH_DIGEST_MD5;
	ck_assert_int_eq(auth_digest_ha1(in.alg, RFC_USER, RFC_REALM, RFC_PASS,
					 ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "e783283f46242139c486a698fec7211d");
	in.alg = AUTH_DIGEST_SHA256;
	ck_assert_int_eq(auth_digest_ha1(in.alg, RFC_USER, RFC_REALM, RFC_PASS,
					 ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2fd51b3a77ad75bad6afad6003e818d767133c4"
			 "6d9e2749e7f5232ae1ea3efd7");
}
END_TEST

START_TEST(response_argument_checks)
{
	char ha1[65], out[65];
	struct auth_digest_input in = {
		.alg = AUTH_DIGEST_SHA256, .ha1_hex = ha1, .nonce = "n",
		.nc = "00000001", .cnonce = "c", .qop = "auth",
		.method = "GET", .uri = "/",
	};

	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, "u", "r", "p",
					 ha1, 64), -ENOSPC);
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, "u", "r", "p",
					 ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_ha1((enum auth_digest_alg)7, "u", "r",
					 "p", ha1, sizeof(ha1)), -EINVAL);
	ck_assert_int_eq(auth_digest_response(&in, out, 64), -ENOSPC);
	in.alg = AUTH_DIGEST_MD5;      /* a SHA-256 HA1 for MD5 */
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), -EINVAL);
	in.alg = AUTH_DIGEST_SHA256;
	in.cnonce = NULL;              /* qop without cnonce */
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), -EINVAL);
	in.cnonce = "c";
	ha1[3] = 'x';
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), -EINVAL);
	ck_assert_uint_eq(auth_digest_hex_len(AUTH_DIGEST_MD5), 32);
	ck_assert_uint_eq(auth_digest_hex_len(AUTH_DIGEST_SHA256), 64);
}
END_TEST

/* ----------------------------------------------- rfc2617_3_5_md5 */

START_TEST(rfc2617_example_md5)
{
	/* RFC 2617 3.5 (the form RFC 3261 22.4 uses): note "Circle Of
	 * Life" with a capital O there. */
	struct auth_digest_input in = {
		.alg = AUTH_DIGEST_MD5,
		.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		.nc = "00000001", .cnonce = "0a4f113b", .qop = "auth",
		.method = "GET", .uri = "/dir/index.html",
	};
	char ha1[33], out[33];

	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, "Mufasa",
					 "testrealm@host.com",
					 "Circle Of Life", ha1,
					 sizeof(ha1)), 0);
	in.ha1_hex = ha1;
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "6629fae49393a05397450978507c4ef1");
	/* RFC 2069 form, no qop (independently computed). */
	in.qop = NULL;
	ck_assert_int_eq(auth_digest_response(&in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "670fd8c2df070c60b045671b8b24ff02");
}
END_TEST

START_TEST(rfc3261_22_4_md5_round_trip)
{
	/* A SIP UA answering an MD5 challenge; no algorithm parameter means
	 * MD5 (RFC 7616 3.3). */
	struct client c;
	char nonce[128], value[2048], ha1[33], rsp[33];
	struct auth_digest_input in = {
		.alg = AUTH_DIGEST_MD5, .ha1_hex = ha1, .nc = "00000001",
		.cnonce = "x", .qop = "auth", .method = "PUBLISH", .uri = URI,
	};

	client_defaults(&c, AUTH_DIGEST_MD5);
	challenge(&c, nonce, sizeof(nonce));
	in.nonce = nonce;
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, USER, REALM, PASS,
					 ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_response(&in, rsp, sizeof(rsp)), 0);
	snprintf(value, sizeof(value), "Digest username=\"%s\",realm=\"%s\","
		 "nonce=\"%s\",uri=\"%s\",response=\"%s\",cnonce=\"x\","
		 "qop=\"auth\",nc=00000001", USER, REALM, nonce, URI, rsp);
	ck_assert_int_eq(server_verify(value, "PUBLISH", URI), AUTH_DIGEST_OK);
}
END_TEST

/* ------------------------------------------ rfc7235_2_1_parse_valid */

START_TEST(parse_valid_forms)
{
	struct auth_digest_cred c;
	const char *v;

	/* Scheme and names in any case, token values quoted or not,
	 * escapes, unknown parameters (RFC 7616 username*, TS 24.109 auts)
	 * ignored, no space after commas, whitespace around '='. */
	v = "dIGEST UserName=\"Mu\\\"fa\\\\sa\", Realm = \"r\",NONCE=abc,"
	    "uri=\"sip:a@b;transport=tcp\", response=\"ABCDEF01\","
	    "algorithm=\"sha-256-SESS\", qop=\"auth\", nc=\"0000000A\", "
	    "cnonce=\"\\c\", username*=UTF-8''J%C3%A4s, auts=\"QQ==\", "
	    "x-unknown=\"a,b=c\\\"\", userhash=FALSE";
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);
	ck_assert_str_eq(c.username, "Mu\"fa\\sa");
	ck_assert_str_eq(c.realm, "r");
	ck_assert_str_eq(c.nonce, "abc");
	ck_assert_str_eq(c.uri, "sip:a@b;transport=tcp");
	ck_assert_str_eq(c.response, "ABCDEF01");
	ck_assert(c.alg_known);
	ck_assert_int_eq(c.alg, AUTH_DIGEST_SHA256);
	ck_assert(c.sess);
	ck_assert_str_eq(c.nc, "0000000A");
	ck_assert_uint_eq(c.nc_value, 10);
	ck_assert_str_eq(c.cnonce, "c");
	ck_assert(!c.userhash);

	/* Length is honoured: trailing bytes past len are not read. */
	v = "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"/\", "
	    "response=\"00\"GARBAGE";
	ck_assert_int_eq(auth_digest_parse(v, strlen(v) - 7, &c), 0);
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), -EINVAL);

	/* TS 24.109 5.2.1: a UE's first request to a BSF has empty nonce
	 * and response; that parses (and would not verify). */
	v = "Digest username=\"001010000000001@ims.mnc001.mcc001.3gppnetwork"
	    ".org\", realm=\"bsf.example.test\", nonce=\"\", uri=\"/\", "
	    "response=\"\"";
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);
	ck_assert_str_eq(c.nonce, "");
	ck_assert(c.alg_known);
	ck_assert_int_eq(c.alg, AUTH_DIGEST_MD5);

	/* Unknown algorithms parse but are not known. */
	v = "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"/\", "
	    "response=\"00\", algorithm=SHA-512-256, userhash=true";
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);
	ck_assert(!c.alg_known);
	ck_assert(c.userhash);
}
END_TEST

/* -------------------------------------- rfc7235_2_1_parse_malformed */

static char **bad_lines;
static int n_bad_lines;

static void load_bad_lines(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fixtures/digest/"
		 "bad_credentials.txt", top ? top : PD_SRCDIR);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(EXIT_FAILURE);
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		bad_lines = realloc(bad_lines, sizeof(*bad_lines) *
				    (size_t)(n_bad_lines + 1));
		if (bad_lines == NULL)
			exit(EXIT_FAILURE);
		bad_lines[n_bad_lines++] = strdup(line);
	}
	fclose(f);
}

START_TEST(parse_fixture_refused)
{
	struct auth_digest_cred c;
	const char *v = bad_lines[_i];

	memset(&c, 0x5a, sizeof(c));
	ck_assert_msg(auth_digest_parse(v, strlen(v), &c) == -EINVAL,
		      "accepted: %s", v);
	/* On failure the output is cleared, never half-filled. */
	ck_assert_str_eq(c.username, "");
	ck_assert_str_eq(c.response, "");
}
END_TEST

START_TEST(parse_control_and_size)
{
	struct auth_digest_cred c;
	static const char *const ctl[] = {
		"Digest username=\"a\r\nb\", realm=\"r\", nonce=\"n\", "
		"uri=\"/\", response=\"00\"",
		"Digest username=\"a\x01\", realm=\"r\", nonce=\"n\", "
		"uri=\"/\", response=\"00\"",
		"Digest username=\"a\\\x7f\", realm=\"r\", nonce=\"n\", "
		"uri=\"/\", response=\"00\"",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"/\","
		"\r\nresponse=\"00\"",      /* CRLF not followed by LWS */
	};
	char v[4096], big[2048];
	int n;

	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
		ck_assert_int_eq(auth_digest_parse(ctl[i], strlen(ctl[i]), &c),
				 -EINVAL);
	/* An embedded NUL inside the given length. */
	n = snprintf(v, sizeof(v), "Digest username=\"a%cb\", realm=\"r\", "
		     "nonce=\"n\", uri=\"/\", response=\"00\"", 0);
	ck_assert_int_eq(auth_digest_parse(v, (size_t)n, &c), -EINVAL);

	/* The longest uri that fits, and one more byte. */
	memset(big, 'a', sizeof(big));
	big[AUTH_DIGEST_URI_SIZE - 1] = '\0';
	snprintf(v, sizeof(v), "Digest username=\"a\", realm=\"r\", "
		 "nonce=\"n\", uri=\"/%s\", response=\"00\"", big + 1);
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);
	ck_assert_uint_eq(strlen(c.uri), AUTH_DIGEST_URI_SIZE - 1);
	snprintf(v, sizeof(v), "Digest username=\"a\", realm=\"r\", "
		 "nonce=\"n\", uri=\"/%s\", response=\"00\"", big);
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), -EINVAL);

	/* Oversized username, response, nc, and a 2 KB unknown parameter
	 * (ignored, not refused: it is bounded by the input). */
	big[AUTH_DIGEST_USERNAME_SIZE] = '\0';
	snprintf(v, sizeof(v), "Digest username=%s, realm=\"r\", nonce=\"n\","
		 " uri=\"/\", response=\"00\"", big);
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), -EINVAL);
	snprintf(v, sizeof(v), "Digest username=a, realm=\"r\", nonce=\"n\","
		 " uri=\"/\", response=\"%s0\"", RFC_SHA256);
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	snprintf(v, sizeof(v), "Digest username=a, realm=\"r\", nonce=\"n\","
		 " uri=\"/\", response=\"00\", x=\"%s\"", big);
	ck_assert_int_eq(auth_digest_parse(v, strlen(v), &c), 0);

	ck_assert_int_eq(auth_digest_parse(NULL, 0, &c), -EINVAL);
	ck_assert_int_eq(auth_digest_parse("", 0, &c), -EINVAL);
	ck_assert_int_eq(auth_digest_parse("Digest", 6, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------ rfc7616_3_3_challenge */

START_TEST(challenge_format)
{
	char a[AUTH_DIGEST_CHALLENGE_SIZE], b[AUTH_DIGEST_CHALLENGE_SIZE];
	char na[128], nb[128], realm[AUTH_DIGEST_REALM_SIZE + 1];

	ck_assert_int_eq(auth_digest_challenge(d, REALM, AUTH_DIGEST_SHA256,
					       false, a, sizeof(a)), 0);
	ck_assert(starts_with(a, "Digest realm=\"example.test\", "
			      "qop=\"auth\", algorithm=SHA-256, nonce=\""));
	ck_assert(ends_with(a, "\""));
	ck_assert_ptr_null(strstr(a, "stale"));
	ck_assert_int_eq(auth_digest_challenge(d, REALM, AUTH_DIGEST_MD5,
					       true, b, sizeof(b)), 0);
	ck_assert_ptr_nonnull(strstr(b, "algorithm=MD5, nonce=\""));
	ck_assert(ends_with(b, "\", stale=true"));
	nonce_of(a, na, sizeof(na));
	nonce_of(b, nb, sizeof(nb));
	ck_assert_str_ne(na, nb);
	ck_assert_uint_le(strlen(na), AUTH_DIGEST_NONCE_SIZE - 1);

	/* Realm escaping; control characters cannot be sent. */
	ck_assert_int_eq(auth_digest_challenge(d, "a\"b\\c", AUTH_DIGEST_MD5,
					       false, a, sizeof(a)), 0);
	ck_assert(starts_with(a, "Digest realm=\"a\\\"b\\\\c\", "));
	ck_assert_int_eq(auth_digest_challenge(d, "a\r\nX-Evil: 1",
					       AUTH_DIGEST_MD5, false, a,
					       sizeof(a)), -EINVAL);
	ck_assert_int_eq(auth_digest_challenge(d, "", AUTH_DIGEST_MD5, false,
					       a, sizeof(a)), -EINVAL);
	/* The worst realm (all escaped) fits the advertised size. */
	memset(realm, '"', AUTH_DIGEST_REALM_SIZE - 1);
	realm[AUTH_DIGEST_REALM_SIZE - 1] = '\0';
	ck_assert_int_eq(auth_digest_challenge(d, realm, AUTH_DIGEST_SHA256,
					       true, a, sizeof(a)), 0);
	realm[AUTH_DIGEST_REALM_SIZE - 1] = 'x';
	realm[AUTH_DIGEST_REALM_SIZE] = '\0';
	ck_assert_int_eq(auth_digest_challenge(d, realm, AUTH_DIGEST_SHA256,
					       true, a, sizeof(a)), -EINVAL);
	ck_assert_int_eq(auth_digest_challenge(d, REALM, AUTH_DIGEST_SHA256,
					       false, a, 40), -ENOSPC);
	ck_assert_str_eq(a, "");
}
END_TEST

START_TEST(rfc7616_3_7_two_challenges)
{
	/* The server offers SHA-256 then MD5; a client may answer either. */
	struct client c;
	char n256[128], nmd5[128];

	client_defaults(&c, AUTH_DIGEST_SHA256);
	challenge(&c, n256, sizeof(n256));
	client_defaults(&c, AUTH_DIGEST_MD5);
	challenge(&c, nmd5, sizeof(nmd5));
	ck_assert_int_eq(round_trip(&c, nmd5), AUTH_DIGEST_OK);
	client_defaults(&c, AUTH_DIGEST_SHA256);
	ck_assert_int_eq(round_trip(&c, n256), AUTH_DIGEST_OK);
	/* And the -sess variants are accepted on answers. */
	c.sess = true;
	c.algorithm = "SHA-256-sess";
	c.nc = 2;
	ck_assert_int_eq(round_trip(&c, n256), AUTH_DIGEST_OK);
}
END_TEST

/* ---------------------------------- rfc7616_3_3_nonce_integrity */

START_TEST(nonce_tampering)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				  "opqrstuvwxyz0123456789+/";
	struct client c;
	struct auth_digest *other;
	char nonce[128], bad[160];
	size_t n;

	client_defaults(&c, AUTH_DIGEST_SHA256);
	challenge(&c, nonce, sizeof(nonce));
	n = strlen(nonce);
	/* Change each character (timestamp, random part, MAC): the client
	 * answers correctly for the changed nonce, the nonce is refused. */
	for (size_t i = 0; i + 1 < n; i++) {
		strcpy(bad, nonce);
		bad[i] = b64[(strchr(b64, bad[i]) - b64 + 1) % 64];
		ck_assert_int_eq(round_trip(&c, bad), AUTH_DIGEST_BAD_NONCE);
	}
	/* Truncated, extended, empty, garbage. */
	strcpy(bad, nonce);
	bad[n - 2] = '\0';
	ck_assert_int_eq(round_trip(&c, bad), AUTH_DIGEST_BAD_NONCE);
	snprintf(bad, sizeof(bad), "%sAAAA", nonce);
	ck_assert_int_eq(round_trip(&c, bad), AUTH_DIGEST_BAD_NONCE);
	ck_assert_int_eq(round_trip(&c, ""), AUTH_DIGEST_BAD_NONCE);
	ck_assert_int_eq(round_trip(&c, RFC_NONCE), AUTH_DIGEST_BAD_NONCE);
	memset(bad, ' ', n);
	bad[n] = '\0';
	ck_assert_int_eq(round_trip(&c, bad), AUTH_DIGEST_BAD_NONCE);

	/* A nonce from another verifier (another secret). */
	ck_assert_int_eq(auth_digest_create(&other, NULL), 0);
	{
		char ch[AUTH_DIGEST_CHALLENGE_SIZE];

		ck_assert_int_eq(auth_digest_challenge(other, REALM,
						       AUTH_DIGEST_SHA256,
						       false, ch,
						       sizeof(ch)), 0);
		nonce_of(ch, bad, sizeof(bad));
	}
	auth_digest_destroy(other);
	ck_assert_int_eq(round_trip(&c, bad), AUTH_DIGEST_BAD_NONCE);

	/* The untouched nonce still works. */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_OK);
}
END_TEST

START_TEST(nonce_bound_to_realm)
{
	/* A nonce issued for realm A cannot be used in realm B, even by a
	 * client with valid credentials in B. */
	char ch[AUTH_DIGEST_CHALLENGE_SIZE], nonce[128], value[2048];
	struct client c;

	ck_assert_int_eq(auth_digest_challenge(d, "other.test",
					       AUTH_DIGEST_MD5, false, ch,
					       sizeof(ch)), 0);
	nonce_of(ch, nonce, sizeof(nonce));
	client_defaults(&c, AUTH_DIGEST_MD5);
	answer(&c, nonce, value, sizeof(value));
	ck_assert_int_eq(server_verify(value, "SUBSCRIBE", URI),
			 AUTH_DIGEST_BAD_NONCE);
}
END_TEST

/* ------------------------------------------ rfc7616_3_3_stale */

START_TEST(expiry_with_injected_clock)
{
	struct client c;
	char nonce[128];

	client_defaults(&c, AUTH_DIGEST_SHA256);
	challenge(&c, nonce, sizeof(nonce));
	fake_now += 60;                      /* exactly the lifetime */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_OK);
	fake_now += 1;                       /* one second too old */
	c.nc = 2;
	/* A wrong password on an expired nonce is a plain failure: stale
	 * is only for clients that know the password (RFC 7616 3.3). */
	c.password = "guess";
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_BAD_RESPONSE);
	c.password = PASS;
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_STALE);
	/* Forgotten once stale, even if the clock were set back. */
	fake_now -= 1;
	c.nc = 3;
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_STALE);

	/* A nonce dated in the future (our clock stepped back): stale. */
	challenge(&c, nonce, sizeof(nonce));
	fake_now -= 10;
	c.nc = 1;
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_STALE);
}
END_TEST

/* ------------------------------------------ rfc7616_3_4_nc_replay */

START_TEST(nonce_count_replay)
{
	struct client c;
	char nonce[128], value[2048];

	client_defaults(&c, AUTH_DIGEST_SHA256);
	challenge(&c, nonce, sizeof(nonce));
	answer(&c, nonce, value, sizeof(value));
	ck_assert_int_eq(server_verify(value, "SUBSCRIBE", URI),
			 AUTH_DIGEST_OK);
	/* The same request again is a replay. */
	ck_assert_int_eq(server_verify(value, "SUBSCRIBE", URI),
			 AUTH_DIGEST_REPLAY);
	c.nc = 3;
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_OK);
	c.nc = 2;                            /* lower than the highest */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_REPLAY);
	/* A forged request cannot burn counts: a wrong response with a
	 * huge nc changes nothing. */
	c.nc = 0xffffffffu;
	c.password = "guess";
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_BAD_RESPONSE);
	c.password = PASS;
	c.nc = 4;
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_OK);
	/* nc 0 on a fresh nonce is never above the start. */
	challenge(&c, nonce, sizeof(nonce));
	c.nc = 0;
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_REPLAY);
}
END_TEST

/* -------------------------------------- rfc7616_3_4_nonce_table */

START_TEST(eviction_means_stale)
{
	/* 4 entries: 2 pending (FIFO), 2 active (LRU). */
	struct auth_digest_params p = { .nonce_lifetime_s = 60,
					.max_nonces = 4 };
	struct client c;
	char n1[128], n2[128], n3[128], n4[128], n5[128], nx[128];

	auth_digest_destroy(d);
	ck_assert_int_eq(auth_digest_create(&d, &p), 0);
	client_defaults(&c, AUTH_DIGEST_MD5);

	challenge(&c, n1, sizeof(n1));
	challenge(&c, n2, sizeof(n2));
	challenge(&c, n3, sizeof(n3));       /* evicts n1 (pending) */
	c.password = "guess";
	ck_assert_int_eq(round_trip(&c, n1), AUTH_DIGEST_BAD_RESPONSE);
	c.password = PASS;
	ck_assert_int_eq(round_trip(&c, n1), AUTH_DIGEST_STALE);
	ck_assert_int_eq(round_trip(&c, n2), AUTH_DIGEST_OK);   /* active */

	/* A flood of challenges (unauthenticated requests) does not push
	 * out a nonce that has been used. */
	for (int i = 0; i < 100; i++)
		challenge(&c, nx, sizeof(nx));
	c.nc = 2;
	ck_assert_int_eq(round_trip(&c, n2), AUTH_DIGEST_OK);
	c.nc = 1;
	ck_assert_int_eq(round_trip(&c, n3), AUTH_DIGEST_STALE);  /* flooded */

	/* Active is LRU: with n2 and n4 active, using n5 evicts the least
	 * recently used (n4 after n2 was touched). */
	challenge(&c, n4, sizeof(n4));
	ck_assert_int_eq(round_trip(&c, n4), AUTH_DIGEST_OK);
	c.nc = 3;
	ck_assert_int_eq(round_trip(&c, n2), AUTH_DIGEST_OK);
	challenge(&c, n5, sizeof(n5));
	c.nc = 1;
	ck_assert_int_eq(round_trip(&c, n5), AUTH_DIGEST_OK);
	c.nc = 2;
	ck_assert_int_eq(round_trip(&c, n4), AUTH_DIGEST_STALE);
	c.nc = 4;
	ck_assert_int_eq(round_trip(&c, n2), AUTH_DIGEST_OK);
}
END_TEST

/* -------------------------- rfc3261_22_4 / rfc7616_3_4_6 checks */

START_TEST(wrong_realm_uri_method_password)
{
	struct client c;
	char nonce[128], value[2048];

	client_defaults(&c, AUTH_DIGEST_SHA256);
	challenge(&c, nonce, sizeof(nonce));

	c.realm = "other.test";              /* realm not ours */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_MISMATCH);
	c.realm = REALM;

	answer(&c, nonce, value, sizeof(value));
	/* uri differs from the request's Request-URI. */
	ck_assert_int_eq(server_verify(value, "SUBSCRIBE",
				       "sip:carol@example.test"),
			 AUTH_DIGEST_MISMATCH);
	/* Method differs from the one the response covers. */
	ck_assert_int_eq(server_verify(value, "PUBLISH", URI),
			 AUTH_DIGEST_BAD_RESPONSE);
	/* The caller may compare URIs itself (NULL skips). */
	ck_assert_int_eq(server_verify(value, "SUBSCRIBE", NULL),
			 AUTH_DIGEST_OK);

	c.nc = 2;
	c.password = "Circle of Life";       /* wrong password */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_BAD_RESPONSE);
	c.password = PASS;
	c.user = "mallory@example.test";     /* HA1 of another user */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_BAD_RESPONSE);
	c.user = USER;
	c.cnonce = "other";                  /* cnonce is covered */
	answer(&c, nonce, value, sizeof(value));
	{
		char *p = strstr(value, "cnonce=\"other\"");

		ck_assert_ptr_nonnull(p);
		memcpy(p, "cnonce=\"otheR\"", 14);
	}
	ck_assert_int_eq(server_verify(value, "SUBSCRIBE", URI),
			 AUTH_DIGEST_BAD_RESPONSE);
	/* After all that, nc 2 is still unused. */
	ck_assert_int_eq(round_trip(&c, nonce), AUTH_DIGEST_OK);
}
END_TEST

START_TEST(unsupported_answers)
{
	struct auth_digest_cred cred;
	struct auth_digest_check chk = { "SUBSCRIBE", URI, REALM, NULL };
	enum auth_digest_result res;
	struct client c;
	char nonce[128], value[2048], ha1[65];
	static const char *const edits[][2] = {
		{ ", qop=auth", ", qop=auth-int" },
		{ ", qop=auth", ", qop=auth, userhash=true" },
		{ "algorithm=SHA-256", "algorithm=SHA-512-256" },
		{ "algorithm=SHA-256", "algorithm=MD5" },  /* 64-hex response */
		{ "algorithm=SHA-256", "algorithm=AKAv1-MD5" },
	};

	client_defaults(&c, AUTH_DIGEST_SHA256);
	challenge(&c, nonce, sizeof(nonce));
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_SHA256, USER, REALM, PASS,
					 ha1, sizeof(ha1)), 0);
	chk.ha1_hex = ha1;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char edited[2100], *p;

		answer(&c, nonce, value, sizeof(value));
		p = strstr(value, edits[i][0]);
		ck_assert_ptr_nonnull(p);
		snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(p - value),
			 value, edits[i][1], p + strlen(edits[i][0]));
		ck_assert_int_eq(auth_digest_parse(edited, strlen(edited),
						   &cred), 0);
		ck_assert_int_eq(auth_digest_verify(d, &cred, &chk, &res), 0);
		ck_assert_msg(res == AUTH_DIGEST_UNSUPPORTED, "%s: %s",
			      edited, auth_digest_result_str(res));
	}
	/* RFC 2069 answer (no qop): no nonce-count, so refused. */
	snprintf(value, sizeof(value), "Digest username=\"%s\", realm=\"%s\", "
		 "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=SHA-256",
		 USER, REALM, nonce, URI, RFC_SHA256);
	ck_assert_int_eq(auth_digest_parse(value, strlen(value), &cred), 0);
	ck_assert_int_eq(auth_digest_verify(d, &cred, &chk, &res), 0);
	ck_assert_int_eq(res, AUTH_DIGEST_UNSUPPORTED);

	/* Caller bugs: an HA1 of the wrong algorithm, missing arguments. */
	answer(&c, nonce, value, sizeof(value));
	ck_assert_int_eq(auth_digest_parse(value, strlen(value), &cred), 0);
	ck_assert_int_eq(auth_digest_ha1(AUTH_DIGEST_MD5, USER, REALM, PASS,
					 ha1, sizeof(ha1)), 0);
	ck_assert_int_eq(auth_digest_verify(d, &cred, &chk, &res), -EINVAL);
	chk.method = NULL;
	ck_assert_int_eq(auth_digest_verify(d, &cred, &chk, &res), -EINVAL);
	ck_assert_str_eq(auth_digest_result_str(AUTH_DIGEST_STALE), "stale");
}
END_TEST

/* ------------------------------------------------- thread safety */

#define N_THREADS 8

static pthread_barrier_t barrier;
static const char *shared_value;
static enum auth_digest_result thread_res[N_THREADS];

static void *race_one(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct auth_digest_cred cred;
	struct auth_digest_check chk = { "SUBSCRIBE", URI, REALM, NULL };
	char ha1[65];

	auth_digest_ha1(AUTH_DIGEST_SHA256, USER, REALM, PASS, ha1,
			sizeof(ha1));
	chk.ha1_hex = ha1;
	auth_digest_parse(shared_value, strlen(shared_value), &cred);
	pthread_barrier_wait(&barrier);
	if (auth_digest_verify(d, &cred, &chk, &thread_res[i]) < 0)
		thread_res[i] = AUTH_DIGEST_UNSUPPORTED;
	return NULL;
}

START_TEST(concurrent_replay_single_winner)
{
	/* The same request verified by 8 threads at once: exactly one is
	 * accepted, the rest are replays. */
	struct client c;
	char nonce[128], value[2048];
	pthread_t t[N_THREADS];

	client_defaults(&c, AUTH_DIGEST_SHA256);
	for (int round = 0; round < 50; round++) {
		int ok = 0, replay = 0;

		challenge(&c, nonce, sizeof(nonce));
		answer(&c, nonce, value, sizeof(value));
		shared_value = value;
		ck_assert_int_eq(pthread_barrier_init(&barrier, NULL,
						      N_THREADS), 0);
		for (int i = 0; i < N_THREADS; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL, race_one,
					 (void *)(intptr_t)i), 0);
		for (int i = 0; i < N_THREADS; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&barrier);
		for (int i = 0; i < N_THREADS; i++) {
			ok += thread_res[i] == AUTH_DIGEST_OK;
			replay += thread_res[i] == AUTH_DIGEST_REPLAY;
		}
		ck_assert_int_eq(ok, 1);
		ck_assert_int_eq(replay, N_THREADS - 1);
	}
}
END_TEST

/* ----------------------------------------------------------- main */

static Suite *digest_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc;

	tc = tcase_create("rfc7616_3_9_1_example");
	tcase_add_test(tc, rfc7616_example_responses);
	tcase_add_test(tc, rfc7616_example_parse);
	tcase_add_test(tc, rfc7616_example_rspauth);
	tcase_add_test(tc, rfc7616_3_4_2_sess);
	tcase_add_test(tc, response_argument_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc2617_3_5_md5");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc2617_example_md5);
	tcase_add_test(tc, rfc3261_22_4_md5_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7235_2_1_parse_valid");
	tcase_add_test(tc, parse_valid_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7235_2_1_parse_malformed");
	tcase_add_loop_test(tc, parse_fixture_refused, 0, n_bad_lines);
	tcase_add_test(tc, parse_control_and_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7616_3_3_challenge");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, challenge_format);
	tcase_add_test(tc, rfc7616_3_7_two_challenges);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7616_3_3_nonce_integrity");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nonce_tampering);
	tcase_add_test(tc, nonce_bound_to_realm);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7616_3_3_stale_expiry");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, expiry_with_injected_clock);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7616_3_4_nc_replay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nonce_count_replay);
	tcase_add_test(tc, eviction_means_stale);
	tcase_add_test(tc, concurrent_replay_single_winner);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3261_22_4_checks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wrong_realm_uri_method_password);
	tcase_add_test(tc, unsupported_answers);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	int status;

	load_bad_lines();
	status = check_main_run(digest_suite());
	for (int i = 0; i < n_bad_lines; i++)
		free(bad_lines[i]);
	free(bad_lines);
	return status;
}
