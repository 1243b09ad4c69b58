/*
 * node.c - GET / PUT / DELETE of XCAP resources on an in-memory document
 * (RFC 4825 7 and 8): whole documents, elements, attributes and
 * namespace bindings.
 *
 * Every call parses its own copy of the stored document, applies the
 * change, re-checks that a GET of the same URI selects what was written
 * (RFC 4825 8.2.3 / 8.4 idempotency), runs the AUID's constraints and the
 * XML Schema (RFC 4825 8.2.5) and serialises the whole new document for
 * the server to store.
 *
 * XML input: UTF-8 only (RFC 4825 8.2.1: 409 <not-utf-8>), never a
 * DOCTYPE or entity declaration (rejected as <not-well-formed>: XCAP
 * documents need none, and refusing them removes XXE and entity
 * expansion), no network access, no entity substitution.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xcap/res_int.h"

#define PARSE_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
		    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

bool xcap_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return false;
		i += n + 1;
	}
	return true;
}

/* DOCTYPE / ENTITY anywhere: refuse before libxml2 sees it. */
static bool has_dtd(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "<!DOCTYPE", 9) ||
	       memmem(buf, len, "<!ENTITY", 8);
}

xmlDocPtr xcap_doc_parse(const uint8_t *buf, size_t len,
			 struct xcap_result *r)
{
	xmlDocPtr doc;

	if (!xcap_utf8_valid(buf, len)) {
		xcap_err_conflict(r, "not-utf-8", NULL);
		return NULL;
	}
	if (has_dtd(buf, len)) {
		xcap_err_conflict(r, "not-well-formed", "DOCTYPE not allowed");
		return NULL;
	}
	if (len > (size_t)INT32_MAX) {
		xcap_err_status(r, 413, "too large");
		return NULL;
	}
	doc = xmlReadMemory((const char *)buf, (int)len, NULL, NULL,
			    PARSE_OPTS);
	if (!doc || !xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		xcap_err_conflict(r, "not-well-formed", NULL);
		return NULL;
	}
	/* An encoding declaration other than UTF-8 (RFC 4825 8.2.1). */
	if (doc->encoding && strcasecmp((const char *)doc->encoding,
					"UTF-8") != 0) {
		xmlFreeDoc(doc);
		xcap_err_conflict(r, "not-utf-8", NULL);
		return NULL;
	}
	return doc;
}

static int serialise(xmlDocPtr doc, uint8_t **out, size_t *len,
		     struct xcap_result *r)
{
	xmlChar *buf = NULL;
	int n = 0;

	xmlDocDumpMemoryEnc(doc, &buf, &n, "UTF-8");
	if (!buf)
		return xcap_err_status(r, 500, "out of memory");
	*out = malloc((size_t)n + 1);
	if (!*out) {
		xmlFree(buf);
		return xcap_err_status(r, 500, "out of memory");
	}
	memcpy(*out, buf, (size_t)n);
	(*out)[n] = 0;
	*len = (size_t)n;
	xmlFree(buf);
	return 0;
}

/* Constraints, then schema (RFC 4825 8.2.5).  Uniqueness is checked
 * before the schema so that duplicate xs:ID values give the more useful
 * <uniqueness-failure> with an <alt-value>. */
static int check_doc(const struct xcap_uri *u, xmlDocPtr doc,
		     struct xcap_result *r)
{
	if (u->app->check && u->app->check(doc, u, r) < 0)
		return -1;
	return xcap_schema_validate(u->app, doc, r);
}

/* Compare a Content-Type with a MIME type, ignoring parameters. */
static bool ctype_is(const char *ct, const char *want)
{
	size_t n;

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

static int load(const struct xcap_uri *u, const uint8_t *doc, size_t len,
		xmlDocPtr *d, struct xcap_sel **s, struct xcap_result *r)
{
	*d = NULL;
	*s = NULL;
	if (xcap_sel_parse(u->node, s) < 0)
		return xcap_err_status(r, 400, "malformed node selector");
	*d = xcap_doc_parse(doc, len, r);
	if (!*d) {
		xcap_sel_free(*s);
		*s = NULL;
		/* a stored document that does not parse is our fault */
		return xcap_err_status(r, 500, "stored document unreadable");
	}
	return 0;
}

/* ------------------------------------------------------------------ GET */

static int get_ns(xmlDocPtr doc, xmlNodePtr el, struct xcap_result *r)
{
	/* RFC 4825 10: an element with the same prefix and local name,
	 * carrying every namespace binding in scope. */
	xmlNsPtr *list = xmlGetNsList(doc, el);
	xmlBufferPtr b = xmlBufferCreate();
	int rc = -1, i;

	if (!b)
		goto out;
	xmlBufferCCat(b, "<");
	if (el->ns && el->ns->prefix) {
		xmlBufferCat(b, el->ns->prefix);
		xmlBufferCCat(b, ":");
	}
	xmlBufferCat(b, el->name);
	for (i = 0; list && list[i]; i++) {
		xmlChar *v = xmlEncodeSpecialChars(doc, list[i]->href);

		xmlBufferCCat(b, " xmlns");
		if (list[i]->prefix) {
			xmlBufferCCat(b, ":");
			xmlBufferCat(b, list[i]->prefix);
		}
		xmlBufferCCat(b, "=\"");
		xmlBufferCat(b, v);
		xmlBufferCCat(b, "\"");
		xmlFree(v);
	}
	xmlBufferCCat(b, "/>");
	rc = xcap_result_set(r, 200, XCAP_MIME_NS,
			     (const char *)xmlBufferContent(b),
			     (size_t)xmlBufferLength(b));
out:
	if (!b)
		xcap_err_status(r, 500, "out of memory");
	xmlBufferFree(b);
	xmlFree(list);
	return rc;
}

static xmlAttrPtr find_attr(const struct xcap_uri *u,
			    const struct xcap_sel *s, xmlNodePtr el)
{
	const char *ns = s->term_prefix ? xcap_sel_ns(u, s->term_prefix)
					: NULL;

	return ns ? xmlHasNsProp(el, BAD_CAST s->term_name, BAD_CAST ns)
		  : xmlHasNsProp(el, BAD_CAST s->term_name, NULL);
}

int xcap_res_get(const struct xcap_uri *u, const uint8_t *doc, size_t doclen,
		 struct xcap_result *r)
{
	struct xcap_sel *s;
	xmlDocPtr d;
	xmlNodePtr el;
	int rc = -1;

	if (!doc)
		return xcap_err_status(r, 404, "no such document");
	if (u->kind == XCAP_NODE_DOCUMENT)
		return xcap_result_set(r, 200, u->app->mime,
				       (const char *)doc, doclen);
	if (load(u, doc, doclen, &d, &s, r) < 0)
		return -1;
	if (xcap_sel_eval(u, s, s->n, d, &el) != 1) {
		xcap_err_status(r, 404, "no single node selected");
		goto out;
	}
	if (u->kind == XCAP_NODE_ELEMENT) {
		xmlBufferPtr b = xmlBufferCreate();

		if (!b || xmlNodeDump(b, d, el, 0, 0) < 0) {
			xmlBufferFree(b);
			xcap_err_status(r, 500, "out of memory");
			goto out;
		}
		rc = xcap_result_set(r, 200, XCAP_MIME_EL,
				     (const char *)xmlBufferContent(b),
				     (size_t)xmlBufferLength(b));
		xmlBufferFree(b);
	} else if (u->kind == XCAP_NODE_ATTRIBUTE) {
		xmlAttrPtr a = find_attr(u, s, el);
		xmlChar *v, *e;

		if (!a) {
			xcap_err_status(r, 404, "no such attribute");
			goto out;
		}
		/* RFC 4825 8.3: the AttValue as in the document, without
		 * quotes: special characters stay escaped. */
		v = xmlNodeListGetString(d, a->children, 1);
		e = xmlEncodeSpecialChars(d, v ? v : BAD_CAST "");
		rc = xcap_result_set(r, 200, XCAP_MIME_ATT,
				     e ? (const char *)e : "",
				     e ? strlen((const char *)e) : 0);
		xmlFree(v);
		xmlFree(e);
	} else {
		rc = get_ns(d, el, r);
	}
out:
	xmlFreeDoc(d);
	xcap_sel_free(s);
	return rc;
}

/* ------------------------------------------------------------------ PUT */

/* 409 <no-parent> with the longest ancestor that exists (RFC 4825
 * 8.2.1): the deepest prefix of the selector selecting one element. */
static int no_parent(const struct xcap_uri *u, const struct xcap_sel *s,
		     xmlDocPtr d, size_t upto, struct xcap_result *r)
{
	size_t k = upto;
	xmlNodePtr el;
	char *anc;
	int rc;

	while (k > 0 && xcap_sel_eval(u, s, k, d, &el) != 1)
		k--;
	anc = xcap_sel_uri(u, s, k);
	rc = xcap_err_no_parent(r, anc);
	free(anc);
	return rc;
}

/* Parse an xcap-el+xml body in the namespace context of `parent` and
 * return its single element (RFC 4825 8.2.3). */
static xmlNodePtr parse_fragment(xmlNodePtr parent, const uint8_t *body,
				 size_t blen, struct xcap_result *r)
{
	xmlNodePtr lst = NULL, c, el = NULL;
	xmlParserErrors e;
	bool frag_ok = true;

	if (!xcap_utf8_valid(body, blen)) {
		xcap_err_conflict(r, "not-utf-8", NULL);
		return NULL;
	}
	if (has_dtd(body, blen) || blen > (size_t)INT32_MAX / 2) {
		xcap_err_conflict(r, "not-well-formed", "DOCTYPE not allowed");
		return NULL;
	}
	e = xmlParseInNodeContext(parent, (const char *)body, (int)blen,
				  PARSE_OPTS, &lst);
	if (e != XML_ERR_OK) {
		xmlFreeNodeList(lst);
		xcap_err_conflict(r, "not-well-formed", NULL);
		return NULL;
	}
	for (c = lst; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (el)
				frag_ok = false;
			el = c;
		} else if (c->type == XML_TEXT_NODE) {
			if (!xmlIsBlankNode(c))
				frag_ok = false;
		} else if (c->type != XML_COMMENT_NODE) {
			frag_ok = false;
		}
	}
	if (!el || !frag_ok) {
		xmlFreeNodeList(lst);
		xcap_err_conflict(r, "not-xml-frag", NULL);
		return NULL;
	}
	if (el == lst)
		lst = el->next;
	xmlUnlinkNode(el);
	xmlFreeNodeList(lst);
	return el;
}

/* Where to insert a new element for the last step (RFC 4825 8.2.3):
 * positional: so that it becomes the pos-th sibling passing the name
 * test; otherwise after the last such sibling, or as the last child. */
static int insert_new(const struct xcap_uri *u, const struct xcap_step *st,
		      xmlNodePtr parent, xmlNodePtr el)
{
	xmlNodePtr c, last = NULL, nth = NULL;
	unsigned k = 0;
	struct xcap_step t = *st;

	t.att_name = NULL;
	for (c = parent->children; c; c = c->next) {
		if (!xcap_sel_step_test(u, &t, c))
			continue;
		k++;
		last = c;
		if (st->pos && k == st->pos)
			nth = c;
	}
	if (st->pos && st->pos > k + 1)
		return -1;
	if (nth)
		return xmlAddPrevSibling(nth, el) ? 0 : -1;
	if (last)
		return xmlAddNextSibling(last, el) ? 0 : -1;
	return xmlAddChild(parent, el) ? 0 : -1;
}

static int put_element(const struct xcap_uri *u, struct xcap_sel *s,
		       xmlDocPtr *pd, const uint8_t *body, size_t blen,
		       struct xcap_result *r)
{
	xmlDocPtr d = *pd;
	xmlNodePtr parent, old, el, chk;
	size_t n;
	bool created;

	if (s->n == 1) {
		/* The root element: the body becomes the whole document. */
		xmlDocPtr nd = xcap_doc_parse(body, blen, r);

		if (!nd) {
			if (r->status == 409 && strcmp(r->reason,
						       "not-well-formed") == 0)
				return xcap_err_conflict(r, "not-xml-frag",
							 NULL);
			return -1;
		}
		xmlFreeDoc(d);
		*pd = d = nd;
		if (xcap_sel_eval(u, s, 1, d, &chk) != 1)
			return xcap_err_conflict(r, "cannot-insert",
						 "body not selected by URI");
		return xcap_result_set(r, 200, NULL, NULL, 0);
	}
	n = xcap_sel_eval(u, s, s->n - 1, d, &parent);
	if (n == 0)
		return no_parent(u, s, d, s->n - 2, r);
	if (n > 1)
		return xcap_err_status(r, 404, "parent not unique");
	n = xcap_sel_eval(u, s, s->n, d, &old);
	if (n > 1)
		return xcap_err_status(r, 404, "more than one element");
	el = parse_fragment(parent, body, blen, r);
	if (!el)
		return -1;
	created = n == 0;
	if (!created) {
		xmlReplaceNode(old, el);
		xmlFreeNode(old);
	} else if (insert_new(u, &s->steps[s->n - 1], parent, el) < 0) {
		xmlFreeNode(el);
		return xcap_err_conflict(r, "cannot-insert",
					 "position beyond the siblings");
	}
	/* RFC 4825 8.2.3: a GET of the request URI must now return the
	 * element that was put, else 409 <cannot-insert>. */
	if (xcap_sel_eval(u, s, s->n, d, &chk) != 1 || chk != el)
		return xcap_err_conflict(r, "cannot-insert",
					 "body not selected by URI");
	return xcap_result_set(r, created ? 201 : 200, NULL, NULL, 0);
}

/*
 * The namespace for an attribute named <prefix>:<name> with `prefix` bound
 * to `uri` in the request.  Reuse a prefixed declaration of `uri` in scope
 * at el (a default namespace does not apply to attributes, XML Namespaces
 * 6.3, so it cannot be reused).  Otherwise declare one on el under a
 * prefix that is not bound in scope yet: redeclaring a prefix in use
 * would move el's own name, or attributes and descendants written with
 * that prefix, into `uri` once the tree is serialised, so the stored
 * bytes would differ from the tree that passed the schema.
 */
static xmlNsPtr attr_ns(xmlDocPtr d, xmlNodePtr el, const char *uri,
			const char *prefix)
{
	xmlNsPtr ns = xmlSearchNsByHref(d, el, BAD_CAST uri);
	char alt[32];

	if (ns && ns->prefix)
		return ns;
	if (!xmlSearchNs(d, el, BAD_CAST prefix))
		return xmlNewNs(el, BAD_CAST uri, BAD_CAST prefix);
	for (unsigned i = 1; i < 1000; i++) {
		snprintf(alt, sizeof(alt), "ns%u", i);
		if (!xmlSearchNs(d, el, BAD_CAST alt))
			return xmlNewNs(el, BAD_CAST uri, BAD_CAST alt);
	}
	return NULL;
}

static int put_attribute(const struct xcap_uri *u, struct xcap_sel *s,
			 xmlDocPtr d, const uint8_t *body, size_t blen,
			 struct xcap_result *r)
{
	xmlNodePtr el;
	xmlNsPtr ns = NULL;
	char *val;
	size_t n;
	bool created;

	n = xcap_sel_eval(u, s, s->n, d, &el);
	if (n == 0)
		return no_parent(u, s, d, s->n - 1, r);
	if (n > 1)
		return xcap_err_status(r, 404, "element not unique");
	if (!xcap_utf8_valid(body, blen))
		return xcap_err_conflict(r, "not-utf-8", NULL);
	if (xcap_attvalue_decode(body, blen, &val) < 0)
		return xcap_err_conflict(r, "not-xml-att-value", NULL);
	if (strcmp(s->term_name, "xmlns") == 0 ||
	    (s->term_prefix && strcmp(s->term_prefix, "xmlns") == 0)) {
		free(val);
		return xcap_err_conflict(r, "cannot-insert",
					 "namespace declarations are not "
					 "attributes");
	}
	if (s->term_prefix) {
		ns = attr_ns(d, el, xcap_sel_ns(u, s->term_prefix),
			     s->term_prefix);
		if (!ns) {
			free(val);
			return xcap_err_conflict(r, "cannot-insert", NULL);
		}
	}
	created = find_attr(u, s, el) == NULL;
	if (!xmlSetNsProp(el, ns, BAD_CAST s->term_name, BAD_CAST val)) {
		free(val);
		return xcap_err_status(r, 500, "out of memory");
	}
	free(val);
	return xcap_result_set(r, created ? 201 : 200, NULL, NULL, 0);
}

static bool read_only(const struct xcap_uri *u)
{
	return u->app->read_only || (u->global && u->app->global_read_only);
}

int xcap_res_put(const struct xcap_uri *u, const uint8_t *doc, size_t doclen,
		 const char *content_type, const uint8_t *body, size_t blen,
		 uint8_t **newdoc, size_t *newlen, struct xcap_result *r)
{
	struct xcap_sel *s = NULL;
	xmlDocPtr d = NULL;
	int rc = -1;

	*newdoc = NULL;
	*newlen = 0;
	if (read_only(u) || u->kind == XCAP_NODE_NAMESPACE)
		return xcap_err_status(r, 405, "read-only resource");
	if (!body)
		body = (const uint8_t *)"";
	/* RFC 4825 8.2.2-8.2.4: the MIME type of what is put. */
	if (!ctype_is(content_type,
		      u->kind == XCAP_NODE_DOCUMENT ? u->app->mime :
		      u->kind == XCAP_NODE_ELEMENT ? XCAP_MIME_EL :
		      XCAP_MIME_ATT))
		return xcap_err_status(r, 415, "wrong Content-Type");
	if (u->kind == XCAP_NODE_DOCUMENT) {
		d = xcap_doc_parse(body, blen, r);
		if (!d || check_doc(u, d, r) < 0)
			goto out;
		*newdoc = malloc(blen + 1);
		if (!*newdoc) {
			xcap_err_status(r, 500, "out of memory");
			goto out;
		}
		memcpy(*newdoc, body, blen);
		(*newdoc)[blen] = 0;
		*newlen = blen;
		rc = xcap_result_set(r, doc ? 200 : 201, NULL, NULL, 0);
		goto out;
	}
	if (!doc) {
		/* RFC 4825 8.2.1: no document to insert into; the closest
		 * existing ancestor is the directory holding it. */
		char *anc = strdup(u->doc_uri), *slash;

		if (anc && (slash = strrchr(anc, '/')))
			slash[1] = '\0';
		xcap_err_no_parent(r, anc);
		free(anc);
		return -1;
	}
	if (load(u, doc, doclen, &d, &s, r) < 0)
		return -1;
	rc = u->kind == XCAP_NODE_ELEMENT
		? put_element(u, s, &d, body, blen, r)
		: put_attribute(u, s, d, body, blen, r);
	if (rc < 0)
		goto out;
	{
		int status = r->status;

		rc = -1;
		if (check_doc(u, d, r) < 0 || serialise(d, newdoc, newlen,
							r) < 0)
			goto out;
		rc = xcap_result_set(r, status, NULL, NULL, 0);
	}
out:
	if (rc < 0) {
		free(*newdoc);
		*newdoc = NULL;
		*newlen = 0;
	}
	xmlFreeDoc(d);
	xcap_sel_free(s);
	return rc;
}

/* --------------------------------------------------------------- DELETE */

int xcap_res_delete(const struct xcap_uri *u, const uint8_t *doc,
		    size_t doclen, uint8_t **newdoc, size_t *newlen,
		    struct xcap_result *r)
{
	struct xcap_sel *s = NULL;
	xmlDocPtr d = NULL;
	xmlNodePtr el, chk;
	int rc = -1;

	*newdoc = NULL;
	*newlen = 0;
	if (read_only(u) || u->kind == XCAP_NODE_NAMESPACE)
		return xcap_err_status(r, 405, "read-only resource");
	if (!doc)
		return xcap_err_status(r, 404, "no such document");
	if (u->kind == XCAP_NODE_DOCUMENT)
		return xcap_result_set(r, 200, NULL, NULL, 0);
	if (load(u, doc, doclen, &d, &s, r) < 0)
		return -1;
	if (xcap_sel_eval(u, s, s->n, d, &el) != 1) {
		xcap_err_status(r, 404, "no single node selected");
		goto out;
	}
	if (u->kind == XCAP_NODE_ATTRIBUTE) {
		xmlAttrPtr a = find_attr(u, s, el);

		if (!a) {
			xcap_err_status(r, 404, "no such attribute");
			goto out;
		}
		xmlRemoveProp(a);
		if (find_attr(u, s, el)) {
			xcap_err_conflict(r, "cannot-delete", NULL);
			goto out;
		}
	} else {
		if (el == xmlDocGetRootElement(d)) {
			xcap_err_conflict(r, "cannot-delete",
					  "delete the document instead");
			goto out;
		}
		xmlUnlinkNode(el);
		xmlFreeNode(el);
		/* RFC 4825 8.4: a GET of the same URI must now give 404
		 * (e.g. deleting foo[2] of three foo elements fails). */
		if (xcap_sel_eval(u, s, s->n, d, &chk) != 0) {
			xcap_err_conflict(r, "cannot-delete",
					  "URI would still select a node");
			goto out;
		}
	}
	if (check_doc(u, d, r) < 0 || serialise(d, newdoc, newlen, r) < 0)
		goto out;
	rc = xcap_result_set(r, 200, NULL, NULL, 0);
out:
	xmlFreeDoc(d);
	xcap_sel_free(s);
	return rc;
}
