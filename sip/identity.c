/*
 * identity.c - who is asking (TS 33.141 clause 4, RFC 3325, RFC 3261 22):
 *
 *   1. P-Asserted-Identity, honoured only when the request comes from an
 *      address in sip.trusted_peers (the trust domain, e.g. the S-CSCF);
 *      from anyone else it is ignored, never trusted.
 *   2. Otherwise SIP Digest (auth/): a presence server is a UAS, so the
 *      challenge is 401 WWW-Authenticate (RFC 3261 22.2), offering the
 *      algorithms of sip.digest_algorithms (SHA-256, MD5), qop=auth, with
 *      nonce lifetime and nonce-count replay protection done by auth/.
 *      username is the IMPI; the identity becomes the From IMPU when it
 *      belongs to that IMPI, else the IMPI's default IMPU.
 *   3. Otherwise, when sip.allow_anonymous is set and the From is not a
 *      provisioned identity with a password, the watcher is anonymous
 *      (SIP_ANONYMOUS, authenticated = false).  A provisioned From is
 *      always challenged, so nobody is downgraded to anonymous by
 *      claiming someone else's name.
 * The bare From is never the identity handed to authorization.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/engine_int.h"
#include "auth/auth.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/msg_addr.h>

/* ---------------------------------------------------------- peers */

static int peer_parse(const char *item, struct sip_peer_net *n)
{
	char buf[80], *slash;
	const char *a;
	long prefix = -1;

	if (strlen(item) >= sizeof(buf))
		return -1;
	strcpy(buf, item);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		*slash = '\0';
		prefix = strtol(slash + 1, &end, 10);
		if (*end || prefix < 0)
			return -1;
	}
	a = buf;
	if (*a == '[') {
		char *c = strchr(buf, ']');
		if (!c)
			return -1;
		*c = '\0';
		a = buf + 1;
	}
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, a, n->addr) == 1) {
		n->family = AF_INET;
		if (prefix > 32)
			return -1;
		n->prefix = prefix < 0 ? 32 : (unsigned)prefix;
	} else if (inet_pton(AF_INET6, a, n->addr) == 1) {
		n->family = AF_INET6;
		if (prefix > 128)
			return -1;
		n->prefix = prefix < 0 ? 128 : (unsigned)prefix;
	} else {
		return -1;
	}
	return 0;
}

int sip_peers_parse(const char *list, struct sip_peer_net *out, int max)
{
	char buf[4096];
	const char *items[SIP_MAX_PEERS];
	int n;

	if (!list || !*list)
		return 0;
	/* Accept commas as separators too. */
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = ' ';
	{
		char split[4096];
		n = conf_split_list(buf, split, sizeof(split), items,
				    max < SIP_MAX_PEERS ? max : SIP_MAX_PEERS);
		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++)
			if (peer_parse(items[i], &out[i]) < 0)
				return -1;
	}
	return n;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (a[bytes] & mask) == (b[bytes] & mask);
	}
	return true;
}

bool sip_peer_trusted(const struct sip_engine *e, nta_incoming_t *irq)
{
	msg_t *m;
	su_addrinfo_t *ai;
	uint8_t addr[16];
	int family = 0;
	bool ok = false;

	if (!e->set.n_peers)
		return false;
	m = nta_incoming_getrequest(irq);
	if (!m)
		return false;
	ai = msg_addrinfo(m);
	if (ai && ai->ai_addr && ai->ai_family == AF_INET) {
		memcpy(addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		family = AF_INET;
	} else if (ai && ai->ai_addr && ai->ai_family == AF_INET6) {
		const uint8_t *a6 =
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
						    0, 0xff, 0xff };
		if (memcmp(a6, mapped, 12) == 0) {
			memcpy(addr, a6 + 12, 4);
			family = AF_INET;
		} else {
			memcpy(addr, a6, 16);
			family = AF_INET6;
		}
	}
	msg_destroy(m);
	for (int i = 0; family && i < e->set.n_peers && !ok; i++)
		ok = e->set.peers[i].family == family &&
		     prefix_match(addr, e->set.peers[i].addr,
				  e->set.peers[i].prefix);
	return ok;
}

/* --------------------------------------------------------- challenge */

static int challenge(struct sip_engine *e, nta_incoming_t *irq,
		     const char *realm, bool stale)
{
	char c1[AUTH_DIGEST_CHALLENGE_SIZE], c2[AUTH_DIGEST_CHALLENGE_SIZE];
	enum auth_digest_alg first, second;
	bool two = e->set.digest_md5 && e->set.digest_sha256;

	first = e->set.sha256_first || !e->set.digest_md5 ? AUTH_DIGEST_SHA256
							  : AUTH_DIGEST_MD5;
	second = first == AUTH_DIGEST_SHA256 ? AUTH_DIGEST_MD5
					     : AUTH_DIGEST_SHA256;
	if (!realm || !*realm || strlen(realm) >= AUTH_DIGEST_REALM_SIZE ||
	    auth_digest_challenge(e->digest, realm, first, stale, c1,
				  sizeof(c1)) < 0 ||
	    (two && auth_digest_challenge(e->digest, realm, second, stale, c2,
					  sizeof(c2)) < 0)) {
		nta_incoming_treply(irq, 500, "Cannot Challenge", TAG_END());
		nta_incoming_destroy(irq);
		return 500;
	}
	/* RFC 8760: most preferred first. */
	nta_incoming_treply(irq, 401, "Unauthorized",
			    SIPTAG_WWW_AUTHENTICATE_STR(c1),
			    TAG_IF(two, SIPTAG_WWW_AUTHENTICATE_STR(c2)),
			    TAG_END());
	nta_incoming_destroy(irq);
	return 401;
}

int sip_digest_check(struct auth_digest *d, struct db *db,
		     const struct sip_digest_req *req, struct sip_identity *id,
		     bool *stale, char *realm, size_t realmlen)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct auth_digest_cred *cred = NULL;
	struct db_subscriber sub;
	struct auth_digest_check chk = { 0 };
	enum auth_digest_result res = AUTH_DIGEST_BAD_RESPONSE;
	const char *ha1;
	url_t *u, *ru;
	int rc = -1;

	*stale = false;
	memset(&sub, 0, sizeof(sub));
	cred = malloc(sizeof(*cred));
	if (!cred || !req->authorization ||
	    auth_digest_parse(req->authorization, strlen(req->authorization),
			      cred) < 0) {
		log_info("sip: unparsable Digest credentials");
		goto out;
	}
	if (!cred->alg_known ||
	    (cred->alg == AUTH_DIGEST_MD5 && !req->md5) ||
	    (cred->alg == AUTH_DIGEST_SHA256 && !req->sha256))
		goto out;
	if (db_subscriber_get(db, cred->username, &sub) < 0) {
		log_info("sip: Digest for unknown user %s", cred->username);
		goto out;
	}
	snprintf(realm, realmlen, "%s", sub.realm);
	ha1 = cred->alg == AUTH_DIGEST_SHA256 ? sub.ha1_sha256 : sub.ha1_md5;
	if (!*ha1)
		goto out;
	/* Compare the digest-uri with the Request-URI as SIP URIs (RFC 3261
	 * 19.1.4), not byte for byte. */
	u = url_make(home, cred->uri);
	ru = url_make(home, req->request_uri);
	if (!u || !ru || url_cmp(u, ru) != 0) {
		log_info("sip: Digest for %s: uri is not the Request-URI",
			 cred->username);
		goto out;
	}
	chk.method = req->method;
	chk.uri = NULL;
	chk.realm = sub.realm;
	chk.ha1_hex = ha1;
	if (auth_digest_verify(d, cred, &chk, &res) < 0)
		goto out;
	if (res == AUTH_DIGEST_OK) {
		bool mine = false;

		memset(id, 0, sizeof(*id));
		db_impu_belongs(db, cred->username, req->from, &mine);
		if (mine)
			snprintf(id->uri, sizeof(id->uri), "%s", req->from);
		else if (db_impu_default(db, cred->username, id->uri,
					 sizeof(id->uri)) < 0)
			goto out;
		snprintf(id->impi, sizeof(id->impi), "%s", cred->username);
		id->authenticated = true;
		rc = 0;
	} else {
		*stale = res == AUTH_DIGEST_STALE || res == AUTH_DIGEST_REPLAY;
		log_info("sip: Digest for %s refused: %s", cred->username,
			 auth_digest_result_str(res));
	}
out:
	util_secure_zero(&sub, sizeof(sub));
	free(cred);
	su_home_deinit(home);
	return rc;
}

/* "Digest p1=v1, p2=v2" rebuilt from the parsed header (Sofia keeps the
 * scheme and each auth-param as given). */
static char *auth_value(su_home_t *home, const sip_authorization_t *au)
{
	size_t len;
	char *v, *p;

	if (!au || !au->au_scheme)
		return NULL;
	len = strlen(au->au_scheme) + 2;
	for (int i = 0; au->au_params && au->au_params[i]; i++)
		len += strlen(au->au_params[i]) + 2;
	v = su_alloc(home, len);
	if (!v)
		return NULL;
	p = v + sprintf(v, "%s ", au->au_scheme);
	for (int i = 0; au->au_params && au->au_params[i]; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", au->au_params[i]);
	return v;
}

static int verify(struct sip_engine *e, sip_t const *sip, const char *from,
		  struct sip_identity *id, bool *stale, char *realm,
		  size_t realmlen)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct sip_digest_req req = { 0 };
	int rc;

	req.authorization = auth_value(home, sip->sip_authorization);
	req.method = sip->sip_request->rq_method_name;
	req.request_uri = url_as_string(home, sip->sip_request->rq_url);
	req.from = from;
	req.md5 = e->set.digest_md5;
	req.sha256 = e->set.digest_sha256;
	rc = req.request_uri ? sip_digest_check(e->digest, e->db, &req, id,
						stale, realm, realmlen) : -1;
	su_home_deinit(home);
	return rc;
}

int sip_identity_get(struct sip_engine *e, nta_incoming_t *irq,
		     sip_t const *sip, struct sip_identity *id)
{
	sip_p_asserted_identity_t *pai = sip_p_asserted_identity(sip);
	struct db_subscriber sub;
	char from[256], realm[256];
	bool stale = false;
	int rc;

	memset(id, 0, sizeof(*id));
	if (sip_engine_aor(sip->sip_from->a_url, from, sizeof(from)) < 0) {
		nta_incoming_treply(irq, 400, "Bad From", TAG_END());
		nta_incoming_destroy(irq);
		return 400;
	}
	/* 1. RFC 3325 9.1: only from inside the trust domain. */
	if (pai && sip_peer_trusted(e, irq)) {
		for (; pai; pai = pai->paid_next)
			if (pai->paid_url->url_type == url_sip ||
			    pai->paid_url->url_type == url_sips)
				break;
		if (pai && sip_engine_aor(pai->paid_url, id->uri,
					  sizeof(id->uri)) == 0) {
			id->authenticated = true;
			return 0;
		}
	}
	/* 2. Digest. */
	realm[0] = '\0';
	if (sip->sip_authorization) {
		if (verify(e, sip, from, id, &stale, realm, sizeof(realm)) == 0)
			return 0;
	}
	memset(&sub, 0, sizeof(sub));
	rc = db_subscriber_by_impu(e->db, from, &sub);
	if (rc == 0 && (sub.ha1_md5[0] || sub.ha1_sha256[0])) {
		snprintf(realm, sizeof(realm), "%s", sub.realm);
		util_secure_zero(&sub, sizeof(sub));
		return challenge(e, irq, realm, stale);
	}
	util_secure_zero(&sub, sizeof(sub));
	/* 3. Anonymous, if allowed. */
	if (e->set.allow_anonymous && !sip->sip_authorization) {
		snprintf(id->uri, sizeof(id->uri), "%s", SIP_ANONYMOUS);
		return 0;
	}
	if (!realm[0])
		snprintf(realm, sizeof(realm), "%s",
			 sip->sip_from->a_url->url_host ?
			 sip->sip_from->a_url->url_host : "presence");
	return challenge(e, irq, realm, stale);
}
