/*
 * auth.h - authentication for presenced: the one public header of auth/.
 *
 * auth/ holds the credential checks that the SIP engine (sip/) and the
 * XCAP server (xcap/) share.  It works on strings and byte buffers only:
 * it never sees a Sofia or libmicrohttpd type, it never talks to the
 * network, and it never reads the store itself -- the caller looks up the
 * subscriber's secrets (db/) and hands them in.  All hashing, MACs and
 * random numbers come from GnuTLS; there is no hand-written crypto here.
 *
 * Sections:
 *   Digest   SIP Digest (RFC 3261 clause 22, RFC 8760) and HTTP Digest
 *            (RFC 7616): challenges, parsing of credentials, verification
 *            with self-authenticating nonces, nonce-count replay
 *            protection, HA1 and rspauth computation.
 *   Milenage the 3GPP authentication functions (TS 35.206); today OPc
 *            derivation for provisioning, f1-f5* with the embedded BSF.
 *   (GBA key derivation is added by a later issue.)
 *
 * Nothing in auth/ logs a secret (passwords, HA1 values, keys); results
 * carry enough detail for the caller to log the decision once.
 */
#ifndef PRESENCED_AUTH_H
#define PRESENCED_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ================================================================ Digest */

/*
 * One verifier (struct auth_digest) issues nonces and checks answers.  A
 * nonce is self-authenticating:
 *
 *     nonce = base64( ts(8, big-endian seconds) || rand(16)
 *                     || HMAC-SHA-256(secret, ts || rand || realm) )
 *
 * with a 32-byte secret drawn from gnutls_rnd() at creation, so a restart
 * invalidates every nonce.  Freshness comes from the timestamp (lifetime)
 * and from a bounded table of issued nonces that remembers the highest
 * nonce-count (nc) accepted for each (RFC 7616 section 3.4, RFC 3261
 * clause 22.4).  See auth_digest_verify() for the exact rules.
 *
 * A typical exchange:
 *
 *     auth_digest_challenge(d, realm, AUTH_DIGEST_SHA256, false, b1, ..);
 *     auth_digest_challenge(d, realm, AUTH_DIGEST_MD5, false, b2, ..);
 *     -> 401 with "WWW-Authenticate: <b1>" and "WWW-Authenticate: <b2>"
 *        (most preferred first: RFC 7616 section 3.7, RFC 8760)
 *     <- Authorization: Digest username=..., response=...
 *     auth_digest_parse(value, len, &cred);
 *     look up the HA1 of cred.username for cred.alg in the store;
 *     auth_digest_verify(d, &cred, &check, &res);
 *     AUTH_DIGEST_OK -> serve; AUTH_DIGEST_STALE -> 401 with stale=true;
 *     anything else  -> 401 with fresh challenges.
 */

enum auth_digest_alg {
	AUTH_DIGEST_MD5,     /* "MD5" (RFC 2617, RFC 3261) */
	AUTH_DIGEST_SHA256,  /* "SHA-256" (RFC 7616, RFC 8760) */
};

/* Hex length of a hash of `alg`: 32 for MD5, 64 for SHA-256. */
size_t auth_digest_hex_len(enum auth_digest_alg alg);

/* Sizes (including the NUL) of the fields of struct auth_digest_cred.  A
 * parameter whose unescaped value does not fit is a parse error. */
#define AUTH_DIGEST_USERNAME_SIZE 256
#define AUTH_DIGEST_REALM_SIZE    256
#define AUTH_DIGEST_NONCE_SIZE    128
#define AUTH_DIGEST_URI_SIZE      1024
#define AUTH_DIGEST_RESPONSE_SIZE 65    /* 64 hex digits (SHA-256) */
#define AUTH_DIGEST_ALGO_SIZE     32
#define AUTH_DIGEST_CNONCE_SIZE   128
#define AUTH_DIGEST_QOP_SIZE      16
#define AUTH_DIGEST_NC_SIZE       9     /* 8 hex digits */
#define AUTH_DIGEST_OPAQUE_SIZE   128

/* Room for one challenge built by auth_digest_challenge() with a realm of
 * up to AUTH_DIGEST_REALM_SIZE - 1 bytes, all of them escaped. */
#define AUTH_DIGEST_CHALLENGE_SIZE 768
/* Room for one Authentication-Info value (auth_digest_auth_info()). */
#define AUTH_DIGEST_AUTH_INFO_SIZE 512

/*
 * Credentials from one Authorization / Proxy-Authorization value, as
 * filled by auth_digest_parse().  String fields hold the unescaped value
 * (quoted-pairs resolved), NUL-terminated; a field that was absent is "".
 */
struct auth_digest_cred {
	char username[AUTH_DIGEST_USERNAME_SIZE];
	char realm[AUTH_DIGEST_REALM_SIZE];
	char nonce[AUTH_DIGEST_NONCE_SIZE];
	char uri[AUTH_DIGEST_URI_SIZE];
	char response[AUTH_DIGEST_RESPONSE_SIZE];
	char algorithm[AUTH_DIGEST_ALGO_SIZE];  /* as sent; "" = absent */
	char cnonce[AUTH_DIGEST_CNONCE_SIZE];
	char qop[AUTH_DIGEST_QOP_SIZE];
	char nc[AUTH_DIGEST_NC_SIZE];           /* as sent, for the hash */
	char opaque[AUTH_DIGEST_OPAQUE_SIZE];
	bool userhash;                          /* userhash=true was sent */

	/* Derived by auth_digest_parse(). */
	bool alg_known;            /* MD5, SHA-256 (-sess too), or absent */
	enum auth_digest_alg alg;  /* when alg_known; absent means MD5 */
	bool sess;                 /* the "-sess" variant (RFC 7616 3.4.2) */
	uint32_t nc_value;         /* nc as a number; 0 when absent */
};

/* Outcome of auth_digest_verify().  Only AUTH_DIGEST_OK authenticates. */
enum auth_digest_result {
	AUTH_DIGEST_OK = 0,
	/* The response is right but the nonce is too old or no longer
	 * remembered: challenge again with stale=true (RFC 7616 3.3). */
	AUTH_DIGEST_STALE,
	/* The response is right but its nc is not above the highest nc
	 * accepted for this nonce: a replay (RFC 7616 3.4).  Refuse it.
	 * Re-challenging with stale=true is safe (the sender of a replay
	 * learns nothing) and lets a client that raced itself recover. */
	AUTH_DIGEST_REPLAY,
	/* Wrong response: wrong password, HA1, method, uri or cnonce. */
	AUTH_DIGEST_BAD_RESPONSE,
	/* The nonce was not issued by this verifier (tampered, from another
	 * server, or from before a restart). */
	AUTH_DIGEST_BAD_NONCE,
	/* realm differs from the expected realm, or uri from the request's. */
	AUTH_DIGEST_MISMATCH,
	/* Something we do not do: no qop or a qop other than "auth" (RFC 2069
	 * answers), an unknown algorithm, userhash=true, a response of the
	 * wrong length for the algorithm. */
	AUTH_DIGEST_UNSUPPORTED,
};

/* A short, constant name for logs ("ok", "stale", ...). */
const char *auth_digest_result_str(enum auth_digest_result r);

/* Verifier settings; a zero field takes the default shown. */
struct auth_digest_params {
	unsigned nonce_lifetime_s;  /* 300: age after which a nonce is stale */
	size_t max_nonces;          /* 16384: nonces remembered (>= 2) */
};

struct auth_digest;

/* Create a verifier with a fresh random 32-byte secret (gnutls_rnd, key
 * level) and a nonce table of p->max_nonces entries allocated up front.
 * `p` may be NULL for the defaults.  Returns 0, -EINVAL, -ENOMEM or -EIO
 * (no randomness); on failure *dp is left alone.
 * The verifier is thread-safe: any thread may call challenge and verify
 * concurrently (the nonce table is behind a mutex). */
int auth_digest_create(struct auth_digest **dp,
		       const struct auth_digest_params *p);
/* Wipe the secret and free everything.  NULL is a no-op. */
void auth_digest_destroy(struct auth_digest *d);

/*
 * Build one challenge value -- what follows "WWW-Authenticate: " or
 * "Proxy-Authenticate: " -- into out (outlen bytes, NUL-terminated):
 *
 *     Digest realm="<realm>", qop="auth", algorithm=SHA-256,
 *         nonce="<new nonce>"[, stale=true]
 *
 * (on one line).  Each call issues and remembers a new nonce, so a server
 * offering SHA-256 and MD5 calls this twice, SHA-256 first.  `realm` must
 * be non-empty and shorter than AUTH_DIGEST_REALM_SIZE; it is escaped as a
 * quoted-string.  Returns 0, -EINVAL (bad argument), -ENOSPC (out too
 * small; AUTH_DIGEST_CHALLENGE_SIZE always fits) or -EIO (crypto failure).
 */
int auth_digest_challenge(struct auth_digest *d, const char *realm,
			  enum auth_digest_alg alg, bool stale,
			  char *out, size_t outlen);

/*
 * Parse an Authorization / Proxy-Authorization value ("Digest
 * username=..., ...", `len` bytes, need not be NUL-terminated) into *out.
 * The grammar is RFC 7235 section 2.1 / RFC 3261 clause 25.1:
 *   - the scheme "Digest" (any case), then comma-separated name=value
 *     pairs with optional whitespace (SP, HTAB, and SIP line folding);
 *   - a value is a token or a quoted-string (either form is accepted for
 *     every parameter, RFC 7235 section 2.2); quoted-pairs are unescaped;
 *     control characters are refused;
 *   - a known parameter given twice, an empty element, a value longer than
 *     its field, a missing username/realm/nonce/uri/response, a qop
 *     without nc and cnonce, an nc that is not 8 hex digits, a response
 *     that is not hex, trailing garbage: all refused (an empty value such
 *     as nonce="" is present, not missing: TS 24.109's first request to a
 *     BSF sends one; auth_digest_verify() then refuses it);
 *   - unknown parameters (e.g. "username*", "auts") are ignored.
 * An unknown algorithm is not a parse error: alg_known is false and
 * auth_digest_verify() says AUTH_DIGEST_UNSUPPORTED.
 * Returns 0 or -EINVAL.  *out is fully written either way.
 */
int auth_digest_parse(const char *value, size_t len,
		      struct auth_digest_cred *out);

/* What the caller knows about the request being authenticated. */
struct auth_digest_check {
	const char *method;   /* "SUBSCRIBE", "PUBLISH", "GET", "PUT", ... */
	/* The Request-URI (SIP) or request-target (HTTP) exactly as received;
	 * compared byte for byte with the digest "uri" (RFC 7616 3.4.6).  NULL
	 * skips the comparison: only for a caller that has already compared
	 * them itself (e.g. SIP URI equality, RFC 3261 19.1.4). */
	const char *uri;
	const char *realm;    /* the realm this server challenged with */
	/* H(username ":" realm ":" password) in hex (either case) for
	 * cred->alg: 32 digits for MD5, 64 for SHA-256 (db_subscriber's
	 * ha1_md5 / ha1_sha256).  Never logged. */
	const char *ha1_hex;
};

/*
 * Verify parsed credentials against the expected realm, the request and
 * the stored HA1, and record the nonce-count.  The checks, in order:
 *   1. userhash=true, qop other than "auth" (absent included), or an
 *      unknown algorithm                              -> UNSUPPORTED
 *   2. realm != chk->realm, or uri != chk->uri           -> MISMATCH
 *   3. nonce not ours (bad base64/length/HMAC over the realm) -> BAD_NONCE
 *   4. response (compared in constant time) wrong     -> BAD_RESPONSE
 *   5. nonce older than the lifetime, or dated in the future,
 *      or no longer in the table (evicted, see below)        -> STALE
 *   6. nc not strictly above the highest nc accepted  -> REPLAY
 *   7. otherwise OK, and nc becomes the highest accepted for the nonce.
 * STALE only follows a correct response, as RFC 7616 section 3.3 asks
 * ("only ... with a valid digest for that nonce"), so stale=true never
 * spares a guesser a password prompt.  A failed check never changes the
 * table, so a forged request cannot burn a client's nonce-counts.
 *
 * Nonce table.  Nonces are remembered when issued, in two bounded lists:
 * "pending" (issued, never answered; FIFO, half of max_nonces) and
 * "active" (answered correctly at least once; LRU, the other half).  A
 * nonce missing from both is refused as STALE, never accepted blindly:
 * after eviction its past nc values are unknown, so accepting it could
 * accept a replay.  A flood of unauthenticated requests (each one issuing
 * a challenge) therefore only pushes out pending nonces; nonces of clients
 * that have authenticated survive until max_nonces/2 clients are active.
 * A client whose nonce was evicted gets STALE and retries with the new
 * nonce without prompting the user.
 *
 * Returns 0 with *res set, or -EINVAL when an argument is missing or
 * chk->ha1_hex is not hex of the length cred->alg needs (a caller bug:
 * the store holds HA1 per algorithm), or -EIO on a crypto failure.
 */
int auth_digest_verify(struct auth_digest *d,
		       const struct auth_digest_cred *cred,
		       const struct auth_digest_check *chk,
		       enum auth_digest_result *res);

/*
 * HA1 = H(user ":" realm ":" password) as lower-case hex into out
 * (auth_digest_hex_len(alg) + 1 bytes at least), for provisioning
 * (presencectl) and tests.  The password is hashed in place, never copied.
 * Returns 0, -EINVAL, -ENOSPC or -EIO.
 */
int auth_digest_ha1(enum auth_digest_alg alg, const char *user,
		    const char *realm, const char *password,
		    char *out, size_t outlen);

/* Inputs of one response computation; all strings are unescaped values. */
struct auth_digest_input {
	enum auth_digest_alg alg;
	bool sess;              /* MD5-sess / SHA-256-sess */
	const char *ha1_hex;    /* H(user:realm:password), hex */
	const char *nonce;
	const char *nc;         /* exactly as sent, e.g. "00000001" */
	const char *cnonce;
	const char *qop;        /* "auth"; NULL for the RFC 2069 form */
	const char *method;     /* "" for rspauth (RFC 7616 3.5) */
	const char *uri;
};

/*
 * The request-digest of RFC 7616 section 3.4.1 (RFC 2617 3.2.2.1):
 *   HA1' = sess ? H(HA1 ":" nonce ":" cnonce) : HA1      (3.4.2)
 *   HA2  = H(method ":" uri)                              (3.4.3)
 *   resp = H(HA1' ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
 *          or H(HA1' ":" nonce ":" HA2) when qop is NULL
 * as lower-case hex into out (auth_digest_hex_len(alg) + 1 bytes).
 * A pure function: it knows nothing of nonce validity, which is what makes
 * it testable against the RFC vectors.  The hex HA1 is used as is (hex
 * digits of either case are accepted, then lower-cased, since the RFC
 * hashes the lower-case form).  Returns 0, -EINVAL, -ENOSPC or -EIO.
 */
int auth_digest_response(const struct auth_digest_input *in,
			 char *out, size_t outlen);

/*
 * The Authentication-Info value for a request that auth_digest_verify()
 * accepted (RFC 7616 section 3.5, RFC 3261 clause 20.6):
 *     qop=auth, rspauth="<hex>", cnonce="<cnonce>", nc=<nc>
 * where rspauth is the response computed with an empty method.  ha1_hex is
 * the same HA1 given to verify.  Returns 0, -EINVAL, -ENOSPC or -EIO.
 */
int auth_digest_auth_info(const struct auth_digest_cred *cred,
			  const char *ha1_hex, char *out, size_t outlen);

/* ============================================================== Milenage */

/*
 * The 3GPP Milenage algorithm set (TS 35.206) over AES-128 from GnuTLS.
 * Implemented in auth/milenage.c; f1-f5* join with the embedded BSF.
 */

/* OPc = OP xor E_K(OP) (TS 35.206 clause 4.1), for provisioning: only OPc
 * is stored.  Returns 0, or -1 on a crypto failure. */
int auth_milenage_opc(const uint8_t k[16], const uint8_t op[16],
		      uint8_t opc[16]);

#endif /* PRESENCED_AUTH_H */
