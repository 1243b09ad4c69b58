/*
 * targets.c - the fuzz entry points (see targets.h).  Compiled twice: into
 * each libFuzzer harness by tests/fuzz/run.sh and into the corpus replay
 * unit test by make check.
 */
#include "tests/fuzz/targets.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "src/core.h"
#include "xcap/xcap_res.h"

/* -------------------------------------------------------------- fixtures */

/* The documents a node selector is applied to: file, AUID, document
 * name.  The AUID decides the schema the result is validated against. */
static const struct {
	const char *file;
	const char *auid;
} fixtures[] = {
	{ "resource-lists.xml", "resource-lists" },
	{ "pres-rules.xml", "pres-rules" },
	{ "rls-services.xml", "rls-services" },
	{ "pidf.xml", "pidf-manipulation" },
	{ "ns-doc.xml", "resource-lists" },
	{ "prefixed-lists.xml", "resource-lists" },
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static char *fixture_buf[N_FIXTURES];
static size_t fixture_len[N_FIXTURES];
static struct auth_digest *verifier;
static bool xcap_ready;
static bool trace;   /* FUZZ_TRACE set: say what each input did */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0)
		goto out;
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
	*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

int fuzz_init(const char *srcdir)
{
	char path[4096];
	size_t i;

	/* The parsers log refusals at notice/info; keep the fuzzer quiet. */
	log_setup(LOG_TO_STDERR, LOG_LVL_ERR, "fuzz");
	trace = getenv("FUZZ_TRACE") != NULL;
	for (i = 0; i < N_FIXTURES; i++) {
		snprintf(path, sizeof(path), "%s/tests/fixtures/xcap/%s", srcdir,
			 fixtures[i].file);
		fixture_buf[i] = slurp(path, &fixture_len[i]);
		if (!fixture_buf[i]) {
			fprintf(stderr, "fuzz: cannot read %s\n", path);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/xcap/schemas", srcdir);
	if (xcap_res_init(path) < 0)
		return -1;
	xcap_ready = true;
	if (auth_digest_create(&verifier, NULL) < 0)
		return -1;
	return 0;
}

void fuzz_cleanup(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++) {
		free(fixture_buf[i]);
		fixture_buf[i] = NULL;
	}
	if (xcap_ready)
		xcap_res_cleanup();
	xcap_ready = false;
	auth_digest_destroy(verifier);
	verifier = NULL;
}

/* A NUL-terminated copy of data[0..size). */
static char *dupz(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

/* -------------------------------------------------------------- xcap_uri */

int fuzz_xcap_uri_one(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;
	char *path, *query = NULL;

	path = dupz(data, nul ? (size_t)(nul - data) : size);
	if (nul)
		query = dupz(nul + 1, size - (size_t)(nul - data) - 1);
	if (!path || (nul && !query))
		goto out;
	if (xcap_uri_parse("/xcap-root", path, query, "https://x.test:8443",
			   &u, &r) == 0) {
		xcap_uri_free(u);
		u = NULL;
	}
	xcap_result_clear(&r);
	/* The same bytes against the server root (root "/"). */
	if (xcap_uri_parse("/", path, query, NULL, &u, &r) == 0)
		xcap_uri_free(u);
	xcap_result_clear(&r);
out:
	free(path);
	free(query);
	return 0;
}

/* ------------------------------------------------------------- xcap_node */

/*
 * The oracle behind "never a half-written document": a document that a
 * PUT or DELETE produced must itself pass a whole-document PUT (well-formed,
 * UTF-8, the AUID's constraints and schema), as the stored bytes will be
 * read back by the next request and by the SIP side.  The engine validates
 * its in-memory tree; this re-parses the serialised bytes.
 */
static void check_stored(size_t fix, const uint8_t *doc, size_t len)
{
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;
	uint8_t *again = NULL;
	size_t againlen = 0;
	char path[128];

	snprintf(path, sizeof(path),
		 "/xcap-root/%s/users/sip:alice@example.com/index",
		 fixtures[fix].auid);
	if (xcap_uri_parse("/xcap-root", path, NULL, NULL, &u, &r) < 0)
		abort();
	xcap_result_clear(&r);
	if (xcap_res_put(u, doc, len, u->app->mime, doc, len, &again,
			 &againlen, &r) < 0) {
		fprintf(stderr, "fuzz_xcap_node: the engine produced a document "
			"it refuses (%d %s):\n%.*s\n", r.status, r.reason,
			(int)len, (const char *)doc);
		abort();
	}
	xcap_result_clear(&r);
	xcap_uri_free(u);
	free(again);
}

/*
 * Byte 0: bits 0-2 the fixture (mod N_FIXTURES), bits 3-4 the operation
 * (0 GET, 1 PUT, 2 DELETE, 3 PUT with no stored document), bit 5 a wrong
 * Content-Type on PUT, bit 6 "users/<xui>" vs. "global".
 */
int fuzz_xcap_node_one(const uint8_t *data, size_t size)
{
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;
	uint8_t *newdoc = NULL;
	size_t newlen = 0, fix, sellen;
	const uint8_t *nl, *body;
	size_t blen;
	char *path = NULL;
	const char *ctype;
	unsigned op;
	int n;

	if (size < 1 || !xcap_ready)
		return 0;
	fix = (data[0] & 7) % N_FIXTURES;
	op = (data[0] >> 3) & 3;
	data++;
	size--;
	nl = memchr(data, '\n', size);
	sellen = nl ? (size_t)(nl - data) : size;
	body = nl ? nl + 1 : data + size;
	blen = nl ? size - sellen - 1 : 0;

	path = malloc(sellen + 128);
	if (!path)
		return 0;
	/* An empty selector names the whole document. */
	n = snprintf(path, 128, "/xcap-root/%s/%s/index%s", fixtures[fix].auid,
		     (data[-1] & 0x40) ? "global"
				       : "users/sip:alice@example.com",
		     sellen ? "/~~/" : "");
	memcpy(path + n, data, sellen);
	path[(size_t)n + sellen] = 0;
	if (memchr(data, 0, sellen))
		goto out;   /* the server never sees a NUL in a path */
	if (xcap_uri_parse("/xcap-root", path, NULL, "https://x.test", &u,
			   &r) < 0)
		goto out;
	xcap_result_clear(&r);

	switch (u->kind) {
	case XCAP_NODE_ATTRIBUTE: ctype = "application/xcap-att+xml"; break;
	case XCAP_NODE_NAMESPACE: ctype = "application/xcap-ns+xml"; break;
	case XCAP_NODE_ELEMENT: ctype = "application/xcap-el+xml"; break;
	default: ctype = u->app->mime; break;
	}
	if (data[-1] & 0x20)
		ctype = "text/plain; charset=utf-8";

	switch (op) {
	case 0:
		xcap_res_get(u, (const uint8_t *)fixture_buf[fix],
			     fixture_len[fix], &r);
		break;
	case 1:
	case 3:
		if (xcap_res_put(u, op == 1 ? (const uint8_t *)fixture_buf[fix]
					    : NULL,
				 op == 1 ? fixture_len[fix] : 0, ctype, body,
				 blen, &newdoc, &newlen, &r) == 0 && newdoc) {
			/* What was written must read back, and be valid. */
			xcap_result_clear(&r);
			xcap_res_get(u, newdoc, newlen, &r);
			check_stored(fix, newdoc, newlen);
		}
		break;
	case 2:
		if (xcap_res_delete(u, (const uint8_t *)fixture_buf[fix],
				    fixture_len[fix], &newdoc, &newlen,
				    &r) == 0 && newdoc)
			check_stored(fix, newdoc, newlen);
		break;
	}
out:
	if (trace)
		fprintf(stderr, "fuzz_xcap_node: %s op %u -> %d %s\n",
			path, op, r.status, r.reason);
	xcap_result_clear(&r);
	xcap_uri_free(u);
	free(newdoc);
	free(path);
	return 0;
}

/* ---------------------------------------------------------------- digest */

#define HA1_MD5 "939e7578ed9e3c518a452acee763bce9"
#define HA1_SHA256 \
	"7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"

/* Copy the nonce="..." of a challenge this verifier issued. */
static int challenge_nonce(char *out, size_t outlen)
{
	char ch[AUTH_DIGEST_CHALLENGE_SIZE];
	const char *p, *q;

	if (auth_digest_challenge(verifier, "example.test", AUTH_DIGEST_MD5,
				  false, ch, sizeof(ch)) < 0)
		return -1;
	p = strstr(ch, "nonce=\"");
	if (!p)
		return -1;
	p += 7;
	q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = 0;
	return 0;
}

/*
 * The value is parsed; parsed credentials are verified twice against a
 * fixed verifier: as sent (realm and uri taken from the credentials so the
 * checks get past the mismatch test), and, when the first byte is odd,
 * with a nonce really issued and the right response, so that the
 * nonce table, nc and replay logic see fuzzed nc / cnonce / qop values.
 */
int fuzz_digest_one(const uint8_t *data, size_t size)
{
	struct auth_digest_cred cred;
	struct auth_digest_check chk;
	struct auth_digest_input in;
	enum auth_digest_result res;
	char resp[AUTH_DIGEST_RESPONSE_SIZE];

	if (auth_digest_parse((const char *)data, size, &cred) < 0 ||
	    !verifier)
		return 0;
	memset(&chk, 0, sizeof(chk));
	chk.method = "GET";
	chk.uri = cred.uri;
	chk.realm = cred.realm;
	chk.ha1_hex = cred.alg_known && cred.alg == AUTH_DIGEST_SHA256
			      ? HA1_SHA256 : HA1_MD5;
	auth_digest_verify(verifier, &cred, &chk, &res);
	(void)auth_digest_result_str(res);

	if (size == 0 || !(data[0] & 1) || !cred.alg_known)
		return 0;
	if (challenge_nonce(cred.nonce, sizeof(cred.nonce)) < 0)
		return 0;
	snprintf(cred.realm, sizeof(cred.realm), "example.test");
	memset(&in, 0, sizeof(in));
	in.alg = cred.alg;
	in.sess = cred.sess;
	in.ha1_hex = chk.ha1_hex;
	in.nonce = cred.nonce;
	in.nc = cred.nc;
	in.cnonce = cred.cnonce;
	in.qop = cred.qop[0] ? cred.qop : NULL;
	in.method = "GET";
	in.uri = cred.uri;
	if (auth_digest_response(&in, resp, sizeof(resp)) == 0)
		memcpy(cred.response, resp, sizeof(cred.response));
	chk.realm = "example.test";
	auth_digest_verify(verifier, &cred, &chk, &res);
	auth_digest_verify(verifier, &cred, &chk, &res);   /* a replay */
	return 0;
}

/* ---------------------------------------------------------------- config */

static void emit_nothing(const char *line, void *arg)
{
	(void)line;
	(void)arg;
}

int fuzz_config_one(const uint8_t *data, size_t size)
{
	struct conf *c = conf_new(), *d = conf_new();
	char err[256];
	char *s;

	if (!c || !d)
		goto out;
	if (conf_parse_buffer(c, "fuzz", (const char *)data, size, err,
			      sizeof(err)) == 0) {
		conf_validate(c, err, sizeof(err));
		conf_dump(c, emit_nothing, NULL);
		conf_apply_reloadable(d, c);
	}
	/* The same bytes as a command-line override (-o). */
	s = dupz(data, size);
	if (s) {
		conf_override(d, s, err, sizeof(err));
		free(s);
	}
out:
	conf_free(c);
	conf_free(d);
	return 0;
}
