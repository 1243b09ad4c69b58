/*
 * check_xcap_node.c - XCAP resource operations (RFC 4825 7, 8, 11, 12):
 * GET/PUT/DELETE of documents, elements, attributes and namespace
 * bindings on fixture documents, every 409 condition with its parsed
 * error body, schema validation per AUID and AUID constraints.
 * Fixtures: $top_srcdir/tests/fixtures/xcap (or PD_SRCDIR).
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "xcap/res_int.h"

#ifndef PD_SRCDIR
#define PD_SRCDIR "."
#endif

static const char *srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : PD_SRCDIR;
}

static char *fixture(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/xcap/%s", srcdir(),
		 name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "fixture %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void setup(void)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/xcap/schemas", srcdir());
	ck_assert_int_eq(xcap_res_init(dir), 0);
}

static void teardown(void)
{
	xcap_res_cleanup();
}

static struct xcap_uri *uri(const char *path, const char *query)
{
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;

	ck_assert_msg(xcap_uri_parse("/xcap-root", path, query, NULL, &u,
				     &r) == 0, "%s: %s", path, r.reason);
	xcap_result_clear(&r);
	return u;
}

/* A document under test, updated by successful writes. */
struct doc {
	char *buf;
	size_t len;
};

static void doc_load(struct doc *d, const char *name)
{
	d->buf = fixture(name, &d->len);
}

/* PUT body at path; on success the doc is replaced.  Returns status. */
static int put(struct doc *d, const char *path, const char *query,
	       const char *ctype, const char *body, struct xcap_result *r)
{
	struct xcap_uri *u = uri(path, query);
	uint8_t *nd = NULL;
	size_t nl = 0;
	int rc;

	xcap_result_clear(r);
	rc = xcap_res_put(u, (uint8_t *)d->buf, d->buf ? d->len : 0, ctype,
			  (const uint8_t *)body, strlen(body), &nd, &nl, r);
	if (rc == 0) {
		ck_assert_ptr_nonnull(nd);
		free(d->buf);
		d->buf = (char *)nd;
		d->len = nl;
	} else {
		ck_assert_ptr_null(nd);
	}
	xcap_uri_free(u);
	return r->status;
}

static int del(struct doc *d, const char *path, const char *query,
	       struct xcap_result *r)
{
	struct xcap_uri *u = uri(path, query);
	uint8_t *nd = NULL;
	size_t nl = 0;
	int rc;

	xcap_result_clear(r);
	rc = xcap_res_delete(u, (uint8_t *)d->buf, d->len, &nd, &nl, r);
	if (rc == 0 && u->kind != XCAP_NODE_DOCUMENT) {
		free(d->buf);
		d->buf = (char *)nd;
		d->len = nl;
	}
	xcap_uri_free(u);
	return r->status;
}

static int get(struct doc *d, const char *path, const char *query,
	       struct xcap_result *r)
{
	struct xcap_uri *u = uri(path, query);

	xcap_result_clear(r);
	xcap_res_get(u, (uint8_t *)d->buf, d->len, r);
	xcap_uri_free(u);
	return r->status;
}

/* Parse an xcap-error body; check root and that `tag` is the condition.
 * Returns the doc for further checks (caller frees). */
static xmlDocPtr err_body(const struct xcap_result *r, const char *tag)
{
	xmlDocPtr d;
	xmlNodePtr root, c;

	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(r->content_type, "application/xcap-error+xml");
	d = xmlReadMemory(r->body, (int)r->body_len, NULL, NULL,
			  XML_PARSE_NONET);
	ck_assert_ptr_nonnull(d);
	root = xmlDocGetRootElement(d);
	ck_assert_str_eq((char *)root->name, "xcap-error");
	ck_assert_str_eq((char *)root->ns->href, XCAP_NS_ERROR);
	for (c = root->children; c && c->type != XML_ELEMENT_NODE;)
		c = c->next;
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strcmp((char *)c->name, tag) == 0, "want %s got %s",
		      tag, c->name);
	/* The error body is itself schema-valid (RFC 4825 11.2). */
	{
		char p[1024];
		xmlSchemaParserCtxtPtr pc;
		xmlSchemaPtr s;
		xmlSchemaValidCtxtPtr vc;

		snprintf(p, sizeof(p), "%s/xcap/schemas/xcap-error.xsd",
			 srcdir());
		pc = xmlSchemaNewParserCtxt(p);
		s = xmlSchemaParse(pc);
		vc = xmlSchemaNewValidCtxt(s);
		ck_assert_int_eq(xmlSchemaValidateDoc(vc, d), 0);
		xmlSchemaFreeValidCtxt(vc);
		xmlSchemaFree(s);
		xmlSchemaFreeParserCtxt(pc);
	}
	return d;
}

static void expect_err(const struct xcap_result *r, const char *tag)
{
	xmlFreeDoc(err_body(r, tag));
}

#define RL "/xcap-root/resource-lists/users/sip:alice@example.com/index"
#define PR "/xcap-root/pres-rules/users/sip:alice@example.com/index"
#define RLS "/xcap-root/rls-services/users/sip:alice@example.com/index"
#define PIDF "/xcap-root/pidf-manipulation/users/sip:alice@example.com/index"
#define EL "application/xcap-el+xml"
#define ATT "application/xcap-att+xml"
#define CP "xmlns(cp=urn:ietf:params:xml:ns:common-policy)"

/* ----------------------------------------------------------------- GET */

START_TEST(rfc4825_8_3_get)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(get(&d, RL, NULL, &r), 200);
	ck_assert_str_eq(r.content_type, "application/resource-lists+xml");
	ck_assert_uint_eq(r.body_len, d.len);

	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b2%5d",
			     NULL, &r), 200);
	ck_assert_str_eq(r.content_type, EL);
	ck_assert_str_eq(r.body, "<entry uri=\"sip:carol@example.com\"/>");

	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list/entry%5b@uri=%22sip:bob@example.com%22%5d/display-name",
			     NULL, &r), 200);
	/* node-set semantics: two lists, one entry matches */
	ck_assert_str_eq(r.body, "<display-name>Bob</display-name>");
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_8_3_get_attribute_and_multi)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b1%5d/@uri",
			     NULL, &r), 200);
	ck_assert_str_eq(r.content_type, ATT);
	ck_assert_str_eq(r.body, "sip:bob@example.com");
	/* several matches -> 404 */
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list", NULL, &r),
			 404);
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/*%5b2%5d/@name",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "work");
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b1%5d/@nope",
			     NULL, &r), 404);
	ck_assert_int_eq(get(&d, RL "/~~/other", NULL, &r), 404);
	xcap_result_clear(&r);
	free(d.buf);
	d.buf = NULL;
	ck_assert_int_eq(get(&d, RL, NULL, &r), 404);
	xcap_result_clear(&r);
}
END_TEST

START_TEST(rfc4825_10_namespace_selector)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "ns-doc.xml");
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list/entry/namespace::*",
			     NULL, &r), 200);
	ck_assert_str_eq(r.content_type, "application/xcap-ns+xml");
	ck_assert_ptr_nonnull(strstr(r.body, "<entry"));
	ck_assert_ptr_nonnull(strstr(r.body,
		"xmlns=\"urn:ietf:params:xml:ns:resource-lists\""));
	ck_assert_ptr_nonnull(strstr(r.body, "xmlns:x=\"urn:test:x\""));
	/* prefixed attribute via the query binding */
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list/entry/@y:flag",
			     "xmlns(y=urn:test:x)", &r), 200);
	ck_assert_str_eq(r.body, "1");
	/* PUT / DELETE on namespace bindings: 405 (RFC 4825 8.2.5/8.4) */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/namespace::*", NULL,
			     EL, "<x/>", &r), 405);
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists/namespace::*", NULL,
			     &r), 405);
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

/* ----------------------------------------------------------------- PUT */

START_TEST(rfc4825_8_2_document)
{
	struct doc d = { 0 };
	struct xcap_result r = { 0 };
	size_t l;
	char *body = fixture("pres-rules.xml", &l);

	ck_assert_int_eq(put(&d, PR, NULL, "application/auth-policy+xml",
			     body, &r), 201);
	ck_assert_str_eq(d.buf, body);
	ck_assert_int_eq(put(&d, PR, NULL,
			     "application/auth-policy+xml; charset=UTF-8",
			     body, &r), 200);
	/* RFC 4825 8.2.2: the AUID's MIME type or 415 */
	ck_assert_int_eq(put(&d, PR, NULL, "application/xml", body, &r),
			 415);
	ck_assert_int_eq(put(&d, PR, NULL, NULL, body, &r), 415);
	ck_assert_int_eq(del(&d, PR, NULL, &r), 200);
	xcap_result_clear(&r);
	free(body);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_8_2_3_insert)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "resource-lists.xml");
	/* append after the last sibling of that name */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:eve@example.com%22%5d",
			     NULL, EL, "<entry uri=\"sip:eve@example.com\"/>",
			     &r), 201);
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b4%5d/@uri",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "sip:eve@example.com");
	/* positional: becomes the 1st entry */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b1%5d",
			     NULL, EL, "<entry uri=\"sip:zed@example.com\"/>",
			     &r), 200);   /* replaces the existing 1st */
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b1%5d/@uri",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "sip:zed@example.com");
	/* position = count+1: inserted at the end */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b5%5d",
			     NULL, EL, "<entry uri=\"sip:fay@example.com\"/>",
			     &r), 201);
	/* position beyond: cannot-insert */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b9%5d",
			     NULL, EL, "<entry uri=\"sip:gus@example.com\"/>",
			     &r), 409);
	expect_err(&r, "cannot-insert");
	/* new list into the empty one, prefix-free body in context ns */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b@name=%22work%22%5d/list%5b@name=%22team%22%5d",
			     NULL, EL, "<list name=\"team\"><entry uri=\"sip:h@x\"/></list>",
			     &r), 201);
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b2%5d/list/entry/@uri",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "sip:h@x");
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_8_2_3_cannot_insert)
{
	struct doc d;
	struct xcap_result r = { 0 };
	char *before;

	doc_load(&d, "resource-lists.xml");
	before = strdup(d.buf);
	/* the body would not be selected by the URI */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:x@y%22%5d",
			     NULL, EL, "<entry uri=\"sip:other@y\"/>", &r),
			 409);
	expect_err(&r, "cannot-insert");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b1%5d",
			     NULL, EL, "<list name=\"n\"/>", &r), 409);
	expect_err(&r, "cannot-insert");
	ck_assert_str_eq(d.buf, before);
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b1%5d",
			     NULL, "application/resource-lists+xml",
			     "<entry uri=\"a\"/>", &r), 415);
	xcap_result_clear(&r);
	free(before);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_8_2_4_attribute)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b2%5d/@name",
			     NULL, ATT, "job &amp; co", &r), 200);
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b2%5d/@name",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "job &amp; co");
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b@name=%22job%20&amp;%20co%22%5d/@name",
			     NULL, &r), 200);
	/* new attribute -> 201; schema refuses an unknown attribute */
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b2%5d/@bogus",
			     NULL, ATT, "1", &r), 409);
	expect_err(&r, "schema-validation-error");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b2%5d/@name",
			     NULL, ATT, "a<b", &r), 409);
	expect_err(&r, "not-xml-att-value");
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists/list%5b2%5d/@name",
			     NULL, &r), 200);
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list%5b2%5d/@name",
			     NULL, &r), 404);
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b2%5d/@name",
			     NULL, ATT, "again", &r), 201);
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

/*
 * An attribute in a namespace whose prefix the document already binds to
 * another namespace: the engine must declare a fresh prefix, not shadow
 * the existing one (which would move <rl:list> itself into urn:evil in the
 * stored bytes while the in-memory tree passed the schema).  Nor may it
 * reuse a default namespace declaration (attributes never take it).
 */
START_TEST(rfc4825_8_2_4_attribute_namespace)
{
	struct doc d;
	struct xcap_result r = { 0 };
	struct xcap_uri *u;
	uint8_t *nd = NULL;
	size_t nl = 0;

	doc_load(&d, "prefixed-lists.xml");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list/@rl:x",
			     "xmlns(rl=urn:evil)", ATT, "v", &r), 201);
	ck_assert_ptr_null(strstr(d.buf, "xmlns:rl=\"urn:evil\""));
	/* the stored bytes are still a valid resource-lists document */
	u = uri(RL, NULL);
	xcap_result_clear(&r);
	ck_assert_int_eq(xcap_res_put(u, NULL, 0,
				      "application/resource-lists+xml",
				      (const uint8_t *)d.buf, d.len, &nd, &nl,
				      &r), 0);
	free(nd);
	xcap_uri_free(u);
	ck_assert_int_eq(get(&d, RL "/~~/resource-lists/list/@e:x",
			     "xmlns(e=urn:evil)", &r), 200);
	ck_assert_str_eq(r.body, "v");
	/* a prefix for the default namespace: no unqualified attribute */
	free(d.buf);
	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b2%5d/@p:x",
			     "xmlns(p=urn:ietf:params:xml:ns:resource-lists)",
			     ATT, "v", &r), 409);
	expect_err(&r, "schema-validation-error");
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

/* ------------------------------------------------------------- DELETE */

START_TEST(rfc4825_8_4_delete)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b@uri=%22sip:carol@example.com%22%5d",
			     NULL, &r), 200);
	ck_assert_ptr_null(strstr(d.buf, "carol"));
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b@uri=%22sip:carol@example.com%22%5d",
			     NULL, &r), 404);
	/* deleting the 1st of two: the 2nd would become the 1st */
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b1%5d",
			     NULL, &r), 409);
	expect_err(&r, "cannot-delete");
	ck_assert_ptr_nonnull(strstr(d.buf, "bob"));
	/* deleting the last one positionally is fine */
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b2%5d",
			     NULL, &r), 200);
	ck_assert_ptr_null(strstr(d.buf, "dave"));
	ck_assert_int_eq(del(&d, RL "/~~/resource-lists", NULL, &r), 409);
	expect_err(&r, "cannot-delete");
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

/* ---------------------------------------------------------- 409 bodies */

START_TEST(rfc4825_11_no_parent)
{
	struct doc d, none = { 0 };
	struct xcap_result r = { 0 };
	xmlDocPtr e;
	xmlChar *anc;

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b@name=%22friends%22%5d/list%5b@name=%22x%22%5d/entry",
			     NULL, EL, "<entry uri=\"sip:a@b\"/>", &r), 409);
	e = err_body(&r, "no-parent");
	anc = xmlNodeGetContent(xmlDocGetRootElement(e)->children);
	ck_assert_str_eq((char *)anc, RL
		"/~~/resource-lists/list%5B@name=%22friends%22%5D");
	xmlFree(anc);
	xmlFreeDoc(e);
	/* no document at all: the ancestor is the user's directory */
	ck_assert_int_eq(put(&none, RL "/~~/resource-lists/list", NULL, EL,
			     "<list/>", &r), 409);
	e = err_body(&r, "no-parent");
	anc = xmlNodeGetContent(xmlDocGetRootElement(e)->children);
	ck_assert_str_eq((char *)anc,
		"/xcap-root/resource-lists/users/sip:alice@example.com/");
	xmlFree(anc);
	xmlFreeDoc(e);
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_11_bad_bodies)
{
	struct doc d;
	struct xcap_result r = { 0 };
	const char *p = RL "/~~/resource-lists/list%5b2%5d/entry";

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(put(&d, p, NULL, EL, "<entry uri=\"a\">", &r), 409);
	expect_err(&r, "not-well-formed");
	ck_assert_int_eq(put(&d, p, NULL, EL,
			     "<entry uri=\"a\"/><entry uri=\"b\"/>", &r), 409);
	expect_err(&r, "not-xml-frag");
	ck_assert_int_eq(put(&d, p, NULL, EL, "just text", &r), 409);
	expect_err(&r, "not-xml-frag");
	ck_assert_int_eq(put(&d, p, NULL, EL, "<entry uri=\"\xff\"/>", &r),
			 409);
	expect_err(&r, "not-utf-8");
	ck_assert_int_eq(put(&d, p, NULL, EL, "<entry uri=\"\xc0\xaf\"/>",
			     &r), 409);
	expect_err(&r, "not-utf-8");
	ck_assert_int_eq(put(&d, p, NULL, EL, "<entry uri=\"&ext;\"/>", &r),
			 409);
	expect_err(&r, "not-well-formed");
	/* DOCTYPE / entity expansion never reaches the parser */
	ck_assert_int_eq(put(&d, RL, NULL, "application/resource-lists+xml",
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;\">]>"
		"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
		"<list name=\"&b;\"/></resource-lists>", &r), 409);
	expect_err(&r, "not-well-formed");
	ck_assert_int_eq(put(&d, RL, NULL, "application/resource-lists+xml",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
		"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>",
		&r), 409);
	expect_err(&r, "not-utf-8");
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_8_2_5_schema_per_auid)
{
	struct doc d = { 0 };
	struct xcap_result r = { 0 };
	static const struct {
		const char *path, *mime, *fix, *bad;
	} t[] = {
		{ PR, "application/auth-policy+xml", "pres-rules.xml",
		  "<cp:ruleset xmlns:cp=\"urn:ietf:params:xml:ns:common-policy\">"
		  "<cp:rule id=\"a\"><cp:actions><sub-handling xmlns="
		  "\"urn:ietf:params:xml:ns:pres-rules\">maybe</sub-handling>"
		  "</cp:actions></cp:rule></cp:ruleset>" },
		{ "/xcap-root/org.openmobilealliance.pres-rules/users/u/pres-rules",
		  "application/auth-policy+xml", "pres-rules.xml",
		  "<cp:ruleset xmlns:cp=\"urn:ietf:params:xml:ns:common-policy\">"
		  "<cp:rule/></cp:ruleset>" },
		{ RL, "application/resource-lists+xml", "resource-lists.xml",
		  "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
		  "<entry uri=\"sip:a@b\"/></resource-lists>" },
		{ RLS, "application/rls-services+xml", "rls-services.xml",
		  "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\">"
		  "<service/></rls-services>" },
		{ PIDF, "application/pidf+xml", "pidf.xml",
		  "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@b\">"
		  "<tuple id=\"t\"><status><basic>maybe</basic></status></tuple>"
		  "</presence>" },
	};
	size_t i, l;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *good = fixture(t[i].fix, &l);

		free(d.buf);
		d.buf = NULL;
		ck_assert_msg(put(&d, t[i].path, NULL, t[i].mime, good, &r)
			      == 201, "%s: %s", t[i].path, r.reason);
		ck_assert_int_eq(put(&d, t[i].path, NULL, t[i].mime, t[i].bad,
				     &r), 409);
		expect_err(&r, "schema-validation-error");
		free(good);
	}
	/* a wrong root for the AUID */
	ck_assert_int_eq(put(&d, PIDF, NULL, "application/pidf+xml",
			     "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>",
			     &r), 409);
	expect_err(&r, "schema-validation-error");
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_11_uniqueness_alt_value)
{
	struct doc d;
	struct xcap_result r = { 0 };
	xmlDocPtr e;
	xmlNodePtr ex;
	xmlChar *v;

	doc_load(&d, "pres-rules.xml");
	ck_assert_int_eq(put(&d, PR "/~~/cp:ruleset/cp:rule%5b2%5d", CP, EL,
			     "<cp:rule id=\"a\"/>", &r), 409);
	e = err_body(&r, "uniqueness-failure");
	ex = xmlFirstElementChild(xmlFirstElementChild(
		xmlDocGetRootElement(e)));
	ck_assert_str_eq((char *)ex->name, "exists");
	v = xmlGetProp(ex, BAD_CAST "field");
	ck_assert_str_eq((char *)v, "ruleset/rule/@id");
	xmlFree(v);
	v = xmlNodeGetContent(xmlFirstElementChild(ex));
	ck_assert_str_eq((char *)v, "a1");
	xmlFree(v);
	xmlFreeDoc(e);
	/* with the suggestion it works */
	ck_assert_int_eq(put(&d, PR "/~~/cp:ruleset/cp:rule%5b@id=%22a1%22%5d",
			     CP, EL, "<cp:rule id=\"a1\"/>", &r), 201);
	ck_assert_int_eq(put(&d, PR "/~~/cp:ruleset/cp:rule%5b3%5d", CP, EL,
			     "<cp:rule id=\"a\"/>", &r), 409);
	e = err_body(&r, "uniqueness-failure");
	v = xmlNodeGetContent(xmlDocGetRootElement(e));
	ck_assert_str_eq((char *)v, "a2");
	xmlFree(v);
	xmlFreeDoc(e);
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4826_3_4_5_resource_lists_unique)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "resource-lists.xml");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b1%5d/entry%5b4%5d",
			     NULL, EL, "<entry uri=\"sip:bob@example.com\"/>",
			     &r), 409);
	expect_err(&r, "uniqueness-failure");
	ck_assert_int_eq(put(&d, RL "/~~/resource-lists/list%5b3%5d",
			     NULL, EL, "<list name=\"friends\"/>", &r), 409);
	expect_err(&r, "uniqueness-failure");
	ck_assert_ptr_nonnull(strstr(r.body, "friends1"));
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

static int taken_hook(const char *uri, const struct xcap_uri *u, void *arg)
{
	(void)u;
	return strcmp(uri, (const char *)arg) == 0;
}

START_TEST(rfc4826_4_4_5_rls_constraints)
{
	struct doc d;
	struct xcap_result r = { 0 };

	doc_load(&d, "rls-services.xml");
	ck_assert_int_eq(put(&d, RLS "/~~/rls-services/service%5b2%5d", NULL,
		EL, "<service uri=\"sip:s2@example.com\"><resource-list>"
		"sip:not-http@example.com</resource-list></service>", &r), 409);
	expect_err(&r, "constraint-failure");
	ck_assert_int_eq(put(&d, RLS "/~~/rls-services/service%5b2%5d", NULL,
		EL, "<service uri=\"sip:alice-buddies@example.com\"><list/>"
		"</service>", &r), 409);
	expect_err(&r, "uniqueness-failure");
	xcap_res_set_service_uri_hook(taken_hook, "sip:used@example.com");
	ck_assert_int_eq(put(&d, RLS "/~~/rls-services/service%5b2%5d", NULL,
		EL, "<service uri=\"sip:used@example.com\"><list/></service>",
		&r), 409);
	expect_err(&r, "uniqueness-failure");
	ck_assert_int_eq(put(&d, RLS "/~~/rls-services/service%5b2%5d", NULL,
		EL, "<service uri=\"sip:free@example.com\"><list/></service>",
		&r), 201);
	xcap_res_set_service_uri_hook(NULL, NULL);
	xcap_result_clear(&r);
	free(d.buf);
}
END_TEST

START_TEST(rfc4825_12_caps_and_index)
{
	struct xcap_result r = { 0 };
	struct doc d = { 0 }, rls;
	struct xcap_uri *u;
	uint8_t *idx, *nd;
	size_t il, nl;
	const uint8_t *docs[2];
	size_t lens[2];

	ck_assert_int_eq(xcap_caps_print(&d.buf, &d.len), 0);
	ck_assert_ptr_nonnull(strstr(d.buf, "<auid>pres-rules</auid>"));
	ck_assert_int_eq(get(&d, "/xcap-root/xcap-caps/global/index/~~/xcap-caps/auids/auid%5b1%5d",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "<auid>pres-rules</auid>");
	/* the caps document is valid against its own schema */
	u = uri("/xcap-root/xcap-caps/global/index", NULL);
	{
		xmlDocPtr x = xcap_doc_parse((uint8_t *)d.buf, d.len, &r);

		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(xcap_schema_validate(u->app, x, &r), 0);
		xmlFreeDoc(x);
	}
	ck_assert_int_lt(xcap_res_put(u, (uint8_t *)d.buf, d.len,
				      "application/xcap-caps+xml",
				      (uint8_t *)d.buf, d.len, &nd, &nl, &r),
			 0);
	ck_assert_int_eq(r.status, 405);
	xcap_uri_free(u);
	free(d.buf);

	doc_load(&rls, "rls-services.xml");
	docs[0] = (uint8_t *)rls.buf;
	lens[0] = rls.len;
	docs[1] = (const uint8_t *)"garbage";
	lens[1] = 7;
	ck_assert_int_eq(xcap_rls_index_compose(docs, lens, 2, &idx, &il), 0);
	ck_assert_ptr_nonnull(strstr((char *)idx, "alice-buddies"));
	d.buf = (char *)idx;
	d.len = il;
	ck_assert_int_eq(get(&d, "/xcap-root/rls-services/global/index/~~/rls-services/service/@uri",
			     NULL, &r), 200);
	ck_assert_str_eq(r.body, "sip:alice-buddies@example.com");
	free(idx);
	free(rls.buf);
	xcap_result_clear(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xcap_node");
	struct { const char *name; const TTest *t; } tc[] = {
		{ "rfc4825_8_3_get", rfc4825_8_3_get },
		{ "rfc4825_8_3_get", rfc4825_8_3_get_attribute_and_multi },
		{ "rfc4825_10_namespace_selector",
		  rfc4825_10_namespace_selector },
		{ "rfc4825_8_2_document", rfc4825_8_2_document },
		{ "rfc4825_8_2_3_insert", rfc4825_8_2_3_insert },
		{ "rfc4825_8_2_3_cannot_insert", rfc4825_8_2_3_cannot_insert },
		{ "rfc4825_8_2_4_attribute", rfc4825_8_2_4_attribute },
		{ "rfc4825_8_2_4_attribute_namespace",
		  rfc4825_8_2_4_attribute_namespace },
		{ "rfc4825_8_4_delete", rfc4825_8_4_delete },
		{ "rfc4825_11_no_parent", rfc4825_11_no_parent },
		{ "rfc4825_11_bad_bodies", rfc4825_11_bad_bodies },
		{ "rfc4825_8_2_5_schema_per_auid",
		  rfc4825_8_2_5_schema_per_auid },
		{ "rfc4825_11_uniqueness_alt_value",
		  rfc4825_11_uniqueness_alt_value },
		{ "rfc4826_3_4_5_resource_lists_unique",
		  rfc4826_3_4_5_resource_lists_unique },
		{ "rfc4826_4_4_5_rls_constraints",
		  rfc4826_4_4_5_rls_constraints },
		{ "rfc4825_12_caps_and_index", rfc4825_12_caps_and_index },
	};
	size_t i;

	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		TCase *t = tcase_create(tc[i].name);

		tcase_add_checked_fixture(t, setup, teardown);
		_tcase_add_test(t, tc[i].t, 0, 0, 0, 1);
		suite_add_tcase(s, t);
	}
	return s;
}

CHECK_MAIN(suite)
