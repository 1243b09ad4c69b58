/*
 * xauth.c - the HTTP Digest authenticator of the XCAP server (RFC 7616),
 * one implementation of struct xcap_authenticator (xcap.h); GBA plugs in
 * next to it later.
 *
 * The realm.  The store keeps one HA1 per subscriber and algorithm,
 * computed over the subscriber's realm (db_subscriber.realm), and a Digest
 * response can only be checked against an HA1 of the realm the client
 * answered for.  The server challenges with one realm, xcap.auth_realm
 * (default: the first of server.domains), before it knows who the user
 * is; a subscriber is therefore authenticated over XCAP only when their
 * stored realm equals xcap.auth_realm (docs/xcap.md).  A subscriber
 * provisioned with another realm is refused (and the log says why).
 *
 * Username = IMPI.  Challenges offer SHA-256 first, then MD5 (RFC 7616
 * 3.7), qop="auth".  Nonce lifetime and replay protection (nonce-count)
 * come from auth_digest_verify(): a stale nonce or a replay gets a fresh
 * challenge with stale=true.
 */
#include "xcap/xcap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "db/db.h"
#include "src/core.h"

struct xauth_digest {
	struct auth_digest *verifier;
	char realm[AUTH_DIGEST_REALM_SIZE];
};

static int digest_create(void **ctxp, const struct conf *conf)
{
	struct xauth_digest *x = calloc(1, sizeof(*x));
	struct auth_digest_params p = { 0 };
	const char *realm = conf_str(conf, "xcap.auth_realm");
	char buf[1024];
	const char *items[1];

	if (!x)
		return -1;
	if (!*realm) {
		/* default: the first served domain */
		if (conf_split_list(conf_str(conf, "server.domains"), buf,
				    sizeof(buf), items, 1) < 1) {
			const char *d = conf_str(conf, "server.domains");
			size_t n = strcspn(d, " \t");

			snprintf(buf, sizeof(buf), "%.*s", (int)n, d);
			items[0] = buf;
		}
		realm = items[0];
	}
	if (!*realm || strlen(realm) >= sizeof(x->realm)) {
		log_err("xcap: no usable Digest realm (xcap.auth_realm / "
			"server.domains)");
		free(x);
		return -1;
	}
	snprintf(x->realm, sizeof(x->realm), "%s", realm);
	p.nonce_lifetime_s = (unsigned)conf_int(conf, "xcap.nonce_lifetime");
	if (auth_digest_create(&x->verifier, &p) < 0) {
		free(x);
		return -1;
	}
	*ctxp = x;
	return 0;
}

static void digest_destroy(void *ctx)
{
	struct xauth_digest *x = ctx;

	if (!x)
		return;
	auth_digest_destroy(x->verifier);
	free(x);
}

/* RFC 7616 3.7: one challenge per algorithm, most preferred first. */
static int challenge(struct xauth_digest *x, bool stale,
		     struct xcap_auth_result *res)
{
	static const enum auth_digest_alg algs[] = { AUTH_DIGEST_SHA256,
						     AUTH_DIGEST_MD5 };

	res->n_challenges = 0;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (auth_digest_challenge(x->verifier, x->realm, algs[i], stale,
					  res->challenge[i],
					  sizeof(res->challenge[i])) < 0)
			return XCAP_AUTH_ERROR;
		res->n_challenges++;
	}
	return XCAP_AUTH_CHALLENGE;
}

static int digest_authenticate(void *ctx, const struct xcap_auth_request *req,
			       struct xcap_auth_result *res)
{
	struct xauth_digest *x = ctx;
	struct auth_digest_cred *cred = NULL;
	struct auth_digest_check chk;
	struct db_subscriber *sub = NULL;
	enum auth_digest_result vr;
	int rc, out = XCAP_AUTH_ERROR;

	if (!req->authorization) {
		snprintf(res->reason, sizeof(res->reason), "no credentials");
		return challenge(x, false, res);
	}
	cred = calloc(1, sizeof(*cred));
	sub = calloc(1, sizeof(*sub));
	if (!cred || !sub)
		goto done;
	if (auth_digest_parse(req->authorization, strlen(req->authorization),
			      cred) < 0) {
		snprintf(res->reason, sizeof(res->reason),
			 "malformed or non-Digest credentials");
		out = challenge(x, false, res);
		goto done;
	}
	if (!cred->alg_known) {
		snprintf(res->reason, sizeof(res->reason),
			 "unsupported digest algorithm");
		out = challenge(x, false, res);
		goto done;
	}
	rc = db_subscriber_get(req->db, cred->username, sub);
	if (rc == DB_ENOTFOUND) {
		snprintf(res->reason, sizeof(res->reason), "unknown user %.64s",
			 cred->username);
		out = challenge(x, false, res);
		goto done;
	}
	if (rc < 0) {
		snprintf(res->reason, sizeof(res->reason), "store: %s",
			 db_strerror(rc));
		goto done;
	}
	/* The stored HA1 covers the subscriber's realm (see the header). */
	if (strcmp(sub->realm, x->realm) != 0) {
		snprintf(res->reason, sizeof(res->reason),
			 "user %.64s is provisioned for realm %.40s, not %.40s",
			 cred->username, sub->realm, x->realm);
		out = challenge(x, false, res);
		goto done;
	}
	memset(&chk, 0, sizeof(chk));
	chk.method = req->method;
	chk.uri = req->uri;
	chk.realm = x->realm;
	chk.ha1_hex = cred->alg == AUTH_DIGEST_SHA256 ? sub->ha1_sha256
						      : sub->ha1_md5;
	if (strlen(chk.ha1_hex) != auth_digest_hex_len(cred->alg)) {
		snprintf(res->reason, sizeof(res->reason),
			 "user %.64s has no password", cred->username);
		out = challenge(x, false, res);
		goto done;
	}
	if (auth_digest_verify(x->verifier, cred, &chk, &vr) < 0) {
		snprintf(res->reason, sizeof(res->reason), "digest failure");
		goto done;
	}
	snprintf(res->reason, sizeof(res->reason), "digest %s for %.64s",
		 auth_digest_result_str(vr), cred->username);
	switch (vr) {
	case AUTH_DIGEST_OK:
		snprintf(res->impi, sizeof(res->impi), "%s", cred->username);
		if (auth_digest_auth_info(cred, chk.ha1_hex, res->auth_info,
					  sizeof(res->auth_info)) < 0)
			res->auth_info[0] = '\0';
		out = XCAP_AUTH_OK;
		break;
	case AUTH_DIGEST_STALE:
	case AUTH_DIGEST_REPLAY:
		/* RFC 7616 3.3: the password was right, the nonce is not. */
		out = challenge(x, true, res);
		break;
	default:
		out = challenge(x, false, res);
		break;
	}
done:
	if (sub)
		util_secure_zero(sub, sizeof(*sub));
	free(sub);
	free(cred);
	return out;
}

const struct xcap_authenticator xcap_auth_digest = {
	.name = "digest",
	.create = digest_create,
	.destroy = digest_destroy,
	.authenticate = digest_authenticate,
};
