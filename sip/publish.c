/*
 * publish.c - PUBLISH (RFC 3903) for the "presence" event: initial
 * (the server issues a SIP-ETag), refresh (SIP-If-Match, no body),
 * modify (SIP-If-Match with a body) and remove (Expires: 0); expiry; and
 * the composed PIDF of each presentity.
 *
 * Each publication keeps its parsed, validated struct pidf_doc (parsed
 * once, pidf.h).  When the set of a presentity's live publications
 * changes, its doc_version goes up; the composed document is rebuilt on
 * the first NOTIFY that needs it and then shared by every watcher
 * (cache by version, architecture-notes "NOTIFY bodies").
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/engine_int.h"
#include "sip/pidf.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>

struct sip_pub {
	struct sip_hnode hn;      /* e->etags */
	struct sip_pub *next;     /* the presentity's list, oldest first */
	struct sip_pres *pres;
	struct pidf_doc *doc;
	int64_t expires;
	char etag[40];
};

static bool etag_match(const struct sip_hnode *n, const void *key)
{
	return strcmp(((const struct sip_pub *)n)->etag, key) == 0;
}

static struct sip_pub *pub_find(struct sip_engine *e, const char *etag)
{
	return (struct sip_pub *)sip_htab_find(&e->etags, sip_hash_str(etag, 0),
					       etag_match, etag);
}

static void pub_set_etag(struct sip_engine *e, struct sip_pub *b,
			 const char *etag)
{
	if (b->hn.hash || b->etag[0])
		sip_htab_remove(&e->etags, &b->hn);
	snprintf(b->etag, sizeof(b->etag), "%s", etag);
	sip_htab_insert(&e->etags, &b->hn, sip_hash_str(b->etag, 0));
}

static void new_etag(struct sip_engine *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%" PRIx64, e->boot_id, ++e->etag_seq);
}

static void pres_changed(struct sip_pres *p)
{
	p->doc_version++;
}

static void pub_link(struct sip_pres *p, struct sip_pub *b)
{
	struct sip_pub **pp = &p->pubs;

	while (*pp)
		pp = &(*pp)->next;
	b->next = NULL;
	b->pres = p;
	*pp = b;
	pres_changed(p);
}

/* Unlink and free; the presentity may go too. */
static void pub_drop(struct sip_engine *e, struct sip_pub *b)
{
	struct sip_pres *p = b->pres;
	struct sip_pub **pp;

	for (pp = &p->pubs; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	sip_htab_remove(&e->etags, &b->hn);
	pidf_free(b->doc);
	sip_pool_free(b);
	pres_changed(p);
}

int sip_publish_document(struct sip_engine *e, struct sip_pres *p,
			 const char **doc, size_t *len)
{
	struct pidf_doc *docs[64];
	size_t n = 0;
	char *out;
	size_t outlen;
	int rc;

	(void)e;
	if (p->doc && p->doc_built == p->doc_version) {
		*doc = p->doc;
		*len = p->doc_len;
		return 0;
	}
	/* The newest 64 publications are more than any presentity has. */
	for (struct sip_pub *b = p->pubs; b; b = b->next) {
		if (n == sizeof(docs) / sizeof(docs[0]))
			memmove(docs, docs + 1, --n * sizeof(docs[0]));
		docs[n++] = b->doc;
	}
	rc = n ? pidf_compose(p->aor, docs, n, &out, &outlen)
	       : pidf_neutral(p->aor, &out, &outlen);
	if (rc < 0) {
		log_err("sip: cannot compose the document of %s", p->aor);
		return rc;
	}
	/* Keep the bytes in the pool: they live as long as the presentity. */
	sip_pool_free(p->doc);
	p->doc = sip_pool_memdup(out, outlen);
	free(out);
	if (!p->doc)
		return -ENOMEM;
	p->doc_len = outlen;
	p->doc_built = p->doc_version;
	*doc = p->doc;
	*len = p->doc_len;
	return 0;
}

int sip_publish_neutral(struct sip_engine *e, struct sip_pres *p,
			const char **doc, size_t *len)
{
	(void)e;
	if (!p->neutral) {
		char *out;
		int rc = pidf_neutral(p->aor, &out, &p->neutral_len);
		if (rc < 0)
			return rc;
		p->neutral = sip_pool_memdup(out, p->neutral_len);
		free(out);
		if (!p->neutral)
			return -ENOMEM;
	}
	*doc = p->neutral;
	*len = p->neutral_len;
	return 0;
}

static int answer(nta_incoming_t *irq, int status, const char *phrase)
{
	nta_incoming_treply(irq, status, phrase, TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

/* May this identity publish for aor?  (RFC 3903 6 step 2: the ESC
 * authorizes the publisher; here, the presentity itself.) */
static bool may_publish(struct sip_engine *e, const struct sip_identity *id,
			const char *aor)
{
	bool mine = false;

	if (!id->authenticated)
		return false;
	if (strcmp(id->uri, aor) == 0)
		return true;
	if (id->impi[0])
		db_impu_belongs(e->db, id->impi, aor, &mine);
	return mine;
}

/* Parse and validate a body; answers 415/413/400 itself. */
static int body_doc(struct sip_engine *e, nta_incoming_t *irq,
		    sip_t const *sip, struct pidf_doc **doc)
{
	char why[128];
	int rc;

	if (!sip->sip_content_type || !sip->sip_content_type->c_type ||
	    strcasecmp(sip->sip_content_type->c_type,
		       "application/pidf+xml") != 0) {
		/* RFC 3903 6 step 5 / RFC 3261 21.4.13 */
		nta_incoming_treply(irq, 415, "Unsupported Media Type",
				    SIPTAG_ACCEPT_STR("application/pidf+xml"),
				    TAG_END());
		nta_incoming_destroy(irq);
		return -1;
	}
	rc = pidf_parse((const uint8_t *)sip->sip_payload->pl_data,
			sip->sip_payload->pl_len, e->set.max_body, doc, why,
			sizeof(why));
	if (rc == PIDF_ETOOBIG) {
		answer(irq, 413, "Request Entity Too Large");
		return -1;
	}
	if (rc < 0) {
		answer(irq, rc == PIDF_ENOMEM ? 500 : 400,
		       rc == PIDF_ENOMEM ? "Out of Memory" : why);
		return -1;
	}
	return 0;
}

int sip_publish_request(struct sip_engine *e, nta_incoming_t *irq,
			sip_t const *sip)
{
	char aor[256], etag[40];
	struct sip_identity id;
	struct sip_deferred *d;
	struct sip_pres *p;
	struct sip_pub *b = NULL;
	struct pidf_doc *doc = NULL;
	struct db_publication row;
	long req = sip->sip_expires ? (long)sip->sip_expires->ex_delta : -1;
	bool open = false, has_body = sip->sip_payload &&
					  sip->sip_payload->pl_len > 0;
	const char *if_match = sip->sip_if_match ? sip->sip_if_match->g_string
						 : NULL;
	unsigned exp;
	const char *phrase;
	int rc;

	if (!sip->sip_event || !sip->sip_event->o_type ||
	    strcasecmp(sip->sip_event->o_type, "presence") != 0) {
		nta_incoming_treply(irq, 489, "Bad Event",
				    SIPTAG_ALLOW_EVENTS_STR("presence"), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
	rc = sip_engine_presentity(e, sip, aor, sizeof(aor), &open, &phrase);
	if (rc != 0)
		return answer(irq, rc, phrase);
	if (!open) {
		if (sip_identity_get(e, irq, sip, &id) != 0)
			return 0;
		if (!may_publish(e, &id, aor))
			return answer(irq, 403, "Only the presentity may publish");
	}
	rc = sip_expiry_pick(&e->set.pub_exp, req, &exp);
	if (rc == 423) {
		char m[16];
		snprintf(m, sizeof(m), "%u", exp);
		nta_incoming_treply(irq, 423, "Interval Too Brief",
				    SIPTAG_MIN_EXPIRES_STR(m), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
	if (if_match) {
		/* RFC 3903 6 step 3: unknown entity-tag -> 412. */
		b = pub_find(e, if_match);
		if (!b || strcmp(b->pres->aor, aor) != 0)
			return answer(irq, 412, "Conditional Request Failed");
	} else if (!has_body) {
		return answer(irq, 400, "Missing Body");
	} else if (exp == 0) {
		return answer(irq, 400, "Initial PUBLISH with Expires 0");
	}
	if (has_body && exp != 0 && body_doc(e, irq, sip, &doc) < 0)
		return 0;

	d = sip_deferred_new(irq, 200);
	if (!d || sip_commit_begin(e) < 0) {
		free(d);
		pidf_free(doc);
		return answer(irq, 500, "Store Failure");
	}
	d->phrase = "OK";
	d->has_expires = true;
	d->expires = exp;
	memset(&row, 0, sizeof(row));
	snprintf(row.presentity, sizeof(row.presentity), "%s", aor);
	snprintf(row.event, sizeof(row.event), "presence");
	snprintf(row.content_type, sizeof(row.content_type),
		 "application/pidf+xml");
	row.expires = clock_now() + exp;

	if (b && exp == 0) {
		/* remove (RFC 3903 4.5) */
		rc = db_publication_delete(e->db, b->etag);
		p = b->pres;
		pub_drop(e, b);
		d->notify_presence = true;
		sip_pres_maybe_free(&e->tab, p);
		p = NULL;
	} else {
		new_etag(e, etag, sizeof(etag));
		snprintf(row.etag, sizeof(row.etag), "%s", etag);
		if (doc) {
			row.body = (const uint8_t *)sip->sip_payload->pl_data;
			row.body_len = sip->sip_payload->pl_len;
		}
		if (!b) {
			rc = db_publication_put(e->db, &row);
			p = sip_pres_get(&e->tab, aor, true);
			b = sip_pool_alloc(sizeof(*b));
			if (!p || !b) {
				sip_pool_free(b);
				rc = DB_ENOMEM;
			} else {
				b->doc = doc;
				doc = NULL;
				pub_link(p, b);
			}
		} else {
			rc = db_publication_update(e->db, b->etag, &row);
			p = b->pres;
			if (doc) {
				/* modify (RFC 3903 4.4): new state */
				pidf_free(b->doc);
				b->doc = doc;
				doc = NULL;
				pres_changed(p);
			}
		}
		if (b) {
			b->expires = row.expires;
			pub_set_etag(e, b, etag);
		}
		snprintf(d->etag, sizeof(d->etag), "%s", etag);
		d->notify_presence = p && (p->doc_built != p->doc_version ||
					   !p->doc);
	}
	pidf_free(doc);
	if (rc < 0) {
		log_err("sip: cannot store publication: %s", db_errmsg(e->db));
		sip_commit_fail(e);
	}
	if (d->notify_presence) {
		d->notify_aor = strdup(aor);
		if (!d->notify_aor)
			d->notify_presence = false;
	}
	sip_commit_defer(e, d);
	sip_commit_note(e);
	return 0;
}

int sip_publish_restore(struct sip_engine *e, const struct db_publication *r)
{
	struct sip_pres *p;
	struct sip_pub *b;
	struct pidf_doc *doc;

	if (pidf_parse(r->body, r->body_len, SIZE_MAX, &doc, NULL, 0) < 0)
		return -1;
	p = sip_pres_get(&e->tab, r->presentity, true);
	b = sip_pool_alloc(sizeof(*b));
	if (!p || !b) {
		sip_pool_free(b);
		pidf_free(doc);
		return -1;
	}
	b->doc = doc;
	b->expires = r->expires;
	pub_link(p, b);
	pub_set_etag(e, b, r->etag);
	return 0;
}

void sip_publish_expire(struct sip_engine *e, int64_t now)
{
	struct sip_pub **v;
	size_t n = 0;

	if (!e->etags.n)
		return;
	v = malloc(e->etags.n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < e->etags.cap; i++)
		for (struct sip_hnode *h = e->etags.slots[i]; h; h = h->next)
			if (((struct sip_pub *)h)->expires <= now)
				v[n++] = (struct sip_pub *)h;
	for (size_t i = 0; i < n; i++) {
		struct sip_pres *p = v[i]->pres;

		/* RFC 3903 4.2: an expired publication is removed and the
		 * watchers learn the new composed state. */
		if (sip_commit_begin(e) == 0)
			db_publication_delete(e->db, v[i]->etag);
		sip_pres_pin(p);
		pub_drop(e, v[i]);
		sip_pres_notify(&e->tab, p, SIP_EV_PRESENCE);
		sip_pres_unpin(&e->tab, p);
	}
	free(v);
}

void sip_publish_clear(struct sip_engine *e)
{
	for (size_t i = 0; i < e->etags.cap; i++) {
		struct sip_hnode *h = e->etags.slots[i], *next;
		for (; h; h = next) {
			next = h->next;
			pidf_free(((struct sip_pub *)h)->doc);
			sip_pool_free(h);
		}
	}
	sip_htab_free(&e->etags);
}
