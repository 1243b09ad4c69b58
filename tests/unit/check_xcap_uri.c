/*
 * check_xcap_uri.c - XCAP URI and node selector parsing (RFC 4825 6):
 * table-driven valid and malformed URIs, percent-decoding, path
 * traversal, namespace bindings and the selector ABNF.
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <stdlib.h>
#include <string.h>

#include "xcap/res_int.h"

#define ROOT "/xcap-root"

struct uri_case {
	const char *path;
	const char *query;
	int status;              /* 0 = parses */
	const char *auid, *xui, *doc, *node;
	enum xcap_node_kind kind;
};

static const struct uri_case uri_cases[] = {
	{ ROOT "/resource-lists/users/sip:alice@example.com/index", NULL, 0,
	  "resource-lists", "sip:alice@example.com", "index", NULL,
	  XCAP_NODE_DOCUMENT },
	/* escaped '/' stays inside the XUI, decoded once */
	{ ROOT "/pres-rules/users/sip:a%2Fb@example.com/index", NULL, 0,
	  "pres-rules", "sip:a/b@example.com", "index", NULL,
	  XCAP_NODE_DOCUMENT },
	/* %2541 decodes to "%41", not "A" (decode once) */
	{ ROOT "/pres-rules/users/x%2541/index", NULL, 0,
	  "pres-rules", "x%41", "index", NULL, XCAP_NODE_DOCUMENT },
	{ ROOT "/resource-lists/users/u/dir/sub/doc.xml", NULL, 0,
	  "resource-lists", "u", "dir/sub/doc.xml", NULL,
	  XCAP_NODE_DOCUMENT },
	{ ROOT "/rls-services/global/index", NULL, 0, "rls-services", NULL,
	  "index", NULL, XCAP_NODE_DOCUMENT },
	{ ROOT "/xcap-caps/global/index", NULL, 0, "xcap-caps", NULL,
	  "index", NULL, XCAP_NODE_DOCUMENT },
	{ ROOT "/resource-lists/users/u/index/~~/resource-lists/list%5b@name=%22friends%22%5d",
	  NULL, 0, "resource-lists", "u", "index",
	  "resource-lists/list[@name=\"friends\"]", XCAP_NODE_ELEMENT },
	{ ROOT "/resource-lists/users/u/index/~~/resource-lists/list[1]/entry[2]/@uri",
	  NULL, 0, "resource-lists", "u", "index",
	  "resource-lists/list[1]/entry[2]/@uri", XCAP_NODE_ATTRIBUTE },
	{ ROOT "/resource-lists/users/u/index/~~/resource-lists/namespace::*",
	  NULL, 0, "resource-lists", "u", "index",
	  "resource-lists/namespace::*", XCAP_NODE_NAMESPACE },
	/* a quoted value may hold '/' (it does not split steps) */
	{ ROOT "/resource-lists/users/u/index/~~/resource-lists/list/entry%5b@uri=%22http://x/y%22%5d",
	  NULL, 0, "resource-lists", "u", "index",
	  "resource-lists/list/entry[@uri=\"http://x/y\"]",
	  XCAP_NODE_ELEMENT },
	/* namespace bindings from the query (RFC 4825 6.4) */
	{ ROOT "/pres-rules/users/u/index/~~/cp:ruleset/cp:rule%5b@id=%27a%27%5d",
	  "xmlns(cp=urn:ietf:params:xml:ns:common-policy)", 0, "pres-rules",
	  "u", "index", "cp:ruleset/cp:rule[@id='a']", XCAP_NODE_ELEMENT },
	/* query given inside path */
	{ ROOT "/pres-rules/users/u/index/~~/cp:ruleset?xmlns(cp=urn:x)",
	  NULL, 0, "pres-rules", "u", "index", "cp:ruleset",
	  XCAP_NODE_ELEMENT },
	/* failures */
	{ "/other/resource-lists/users/u/index", NULL, 404 },
	{ ROOT "/no-such-auid/users/u/index", NULL, 404 },
	{ ROOT "/resource-lists/users/u/", NULL, 404 },
	{ ROOT "/resource-lists/users/u", NULL, 404 },
	{ ROOT "/resource-lists/global/index", NULL, 404 },
	{ ROOT "/xcap-caps/users/u/index", NULL, 404 },
	{ ROOT "/resource-lists/users/u/../v/index", NULL, 404 },
	{ ROOT "/resource-lists/users/u/%2e%2e/index", NULL, 404 },
	{ ROOT "/resource-lists/users/u/./index", NULL, 404 },
	{ ROOT "/resource-lists/users/../index", NULL, 404 },
	{ ROOT "/resource-lists/users/u/a%2Fb", NULL, 404 },
	{ ROOT "/resource-lists/users/u/a%00b", NULL, 400 },
	{ ROOT "/resource-lists/users/u/a%zz", NULL, 400 },
	{ ROOT "/resource-lists/users/u/a%4", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a[", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a[@b=\"c]", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a[@b=c]", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a[0]", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a/@b/c", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/p:a", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a", "xmlns(p=", 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a", "foo=bar", 400 },
	/* selector and namespace URIs: UTF-8 names only (may be written
	 * into the document by a PUT) */
	{ ROOT "/resource-lists/users/u/index/~~/a/@b%FF", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a%C3%97", NULL, 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a/@p:b",
	  "xmlns(p=urn:%FF)", 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a/@p:b",
	  "xmlns(p=urn:\xc3)", 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a/@p:b",
	  "xmlns(p=urn:a%10b)", 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a/@p:b",
	  "xmlns(p=urn:a%26b)", 400 },
	{ ROOT "/resource-lists/users/u/index/~~/a/@p:b",
	  "xmlns(p=urn:a%3Cb)", 400 },
};

START_TEST(rfc4825_6_uri_table)
{
	const struct uri_case *c = &uri_cases[_i];
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;
	int rc = xcap_uri_parse(ROOT, c->path, c->query, NULL, &u, &r);

	if (c->status) {
		ck_assert_msg(rc < 0, "%s parsed", c->path);
		ck_assert_int_eq(r.status, c->status);
		ck_assert_ptr_null(u);
	} else {
		ck_assert_msg(rc == 0, "%s: %d %s", c->path, r.status,
			      r.reason);
		ck_assert_str_eq(u->auid, c->auid);
		if (c->xui)
			ck_assert_str_eq(u->xui, c->xui);
		else
			ck_assert(u->global && !u->xui);
		ck_assert_str_eq(u->doc, c->doc);
		if (c->node)
			ck_assert_str_eq(u->node, c->node);
		else
			ck_assert_ptr_null(u->node);
		ck_assert_int_eq(u->kind, c->kind);
	}
	xcap_uri_free(u);
	xcap_result_clear(&r);
}
END_TEST

START_TEST(rfc4825_6_uri_too_long)
{
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;
	size_t n = XCAP_URI_MAX + 10;
	char *p = malloc(n + 1);

	memset(p, 'a', n);
	memcpy(p, ROOT "/resource-lists/users/u/", 34);
	p[n] = '\0';
	ck_assert_int_lt(xcap_uri_parse(ROOT, p, NULL, NULL, &u, &r), 0);
	ck_assert_int_eq(r.status, 414);
	free(p);
	xcap_result_clear(&r);
}
END_TEST

START_TEST(rfc4825_6_4_namespace_bindings)
{
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;

	ck_assert_int_eq(xcap_uri_parse(ROOT,
		ROOT "/pres-rules/users/u/index/~~/a:x/b:y",
		"xmlns(a=urn:a)xmlns(b=urn%3Ab)", "https://h:8443", &u, &r), 0);
	ck_assert_uint_eq(u->n_ns, 2);
	ck_assert_str_eq(u->ns[0].prefix, "a");
	ck_assert_str_eq(u->ns[1].uri, "urn:b");
	ck_assert_str_eq(xcap_sel_ns(u, "b"), "urn:b");
	ck_assert_str_eq(xcap_sel_ns(u, NULL),
			 "urn:ietf:params:xml:ns:pres-rules");
	ck_assert_ptr_null(xcap_sel_ns(u, "c"));
	ck_assert_str_eq(u->doc_uri,
		"https://h:8443/xcap-root/pres-rules/users/u/index");
	xcap_uri_free(u);
	xcap_result_clear(&r);
}
END_TEST

START_TEST(rfc4825_6_doc_uri_reencoded)
{
	struct xcap_result r = { 0 };
	struct xcap_uri *u = NULL;

	ck_assert_int_eq(xcap_uri_parse("/", "/resource-lists/users/"
		"sip:a%2Fb%20c@x/index", NULL, NULL, &u, &r), 0);
	ck_assert_str_eq(u->xui, "sip:a/b c@x");
	ck_assert_str_eq(u->doc_uri,
			 "/resource-lists/users/sip:a%2Fb%20c@x/index");
	xcap_uri_free(u);
	xcap_result_clear(&r);
}
END_TEST

/* ------------------------------------------------------ node selectors */

struct sel_case {
	const char *text;
	bool ok;
	size_t nsteps;
	enum xcap_node_kind kind;
};

static const struct sel_case sel_cases[] = {
	{ "a", true, 1, XCAP_NODE_ELEMENT },
	{ "*", true, 1, XCAP_NODE_ELEMENT },
	{ "p:a/*[2]", true, 2, XCAP_NODE_ELEMENT },
	{ "a/b[@c=\"d\"]", true, 2, XCAP_NODE_ELEMENT },
	{ "a/b[@c='d\"e']", true, 2, XCAP_NODE_ELEMENT },
	{ "a/b[3][@p:c=\"x&amp;y&#65;\"]", true, 2, XCAP_NODE_ELEMENT },
	{ "a/b/@c", true, 2, XCAP_NODE_ATTRIBUTE },
	{ "a/@p:c", true, 1, XCAP_NODE_ATTRIBUTE },
	{ "a/namespace::*", true, 1, XCAP_NODE_NAMESPACE },
	{ "", false },
	{ "/a", false },
	{ "a//b", false },
	{ "a/", false },
	{ "@c", false },
	{ "namespace::*", false },
	{ "a/namespace::*/b", false },
	{ "a[@c=\"d\"][2]", false },     /* ABNF: position before attr-test */
	{ "a[x]", false },
	{ "a[1", false },
	{ "a[@c=\"d\"", false },
	{ "a[@c='d]", false },
	{ "a[@c=\"<\"]", false },
	{ "a[@c=\"&bogus;\"]", false },
	/* XML 1.0 [66] character references, [2] Char */
	{ "a[@c=\"&#9;&#xA;\"]", true, 1, XCAP_NODE_ELEMENT },
	{ "a[@c=\"&#x 41;\"]", false },
	{ "a[@c=\"&#-1;\"]", false },
	{ "a[@c=\"&#x0x41;\"]", false },
	{ "a[@c=\"&#1;\"]", false },
	{ "a[@c=\"&#xFFFE;\"]", false },
	{ "a[@c=\"\x01\"]", false },
	{ "a[@c=\"\xef\xbf\xbf\"]", false },
	{ "1a", false },
	{ "a:b:c", false },
	{ "a b", false },
	{ "p:*", false },
};

START_TEST(rfc4825_6_3_node_selector)
{
	const struct sel_case *c = &sel_cases[_i];
	struct xcap_sel *s = NULL;
	int rc = xcap_sel_parse(c->text, &s);

	if (!c->ok) {
		ck_assert_msg(rc < 0, "\"%s\" parsed", c->text);
		ck_assert_ptr_null(s);
		return;
	}
	ck_assert_msg(rc == 0, "\"%s\" refused", c->text);
	ck_assert_uint_eq(s->n, c->nsteps);
	ck_assert_int_eq(s->kind, c->kind);
	xcap_sel_free(s);
}
END_TEST

START_TEST(rfc4825_6_3_step_fields)
{
	struct xcap_sel *s = NULL;

	ck_assert_int_eq(xcap_sel_parse("a/p:b[3][@q:c=\"x&amp;y&#x41;\"]/@d",
					&s), 0);
	ck_assert_ptr_null(s->steps[0].prefix);
	ck_assert_str_eq(s->steps[0].name, "a");
	ck_assert_str_eq(s->steps[1].prefix, "p");
	ck_assert_str_eq(s->steps[1].name, "b");
	ck_assert_uint_eq(s->steps[1].pos, 3);
	ck_assert_str_eq(s->steps[1].att_prefix, "q");
	ck_assert_str_eq(s->steps[1].att_name, "c");
	ck_assert_str_eq(s->steps[1].att_value, "x&yA");
	ck_assert_str_eq(s->term_name, "d");
	xcap_sel_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xcap_uri");
	TCase *tc;

	tc = tcase_create("rfc4825_6_uri");
	tcase_add_loop_test(tc, rfc4825_6_uri_table, 0,
			    sizeof(uri_cases) / sizeof(uri_cases[0]));
	tcase_add_test(tc, rfc4825_6_uri_too_long);
	tcase_add_test(tc, rfc4825_6_doc_uri_reencoded);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc4825_6_4_namespace_bindings");
	tcase_add_test(tc, rfc4825_6_4_namespace_bindings);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc4825_6_3_node_selector");
	tcase_add_loop_test(tc, rfc4825_6_3_node_selector, 0,
			    sizeof(sel_cases) / sizeof(sel_cases[0]));
	tcase_add_test(tc, rfc4825_6_3_step_fields);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
