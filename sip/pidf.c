/*
 * pidf.c - PIDF (RFC 3863) validation, composition and the neutral
 * document, on libxml2.  Contracts are in pidf.h.
 *
 * Parsing: the body is checked for size and UTF-8 before libxml2 sees it;
 * the parser runs with XML_PARSE_NONET, without NOENT/DTDLOAD/XINCLUDE,
 * and a SAX hook stops it at the first DOCTYPE, so no DTD, entity or
 * external resource is ever processed.  Then the tree is checked against
 * the RFC 3863 schema rules a PA relies on (tuple ids, status, basic) and
 * the RFC 4479 ids; everything else is kept untouched.
 *
 * Composition copies the selected top-level elements of each publication
 * into a new tree and then rewrites namespaces so that each namespace is
 * declared once, on the root (see ns_* below).
 */
#include "sip/pidf.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

struct pidf_doc {
	xmlDocPtr xml;
	xmlChar *entity;
};

#define WHY_PREFIX "Invalid PIDF: "

/* ------------------------------------------------------------- helpers */

static bool is_elem(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, BAD_CAST ns) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

static bool in_ns(xmlNodePtr n, const char *ns)
{
	return n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF, and no NUL (not an XML character). */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp, min;
		size_t len, k;

		if (c < 0x80) {
			if (c == 0)
				return false;
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			len = 2; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

/* Trim XML whitespace off both ends, in place (xs:token-like compare). */
static void trim(xmlChar *s)
{
	size_t b = 0, e = strlen((char *)s);

	while (b < e && strchr(" \t\r\n", s[b]) != NULL)
		b++;
	while (e > b && strchr(" \t\r\n", s[e - 1]) != NULL)
		e--;
	memmove(s, s + b, e - b);
	s[e - b] = '\0';
}

/* Trimmed text content; a libxml2 string to xmlFree, or NULL. */
static xmlChar *text_trimmed(xmlNodePtr n)
{
	xmlChar *s = xmlNodeGetContent(n);

	if (s != NULL)
		trim(s);
	return s;
}

static bool digits(const char **p, int n)
{
	for (int i = 0; i < n; i++, (*p)++)
		if (**p < '0' || **p > '9')
			return false;
	return true;
}

/* xs:dateTime: -?YYYY+-MM-DDThh:mm:ss(.s+)?(Z|[+-]hh:mm)? (lexical form
 * only; RFC 3863 4.1.7). */
static bool is_datetime(const char *p)
{
	if (*p == '-')
		p++;
	if (!digits(&p, 4))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '-' || !digits(&p, 2) || *p++ != '-' || !digits(&p, 2) ||
	    *p++ != 'T' || !digits(&p, 2) || *p++ != ':' || !digits(&p, 2) ||
	    *p++ != ':' || !digits(&p, 2))
		return false;
	if (*p == '.') {
		p++;
		if (!digits(&p, 1))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		p++;
		if (!digits(&p, 2) || *p++ != ':' || !digits(&p, 2))
			return false;
	}
	return *p == '\0';
}

/* RFC 3863 4.1.5: priority is a qvalue, "0" ["." 0*3DIGIT] or
 * "1" ["." 0*3("0")]. */
static bool is_qvalue(const char *p)
{
	char first = *p++;
	int n = 0;

	if (first != '0' && first != '1')
		return false;
	if (*p == '\0')
		return true;
	if (*p++ != '.')
		return false;
	for (; *p != '\0'; p++, n++) {
		if (n == 3 || *p < '0' || *p > '9' || (first == '1' && *p != '0'))
			return false;
	}
	return true;
}

/* -------------------------------------------------------------- parsing */

/* SAX hook: a DOCTYPE ends the parse before its internal subset is read. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
		       const xmlChar *sid)
{
	xmlParserCtxtPtr c = ctx;

	*(bool *)c->_private = true;
	xmlStopParser(c);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type,
			   const xmlChar *pid, const xmlChar *sid,
			   xmlChar *content)
{
	on_doctype(ctx, name, pid, sid);
}

/* Record an xs:ID; false (and *why) when missing, malformed or already
 * used.  `missing` is the reason for an absent id. */
static bool id_take(xmlHashTablePtr ids, const xmlChar *id,
		    const char *missing, const char **why)
{
	if (id == NULL) {
		*why = missing;
		return false;
	}
	if (xmlValidateNCName(id, 0) != 0) {
		*why = "id is not an xs:ID";
		return false;
	}
	if (xmlHashAddEntry(ids, id, (void *)1) != 0) {
		*why = "duplicate id";
		return false;
	}
	return true;
}

/* RFC 3863 4.1.4: <status> holds at most one <basic>, open or closed. */
static bool check_status(xmlNodePtr st, const char **why)
{
	int nbasic = 0;

	for (xmlNodePtr c = st->children; c != NULL; c = c->next) {
		xmlChar *v;
		bool ok;

		if (c->type != XML_ELEMENT_NODE || !in_ns(c, PIDF_NS))
			continue;
		if (!xmlStrEqual(c->name, BAD_CAST "basic")) {
			*why = "unknown element in status";
			return false;
		}
		if (++nbasic > 1) {
			*why = "status with two basic elements";
			return false;
		}
		v = text_trimmed(c);
		ok = v != NULL && (xmlStrEqual(v, BAD_CAST "open") ||
				   xmlStrEqual(v, BAD_CAST "closed"));
		xmlFree(v);
		if (!ok) {
			*why = "basic is neither open nor closed";
			return false;
		}
	}
	return true;
}

/* RFC 3863 4.1.1-4.1.7. */
static bool check_tuple(xmlNodePtr t, xmlHashTablePtr ids, const char **why)
{
	xmlChar *id = xmlGetNoNsProp(t, BAD_CAST "id");
	int nstatus = 0, ncontact = 0, nts = 0;
	bool ok = id_take(ids, id, "tuple without id", why);

	xmlFree(id);
	for (xmlNodePtr c = t->children; ok && c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !in_ns(c, PIDF_NS))
			continue;	/* 4.3: extensions are kept, unchecked */
		if (xmlStrEqual(c->name, BAD_CAST "status")) {
			if (++nstatus > 1) {
				*why = "tuple with two status elements";
				ok = false;
			} else {
				ok = check_status(c, why);
			}
		} else if (xmlStrEqual(c->name, BAD_CAST "contact")) {
			xmlChar *q = xmlGetNoNsProp(c, BAD_CAST "priority");

			if (q != NULL)
				trim(q);
			if (++ncontact > 1) {
				*why = "tuple with two contact elements";
				ok = false;
			} else if (q != NULL && !is_qvalue((char *)q)) {
				*why = "bad contact priority";
				ok = false;
			}
			xmlFree(q);
		} else if (xmlStrEqual(c->name, BAD_CAST "timestamp")) {
			xmlChar *v = text_trimmed(c);

			if (++nts > 1) {
				*why = "tuple with two timestamps";
				ok = false;
			} else if (v == NULL || !is_datetime((char *)v)) {
				*why = "bad timestamp";
				ok = false;
			}
			xmlFree(v);
		} else if (!xmlStrEqual(c->name, BAD_CAST "note")) {
			*why = "unknown element in tuple";
			ok = false;
		}
	}
	if (ok && nstatus == 0) {
		*why = "tuple without status";
		ok = false;
	}
	return ok;
}

/* RFC 3863 4.1 and RFC 4479 (person, device ids). */
static bool check_presence(xmlNodePtr root, xmlChar **entity, const char **why)
{
	xmlHashTablePtr ids = NULL;
	xmlURIPtr uri = NULL;
	bool ok = false;

	if (!is_elem(root, PIDF_NS, "presence")) {
		*why = "root is not a pidf presence element";
		goto out;
	}
	*entity = xmlGetNoNsProp(root, BAD_CAST "entity");
	if (*entity == NULL || (*entity)[0] == '\0') {
		*why = "presence without entity";
		goto out;
	}
	uri = xmlParseURI((const char *)*entity);
	if (uri == NULL || uri->scheme == NULL) {
		*why = "entity is not a URI";
		goto out;
	}
	ids = xmlHashCreate(16);
	if (ids == NULL) {
		*why = "out of memory";
		goto out;
	}
	ok = true;
	for (xmlNodePtr c = root->children; ok && c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (in_ns(c, PIDF_NS)) {
			if (xmlStrEqual(c->name, BAD_CAST "tuple")) {
				ok = check_tuple(c, ids, why);
			} else if (!xmlStrEqual(c->name, BAD_CAST "note")) {
				*why = "unknown pidf element";
				ok = false;
			}
		} else if (is_elem(c, PIDF_NS_DM, "person") ||
			   is_elem(c, PIDF_NS_DM, "device")) {
			xmlChar *id = xmlGetNoNsProp(c, BAD_CAST "id");

			ok = id_take(ids, id, "person or device without id", why);
			xmlFree(id);
		}
	}
out:
	xmlFreeURI(uri);
	xmlHashFree(ids, NULL);
	if (!ok) {
		xmlFree(*entity);
		*entity = NULL;
	}
	return ok;
}

static void set_why(char *why, size_t whylen, const char *reason)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s%s", WHY_PREFIX, reason);
}

int pidf_parse(const uint8_t *buf, size_t len, size_t max_len,
	       struct pidf_doc **out, char *why, size_t whylen)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR |
			 XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS |
			 XML_PARSE_NOCDATA;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr xml = NULL;
	xmlChar *entity = NULL;
	struct pidf_doc *d;
	const char *reason = NULL;
	bool doctype = false;
	int rc = PIDF_EBADDOC;

	if (out == NULL || (buf == NULL && len > 0)) {
		reason = "internal error";
		rc = PIDF_EINVAL;
		goto out;
	}
	if (len > max_len || len > INT_MAX) {
		reason = "body too large";
		rc = PIDF_ETOOBIG;
		goto out;
	}
	if (len == 0) {
		reason = "empty body";
		goto out;
	}
	if (!utf8_valid(buf, len)) {
		reason = "body is not UTF-8";
		goto out;
	}
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		reason = "out of memory";
		rc = PIDF_ENOMEM;
		goto out;
	}
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = NULL;
	ctxt->sax->entityDecl = on_entity_decl;
	xml = xmlCtxtReadMemory(ctxt, (const char *)buf, (int)len, NULL, NULL,
				opts);
	if (doctype) {
		reason = "DOCTYPE not allowed";
		goto out;
	}
	if (xml == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
		reason = ctxt->errNo == XML_ERR_NO_MEMORY ? "out of memory" :
			 "not well-formed XML";
		if (ctxt->errNo == XML_ERR_NO_MEMORY)
			rc = PIDF_ENOMEM;
		goto out;
	}
	/* Belt and braces: the hook above should make these impossible. */
	if (xml->intSubset != NULL || xml->extSubset != NULL) {
		reason = "DOCTYPE not allowed";
		goto out;
	}
	if (xml->encoding != NULL &&
	    xmlStrcasecmp(xml->encoding, BAD_CAST "UTF-8") != 0) {
		reason = "encoding is not UTF-8";
		goto out;
	}
	if (!check_presence(xmlDocGetRootElement(xml), &entity, &reason))
		goto out;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		reason = "out of memory";
		rc = PIDF_ENOMEM;
		goto out;
	}
	d->xml = xml;
	d->entity = entity;
	xml = NULL;
	entity = NULL;
	*out = d;
	rc = 0;
out:
	if (rc != 0)
		set_why(why, whylen, reason);
	xmlFree(entity);
	xmlFreeDoc(xml);
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	return rc;
}

void pidf_free(struct pidf_doc *d)
{
	if (d == NULL)
		return;
	xmlFree(d->entity);
	xmlFreeDoc(d->xml);
	free(d);
}

const char *pidf_entity(const struct pidf_doc *d)
{
	return d != NULL ? (const char *)d->entity : NULL;
}

/* ---------------------------------------------------------- composition */

/* One selected top-level element of some publication. */
struct sel {
	xmlNodePtr src;
	xmlChar *key;	/* id (tuple, person, device), note text, or NULL */
	xmlChar *lang;	/* notes: xml:lang, or NULL */
};

struct sel_list {
	struct sel *v;
	size_t n, cap;
};

static void sel_list_clear(struct sel_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		xmlFree(l->v[i].key);
		xmlFree(l->v[i].lang);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int sel_append(struct sel_list *l, struct sel s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct sel *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return PIDF_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static struct sel *sel_find(struct sel_list *l, const xmlChar *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].key != NULL && xmlStrEqual(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

/* Keyed insert: ids are one xs:ID space over tuples and persons/devices.
 * Takes ownership of s.key. */
static int sel_upsert(struct sel_list *mine, struct sel_list *other,
		      struct sel s)
{
	struct sel *hit = sel_find(mine, s.key);

	if (hit != NULL) {		/* later publication wins, in place */
		hit->src = s.src;
		xmlFree(s.key);
		return 0;
	}
	hit = sel_find(other, s.key);
	if (hit != NULL) {		/* same id, other kind: drop earlier */
		size_t i = (size_t)(hit - other->v);

		xmlFree(hit->key);
		xmlFree(hit->lang);
		memmove(hit, hit + 1, (other->n - i - 1) * sizeof(*hit));
		other->n--;
	}
	return sel_append(mine, s);
}

static int note_add(struct sel_list *notes, xmlNodePtr n)
{
	struct sel s = { n, text_trimmed(n), xmlNodeGetLang(n) };

	if (s.key == NULL)
		goto nomem;
	for (size_t i = 0; i < notes->n; i++) {
		if (xmlStrEqual(notes->v[i].key, s.key) &&
		    xmlStrEqual(notes->v[i].lang, s.lang)) {
			xmlFree(s.key);
			xmlFree(s.lang);
			return 0;	/* first one kept */
		}
	}
	if (sel_append(notes, s) == 0)
		return 0;
nomem:
	xmlFree(s.key);
	xmlFree(s.lang);
	return PIDF_ENOMEM;
}

static bool ns_prefix_free(xmlNodePtr root, const xmlChar *prefix)
{
	for (xmlNsPtr ns = root->nsDef; ns != NULL; ns = ns->next)
		if (xmlStrEqual(ns->prefix, prefix))
			return false;
	return true;
}

/* The root's declaration of namespace href (prefixed if need_prefix),
 * created on first use under the first free prefix among: the well-known
 * one, the one the publisher used (want), ns1, ns2, ... */
static xmlNsPtr ns_root(xmlNodePtr root, const xmlChar *href,
			const xmlChar *want, bool need_prefix)
{
	static const struct { const char *href, *prefix; } known[] = {
		{ PIDF_NS, "pidf" }, { PIDF_NS_DM, "dm" },
		{ PIDF_NS_RPID, "rpid" },
	};
	char gen[16];

	for (xmlNsPtr ns = root->nsDef; ns != NULL; ns = ns->next)
		if (xmlStrEqual(ns->href, href) &&
		    (!need_prefix || ns->prefix != NULL))
			return ns;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (xmlStrEqual(href, BAD_CAST known[k].href) &&
		    ns_prefix_free(root, BAD_CAST known[k].prefix))
			return xmlNewNs(root, href, BAD_CAST known[k].prefix);
	if (want != NULL && !xmlStrEqual(want, BAD_CAST "xml") &&
	    xmlStrncmp(want, BAD_CAST "xmlns", 5) != 0 &&
	    ns_prefix_free(root, want))
		return xmlNewNs(root, href, want);
	for (unsigned i = 1; ; i++) {
		snprintf(gen, sizeof(gen), "ns%u", i);
		if (ns_prefix_free(root, BAD_CAST gen))
			return xmlNewNs(root, href, BAD_CAST gen);
	}
}

static bool ns_movable(xmlNsPtr ns)
{
	return ns != NULL && ns->href != NULL && ns->href[0] != '\0' &&
	       !xmlStrEqual(ns->href, XML_XML_NAMESPACE);
}

/* Pass 1: point every namespaced element and attribute at the root's
 * declaration of its namespace (created on first use). */
static int ns_remap(xmlNodePtr root, xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (ns_movable(n->ns)) {
			xmlNsPtr ns = ns_root(root, n->ns->href, n->ns->prefix,
					      false);
			if (ns == NULL)
				return PIDF_ENOMEM;
			n->ns = ns;
		}
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
			if (ns_movable(a->ns)) {
				/* attributes need a prefix (no default ns) */
				xmlNsPtr ns = ns_root(root, a->ns->href,
						      a->ns->prefix, true);
				if (ns == NULL)
					return PIDF_ENOMEM;
				a->ns = ns;
			}
		}
		if (ns_remap(root, n->children) != 0)
			return PIDF_ENOMEM;
	}
	return 0;
}

/* Pass 2: after pass 1 nothing points at an inner declaration.  Drop
 * those the root makes redundant (same namespace) and those that would
 * shadow a root prefix (same prefix, or a non-empty default namespace).
 * Declarations of namespaces no name uses stay where they are: QName-valued
 * content (xsi:type="x:y") may still refer to them. */
static void ns_prune(xmlNodePtr root, xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		xmlNsPtr *pp;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		pp = &n->nsDef;
		while (*pp != NULL) {
			xmlNsPtr ns = *pp;
			bool drop = false;

			for (xmlNsPtr r = root->nsDef; r != NULL; r = r->next) {
				if (xmlStrEqual(r->prefix, ns->prefix) &&
				    (ns->prefix != NULL || ns_movable(ns)))
					drop = true;
				if (ns_movable(ns) &&
				    xmlStrEqual(r->href, ns->href))
					drop = true;
			}
			if (drop) {
				*pp = ns->next;
				ns->next = NULL;
				xmlFreeNs(ns);
			} else {
				pp = &ns->next;
			}
		}
		ns_prune(root, n->children);
	}
}

/* Pass 3: unprefixed names must resolve as before.  An element in no
 * namespace must not fall under the root's default (PIDF) namespace:
 * undeclare it there (xmlns="").  A PIDF element below such an xmlns=""
 * takes a prefixed declaration of PIDF_NS instead. */
static int ns_default(xmlDocPtr doc, xmlNodePtr root, xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		xmlNsPtr d;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		d = xmlSearchNs(doc, n, NULL);
		if (n->ns == NULL) {
			if (d != NULL && d->href != NULL && d->href[0] != '\0' &&
			    xmlNewNs(n, BAD_CAST "", NULL) == NULL)
				return PIDF_ENOMEM;
		} else if (n->ns->prefix == NULL && d != n->ns) {
			xmlNsPtr p = ns_root(root, n->ns->href, NULL, true);

			if (p == NULL)
				return PIDF_ENOMEM;
			n->ns = p;
		}
		if (ns_default(doc, root, n->children) != 0)
			return PIDF_ENOMEM;
	}
	return 0;
}

/* New document with <presence xmlns=PIDF_NS entity=...>. */
static xmlDocPtr doc_start(const char *entity, xmlNodePtr *rootp)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root;
	xmlNsPtr ns;

	if (doc == NULL)
		return NULL;
	root = xmlNewDocNode(doc, NULL, BAD_CAST "presence", NULL);
	if (root == NULL)
		goto fail;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST PIDF_NS, NULL);
	if (ns == NULL ||
	    xmlNewProp(root, BAD_CAST "entity", BAD_CAST entity) == NULL)
		goto fail;
	xmlSetNs(root, ns);
	*rootp = root;
	return doc;
fail:
	xmlFreeDoc(doc);
	return NULL;
}

/* Serialise to a malloc'd, NUL-terminated UTF-8 buffer. */
static int doc_finish(xmlDocPtr doc, char **out, size_t *outlen)
{
	xmlChar *mem = NULL;
	int size = 0;
	char *buf;

	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0) {
		xmlFree(mem);
		return PIDF_ENOMEM;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		xmlFree(mem);
		return PIDF_ENOMEM;
	}
	memcpy(buf, mem, (size_t)size);
	buf[size] = '\0';
	xmlFree(mem);
	*out = buf;
	*outlen = (size_t)size;
	return 0;
}

static int copy_all(xmlDocPtr doc, xmlNodePtr root, const struct sel_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		xmlNodePtr c = xmlDocCopyNode(l->v[i].src, doc, 1);

		if (c == NULL)
			return PIDF_ENOMEM;
		if (xmlAddChild(root, c) == NULL) {
			xmlFreeNode(c);
			return PIDF_ENOMEM;
		}
	}
	return 0;
}

/* Sort the top-level elements of one publication into the lists. */
static int select_doc(const struct pidf_doc *d, struct sel_list *tuples,
		      struct sel_list *notes, struct sel_list *ext)
{
	xmlNodePtr root = xmlDocGetRootElement(d->xml);

	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		struct sel s = { c, NULL, NULL };
		int rc;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, PIDF_NS, "note")) {
			rc = note_add(notes, c);
		} else if (is_elem(c, PIDF_NS, "tuple")) {
			s.key = xmlGetNoNsProp(c, BAD_CAST "id");
			rc = s.key ? sel_upsert(tuples, ext, s) : PIDF_ENOMEM;
		} else if (is_elem(c, PIDF_NS_DM, "person") ||
			   is_elem(c, PIDF_NS_DM, "device")) {
			s.key = xmlGetNoNsProp(c, BAD_CAST "id");
			rc = s.key ? sel_upsert(ext, tuples, s) : PIDF_ENOMEM;
		} else {
			rc = sel_append(ext, s);
		}
		if (rc != 0) {
			xmlFree(s.key);	/* only reached when not taken */
			return rc;
		}
	}
	return 0;
}

int pidf_compose(const char *entity, struct pidf_doc *const *docs, size_t n,
		 char **out, size_t *outlen)
{
	struct sel_list tuples = { 0 }, notes = { 0 }, ext = { 0 };
	xmlDocPtr doc = NULL;
	xmlNodePtr root = NULL;
	int rc = PIDF_EINVAL;

	if (entity == NULL || entity[0] == '\0' || out == NULL ||
	    outlen == NULL || (docs == NULL && n > 0))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (docs[i] == NULL)
			goto out;
		rc = select_doc(docs[i], &tuples, &notes, &ext);
		if (rc != 0)
			goto out;
	}
	xmlInitParser();
	rc = PIDF_ENOMEM;
	doc = doc_start(entity, &root);
	if (doc == NULL)
		goto out;
	/* RFC 3863 schema order: tuple*, note*, then any##other. */
	if (copy_all(doc, root, &tuples) != 0 ||
	    copy_all(doc, root, &notes) != 0 ||
	    copy_all(doc, root, &ext) != 0)
		goto out;
	if (ns_remap(root, root->children) != 0)
		goto out;
	ns_prune(root, root->children);
	if (ns_default(doc, root, root->children) != 0)
		goto out;
	rc = doc_finish(doc, out, outlen);
out:
	xmlFreeDoc(doc);
	sel_list_clear(&tuples);
	sel_list_clear(&notes);
	sel_list_clear(&ext);
	return rc;
}

int pidf_neutral(const char *entity, char **out, size_t *outlen)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root = NULL, tuple, status;
	int rc = PIDF_EINVAL;

	if (entity == NULL || entity[0] == '\0' || out == NULL ||
	    outlen == NULL)
		goto out;
	xmlInitParser();
	rc = PIDF_ENOMEM;
	doc = doc_start(entity, &root);
	if (doc == NULL)
		goto out;
	/* RFC 5025 3.2.1 polite-block: one service, basic status closed. */
	tuple = xmlNewChild(root, root->ns, BAD_CAST "tuple", NULL);
	if (tuple == NULL ||
	    xmlNewProp(tuple, BAD_CAST "id", BAD_CAST "neutral") == NULL)
		goto out;
	status = xmlNewChild(tuple, root->ns, BAD_CAST "status", NULL);
	if (status == NULL ||
	    xmlNewChild(status, root->ns, BAD_CAST "basic",
			BAD_CAST "closed") == NULL)
		goto out;
	rc = doc_finish(doc, out, outlen);
out:
	xmlFreeDoc(doc);
	return rc;
}
