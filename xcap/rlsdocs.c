/*
 * rlsdocs.c - what the XCAP server needs to know across users' documents
 * of the rls-services application usage (RFC 4826 4):
 *   - the read-only global index, composed on each GET from every user's
 *     rls-services documents (4.3.2);
 *   - the server-wide uniqueness of <service uri> (4.4.5), asked by the
 *     resource engine through xcap_res_set_service_uri_hook().
 * Both walk the store with the calling worker's connection.
 */
#include "xcap/xcap_int.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "db/db.h"
#include "src/core.h"
#include "xcap/xcap_res.h"

#define RLS_NS "urn:ietf:params:xml:ns:rls-services"

struct doc_name {
	char xui[256];
	char name[256];
};

struct name_list {
	struct doc_name *v;
	size_t n, cap;
};

static int list_one(const struct db_xcap_doc *d, void *arg)
{
	struct name_list *l = arg;

	if (!d->xui[0])
		return 0;  /* a global document is not a user's */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct doc_name *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return DB_ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	memcpy(l->v[l->n].xui, d->xui, sizeof(l->v[l->n].xui));
	memcpy(l->v[l->n].name, d->name, sizeof(l->v[l->n].name));
	l->n++;
	return 0;
}

/* Call fn for each user's rls-services document with its body.  The
 * names are listed first so that no statement stays open while bodies
 * are read.  Returns 0, fn's non-zero value, or a DB_E* code. */
static int rls_foreach(struct db *db,
		       int (*fn)(const struct doc_name *n, const uint8_t *body,
				 size_t len, void *arg),
		       void *arg)
{
	struct name_list l = { 0 };
	int rc = db_xcap_foreach_auid(db, "rls-services", list_one, &l);

	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		struct db_xcap_doc d;
		uint8_t *body = NULL;

		rc = db_xcap_get(db, "rls-services", l.v[i].xui, l.v[i].name,
				 &d, &body);
		if (rc == DB_ENOTFOUND) {  /* deleted meanwhile */
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = fn(&l.v[i], body, d.body_len, arg);
		free(body);
	}
	free(l.v);
	return rc;
}

/* ------------------------------------------------------------ the index */

struct collect {
	uint8_t **docs;
	size_t *lens;
	size_t n, cap;
};

static int collect_one(const struct doc_name *n, const uint8_t *body,
		       size_t len, void *arg)
{
	struct collect *c = arg;
	uint8_t *copy;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		uint8_t **nd = realloc(c->docs, cap * sizeof(*nd));
		size_t *nl;

		if (!nd)
			return DB_ENOMEM;
		c->docs = nd;
		nl = realloc(c->lens, cap * sizeof(*nl));
		if (!nl)
			return DB_ENOMEM;
		c->lens = nl;
		c->cap = cap;
	}
	copy = malloc(len ? len : 1);
	if (!copy)
		return DB_ENOMEM;
	memcpy(copy, body, len);
	c->docs[c->n] = copy;
	c->lens[c->n++] = len;
	return 0;
}

int xcap_rls_index_load(struct db *db, uint8_t **out, size_t *outlen)
{
	struct collect c = { 0 };
	int rc = rls_foreach(db, collect_one, &c);

	if (rc == 0 && xcap_rls_index_compose((const uint8_t *const *)c.docs,
					      c.lens, c.n, out, outlen) < 0)
		rc = -1;
	for (size_t i = 0; i < c.n; i++)
		free(c.docs[i]);
	free(c.docs);
	free(c.lens);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------- service URI uniqueness */

struct taken {
	const char *uri;
	const struct xcap_uri *u;
	bool found;
};

static int taken_one(const struct doc_name *n, const uint8_t *body,
		     size_t len, void *arg)
{
	struct taken *t = arg;
	xmlDocPtr doc;
	xmlNodePtr root;

	/* The document being written is checked by the engine itself. */
	if (t->u->xui && strcmp(n->xui, t->u->xui) == 0 &&
	    strcmp(n->name, t->u->doc) == 0)
		return 0;
	if (len > (size_t)INT32_MAX)
		return 0;
	/* Stored documents were validated on the way in; parse them as
	 * strictly as requests anyway (no network, no entities, no DTD). */
	doc = xmlReadMemory((const char *)body, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (!doc)
		return 0;
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr s = root ? root->children : NULL; s && !t->found;
	     s = s->next) {
		xmlChar *uri;

		if (s->type != XML_ELEMENT_NODE || !s->ns ||
		    xmlStrcmp(s->name, BAD_CAST "service") != 0 ||
		    xmlStrcmp(s->ns->href, BAD_CAST RLS_NS) != 0)
			continue;
		uri = xmlGetNoNsProp(s, BAD_CAST "uri");
		if (uri && strcmp((const char *)uri, t->uri) == 0)
			t->found = true;
		xmlFree(uri);
	}
	xmlFreeDoc(doc);
	return t->found ? 1 : 0;
}

int xcap_rls_service_taken(const char *service_uri, const struct xcap_uri *u,
			   void *arg)
{
	struct db *db = xcap_thread_db();
	struct taken t = { service_uri, u, false };
	int rc;

	if (!db)
		return -1;
	rc = rls_foreach(db, taken_one, &t);
	if (rc < 0)
		return -1;
	return t.found ? 1 : 0;
}
