/*
 * digest.c - the Digest verifier: nonces, challenges, response checks.
 *
 * Implements the server side of HTTP Digest (RFC 7616) and SIP Digest
 * (RFC 3261 clause 22, RFC 8760) with qop=auth, MD5 and SHA-256 (and their
 * -sess variants on answers).  The parser lives in digest_parse.c, the
 * nonce-count table in nonce.c; the contracts are in auth/auth.h.
 *
 * Nonces are stateless to check and stateful to keep fresh: the HMAC in
 * the nonce proves we issued it for this realm, the timestamp bounds its
 * age, and the table (under d->lock) bounds how often it is accepted.
 * Every hash, MAC and random byte comes from GnuTLS.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "src/core.h"

#define SECRET_LEN 32
#define TS_LEN 8
#define RAND_LEN AUTH_NONCE_ID_LEN
#define MAC_LEN 32                               /* HMAC-SHA-256 */
#define NONCE_RAW_LEN (TS_LEN + RAND_LEN + MAC_LEN)   /* 56 */
#define NONCE_B64_LEN (4 * ((NONCE_RAW_LEN + 2) / 3)) /* 76 */
#define HEX_MAX 64                               /* SHA-256 in hex */

#define DEFAULT_LIFETIME_S 300
#define DEFAULT_MAX_NONCES 16384

struct auth_digest {
	uint8_t secret[SECRET_LEN];
	unsigned lifetime_s;
	pthread_mutex_t lock;        /* guards nonces */
	bool lock_ready;
	struct auth_nonce_table *nonces;
};

/* ------------------------------------------------------------- helpers */

size_t auth_digest_hex_len(enum auth_digest_alg alg)
{
	switch (alg) {
	case AUTH_DIGEST_MD5:
		return 32;
	case AUTH_DIGEST_SHA256:
		return 64;
	}
	return 0;
}

static gnutls_digest_algorithm_t gnutls_alg(enum auth_digest_alg alg)
{
	return alg == AUTH_DIGEST_SHA256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_MD5;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* Copy n hex digits lower-cased (the RFCs hash and compare 32LHEX). */
static void hex_lower(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		dst[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	dst[n] = '\0';
}

/* H(parts[0] ":" parts[1] ":" ...) as lower-case hex into out, which has
 * room for auth_digest_hex_len(alg) + 1 bytes.  The parts are fed to the
 * hash one by one, so no buffer ever holds a password. */
static int hash_hex(enum auth_digest_alg alg, const char *const *parts,
		    size_t n, char *out)
{
	gnutls_hash_hd_t h;
	uint8_t md[HEX_MAX / 2];
	int rc = 0;

	if (gnutls_hash_init(&h, gnutls_alg(alg)) < 0)
		return -EIO;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0 && gnutls_hash(h, ":", 1) < 0)
			rc = -EIO;
		else if (gnutls_hash(h, parts[i], strlen(parts[i])) < 0)
			rc = -EIO;
	}
	gnutls_hash_deinit(h, md);
	if (rc == 0)
		util_hex_encode(md, auth_digest_hex_len(alg) / 2, out);
	util_secure_zero(md, sizeof(md));
	return rc;
}

/* A bounded string builder: appends until full, then only remembers that
 * it overflowed (or that a value could not be quoted safely). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool overflow, bad;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->len + 1 >= b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

/* Append s as an RFC 7230 quoted-string.  A control character cannot be
 * represented (and would allow header injection): mark the buffer bad. */
static void sb_quoted(struct sbuf *b, const char *s)
{
	sb_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			b->bad = true;
		if (c == '"' || c == '\\')
			sb_putc(b, '\\');
		sb_putc(b, (char)c);
	}
	sb_putc(b, '"');
}

static int sb_result(const struct sbuf *b)
{
	if (b->bad)
		return -EINVAL;
	return b->overflow ? -ENOSPC : 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ------------------------------------------------------------ lifetime */

int auth_digest_create(struct auth_digest **dp,
		       const struct auth_digest_params *p)
{
	struct auth_digest *d = NULL;
	size_t max = (p && p->max_nonces) ? p->max_nonces : DEFAULT_MAX_NONCES;
	int rc;

	if (dp == NULL)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->lifetime_s = (p && p->nonce_lifetime_s) ? p->nonce_lifetime_s
						   : DEFAULT_LIFETIME_S;
	rc = auth_nonce_table_new(&d->nonces, max);
	if (rc < 0)
		goto out;
	if (gnutls_rnd(GNUTLS_RND_KEY, d->secret, sizeof(d->secret)) < 0) {
		rc = -EIO;
		goto out;
	}
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	d->lock_ready = true;
	*dp = d;
	d = NULL;
out:
	auth_digest_destroy(d);
	return rc;
}

void auth_digest_destroy(struct auth_digest *d)
{
	if (d == NULL)
		return;
	if (d->lock_ready)
		pthread_mutex_destroy(&d->lock);
	auth_nonce_table_free(d->nonces);
	util_secure_zero(d->secret, sizeof(d->secret));
	free(d);
}

/* -------------------------------------------------------------- nonces */

/* mac = HMAC-SHA-256(secret, ts || rand || realm).  ts and rand have fixed
 * lengths, so the realm that follows cannot be confused with them. */
static int nonce_mac(const struct auth_digest *d, const uint8_t *ts_rand,
		     const char *realm, uint8_t *mac)
{
	gnutls_hmac_hd_t h;
	int rc = 0;

	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, d->secret,
			     sizeof(d->secret)) < 0)
		return -EIO;
	if (gnutls_hmac(h, ts_rand, TS_LEN + RAND_LEN) < 0 ||
	    gnutls_hmac(h, realm, strlen(realm)) < 0)
		rc = -EIO;
	gnutls_hmac_deinit(h, mac);
	return rc;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decode and authenticate a nonce string for `realm`.  Returns 0 with raw
 * filled when we issued it, 1 when we did not, or a negative error. */
static int nonce_open(const struct auth_digest *d, const char *nonce,
		      const char *realm, uint8_t raw[NONCE_RAW_LEN])
{
	gnutls_datum_t in, dec = { NULL, 0 };
	uint8_t mac[MAC_LEN];
	size_t n = strlen(nonce);
	int rc = 1;

	/* gnutls_base64_decode2 skips whitespace; insist on our exact form
	 * first: 76 base64 characters, the last one "=" padding, and the
	 * two pad bits of the character before it zero -- so that exactly
	 * one string decodes to each nonce. */
	if (n != NONCE_B64_LEN || nonce[n - 1] != '=')
		return 1;
	for (size_t i = 0; i + 1 < n; i++) {
		const char *pos = nonce[i] ? strchr(b64_alphabet, nonce[i])
					   : NULL;

		if (pos == NULL || (i + 2 == n && ((pos - b64_alphabet) & 3)))
			return 1;
	}
	in.data = (unsigned char *)nonce;
	in.size = (unsigned)n;
	if (gnutls_base64_decode2(&in, &dec) < 0)
		return -ENOMEM;   /* the syntax was checked above */
	if (dec.size != NONCE_RAW_LEN)
		goto out;
	memcpy(raw, dec.data, NONCE_RAW_LEN);
	rc = nonce_mac(d, raw, realm, mac);
	if (rc < 0)
		goto out;
	rc = util_ct_equal(mac, raw + TS_LEN + RAND_LEN, MAC_LEN) ? 0 : 1;
out:
	gnutls_free(dec.data);
	return rc;
}

/* Make a new nonce for realm into out (NONCE_B64_LEN + 1 bytes) and its
 * random identity into id. */
static int nonce_make(const struct auth_digest *d, const char *realm,
		      char *out, uint8_t id[RAND_LEN])
{
	uint8_t raw[NONCE_RAW_LEN];
	gnutls_datum_t in = { raw, sizeof(raw) }, enc = { NULL, 0 };
	int rc;

	put_be64(raw, (uint64_t)clock_now());
	if (gnutls_rnd(GNUTLS_RND_NONCE, raw + TS_LEN, RAND_LEN) < 0)
		return -EIO;
	rc = nonce_mac(d, raw, realm, raw + TS_LEN + RAND_LEN);
	if (rc < 0)
		return rc;
	if (gnutls_base64_encode2(&in, &enc) < 0)
		return -ENOMEM;
	if (enc.size == NONCE_B64_LEN) {
		memcpy(out, enc.data, NONCE_B64_LEN);
		out[NONCE_B64_LEN] = '\0';
		memcpy(id, raw + TS_LEN, RAND_LEN);
	} else {
		rc = -EIO;
	}
	gnutls_free(enc.data);
	return rc;
}

/* ----------------------------------------------------------- challenge */

int auth_digest_challenge(struct auth_digest *d, const char *realm,
			  enum auth_digest_alg alg, bool stale,
			  char *out, size_t outlen)
{
	char nonce[NONCE_B64_LEN + 1];
	uint8_t id[RAND_LEN];
	struct sbuf b = { out, 0, outlen, false, false };
	int rc;

	if (d == NULL || realm == NULL || *realm == '\0' || out == NULL ||
	    outlen == 0 || strlen(realm) >= AUTH_DIGEST_REALM_SIZE ||
	    auth_digest_hex_len(alg) == 0)
		return -EINVAL;
	out[0] = '\0';
	rc = nonce_make(d, realm, nonce, id);
	if (rc < 0)
		return rc;
	/* RFC 7616 3.3: realm, qop (quoted list), algorithm (token), nonce;
	 * stale=true only when the last nonce was merely too old. */
	sb_puts(&b, "Digest realm=");
	sb_quoted(&b, realm);
	sb_puts(&b, ", qop=\"auth\", algorithm=");
	sb_puts(&b, alg == AUTH_DIGEST_SHA256 ? "SHA-256" : "MD5");
	sb_puts(&b, ", nonce=\"");
	sb_puts(&b, nonce);
	sb_putc(&b, '"');
	if (stale)
		sb_puts(&b, ", stale=true");
	rc = sb_result(&b);
	if (rc < 0) {
		out[0] = '\0';
		return rc;
	}
	/* Remember the nonce only once the challenge is really going out. */
	pthread_mutex_lock(&d->lock);
	auth_nonce_table_add(d->nonces, id);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* ------------------------------------------------------ response, HA1 */

int auth_digest_ha1(enum auth_digest_alg alg, const char *user,
		    const char *realm, const char *password,
		    char *out, size_t outlen)
{
	const char *parts[3] = { user, realm, password };
	size_t hl = auth_digest_hex_len(alg);

	if (hl == 0 || user == NULL || realm == NULL || password == NULL ||
	    out == NULL)
		return -EINVAL;
	if (outlen < hl + 1)
		return -ENOSPC;
	return hash_hex(alg, parts, 3, out);
}

int auth_digest_response(const struct auth_digest_input *in,
			 char *out, size_t outlen)
{
	char ha1[HEX_MAX + 1], ha2[HEX_MAX + 1];
	size_t hl;
	int rc;

	if (in == NULL || out == NULL)
		return -EINVAL;
	hl = auth_digest_hex_len(in->alg);
	if (hl == 0 || in->ha1_hex == NULL || in->nonce == NULL ||
	    in->method == NULL || in->uri == NULL ||
	    ((in->qop || in->sess) && (in->nc == NULL || in->cnonce == NULL)))
		return -EINVAL;
	if (strlen(in->ha1_hex) != hl || !is_hex(in->ha1_hex, hl))
		return -EINVAL;
	if (outlen < hl + 1)
		return -ENOSPC;
	hex_lower(ha1, in->ha1_hex, hl);
	if (in->sess) {
		/* RFC 7616 3.4.2: HA1 = H(H(user:realm:pass) ":" nonce ":"
		 * cnonce) for the -sess algorithms. */
		const char *p[3] = { ha1, in->nonce, in->cnonce };
		char sess[HEX_MAX + 1];

		rc = hash_hex(in->alg, p, 3, sess);
		memcpy(ha1, sess, sizeof(ha1));
		util_secure_zero(sess, sizeof(sess));
		if (rc < 0)
			goto out;
	}
	{
		/* RFC 7616 3.4.3: A2 = Method ":" request-uri for qop=auth. */
		const char *p[2] = { in->method, in->uri };

		rc = hash_hex(in->alg, p, 2, ha2);
		if (rc < 0)
			goto out;
	}
	if (in->qop) {
		/* RFC 7616 3.4.1: KD(H(A1), nonce:nc:cnonce:qop:H(A2)). */
		const char *p[6] = { ha1, in->nonce, in->nc, in->cnonce,
				     in->qop, ha2 };

		rc = hash_hex(in->alg, p, 6, out);
	} else {
		/* RFC 2617 3.2.2.1 (RFC 2069 compatibility). */
		const char *p[3] = { ha1, in->nonce, ha2 };

		rc = hash_hex(in->alg, p, 3, out);
	}
out:
	util_secure_zero(ha1, sizeof(ha1));
	return rc;
}

/* -------------------------------------------------------------- verify */

const char *auth_digest_result_str(enum auth_digest_result r)
{
	switch (r) {
	case AUTH_DIGEST_OK:           return "ok";
	case AUTH_DIGEST_STALE:        return "stale";
	case AUTH_DIGEST_REPLAY:       return "replay";
	case AUTH_DIGEST_BAD_RESPONSE: return "bad-response";
	case AUTH_DIGEST_BAD_NONCE:    return "bad-nonce";
	case AUTH_DIGEST_MISMATCH:     return "mismatch";
	case AUTH_DIGEST_UNSUPPORTED:  return "unsupported";
	}
	return "?";
}

/* Steps 1-4 of auth_digest_verify(): everything that needs no table. */
static int verify_stateless(const struct auth_digest *d,
			    const struct auth_digest_cred *c,
			    const struct auth_digest_check *chk,
			    uint8_t raw[NONCE_RAW_LEN],
			    enum auth_digest_result *res)
{
	char want[HEX_MAX + 1], got[HEX_MAX + 1];
	size_t hl;
	int rc;

	/* 1. What we do not do.  qop is required: without it there is no
	 * nonce-count and so no replay protection (RFC 7616 3.4 makes
	 * qop mandatory; RFC 3261 22.4 keeps 2069 answers only for
	 * backward compatibility).  userhash: RFC 7616 3.4.4, not offered. */
	hl = c->alg_known ? auth_digest_hex_len(c->alg) : 0;
	if (c->userhash || hl == 0 || strcasecmp(c->qop, "auth") != 0 ||
	    strlen(c->response) != hl) {
		*res = AUTH_DIGEST_UNSUPPORTED;
		return 0;
	}
	if (strlen(c->nc) != 8 || c->cnonce[0] == '\0')
		return -EINVAL;   /* auth_digest_parse() never yields this */
	if (strlen(chk->ha1_hex) != hl || !is_hex(chk->ha1_hex, hl))
		return -EINVAL;
	/* 2. RFC 7616 3.4.6: the uri must name the request's resource. */
	if (strcmp(c->realm, chk->realm) != 0 ||
	    (chk->uri != NULL && strcmp(c->uri, chk->uri) != 0)) {
		*res = AUTH_DIGEST_MISMATCH;
		return 0;
	}
	/* 3. Is the nonce ours, for this realm? */
	rc = nonce_open(d, c->nonce, chk->realm, raw);
	if (rc != 0) {
		*res = AUTH_DIGEST_BAD_NONCE;
		return rc < 0 ? rc : 0;
	}
	/* 4. The response, compared in constant time. */
	{
		struct auth_digest_input in = {
			.alg = c->alg, .sess = c->sess, .ha1_hex = chk->ha1_hex,
			.nonce = c->nonce, .nc = c->nc, .cnonce = c->cnonce,
			.qop = c->qop, .method = chk->method, .uri = c->uri,
		};

		rc = auth_digest_response(&in, want, sizeof(want));
		if (rc < 0)
			return rc;
	}
	hex_lower(got, c->response, hl);
	*res = util_ct_equal(want, got, hl) ? AUTH_DIGEST_OK
					     : AUTH_DIGEST_BAD_RESPONSE;
	util_secure_zero(want, sizeof(want));
	return 0;
}

int auth_digest_verify(struct auth_digest *d,
		       const struct auth_digest_cred *cred,
		       const struct auth_digest_check *chk,
		       enum auth_digest_result *res)
{
	uint8_t raw[NONCE_RAW_LEN];
	int64_t ts, now;
	int rc;

	if (d == NULL || cred == NULL || chk == NULL || res == NULL ||
	    chk->method == NULL || chk->realm == NULL || chk->ha1_hex == NULL)
		return -EINVAL;
	*res = AUTH_DIGEST_BAD_RESPONSE;
	rc = verify_stateless(d, cred, chk, raw, res);
	if (rc < 0 || *res != AUTH_DIGEST_OK)
		return rc;

	/* 5. Age.  The timestamp is authenticated, so it is ours; a date in
	 * the future means our clock stepped back: re-challenge. */
	ts = (int64_t)get_be64(raw);
	now = clock_now();
	pthread_mutex_lock(&d->lock);
	if (ts > now || now - ts > (int64_t)d->lifetime_s) {
		auth_nonce_table_remove(d->nonces, raw + TS_LEN);
		*res = AUTH_DIGEST_STALE;
	} else {
		/* 6-7. Nonce-count (RFC 7616 3.4).  A nonce no longer in
		 * the table may have been used already: stale, not ok. */
		rc = auth_nonce_table_use(d->nonces, raw + TS_LEN,
					  cred->nc_value);
		*res = rc == 0 ? AUTH_DIGEST_OK
		     : rc == -EALREADY ? AUTH_DIGEST_REPLAY
		     : AUTH_DIGEST_STALE;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* ------------------------------------------------- Authentication-Info */

int auth_digest_auth_info(const struct auth_digest_cred *cred,
			  const char *ha1_hex, char *out, size_t outlen)
{
	char rsp[HEX_MAX + 1];
	struct sbuf b = { out, 0, outlen, false, false };
	int rc;

	if (cred == NULL || ha1_hex == NULL || out == NULL || outlen == 0 ||
	    !cred->alg_known || strcasecmp(cred->qop, "auth") != 0 ||
	    strlen(cred->nc) != 8 || !is_hex(cred->nc, 8))
		return -EINVAL;
	out[0] = '\0';
	{
		/* RFC 7616 3.5: rspauth is the response with A2 = ":" uri. */
		struct auth_digest_input in = {
			.alg = cred->alg, .sess = cred->sess,
			.ha1_hex = ha1_hex, .nonce = cred->nonce,
			.nc = cred->nc, .cnonce = cred->cnonce,
			.qop = cred->qop, .method = "", .uri = cred->uri,
		};

		rc = auth_digest_response(&in, rsp, sizeof(rsp));
		if (rc < 0)
			return rc;
	}
	sb_puts(&b, "qop=auth, rspauth=\"");
	sb_puts(&b, rsp);
	sb_puts(&b, "\", cnonce=");
	sb_quoted(&b, cred->cnonce);
	sb_puts(&b, ", nc=");
	sb_puts(&b, cred->nc);
	rc = sb_result(&b);
	if (rc < 0)
		out[0] = '\0';
	return rc;
}
