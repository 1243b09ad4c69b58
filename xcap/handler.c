/*
 * handler.c - one XCAP request, start to finish (RFC 4825 7, 8):
 *
 *   authenticate -> parse the URI -> authorize -> load the document and
 *   its ETag -> If-Match / If-None-Match -> the resource engine ->
 *   compare-and-swap store + audit record (one transaction) -> change
 *   event -> reply with the ETag.
 *
 * Writes are read-modify-write cycles made safe by compare-and-swap on
 * the ETag (architecture-notes "XCAP"): the document is read outside any
 * transaction, the engine computes the new whole document, and
 * db_xcap_put() stores it only if the stored ETag is still the one read.
 * A lost race answers 412 when the client made its request conditional,
 * and otherwise re-runs the cycle (at most XCAP_CAS_TRIES times), so two
 * PUTs carrying the same If-Match never both succeed.
 *
 * Nothing here knows libmicrohttpd: server.c hands in a struct xcap_req
 * and sends the struct xcap_reply back.
 */
#include "xcap/xcap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>

#include "src/core.h"
#include "db/db.h"
#include "xcap/xcap_res.h"

#define XCAP_CAS_TRIES 5

/* State of one request while it is handled. */
struct hctx {
	const struct xcap_handler_cfg *cfg;
	struct db *db;
	const struct xcap_req *req;
	struct xcap_reply *out;
	const struct xcap_auth_result *auth;
	struct xcap_uri *u;
	const char *xui;        /* "" for global documents */
	bool conditional;       /* If-Match or If-None-Match was sent */
};

/* ----------------------------------------------------------------- reply */

void xcap_reply_clear(struct xcap_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void xcap_reply_error(struct xcap_reply *out, int status, const char *why)
{
	int n;

	memset(out, 0, sizeof(*out));
	out->status = status;
	snprintf(out->log, sizeof(out->log), "%s", why);
	snprintf(out->content_type, sizeof(out->content_type),
		 "text/plain; charset=utf-8");
	n = snprintf(NULL, 0, "%d %s\n", status, why);
	out->body = malloc((size_t)n + 1);
	if (out->body) {
		snprintf(out->body, (size_t)n + 1, "%d %s\n", status, why);
		out->body_len = (size_t)n;
	} else {
		out->content_type[0] = '\0';
	}
}

/* Move an engine result into the reply. */
static void reply_from_result(struct xcap_reply *out, struct xcap_result *r)
{
	out->status = r->status;
	snprintf(out->content_type, sizeof(out->content_type), "%s",
		 r->content_type);
	out->body = r->body;
	out->body_len = r->body_len;
	r->body = NULL;
	snprintf(out->log, sizeof(out->log), "%s", r->reason);
	xcap_result_clear(r);
}

static void reply_etag(struct xcap_reply *out, const char *etag)
{
	if (etag && *etag)
		snprintf(out->etag, sizeof(out->etag), "\"%s\"", etag);
}

/* ----------------------------------------------------------------- ETags */

/* A fresh strong ETag: 128 random bits in hex. */
static int etag_new(char out[33])
{
	uint8_t rnd[16];

	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return -1;
	util_hex_encode(rnd, sizeof(rnd), out);
	return 0;
}

/* The ETag of a generated document: a hash of its content, so it stays the
 * same as long as the content does. */
static void etag_of(const uint8_t *body, size_t len, char out[33])
{
	uint8_t h[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, body, len, h) < 0)
		memset(h, 0, sizeof(h));
	util_hex_encode(h, 16, out);
}

/*
 * Does the If-Match / If-None-Match field value `hdr` match the current
 * entity tag `etag` (NULL when there is no document)?  RFC 9110 13.1.1:
 * "*" matches any current representation; If-Match uses the strong
 * comparison (weak tags never match), If-None-Match the weak one.
 */
static bool etag_list_match(const char *hdr, const char *etag, bool weak_ok)
{
	const char *p = hdr;

	while (*p) {
		bool weak = false;
		const char *q;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return etag != NULL;
		if (p[0] == 'W' && p[1] == '/') {
			weak = true;
			p += 2;
		}
		if (*p != '"')
			return false;  /* malformed: matches nothing */
		q = strchr(p + 1, '"');
		if (!q)
			return false;
		if (etag && (!weak || weak_ok) &&
		    (size_t)(q - p - 1) == strlen(etag) &&
		    memcmp(p + 1, etag, (size_t)(q - p - 1)) == 0)
			return true;
		p = q + 1;
	}
	return false;
}

/* RFC 9110 13.2.2 evaluation order.  Returns 0 to go on, or the status
 * (412, 304) to answer with. */
static int preconditions(struct hctx *h, const char *etag, bool is_get)
{
	const char *im = h->req->header(h->req->hctx, "If-Match");
	const char *inm = h->req->header(h->req->hctx, "If-None-Match");

	h->conditional = im || inm;
	if (im && !etag_list_match(im, etag, false))
		return 412;
	if (inm && etag_list_match(inm, etag, true))
		return is_get ? 304 : 412;
	return 0;
}

/* ------------------------------------------------------------- documents */

struct loaded {
	bool have;
	char etag[64];
	uint8_t *body;
	size_t len;
};

static void loaded_clear(struct loaded *l)
{
	free(l->body);
	memset(l, 0, sizeof(*l));
}

/* RFC 4826 4.3.2: the global index is the union of every user's
 * <service> elements, composed on each GET (read-only). */
static int load_rls_index(struct hctx *h, struct loaded *l)
{
	if (xcap_rls_index_load(h->db, &l->body, &l->len) < 0)
		return -1;
	l->have = true;
	etag_of(l->body, l->len, l->etag);
	return 0;
}

static int load_doc(struct hctx *h, struct loaded *l)
{
	const struct xcap_uri *u = h->u;
	struct db_xcap_doc d;
	int rc;

	memset(l, 0, sizeof(*l));
	if (u->global && strcmp(u->auid, "xcap-caps") == 0 &&
	    strcmp(u->doc, "index") == 0) {
		char *caps = NULL;

		if (xcap_caps_print(&caps, &l->len) < 0)
			return -1;
		l->body = (uint8_t *)caps;
		l->have = true;
		etag_of(l->body, l->len, l->etag);
		return 0;
	}
	if (u->global && strcmp(u->auid, "rls-services") == 0 &&
	    strcmp(u->doc, "index") == 0)
		return load_rls_index(h, l);
	rc = db_xcap_get(h->db, u->auid, h->xui, u->doc, &d, &l->body);
	if (rc == DB_ENOTFOUND)
		return 0;
	if (rc < 0) {
		log_err("xcap: reading %s/%s/%s: %s", u->auid, h->xui, u->doc,
			db_errmsg(h->db));
		return -1;
	}
	l->have = true;
	l->len = d.body_len;
	snprintf(l->etag, sizeof(l->etag), "%s", d.etag);
	return 0;
}

/* ------------------------------------------------------------- the store */

static bool auid_notifies(const char *auid)
{
	static const char *const sip_auids[] = {
		"pres-rules", "org.openmobilealliance.pres-rules",
		"pidf-manipulation", "resource-lists", "rls-services",
	};

	for (size_t i = 0; i < sizeof(sip_auids) / sizeof(sip_auids[0]); i++)
		if (strcmp(auid, sip_auids[i]) == 0)
			return true;
	return false;
}

/*
 * Store `newdoc` (NULL: delete the document) if its ETag is still
 * `old->etag` (or, when !old->have, if it still does not exist), and
 * write the audit record, in one transaction.  Returns 0, DB_ECONFLICT
 * when the race was lost, or another DB_E* code.
 */
static int store_cas(struct hctx *h, const struct loaded *old,
		     const uint8_t *newdoc, size_t newlen, const char *etag,
		     int status)
{
	const struct xcap_uri *u = h->u;
	struct db_xcap_doc d;
	char object[512], detail[512];
	bool created = false;
	int rc;

	rc = db_begin(h->db);
	if (rc < 0)
		return rc;
	if (newdoc) {
		memset(&d, 0, sizeof(d));
		snprintf(d.auid, sizeof(d.auid), "%s", u->auid);
		snprintf(d.xui, sizeof(d.xui), "%s", h->xui);
		snprintf(d.name, sizeof(d.name), "%s", u->doc);
		snprintf(d.etag, sizeof(d.etag), "%s", etag);
		d.modified = clock_now();
		d.body = newdoc;
		d.body_len = newlen;
		rc = db_xcap_put(h->db, &d, old->have ? old->etag : "",
				 &created);
	} else {
		rc = db_xcap_delete(h->db, u->auid, h->xui, u->doc, old->etag);
	}
	/* A document created or removed behind our back lost us the race
	 * just as a changed ETag does. */
	if (rc == DB_EEXIST || (rc == DB_ENOTFOUND && old->have))
		rc = DB_ECONFLICT;
	if (rc < 0)
		goto fail;
	snprintf(object, sizeof(object), "%s/users/%s/%s%s%s", u->auid,
		 h->xui, u->doc, u->node ? "/~~/" : "", u->node ? u->node : "");
	snprintf(detail, sizeof(detail), "status=%d etag=%s%s%s", status,
		 newdoc ? etag : "-", old->have ? " previous=" : "",
		 old->have ? old->etag : "");
	rc = db_audit_add(h->db, h->auth->impi,
			  !strcmp(h->req->method, "DELETE") ? "xcap.delete"
							    : "xcap.put",
			  object, detail);
	if (rc < 0)
		goto fail;
	rc = db_commit(h->db);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	db_rollback(h->db);
	return rc;
}

/* ------------------------------------------------------------ operations */

static void do_get(struct hctx *h)
{
	struct xcap_result r = { 0 };
	struct loaded l;
	int pre;

	if (load_doc(h, &l) < 0) {
		xcap_reply_error(h->out, 500, "store failure");
		return;
	}
	pre = preconditions(h, l.have ? l.etag : NULL, true);
	if (pre) {
		xcap_reply_error(h->out, pre, pre == 304 ? "not modified"
							 : "precondition failed");
		if (pre == 304) {  /* RFC 9110 15.4.5: no content */
			free(h->out->body);
			h->out->body = NULL;
			h->out->body_len = 0;
			h->out->content_type[0] = '\0';
		}
	} else {
		xcap_res_get(h->u, l.have ? l.body : NULL, l.len, &r);
		reply_from_result(h->out, &r);
	}
	if (l.have)
		reply_etag(h->out, l.etag);
	loaded_clear(&l);
}

/* PUT and DELETE: the read-modify-write cycle. */
static void do_write(struct hctx *h, bool is_put)
{
	const char *ctype = h->req->header(h->req->hctx, "Content-Type");
	struct xcap_result r = { 0 };
	struct loaded l = { 0 };
	char etag[33];

	for (int attempt = 0; attempt < XCAP_CAS_TRIES; attempt++) {
		uint8_t *newdoc = NULL;
		size_t newlen = 0;
		bool kept;
		int rc, pre;

		loaded_clear(&l);
		if (load_doc(h, &l) < 0) {
			xcap_reply_error(h->out, 500, "store failure");
			goto out;
		}
		pre = preconditions(h, l.have ? l.etag : NULL, false);
		if (pre) {
			xcap_reply_error(h->out, pre, "precondition failed");
			if (l.have)
				reply_etag(h->out, l.etag);
			goto out;
		}
		if (is_put)
			rc = xcap_res_put(h->u, l.have ? l.body : NULL, l.len,
					  ctype ? ctype : "", h->req->body,
					  h->req->body_len, &newdoc, &newlen,
					  &r);
		else
			rc = xcap_res_delete(h->u, l.have ? l.body : NULL,
					     l.len, &newdoc, &newlen, &r);
		if (rc < 0) {
			reply_from_result(h->out, &r);
			if (l.have)
				reply_etag(h->out, l.etag);
			goto out;
		}
		if (etag_new(etag) < 0) {
			free(newdoc);
			xcap_result_clear(&r);
			xcap_reply_error(h->out, 500, "no randomness");
			goto out;
		}
		if (is_put && !newdoc) {  /* engine contract: never */
			xcap_result_clear(&r);
			xcap_reply_error(h->out, 500, "engine gave no document");
			goto out;
		}
		kept = newdoc != NULL;
		rc = store_cas(h, &l, newdoc, newlen, etag, r.status);
		free(newdoc);
		if (rc == 0) {
			reply_from_result(h->out, &r);
			if (kept)
				reply_etag(h->out, etag);
			if (!h->u->global && h->cfg->changed &&
			    auid_notifies(h->u->auid))
				h->cfg->changed(h->xui, h->u->auid,
						h->cfg->changed_arg);
			goto out;
		}
		xcap_result_clear(&r);
		if (rc != DB_ECONFLICT) {
			log_err("xcap: storing %s/%s/%s: %s", h->u->auid,
				h->xui, h->u->doc, db_strerror(rc));
			xcap_reply_error(h->out, rc == DB_EBUSY ? 503 : 500,
					 "store failure");
			goto out;
		}
		/* Lost the race.  A conditional request names the version it
		 * wanted to change, which is gone: 412 (RFC 9110 13.1.1). */
		if (h->conditional) {
			xcap_reply_error(h->out, 412, "precondition failed "
					 "(concurrent change)");
			goto out;
		}
		log_debug("xcap: %s/%s/%s changed under us, retrying",
			  h->u->auid, h->xui, h->u->doc);
	}
	xcap_reply_error(h->out, 503, "too many concurrent changes, retry");
out:
	loaded_clear(&l);
}

/* ------------------------------------------------------------- the entry */

int xcap_handle_auth(const struct xcap_handler_cfg *cfg, struct db *db,
		     const struct xcap_req *req, struct xcap_auth_result *res,
		     struct xcap_reply *out)
{
	struct xcap_auth_request ar;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(res, 0, sizeof(*res));
	if (strlen(req->uri) > cfg->max_uri) {
		xcap_reply_error(out, 414, "request-target too long");
		return -1;
	}
	memset(&ar, 0, sizeof(ar));
	ar.method = req->method;
	ar.uri = req->uri;
	ar.authorization = req->header(req->hctx, "Authorization");
	ar.remote_addr = req->remote_addr;
	ar.tls = req->tls;
	ar.header = req->header;
	ar.hctx = req->hctx;
	ar.db = db;
	ar.now = clock_now();
	rc = cfg->auth->authenticate(cfg->auth_ctx, &ar, res);
	switch (rc) {
	case XCAP_AUTH_OK:
		return 0;
	case XCAP_AUTH_CHALLENGE:
		xcap_reply_error(out, 401, "authentication required");
		for (int i = 0; i < res->n_challenges &&
				i < XCAP_AUTH_MAX_CHALLENGES; i++)
			memcpy(out->challenge[i], res->challenge[i],
			       sizeof(out->challenge[i]));
		out->n_challenges = res->n_challenges;
		break;
	case XCAP_AUTH_FORBIDDEN:
		xcap_reply_error(out, 403, "forbidden");
		break;
	default:
		xcap_reply_error(out, 500, "authentication failure");
		break;
	}
	if (res->reason[0])
		snprintf(out->log, sizeof(out->log), "%s", res->reason);
	return -1;
}

/* Is `impi` one of the blank-separated words of `list`? */
static bool in_list(const char *list, const char *impi)
{
	size_t n = strlen(impi);

	for (const char *p = list; *p;) {
		size_t w;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		w = strcspn(p, " \t,");
		if (w == n && n > 0 && memcmp(p, impi, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/* A user acts on users/<xui>/ only for an identity of their own. */
static int authorize(struct hctx *h, bool is_get)
{
	bool yes = false;

	if (h->u->global) {
		/* Global documents are generated or provisioned: read-only
		 * over XCAP (RFC 4825 5.1.2 leaves this to the AUID). */
		if (!is_get) {
			xcap_reply_error(h->out, 403, "global documents are "
					 "read-only");
			return -1;
		}
		/* The rls-services index merges every user's services and
		 * their inline lists (RFC 4826 4.3.2): it is for the list
		 * server, not for other users to read. */
		if (strcmp(h->u->auid, "rls-services") == 0 &&
		    strcmp(h->u->doc, "index") == 0 &&
		    !in_list(h->cfg->rls_index_readers, h->auth->impi)) {
			xcap_reply_error(h->out, 403, "the rls-services index is "
					 "readable only by the list server");
			return -1;
		}
		return 0;
	}
	if (h->auth->impu[0])
		yes = strcmp(h->auth->impu, h->u->xui) == 0;
	else if (db_impu_belongs(h->db, h->auth->impi, h->u->xui, &yes) < 0) {
		xcap_reply_error(h->out, 500, "store failure");
		return -1;
	}
	if (!yes) {
		xcap_reply_error(h->out, 403, "not one of your identities");
		return -1;
	}
	return 0;
}

void xcap_handle(const struct xcap_handler_cfg *cfg, struct db *db,
		 const struct xcap_req *req,
		 const struct xcap_auth_result *auth, struct xcap_reply *out)
{
	struct xcap_result r = { 0 };
	struct hctx h;
	const char *m = req->method;
	bool is_get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
	bool is_put = !strcmp(m, "PUT");
	bool is_del = !strcmp(m, "DELETE");

	memset(out, 0, sizeof(*out));
	memset(&h, 0, sizeof(h));
	h.cfg = cfg;
	h.db = db;
	h.req = req;
	h.out = out;
	h.auth = auth;
	if (!is_get && !is_put && !is_del) {
		xcap_reply_error(out, 405, "method not allowed");
		snprintf(out->allow, sizeof(out->allow), "GET, PUT, DELETE");
		goto out;
	}
	if (xcap_uri_parse(cfg->root, req->uri, NULL, cfg->base, &h.u,
			   &r) < 0) {
		reply_from_result(out, &r);
		goto out;
	}
	h.xui = h.u->global ? "" : h.u->xui;
	if (authorize(&h, is_get) < 0)
		goto out;
	if (is_get)
		do_get(&h);
	else
		do_write(&h, is_put);
out:
	xcap_uri_free(h.u);
	snprintf(out->auth_info, sizeof(out->auth_info), "%s",
		 auth->auth_info);
	if (!out->log[0])
		snprintf(out->log, sizeof(out->log), "%s", auth->impi);
}
