/*
 * auid.c - the application usages presenced serves (RFC 4825 5) and
 * their own data constraints beyond the XML Schema:
 *
 *  - pres-rules (RFC 5025 9), org.openmobilealliance.pres-rules (OMA
 *    Presence XDM): rule ids unique in the ruleset (RFC 4745 7);
 *  - resource-lists (RFC 4826 3.4): list names unique among sibling
 *    lists, entry uri / entry-ref ref / external anchor unique in a list
 *    (RFC 4826 3.4.5);
 *  - rls-services (RFC 4826 4.4): service uri unique in the document and
 *    across the server (hook), <resource-list> must be an HTTP(S) URI
 *    (RFC 4826 4.4.5 / 4.4.8);
 *  - pidf-manipulation (RFC 4827 4): schema only;
 *  - xcap-caps (RFC 4825 12): global, generated, read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xcap/res_int.h"

#define NS_CP   "urn:ietf:params:xml:ns:common-policy"
#define NS_PR   "urn:ietf:params:xml:ns:pres-rules"
#define NS_RL   "urn:ietf:params:xml:ns:resource-lists"
#define NS_RLS  "urn:ietf:params:xml:ns:rls-services"
#define NS_PIDF "urn:ietf:params:xml:ns:pidf"

static xcap_service_uri_taken_fn service_hook;
static void *service_hook_arg;

void xcap_res_set_service_uri_hook(xcap_service_uri_taken_fn fn, void *arg)
{
	service_hook = fn;
	service_hook_arg = arg;
}

xcap_service_uri_taken_fn xcap_auid_service_hook(void **arg)
{
	*arg = service_hook_arg;
	return service_hook;
}

static bool is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* Among the children of `parent` named ns:name, is attribute `att`
 * unique?  On a duplicate, fills r (uniqueness-failure with an
 * <alt-value> "<value><n>" not used yet when suggest) and returns -1. */
static int unique_children(xmlNodePtr parent, const char *ns,
			   const char *name, const char *att,
			   const char *field, bool suggest,
			   struct xcap_result *r)
{
	xmlNodePtr a, b;

	for (a = parent->children; a; a = a->next) {
		xmlChar *va;

		if (!is_el(a, ns, name))
			continue;
		va = xmlGetNoNsProp(a, BAD_CAST att);
		if (!va)
			continue;
		for (b = a->next; b; b = b->next) {
			xmlChar *vb;
			bool dup;

			if (!is_el(b, ns, name))
				continue;
			vb = xmlGetNoNsProp(b, BAD_CAST att);
			dup = vb && xmlStrEqual(va, vb);
			xmlFree(vb);
			if (dup)
				break;
		}
		if (b) {
			char alt[512];
			unsigned k;
			int rc;

			alt[0] = '\0';
			/* RFC 4825 11.2: suggest a value that is free. */
			for (k = 1; suggest && k < 1000; k++) {
				xmlNodePtr c;

				snprintf(alt, sizeof(alt), "%s%u",
					 (const char *)va, k);
				for (c = parent->children; c; c = c->next) {
					xmlChar *vc;
					bool same;

					if (!is_el(c, ns, name))
						continue;
					vc = xmlGetNoNsProp(c, BAD_CAST att);
					same = vc && !strcmp((char *)vc, alt);
					xmlFree(vc);
					if (same)
						break;
				}
				if (!c)
					break;
			}
			rc = xcap_err_uniqueness(r, field,
						 suggest ? alt : NULL, NULL);
			xmlFree(va);
			return rc;
		}
		xmlFree(va);
	}
	return 0;
}

/* RFC 4745 7 / RFC 5025: <rule id> unique in the <ruleset>. */
static int check_pres_rules(xmlDocPtr doc, const struct xcap_uri *u,
			    struct xcap_result *r)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);

	(void)u;
	return unique_children(root, NS_CP, "rule", "id",
			       "ruleset/rule/@id", true, r);
}

/* RFC 4826 3.4.5, recursively over nested lists. */
static int check_list(xmlNodePtr list, int depth, struct xcap_result *r)
{
	xmlNodePtr c;

	if (depth > 64)
		return xcap_err_conflict(r, "constraint-failure",
					 "lists nested too deeply");
	if (unique_children(list, NS_RL, "list", "name",
			    "resource-lists/list/@name", true, r) < 0 ||
	    unique_children(list, NS_RL, "entry", "uri",
			    "resource-lists/list/entry/@uri", false, r) < 0 ||
	    unique_children(list, NS_RL, "entry-ref", "ref",
			    "resource-lists/list/entry-ref/@ref", false,
			    r) < 0 ||
	    unique_children(list, NS_RL, "external", "anchor",
			    "resource-lists/list/external/@anchor", false,
			    r) < 0)
		return -1;
	for (c = list->children; c; c = c->next)
		if (is_el(c, NS_RL, "list") && check_list(c, depth + 1, r) < 0)
			return -1;
	return 0;
}

static int check_resource_lists(xmlDocPtr doc, const struct xcap_uri *u,
				struct xcap_result *r)
{
	(void)u;
	return check_list(xmlDocGetRootElement(doc), 0, r);
}

static bool http_uri(const char *s)
{
	return (strncasecmp(s, "http://", 7) == 0 && s[7]) ||
	       (strncasecmp(s, "https://", 8) == 0 && s[8]);
}

static int check_rls_services(xmlDocPtr doc, const struct xcap_uri *u,
			      struct xcap_result *r)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), s, c;
	void *arg;
	xcap_service_uri_taken_fn hook = xcap_auid_service_hook(&arg);

	if (unique_children(root, NS_RLS, "service", "uri",
			    "rls-services/service/@uri", false, r) < 0)
		return -1;
	for (s = root->children; s; s = s->next) {
		xmlChar *uri;

		if (!is_el(s, NS_RLS, "service"))
			continue;
		for (c = s->children; c; c = c->next) {
			xmlChar *t;
			bool ok;

			if (!is_el(c, NS_RLS, "resource-list"))
				continue;
			/* RFC 4826 4.4.8: an HTTP URI of a resource-lists
			 * list. */
			t = xmlNodeGetContent(c);
			ok = t && http_uri((const char *)t) &&
			     strstr((const char *)t, "/resource-lists/");
			xmlFree(t);
			if (!ok)
				return xcap_err_conflict(r,
					"constraint-failure",
					"resource-list must be an HTTP URI "
					"of a resource-lists list");
		}
		uri = xmlGetNoNsProp(s, BAD_CAST "uri");
		if (uri && hook && !u->global) {
			int taken = hook((const char *)uri, u, arg);

			if (taken != 0) {
				xmlFree(uri);
				if (taken < 0)
					return xcap_err_status(r, 500,
							       "store error");
				/* RFC 4826 4.4.5: unique across the server */
				return xcap_err_uniqueness(r,
					"rls-services/service/@uri", NULL,
					NULL);
			}
		}
		xmlFree(uri);
	}
	return 0;
}

static const struct xcap_auid registry[] = {
	{ "pres-rules", "application/auth-policy+xml", NS_PR,
	  "pres-rules-auid.xsd", true, false, false, false,
	  check_pres_rules },
	{ "org.openmobilealliance.pres-rules", "application/auth-policy+xml",
	  NS_CP, "oma-pres-rules-auid.xsd", true, false, false, false,
	  check_pres_rules },
	{ "resource-lists", "application/resource-lists+xml", NS_RL,
	  "resource-lists.xsd", true, false, false, false,
	  check_resource_lists },
	{ "rls-services", "application/rls-services+xml", NS_RLS,
	  "rls-services.xsd", true, true, true, false, check_rls_services },
	{ "pidf-manipulation", "application/pidf+xml", NS_PIDF,
	  "pidf.xsd", true, false, false, false, NULL },
	{ "xcap-caps", "application/xcap-caps+xml", XCAP_NS_CAPS,
	  "xcap-caps.xsd", false, true, true, true, NULL },
};

const struct xcap_auid *xcap_auid_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(registry) / sizeof(registry[0]); i++)
		if (strcmp(registry[i].name, name) == 0)
			return &registry[i];
	return NULL;
}

const struct xcap_auid *xcap_auid_list(size_t *n)
{
	*n = sizeof(registry) / sizeof(registry[0]);
	return registry;
}
