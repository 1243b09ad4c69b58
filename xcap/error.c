/*
 * error.c - XCAP answers and application/xcap-error+xml bodies
 * (RFC 4825 11; schema in RFC 4825 11.2, xcap/schemas/xcap-error.xsd).
 *
 * Every conflict body is one <xcap-error> root holding exactly one
 * condition element; text that comes from the client (ancestor URIs,
 * field values) is escaped through libxml2's serializer, never pasted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "xcap/res_int.h"

void xcap_result_clear(struct xcap_result *r)
{
	if (!r)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void set_reason(struct xcap_result *r, const char *reason)
{
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
}

int xcap_result_set(struct xcap_result *r, int status, const char *ctype,
		    const char *body, size_t len)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->content_type[0] = '\0';
	r->status = status;
	if (body) {
		r->body = malloc(len + 1);
		if (!r->body) {
			r->status = 500;
			set_reason(r, "out of memory");
			return -1;
		}
		memcpy(r->body, body, len);
		r->body[len] = '\0';
		r->body_len = len;
		snprintf(r->content_type, sizeof(r->content_type), "%s",
			 ctype ? ctype : "");
	}
	return 0;
}

int xcap_err_status(struct xcap_result *r, int status, const char *reason)
{
	xcap_result_set(r, status, NULL, NULL, 0);
	set_reason(r, reason);
	return -1;
}

/* Serialise an <xcap-error> document into r as a 409. */
static int emit(struct xcap_result *r, xmlDocPtr doc, const char *tag)
{
	xmlChar *buf = NULL;
	int len = 0;

	xmlDocDumpFormatMemoryEnc(doc, &buf, &len, "UTF-8", 0);
	xmlFreeDoc(doc);
	if (!buf)
		return xcap_err_status(r, 500, "out of memory");
	xcap_result_set(r, 409, XCAP_MIME_ERR, (const char *)buf, (size_t)len);
	xmlFree(buf);
	if (r->status == 409)
		set_reason(r, tag);
	return -1;
}

/* New <xcap-error> document with one condition child `tag`. */
static xmlDocPtr new_err(const char *tag, xmlNodePtr *cond)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root;
	xmlNsPtr ns;

	if (!doc)
		return NULL;
	root = xmlNewDocNode(doc, NULL, BAD_CAST "xcap-error", NULL);
	if (!root)
		goto fail;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST XCAP_NS_ERROR, NULL);
	if (!ns)
		goto fail;
	xmlSetNs(root, ns);
	*cond = xmlNewChild(root, ns, BAD_CAST tag, NULL);
	if (!*cond)
		goto fail;
	return doc;
fail:
	xmlFreeDoc(doc);
	return NULL;
}

int xcap_err_conflict(struct xcap_result *r, const char *tag,
		      const char *phrase)
{
	xmlNodePtr cond;
	xmlDocPtr doc = new_err(tag, &cond);

	if (!doc)
		return xcap_err_status(r, 500, "out of memory");
	if (phrase)
		xmlSetProp(cond, BAD_CAST "phrase", BAD_CAST phrase);
	return emit(r, doc, tag);
}

int xcap_err_no_parent(struct xcap_result *r, const char *ancestor)
{
	xmlNodePtr cond, anc;
	xmlDocPtr doc = new_err("no-parent", &cond);

	if (!doc)
		return xcap_err_status(r, 500, "out of memory");
	if (ancestor) {
		/* xmlNewTextChild escapes '&' and '<' in the URI. */
		anc = xmlNewTextChild(cond, cond->ns, BAD_CAST "ancestor",
				      BAD_CAST ancestor);
		if (!anc) {
			xmlFreeDoc(doc);
			return xcap_err_status(r, 500, "out of memory");
		}
	}
	return emit(r, doc, "no-parent");
}

int xcap_err_uniqueness(struct xcap_result *r, const char *field,
			const char *alt, const char *phrase)
{
	xmlNodePtr cond, ex;
	xmlDocPtr doc = new_err("uniqueness-failure", &cond);

	if (!doc)
		return xcap_err_status(r, 500, "out of memory");
	if (phrase)
		xmlSetProp(cond, BAD_CAST "phrase", BAD_CAST phrase);
	/* RFC 4825 11.2: <exists field="node selector"> with zero or more
	 * <alt-value> suggestions the client may use instead. */
	ex = xmlNewChild(cond, cond->ns, BAD_CAST "exists", NULL);
	if (!ex || !xmlSetProp(ex, BAD_CAST "field", BAD_CAST field) ||
	    (alt && !xmlNewTextChild(ex, cond->ns, BAD_CAST "alt-value",
				     BAD_CAST alt))) {
		xmlFreeDoc(doc);
		return xcap_err_status(r, 500, "out of memory");
	}
	return emit(r, doc, "uniqueness-failure");
}
