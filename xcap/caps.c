/*
 * caps.c - generated read-only documents: the xcap-caps document
 * (RFC 4825 12) and the rls-services global index (RFC 4826 4.3.2).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xcap/res_int.h"

#define NS_RLS "urn:ietf:params:xml:ns:rls-services"

static int dump(xmlDocPtr doc, uint8_t **out, size_t *len)
{
	xmlChar *buf = NULL;
	int n = 0;

	xmlDocDumpFormatMemoryEnc(doc, &buf, &n, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (!buf)
		return -1;
	*out = malloc((size_t)n + 1);
	if (*out) {
		memcpy(*out, buf, (size_t)n);
		(*out)[n] = 0;
		*len = (size_t)n;
	}
	xmlFree(buf);
	return *out ? 0 : -1;
}

int xcap_caps_print(char **out, size_t *len)
{
	size_t n, i, j;
	const struct xcap_auid *a = xcap_auid_list(&n);
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, auids, nss;
	xmlNsPtr ns;

	*out = NULL;
	if (!doc)
		return -1;
	root = xmlNewDocNode(doc, NULL, BAD_CAST "xcap-caps", NULL);
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST XCAP_NS_CAPS, NULL);
	xmlSetNs(root, ns);
	auids = xmlNewChild(root, ns, BAD_CAST "auids", NULL);
	/* RFC 4825 12.2: <auids>, optional <extensions>, <namespaces>. */
	nss = xmlNewChild(root, ns, BAD_CAST "namespaces", NULL);
	if (!auids || !nss) {
		xmlFreeDoc(doc);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!xmlNewChild(auids, ns, BAD_CAST "auid",
				 BAD_CAST a[i].name)) {
			xmlFreeDoc(doc);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(a[j].default_ns, a[i].default_ns))
				break;
		if (j == i && !xmlNewChild(nss, ns, BAD_CAST "namespace",
					   BAD_CAST a[i].default_ns)) {
			xmlFreeDoc(doc);
			return -1;
		}
	}
	return dump(doc, (uint8_t **)out, len);
}

int xcap_rls_index_compose(const uint8_t *const *docs, const size_t *lens,
			   size_t n, uint8_t **out, size_t *outlen)
{
	xmlDocPtr idx = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root;
	xmlNsPtr ns;
	size_t i;

	*out = NULL;
	if (!idx)
		return -1;
	root = xmlNewDocNode(idx, NULL, BAD_CAST "rls-services", NULL);
	xmlDocSetRootElement(idx, root);
	ns = xmlNewNs(root, BAD_CAST NS_RLS, NULL);
	xmlSetNs(root, ns);
	for (i = 0; i < n; i++) {
		struct xcap_result r = { 0 };
		xmlDocPtr d = docs[i] ? xcap_doc_parse(docs[i], lens[i], &r)
				      : NULL;
		xmlNodePtr c;

		xcap_result_clear(&r);
		if (!d)
			continue;
		for (c = xmlDocGetRootElement(d)->children; c; c = c->next) {
			xmlNodePtr cp;

			if (c->type != XML_ELEMENT_NODE || !c->ns ||
			    strcmp((const char *)c->ns->href, NS_RLS) ||
			    strcmp((const char *)c->name, "service"))
				continue;
			/* xmlDocCopyNode re-creates the namespaces the copy
			 * uses, so the index stands on its own. */
			cp = xmlDocCopyNode(c, idx, 1);
			if (!cp || !xmlAddChild(root, cp)) {
				xmlFreeNode(cp);
				xmlFreeDoc(d);
				xmlFreeDoc(idx);
				return -1;
			}
			xmlReconciliateNs(idx, cp);
		}
		xmlFreeDoc(d);
	}
	return dump(idx, out, outlen);
}
