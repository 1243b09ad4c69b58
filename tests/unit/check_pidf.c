/*
 * check_pidf.c - unit tests of sip/pidf.c: PIDF validation (RFC 3863,
 * RFC 4479/4480), XML attack resistance, composition of publications and
 * the RFC 5025 polite-block neutral document.
 *
 * Fixtures live in tests/fixtures/pidf/, found through $top_srcdir (set
 * by make check) or else the PD_SRCDIR macro.  Outputs are inspected by
 * re-parsing them, with pidf_parse (validity) and plain libxml2 (shape).
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sip/pidf.h"

#ifndef PD_SRCDIR
#define PD_SRCDIR "."
#endif

#define MAXBODY 65536

/* ------------------------------------------------------------- helpers */

static uint8_t *slurp(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/pidf/%s",
		 top != NULL && *top != '\0' ? top : PD_SRCDIR, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open fixture %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	buf = malloc((size_t)n);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct pidf_doc *parse_file(const char *name)
{
	char why[128] = "";
	struct pidf_doc *d = NULL;
	size_t len;
	uint8_t *buf = slurp(name, &len);
	int rc = pidf_parse(buf, len, MAXBODY, &d, why, sizeof(why));

	free(buf);
	ck_assert_msg(rc == 0, "%s: rc %d (%s)", name, rc, why);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* Parse a fixture that must fail; returns the code, copies the reason. */
static int parse_file_bad(const char *name, char *why, size_t whylen)
{
	struct pidf_doc *d = NULL;
	size_t len;
	uint8_t *buf = slurp(name, &len);
	int rc = pidf_parse(buf, len, MAXBODY, &d, why, whylen);

	free(buf);
	ck_assert_msg(rc != 0, "%s: accepted", name);
	ck_assert_ptr_null(d);
	return rc;
}

static int parse_mem(const char *s, struct pidf_doc **d, char *why,
		     size_t whylen)
{
	return pidf_parse((const uint8_t *)s, strlen(s), MAXBODY, d, why,
			  whylen);
}

struct bad_case {
	const char *file;
	int rc;
	const char *why;
};

static void check_bad(const struct bad_case *c)
{
	char why[128] = "";
	int rc = parse_file_bad(c->file, why, sizeof(why));

	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->file, rc, c->rc);
	ck_assert_msg(strcmp(why, c->why) == 0, "%s: why \"%s\", want \"%s\"",
		      c->file, why, c->why);
}

static xmlDocPtr reparse(const char *buf, size_t len)
{
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, NULL, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOBLANKS);

	ck_assert_msg(doc != NULL, "output not well-formed: %s", buf);
	return doc;
}

static bool node_is(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       (ns == NULL ? n->ns == NULL :
		n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST ns)) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/* n-th (0-based) element child of parent, or NULL. */
static xmlNodePtr child_at(xmlNodePtr parent, size_t idx)
{
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && idx-- == 0)
			return c;
	return NULL;
}

static size_t count_children(xmlNodePtr parent, const char *ns,
			     const char *name)
{
	size_t n = 0;

	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (node_is(c, ns, name))
			n++;
	return n;
}

/* First descendant-or-self element with that name. */
static xmlNodePtr find(xmlNodePtr n, const char *ns, const char *name)
{
	for (; n != NULL; n = n->next) {
		xmlNodePtr hit;

		if (node_is(n, ns, name))
			return n;
		if (n->type == XML_ELEMENT_NODE &&
		    (hit = find(n->children, ns, name)) != NULL)
			return hit;
	}
	return NULL;
}

static void assert_prop(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq((char *)v, want);
	xmlFree(v);
}

static void assert_text(xmlNodePtr n, const char *want)
{
	xmlChar *v;

	ck_assert_ptr_nonnull(n);
	v = xmlNodeGetContent(n);
	ck_assert_str_eq((char *)v, want);
	xmlFree(v);
}

static void compose(const char *entity, struct pidf_doc *const *docs,
		    size_t n, char **out, size_t *len)
{
	int rc = pidf_compose(entity, docs, n, out, len);

	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(strlen(*out), *len);
}

/* Output must itself be a valid PIDF. */
static void assert_valid_pidf(const char *buf, size_t len, const char *entity)
{
	char why[128] = "";
	struct pidf_doc *d = NULL;
	int rc = pidf_parse((const uint8_t *)buf, len, MAXBODY, &d, why,
			    sizeof(why));

	ck_assert_msg(rc == 0, "output rejected (%s): %s", why, buf);
	ck_assert_str_eq(pidf_entity(d), entity);
	pidf_free(d);
}

/* ----------------------------------------------- RFC 3863 4.1 presence */

static const char *valid_files[] = {
	"valid_rfc3863_minimal.xml", "valid_rfc3863_full.xml",
	"valid_rfc4480_rpid.xml", "valid_prefixed.xml", "valid_later.xml",
};

START_TEST(presence_valid_fixtures)
{
	struct pidf_doc *d = parse_file(valid_files[_i]);

	ck_assert_ptr_nonnull(pidf_entity(d));
	ck_assert(strchr(pidf_entity(d), ':') != NULL);
	pidf_free(d);
}
END_TEST

START_TEST(presence_entity)
{
	struct pidf_doc *a = parse_file("valid_rfc3863_minimal.xml");
	struct pidf_doc *b = parse_file("valid_prefixed.xml");

	ck_assert_str_eq(pidf_entity(a), "pres:someone@example.com");
	ck_assert_str_eq(pidf_entity(b), "sip:alice@example.com");
	pidf_free(a);
	pidf_free(b);
}
END_TEST

static const struct bad_case presence_bad[] = {
	{ "invalid_no_entity.xml", PIDF_EBADDOC,
	  "Invalid PIDF: presence without entity" },
	{ "invalid_entity_not_uri.xml", PIDF_EBADDOC,
	  "Invalid PIDF: entity is not a URI" },
	{ "invalid_wrong_root_ns.xml", PIDF_EBADDOC,
	  "Invalid PIDF: root is not a pidf presence element" },
	{ "invalid_wrong_root_name.xml", PIDF_EBADDOC,
	  "Invalid PIDF: root is not a pidf presence element" },
	{ "invalid_unknown_pidf_element.xml", PIDF_EBADDOC,
	  "Invalid PIDF: unknown pidf element" },
};

START_TEST(presence_invalid)
{
	check_bad(&presence_bad[_i]);
}
END_TEST

/* -------------------------------------------------- RFC 3863 4.1 tuple */

static const struct bad_case tuple_bad[] = {
	{ "invalid_dup_tuple_id.xml", PIDF_EBADDOC,
	  "Invalid PIDF: duplicate id" },
	{ "invalid_tuple_no_id.xml", PIDF_EBADDOC,
	  "Invalid PIDF: tuple without id" },
	{ "invalid_tuple_id_not_ncname.xml", PIDF_EBADDOC,
	  "Invalid PIDF: id is not an xs:ID" },
};

START_TEST(tuple_invalid)
{
	check_bad(&tuple_bad[_i]);
}
END_TEST

START_TEST(tuple_unknown_pidf_child)
{
	char why[128] = "";
	struct pidf_doc *d = NULL;
	int rc = parse_mem("<presence xmlns='urn:ietf:params:xml:ns:pidf' "
			   "entity='pres:a@b'><tuple id='a'><status/>"
			   "<mood/></tuple></presence>", &d, why, sizeof(why));

	ck_assert_int_eq(rc, PIDF_EBADDOC);
	ck_assert_str_eq(why, "Invalid PIDF: unknown element in tuple");
}
END_TEST

/* ------------------------------------------------ RFC 3863 4.1.4 status */

static const struct bad_case status_bad[] = {
	{ "invalid_tuple_no_status.xml", PIDF_EBADDOC,
	  "Invalid PIDF: tuple without status" },
	{ "invalid_two_status.xml", PIDF_EBADDOC,
	  "Invalid PIDF: tuple with two status elements" },
	{ "invalid_bad_basic.xml", PIDF_EBADDOC,
	  "Invalid PIDF: basic is neither open nor closed" },
};

START_TEST(status_invalid)
{
	check_bad(&status_bad[_i]);
}
END_TEST

/* basic is optional; status may be empty; basic is an xs:token. */
START_TEST(status_forms)
{
	static const char *ok[] = {
		"<status/>", "<status><basic>open</basic></status>",
		"<status><basic> closed\n</basic></status>",
		"<status><x:geo xmlns:x='urn:x'/></status>",
	};
	static const char *bad[] = {
		"<status><basic>Open</basic></status>",
		"<status><basic/></status>",
		"<status><basic>open</basic><basic>open</basic></status>",
		"<status><color>red</color></status>",
	};
	char doc[512], why[128];
	struct pidf_doc *d;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(doc, sizeof(doc), "<presence xmlns="
			 "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
			 "<tuple id='a'>%s</tuple></presence>", ok[i]);
		d = NULL;
		ck_assert_msg(parse_mem(doc, &d, why, sizeof(why)) == 0,
			      "%s: %s", ok[i], why);
		pidf_free(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "<presence xmlns="
			 "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
			 "<tuple id='a'>%s</tuple></presence>", bad[i]);
		d = NULL;
		ck_assert_msg(parse_mem(doc, &d, why, sizeof(why)) ==
			      PIDF_EBADDOC, "%s accepted", bad[i]);
		ck_assert_ptr_null(d);
	}
}
END_TEST

/* ----------------------------------------------- RFC 3863 4.1.5 contact */

START_TEST(contact_priority)
{
	static const char *ok[] = { "0", "1", "0.5", "0.123", "1.000", " 0.8 " };
	static const char *bad[] = { "1.001", "0.1234", "-0", ".5", "2", "",
		"0.5x", "1.5" };
	char doc[512], why[128];
	struct pidf_doc *d;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(doc, sizeof(doc), "<presence xmlns="
			 "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
			 "<tuple id='a'><status/><contact priority='%s'>"
			 "sip:a@b</contact></tuple></presence>", ok[i]);
		d = NULL;
		ck_assert_msg(parse_mem(doc, &d, why, sizeof(why)) == 0,
			      "'%s': %s", ok[i], why);
		pidf_free(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "<presence xmlns="
			 "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
			 "<tuple id='a'><status/><contact priority='%s'>"
			 "sip:a@b</contact></tuple></presence>", bad[i]);
		d = NULL;
		ck_assert_msg(parse_mem(doc, &d, why, sizeof(why)) ==
			      PIDF_EBADDOC, "'%s' accepted", bad[i]);
		ck_assert_str_eq(why, "Invalid PIDF: bad contact priority");
	}
	check_bad(&(struct bad_case){ "invalid_bad_priority.xml",
		  PIDF_EBADDOC, "Invalid PIDF: bad contact priority" });
}
END_TEST

/* --------------------------------------------- RFC 3863 4.1.7 timestamp */

START_TEST(timestamp_forms)
{
	static const char *ok[] = { "2001-10-27T16:49:29Z",
		"2001-10-27T16:49:29.123+05:30", "2001-10-27T16:49:29",
		"12001-10-27T16:49:29-01:00" };
	static const char *bad[] = { "2001-10-27", "2001-10-27 16:49:29Z",
		"2001-10-27T16:49Z", "2001-10-27T16:49:29.Z",
		"2001-10-27T16:49:29+0530", "01-10-27T16:49:29Z" };
	char doc[512], why[128];
	struct pidf_doc *d;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(doc, sizeof(doc), "<presence xmlns="
			 "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
			 "<tuple id='a'><status/><timestamp>%s</timestamp>"
			 "</tuple></presence>", ok[i]);
		d = NULL;
		ck_assert_msg(parse_mem(doc, &d, why, sizeof(why)) == 0,
			      "'%s': %s", ok[i], why);
		pidf_free(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "<presence xmlns="
			 "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
			 "<tuple id='a'><status/><timestamp>%s</timestamp>"
			 "</tuple></presence>", bad[i]);
		d = NULL;
		ck_assert_msg(parse_mem(doc, &d, why, sizeof(why)) ==
			      PIDF_EBADDOC, "'%s' accepted", bad[i]);
		ck_assert_str_eq(why, "Invalid PIDF: bad timestamp");
	}
	check_bad(&(struct bad_case){ "invalid_bad_timestamp.xml",
		  PIDF_EBADDOC, "Invalid PIDF: bad timestamp" });
}
END_TEST

/* ------------------------------------------ RFC 4479 person and device */

static const struct bad_case dm_bad[] = {
	{ "invalid_person_no_id.xml", PIDF_EBADDOC,
	  "Invalid PIDF: person or device without id" },
	{ "invalid_dup_id_tuple_device.xml", PIDF_EBADDOC,
	  "Invalid PIDF: duplicate id" },
};

START_TEST(dm_invalid)
{
	check_bad(&dm_bad[_i]);
}
END_TEST

/* person and device are kept whole through compose */
START_TEST(dm_kept)
{
	struct pidf_doc *d = parse_file("valid_rfc4480_rpid.xml");
	xmlNodePtr root, person, device;
	xmlDocPtr x;
	size_t len;
	char *out;

	compose("pres:someone@example.com", &d, 1, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	ck_assert_uint_eq(count_children(root, PIDF_NS, "tuple"), 1);
	person = child_at(root, 1);
	device = child_at(root, 2);
	ck_assert(node_is(person, PIDF_NS_DM, "person"));
	ck_assert(node_is(device, PIDF_NS_DM, "device"));
	assert_prop(person, "id", "pdd");
	assert_prop(device, "id", "pc122");
	assert_text(find(device->children, PIDF_NS_DM, "deviceID"),
		    "urn:device:0003ba4811e3");
	/* the tuple's dm:deviceID reference survives too (RFC 4479 10.1) */
	assert_text(find(child_at(root, 0)->children, PIDF_NS_DM, "deviceID"),
		    "urn:device:0003ba4811e3");
	xmlFreeDoc(x);
	assert_valid_pidf(out, len, "pres:someone@example.com");
	free(out);
	pidf_free(d);
}
END_TEST

/* --------------------------------------------------- RFC 4480 RPID kept */

START_TEST(rpid_kept)
{
	struct pidf_doc *d = parse_file("valid_rfc4480_rpid.xml");
	xmlNodePtr root, act, ui;
	xmlDocPtr x;
	size_t len;
	char *out;

	compose("pres:someone@example.com", &d, 1, &out, &len);
	ck_assert_ptr_nonnull(strstr(out,
		"xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""));
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	act = find(root->children, PIDF_NS_RPID, "activities");
	ck_assert_ptr_nonnull(act);
	assert_prop(act, "from", "2005-05-30T12:00:00+05:00");
	ck_assert_ptr_nonnull(find(act->children, PIDF_NS_RPID, "away"));
	assert_text(find(root->children, PIDF_NS_RPID, "sphere"),
		    "bowling league");
	ui = find(root->children, PIDF_NS_RPID, "user-input");
	assert_prop(ui, "idle-threshold", "600");
	ck_assert_ptr_nonnull(find(root->children, PIDF_NS_RPID,
				   "service-class"));
	xmlFreeDoc(x);
	free(out);
	pidf_free(d);
}
END_TEST

/* ------------------------------- RFC 3863 4.3 extensions (other ns) kept */

START_TEST(extensions_kept)
{
	struct pidf_doc *d = parse_file("valid_rfc3863_full.xml");
	xmlNodePtr root, st, mood;
	xmlDocPtr x;
	size_t len;
	char *out;

	compose("pres:someone@example.com", &d, 1, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	st = find(root->children, PIDF_NS, "status");
	assert_text(find(st->children, "urn:ietf:params:xml:ns:pidf:im", "im"),
		    "busy");
	assert_text(find(st->children, "http://id.example.com/presence/",
			 "location"), "home");
	mood = child_at(root, 3);
	ck_assert(node_is(mood, "http://id.example.com/presence/", "mood"));
	assert_prop(mood, "mustUnderstand", "false");
	/* tuple notes keep their xml:lang */
	ck_assert_ptr_nonnull(strstr(out, "<note xml:lang=\"fr\">Ne d\xc3\xa9"
				     "rangez pas"));
	xmlFreeDoc(x);
	free(out);
	pidf_free(d);
}
END_TEST

/* ------------------------------------------------------ XML attacks */

static const struct bad_case attack_bad[] = {
	{ "invalid_billion_laughs.xml", PIDF_EBADDOC,
	  "Invalid PIDF: DOCTYPE not allowed" },
	{ "invalid_xxe_file.xml", PIDF_EBADDOC,
	  "Invalid PIDF: DOCTYPE not allowed" },
	{ "invalid_external_dtd.xml", PIDF_EBADDOC,
	  "Invalid PIDF: DOCTYPE not allowed" },
	{ "invalid_undeclared_entity.xml", PIDF_EBADDOC,
	  "Invalid PIDF: not well-formed XML" },
};

START_TEST(entity_attack)
{
	check_bad(&attack_bad[_i]);
}
END_TEST

/* A DOCTYPE without any declaration is refused as well. */
START_TEST(entity_plain_doctype)
{
	char why[128] = "";
	struct pidf_doc *d = NULL;
	int rc = parse_mem("<!DOCTYPE presence><presence xmlns="
			   "'urn:ietf:params:xml:ns:pidf' entity='pres:a@b'/>",
			   &d, why, sizeof(why));

	ck_assert_int_eq(rc, PIDF_EBADDOC);
	ck_assert_str_eq(why, "Invalid PIDF: DOCTYPE not allowed");
	ck_assert_ptr_null(d);
}
END_TEST

/* ----------------------------------------- well-formedness and UTF-8 */

static const struct bad_case wf_bad[] = {
	{ "invalid_not_wellformed.xml", PIDF_EBADDOC,
	  "Invalid PIDF: not well-formed XML" },
	{ "invalid_undeclared_prefix.xml", PIDF_EBADDOC,
	  "Invalid PIDF: not well-formed XML" },
	{ "invalid_non_utf8.xml", PIDF_EBADDOC,
	  "Invalid PIDF: body is not UTF-8" },
	{ "invalid_latin1_declared.xml", PIDF_EBADDOC,
	  "Invalid PIDF: body is not UTF-8" },
};

START_TEST(wf_invalid)
{
	check_bad(&wf_bad[_i]);
}
END_TEST

START_TEST(utf8_sequences)
{
	static const struct { const char *bytes; size_t len; } bad[] = {
		{ "\xc0\xaf", 2 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3 },		/* overlong */
		{ "\xed\xa0\x80", 3 },		/* UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", 4 },	/* above U+10FFFF */
		{ "\xe2\x82", 2 },		/* truncated */
		{ "\x00", 1 },			/* NUL */
		{ "\xff", 1 },
	};
	const char *head = "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
			   "entity='pres:a@b'><note>";
	const char *tail = "</note></presence>";
	char buf[256], why[128];
	struct pidf_doc *d = NULL;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = strlen(head);
		memcpy(buf, head, n);
		memcpy(buf + n, bad[i].bytes, bad[i].len);
		n += bad[i].len;
		memcpy(buf + n, tail, strlen(tail));
		n += strlen(tail);
		ck_assert_int_eq(pidf_parse((uint8_t *)buf, n, MAXBODY, &d,
					    why, sizeof(why)), PIDF_EBADDOC);
		ck_assert_str_eq(why, "Invalid PIDF: body is not UTF-8");
	}
	/* and a four-byte character that is fine */
	snprintf(buf, sizeof(buf), "%s\xf0\x9f\x98\x80%s", head, tail);
	ck_assert_int_eq(parse_mem(buf, &d, why, sizeof(why)), 0);
	pidf_free(d);
}
END_TEST

START_TEST(wf_encoding_decl)
{
	char why[128] = "";
	struct pidf_doc *d = NULL;

	/* ASCII bytes, but declared Latin-1: refused. */
	ck_assert_int_eq(parse_mem("<?xml version='1.0' encoding='ISO-8859-1'?>"
				   "<presence xmlns='urn:ietf:params:xml:ns:"
				   "pidf' entity='pres:a@b'/>", &d, why,
				   sizeof(why)), PIDF_EBADDOC);
	ck_assert_str_eq(why, "Invalid PIDF: encoding is not UTF-8");
	/* lower-case utf-8 is UTF-8 */
	ck_assert_int_eq(parse_mem("<?xml version='1.0' encoding='utf-8'?>"
				   "<presence xmlns='urn:ietf:params:xml:ns:"
				   "pidf' entity='pres:a@b'/>", &d, why,
				   sizeof(why)), 0);
	pidf_free(d);
	d = NULL;
	ck_assert_int_eq(pidf_parse((const uint8_t *)"", 0, MAXBODY, &d, why,
				    sizeof(why)), PIDF_EBADDOC);
	ck_assert_str_eq(why, "Invalid PIDF: empty body");
}
END_TEST

/* ------------------------------------------------------------ size */

START_TEST(size_limit)
{
	char why[128] = "";
	struct pidf_doc *d = NULL;
	size_t len;
	uint8_t *buf = slurp("valid_rfc3863_minimal.xml", &len);

	ck_assert_int_eq(pidf_parse(buf, len, len - 1, &d, why, sizeof(why)),
			 PIDF_ETOOBIG);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(why, "Invalid PIDF: body too large");
	ck_assert_int_eq(pidf_parse(buf, len, len, &d, why, sizeof(why)), 0);
	pidf_free(d);
	free(buf);
}
END_TEST

/* ---------------------------------------------------- reason phrase */

static const char *invalid_files[] = {
	"invalid_no_entity.xml", "invalid_entity_not_uri.xml",
	"invalid_tuple_no_status.xml", "invalid_two_status.xml",
	"invalid_dup_tuple_id.xml", "invalid_tuple_no_id.xml",
	"invalid_tuple_id_not_ncname.xml", "invalid_bad_basic.xml",
	"invalid_bad_priority.xml", "invalid_bad_timestamp.xml",
	"invalid_person_no_id.xml", "invalid_dup_id_tuple_device.xml",
	"invalid_unknown_pidf_element.xml", "invalid_wrong_root_ns.xml",
	"invalid_wrong_root_name.xml", "invalid_not_wellformed.xml",
	"invalid_undeclared_prefix.xml", "invalid_non_utf8.xml",
	"invalid_latin1_declared.xml", "invalid_billion_laughs.xml",
	"invalid_xxe_file.xml", "invalid_external_dtd.xml",
	"invalid_undeclared_entity.xml",
};

/* Reason phrases are SIP-safe: "Invalid PIDF: " + printable ASCII, short,
 * truncated to the buffer, and optional. */
START_TEST(reason_phrase)
{
	char why[80], small[12 + 4];
	size_t n;

	memset(why, 'X', sizeof(why));
	parse_file_bad(invalid_files[_i], why, sizeof(why));
	n = strlen(why);
	ck_assert_uint_lt(n, 64);
	ck_assert_msg(strncmp(why, "Invalid PIDF: ", 14) == 0 && n > 14,
		      "%s", why);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(why[i] >= 0x20 && why[i] < 0x7f,
			      "byte %zu of \"%s\"", i, why);
	memset(small, 'X', sizeof(small));
	parse_file_bad(invalid_files[_i], small, 12);
	ck_assert_uint_eq(strlen(small), 11);
	ck_assert_int_eq(small[12], 'X');	/* nothing written past 12 */
	parse_file_bad(invalid_files[_i], NULL, 0);
}
END_TEST

/* -------------------------------------------------------- compose */

/* RFC 3903 / RFC 4479: tuples are keyed by id; a later publication's tuple
 * replaces an earlier one, keeping the earlier position. */
START_TEST(compose_tuple_by_id)
{
	struct pidf_doc *docs[2] = { parse_file("valid_prefixed.xml"),
				     parse_file("valid_later.xml") };
	xmlNodePtr root, t;
	xmlDocPtr x;
	size_t len;
	char *out;

	compose("sip:alice@example.com", docs, 2, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	ck_assert_uint_eq(count_children(root, PIDF_NS, "tuple"), 2);
	t = child_at(root, 0);
	assert_prop(t, "id", "t1");
	assert_text(find(t->children, PIDF_NS, "basic"), "open");
	ck_assert_ptr_null(find(t->children, NULL, "legacy")); /* replaced */
	t = child_at(root, 1);
	assert_prop(t, "id", "t2");
	assert_text(find(t->children, PIDF_NS, "contact"),
		    "sip:alice@phone.example.com");
	xmlFreeDoc(x);
	free(out);

	/* the other order: t1 from valid_prefixed wins, t2 comes first */
	struct pidf_doc *rev[2] = { docs[1], docs[0] };

	compose("sip:alice@example.com", rev, 2, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	assert_prop(child_at(root, 0), "id", "t2");
	t = child_at(root, 1);
	assert_prop(t, "id", "t1");
	assert_text(find(t->children, PIDF_NS, "basic"), " closed ");
	assert_text(find(t->children, NULL, "legacy"), "no namespace");
	xmlFreeDoc(x);
	free(out);
	pidf_free(docs[0]);
	pidf_free(docs[1]);
}
END_TEST

/* person and device keyed by id, later wins; other extensions kept. */
START_TEST(compose_person_device_by_id)
{
	struct pidf_doc *docs[2] = { parse_file("valid_prefixed.xml"),
				     parse_file("valid_later.xml") };
	xmlNodePtr root, p;
	xmlDocPtr x;
	size_t len;
	char *out;

	compose("sip:alice@example.com", docs, 2, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	/* tuples t1 t2, one note, then person p1 (later content), device,
	 * caps */
	ck_assert(node_is(child_at(root, 2), PIDF_NS, "note"));
	p = child_at(root, 3);
	ck_assert(node_is(p, PIDF_NS_DM, "person"));
	assert_prop(p, "id", "p1");
	ck_assert_ptr_nonnull(find(p->children, PIDF_NS_RPID, "meeting"));
	ck_assert_ptr_null(find(p->children, PIDF_NS_RPID, "on-the-phone"));
	ck_assert(node_is(child_at(root, 4), PIDF_NS_DM, "device"));
	ck_assert(node_is(child_at(root, 5), "urn:example:caps", "caps"));
	ck_assert_ptr_null(child_at(root, 6));
	xmlFreeDoc(x);
	assert_valid_pidf(out, len, "sip:alice@example.com");
	free(out);
	pidf_free(docs[0]);
	pidf_free(docs[1]);
}
END_TEST

/* Same id on a tuple in one publication and a device in a later one: the
 * output must still have unique xs:IDs; the later element wins. */
START_TEST(compose_id_clash_across_kinds)
{
	char why[128];
	struct pidf_doc *docs[2] = { NULL, NULL };
	xmlNodePtr root;
	xmlDocPtr x;
	size_t len;
	char *out;

	ck_assert_int_eq(parse_mem("<presence xmlns='urn:ietf:params:xml:ns:"
		"pidf' entity='pres:a@b'><tuple id='x1'><status/></tuple>"
		"<tuple id='x2'><status/></tuple></presence>", &docs[0], why,
		sizeof(why)), 0);
	ck_assert_int_eq(parse_mem("<presence xmlns='urn:ietf:params:xml:ns:"
		"pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
		"entity='pres:a@b'><dm:device id='x1'><dm:deviceID>urn:d"
		"</dm:deviceID></dm:device></presence>", &docs[1], why,
		sizeof(why)), 0);
	compose("pres:a@b", docs, 2, &out, &len);
	assert_valid_pidf(out, len, "pres:a@b");
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	ck_assert_uint_eq(count_children(root, PIDF_NS, "tuple"), 1);
	assert_prop(child_at(root, 0), "id", "x2");
	ck_assert(node_is(child_at(root, 1), PIDF_NS_DM, "device"));
	xmlFreeDoc(x);
	free(out);
	pidf_free(docs[0]);
	pidf_free(docs[1]);
}
END_TEST

START_TEST(compose_notes_dedupe)
{
	struct pidf_doc *docs[3] = { parse_file("valid_rfc3863_full.xml"),
				     parse_file("valid_later.xml"), NULL };
	char why[128];
	xmlNodePtr root;
	xmlDocPtr x;
	size_t len;
	char *out;

	/* same text, other language: a different note */
	ck_assert_int_eq(parse_mem("<presence xmlns='urn:ietf:params:xml:ns:"
		"pidf' entity='pres:a@b'><note xml:lang='en'>I'll be in Tokyo "
		"next week</note><note> I'll be in Tokyo next week </note>"
		"</presence>", &docs[2], why, sizeof(why)), 0);
	compose("pres:someone@example.com", docs, 3, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	ck_assert_uint_eq(count_children(root, PIDF_NS, "note"), 2);
	ck_assert_uint_eq(count_children(root, PIDF_NS, "tuple"), 4);
	assert_text(child_at(root, 4), "I'll be in Tokyo next week");
	ck_assert_ptr_null(xmlNodeGetLang(child_at(root, 4)));
	xmlFreeDoc(x);
	free(out);
	pidf_free(docs[0]);
	pidf_free(docs[1]);
	pidf_free(docs[2]);
}
END_TEST

/* Every namespace used is declared on the root; prefixes stay valid;
 * no-namespace elements stay in no namespace. */
static void assert_ns_on_root(xmlNodePtr root, xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		bool on_root = false;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNsPtr d = n->nsDef; d != NULL; d = d->next)
			ck_assert_msg(d->prefix == NULL && d->href[0] == '\0',
				      "inner declaration of %s on <%s>",
				      d->href, n->name);
		if (n->ns != NULL) {
			for (xmlNsPtr d = root->nsDef; d != NULL; d = d->next)
				on_root |= d == n->ns;
			ck_assert_msg(on_root, "<%s> ns not from root",
				      n->name);
		}
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
			if (a->ns == NULL || xmlStrEqual(a->ns->href,
							 XML_XML_NAMESPACE))
				continue;
			on_root = false;
			for (xmlNsPtr d = root->nsDef; d != NULL; d = d->next)
				on_root |= d == a->ns;
			ck_assert(on_root);
		}
		assert_ns_on_root(root, n->children);
	}
}

START_TEST(compose_namespaces)
{
	struct pidf_doc *d = parse_file("valid_prefixed.xml");
	xmlNodePtr root, legacy, audio, dev;
	xmlDocPtr x;
	size_t len;
	char *out;
	xmlChar *flag;

	compose("sip:alice@example.com", &d, 1, &out, &len);
	ck_assert_ptr_nonnull(strstr(out, "<presence xmlns=\"urn:ietf:params:"
				     "xml:ns:pidf\""));
	ck_assert_ptr_nonnull(strstr(out, "xmlns:dm=\"urn:ietf:params:xml:ns:"
				     "pidf:data-model\""));
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	ck_assert(node_is(root, PIDF_NS, "presence"));
	assert_ns_on_root(root, root->children);
	legacy = find(root->children, NULL, "legacy");
	ck_assert_ptr_nonnull(legacy);
	ck_assert_ptr_null(legacy->ns);
	audio = find(root->children, "urn:example:caps-default", "audio");
	ck_assert_ptr_nonnull(audio);
	dev = find(root->children, PIDF_NS_DM, "device");
	flag = xmlGetNsProp(dev, BAD_CAST "flag", BAD_CAST "urn:example:x");
	ck_assert_str_eq((char *)flag, "1");
	xmlFree(flag);
	ck_assert(node_is(find(root->children, PIDF_NS_RPID, "activities"),
			  PIDF_NS_RPID, "activities"));
	xmlFreeDoc(x);
	assert_valid_pidf(out, len, "sip:alice@example.com");
	free(out);
	pidf_free(d);
}
END_TEST

/* Prefix clashes: two publications bind "x" to different namespaces, one
 * binds the default namespace to dm, one puts a pidf element under
 * xmlns="" and one uses a pidf-namespace attribute. */
START_TEST(compose_namespace_clash)
{
	char why[128];
	struct pidf_doc *docs[2] = { NULL, NULL };
	xmlNodePtr root, st;
	xmlDocPtr x;
	size_t len;
	char *out;

	ck_assert_int_eq(parse_mem("<p:presence xmlns:p='urn:ietf:params:xml:"
		"ns:pidf' xmlns:x='urn:one' entity='pres:a@b'><p:tuple id='a'>"
		"<p:status><x:v>1</x:v></p:status><wrap xmlns=''><p:note>n"
		"</p:note></wrap></p:tuple><person xmlns='urn:ietf:params:xml:"
		"ns:pidf:data-model' id='p'><note>dm note</note></person>"
		"</p:presence>", &docs[0], why, sizeof(why)), 0);
	ck_assert_int_eq(parse_mem("<presence xmlns='urn:ietf:params:xml:ns:"
		"pidf' xmlns:x='urn:two' entity='pres:a@b'><tuple id='b' "
		"xmlns:p='urn:ietf:params:xml:ns:pidf' p:extra='y'><status>"
		"<x:v>2</x:v></status></tuple></presence>", &docs[1], why,
		sizeof(why)), 0);
	compose("pres:a@b", docs, 2, &out, &len);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	assert_ns_on_root(root, root->children);
	st = find(child_at(root, 0)->children, PIDF_NS, "status");
	assert_text(find(st->children, "urn:one", "v"), "1");
	st = find(child_at(root, 1)->children, PIDF_NS, "status");
	assert_text(find(st->children, "urn:two", "v"), "2");
	assert_text(find(root->children, PIDF_NS_DM, "note"), "dm note");
	ck_assert_ptr_nonnull(find(root->children, NULL, "wrap"));
	assert_text(find(find(root->children, NULL, "wrap"), PIDF_NS, "note"),
		    "n");
	ck_assert(xmlHasNsProp(child_at(root, 1), BAD_CAST "extra",
			       BAD_CAST PIDF_NS) != NULL);
	xmlFreeDoc(x);
	assert_valid_pidf(out, len, "pres:a@b");
	free(out);
	pidf_free(docs[0]);
	pidf_free(docs[1]);
}
END_TEST

START_TEST(compose_deterministic)
{
	struct pidf_doc *docs[3] = { parse_file("valid_rfc3863_full.xml"),
				     parse_file("valid_prefixed.xml"),
				     parse_file("valid_rfc4480_rpid.xml") };
	char *a, *b;
	size_t alen, blen;

	compose("sip:bob@example.com", docs, 3, &a, &alen);
	compose("sip:bob@example.com", docs, 3, &b, &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_eq(memcmp(a, b, alen), 0);
	ck_assert_msg(strncmp(a, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
			      38) == 0, "%s", a);
	/* the caller's entity, not the publications' */
	ck_assert_ptr_nonnull(strstr(a, "entity=\"sip:bob@example.com\""));
	ck_assert_ptr_null(strstr(a, "pres:someone@example.com"));
	assert_valid_pidf(a, alen, "sip:bob@example.com");
	free(a);
	free(b);
	for (size_t i = 0; i < 3; i++)
		pidf_free(docs[i]);
}
END_TEST

/* ------------------------------ RFC 5025 3.2.1 polite-block / RFC 3856 */

START_TEST(neutral_document)
{
	const char *entity = "sip:a&b@example.com";	/* '&' needs escaping */
	xmlNodePtr root, t;
	xmlDocPtr x;
	size_t len;
	char *out;

	ck_assert_int_eq(pidf_neutral(entity, &out, &len), 0);
	ck_assert_uint_eq(strlen(out), len);
	ck_assert_ptr_nonnull(strstr(out, "entity=\"sip:a&amp;b@example.com\""));
	assert_valid_pidf(out, len, entity);
	x = reparse(out, len);
	root = xmlDocGetRootElement(x);
	ck_assert(node_is(root, PIDF_NS, "presence"));
	t = child_at(root, 0);
	ck_assert(node_is(t, PIDF_NS, "tuple"));
	ck_assert_ptr_null(child_at(root, 1));	/* no person, device, note */
	ck_assert_ptr_null(child_at(t, 1));	/* only status, no contact */
	assert_text(find(t->children, PIDF_NS, "basic"), "closed");
	xmlFreeDoc(x);
	free(out);
}
END_TEST

/* ------------------------------------------------------------- API */

START_TEST(api_arguments)
{
	char *out = (char *)"unchanged";
	size_t len = 7;
	struct pidf_doc *d = NULL;
	xmlDocPtr x;

	ck_assert_int_eq(pidf_parse((const uint8_t *)"<a/>", 4, 100, NULL,
				    NULL, 0), PIDF_EINVAL);
	ck_assert_int_eq(pidf_compose(NULL, NULL, 0, &out, &len), PIDF_EINVAL);
	ck_assert_int_eq(pidf_compose("", NULL, 0, &out, &len), PIDF_EINVAL);
	ck_assert_int_eq(pidf_compose("pres:a@b", NULL, 1, &out, &len),
			 PIDF_EINVAL);
	ck_assert_int_eq(pidf_compose("pres:a@b", &d, 1, &out, &len),
			 PIDF_EINVAL);
	ck_assert_int_eq(pidf_neutral(NULL, &out, &len), PIDF_EINVAL);
	ck_assert_str_eq(out, "unchanged");
	ck_assert_uint_eq(len, 7);
	ck_assert_ptr_null(pidf_entity(NULL));
	pidf_free(NULL);
	/* n == 0: an empty presence element */
	ck_assert_int_eq(pidf_compose("pres:a@b", NULL, 0, &out, &len), 0);
	x = reparse(out, len);
	ck_assert_ptr_null(child_at(xmlDocGetRootElement(x), 0));
	xmlFreeDoc(x);
	assert_valid_pidf(out, len, "pres:a@b");
	free(out);
}
END_TEST

/* ------------------------------------------------------------ suite */

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *pidf_suite(void)
{
	Suite *s = suite_create("pidf");
	TCase *tc;

	tc = tcase_create("rfc3863_4_1_presence");
	tcase_add_loop_test(tc, presence_valid_fixtures, 0, N(valid_files));
	tcase_add_test(tc, presence_entity);
	tcase_add_loop_test(tc, presence_invalid, 0, N(presence_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3863_4_1_tuple");
	tcase_add_loop_test(tc, tuple_invalid, 0, N(tuple_bad));
	tcase_add_test(tc, tuple_unknown_pidf_child);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3863_4_1_4_status");
	tcase_add_loop_test(tc, status_invalid, 0, N(status_bad));
	tcase_add_test(tc, status_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3863_4_1_5_contact");
	tcase_add_test(tc, contact_priority);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3863_4_1_7_timestamp");
	tcase_add_test(tc, timestamp_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3863_4_3_extensions");
	tcase_add_test(tc, extensions_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc4479_person_device");
	tcase_add_loop_test(tc, dm_invalid, 0, N(dm_bad));
	tcase_add_test(tc, dm_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc4480_rpid");
	tcase_add_test(tc, rpid_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("xml_entity_attack");
	tcase_add_loop_test(tc, entity_attack, 0, N(attack_bad));
	tcase_add_test(tc, entity_plain_doctype);
	suite_add_tcase(s, tc);

	tc = tcase_create("xml_wellformed_utf8");
	tcase_add_loop_test(tc, wf_invalid, 0, N(wf_bad));
	tcase_add_test(tc, utf8_sequences);
	tcase_add_test(tc, wf_encoding_decl);
	suite_add_tcase(s, tc);

	tc = tcase_create("size_limit");
	tcase_add_test(tc, size_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("reason_phrase");
	tcase_add_loop_test(tc, reason_phrase, 0, N(invalid_files));
	suite_add_tcase(s, tc);

	tc = tcase_create("compose_tuple_by_id");
	tcase_add_test(tc, compose_tuple_by_id);
	tcase_add_test(tc, compose_id_clash_across_kinds);
	suite_add_tcase(s, tc);

	tc = tcase_create("compose_person_device_by_id");
	tcase_add_test(tc, compose_person_device_by_id);
	suite_add_tcase(s, tc);

	tc = tcase_create("compose_notes_dedupe");
	tcase_add_test(tc, compose_notes_dedupe);
	suite_add_tcase(s, tc);

	tc = tcase_create("compose_namespaces");
	tcase_add_test(tc, compose_namespaces);
	tcase_add_test(tc, compose_namespace_clash);
	suite_add_tcase(s, tc);

	tc = tcase_create("compose_deterministic");
	tcase_add_test(tc, compose_deterministic);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc5025_polite_block_neutral");
	tcase_add_test(tc, neutral_document);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, api_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int status;

	xmlInitParser();
	status = check_main_run(pidf_suite());
	xmlCleanupParser();
	return status;
}
