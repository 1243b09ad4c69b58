/*
 * res_int.h - internals shared by the files of the XCAP resource engine
 * (uri.c, selector.c, node.c, error.c, auid.c, caps.c, schema.c).  Not for
 * the HTTPS server: it uses xcap_res.h only.
 */
#ifndef PRESENCED_XCAP_RES_INT_H
#define PRESENCED_XCAP_RES_INT_H

#include <libxml/tree.h>
#include "xcap/xcap_res.h"

#define XCAP_NS_ERROR  "urn:ietf:params:xml:ns:xcap-error"
#define XCAP_NS_CAPS   "urn:ietf:params:xml:ns:xcap-caps"
#define XCAP_MIME_EL   "application/xcap-el+xml"
#define XCAP_MIME_ATT  "application/xcap-att+xml"
#define XCAP_MIME_NS   "application/xcap-ns+xml"
#define XCAP_MIME_ERR  "application/xcap-error+xml"

/* ------------------------------------------------------------ error.c */

/* Plain answer without body (404, 400, 405, 415, 500).  Returns -1. */
int xcap_err_status(struct xcap_result *r, int status, const char *reason);
/* 409 with <xcap-error><tag phrase="..."/></xcap-error> (RFC 4825 11).
 * phrase may be NULL.  Returns -1. */
int xcap_err_conflict(struct xcap_result *r, const char *tag,
		      const char *phrase);
/* 409 <no-parent><ancestor>uri</ancestor></no-parent>.  Returns -1. */
int xcap_err_no_parent(struct xcap_result *r, const char *ancestor);
/* 409 <uniqueness-failure><exists field="f"><alt-value>..</alt-value>
 * </exists></uniqueness-failure>; alt may be NULL.  Returns -1. */
int xcap_err_uniqueness(struct xcap_result *r, const char *field,
			const char *alt, const char *phrase);
/* Set a 2xx answer with a copy of `body` (may be NULL).  Returns 0 or -1
 * (r then is a 500). */
int xcap_result_set(struct xcap_result *r, int status, const char *ctype,
		    const char *body, size_t len);

/* ---------------------------------------------------------- selector.c */

struct xcap_step {
	char *prefix;            /* NULL = unprefixed */
	char *name;              /* NULL = "*" */
	unsigned pos;            /* 0 = no position predicate */
	char *att_prefix;        /* attr-test, att_name NULL = none */
	char *att_name;
	char *att_value;         /* decoded AttValue */
	char *text;              /* the step as written (decoded) */
};

struct xcap_sel {
	struct xcap_step *steps;
	size_t n;
	enum xcap_node_kind kind;
	char *term_prefix;       /* terminal attribute-selector */
	char *term_name;
};

/* Parse a decoded node selector (RFC 4825 6.3).  Returns 0, or -1 when
 * it does not follow the ABNF. */
int xcap_sel_parse(const char *text, struct xcap_sel **out);
void xcap_sel_free(struct xcap_sel *s);

/* Namespace URI for a prefix of a selector step: NULL prefix -> the
 * AUID's default namespace (elements only).  Returns NULL when unbound. */
const char *xcap_sel_ns(const struct xcap_uri *u, const char *prefix);

/* Evaluate steps[0..nsteps) on doc.  Returns the number of elements
 * selected; *one gets the element when exactly one. */
size_t xcap_sel_eval(const struct xcap_uri *u, const struct xcap_sel *s,
		     size_t nsteps, xmlDocPtr doc, xmlNodePtr *one);
/* Does element `el` satisfy the name and attribute test of step st?
 * (position is not checked). */
bool xcap_sel_step_test(const struct xcap_uri *u, const struct xcap_step *st,
			xmlNodePtr el);
/* Decode an xcap-att+xml body: an AttValue without its quotes (XML 1.0
 * [10]; references decoded).  Returns 0 and *out (malloc'd) or -1. */
int xcap_attvalue_decode(const uint8_t *body, size_t len, char **out);
/* Percent-encoded "doc_uri/~~/step1/.../stepN" for the first n steps (n
 * == 0: the document URI).  malloc'd. */
char *xcap_sel_uri(const struct xcap_uri *u, const struct xcap_sel *s,
		   size_t n);

/* --------------------------------------------------------------- uri.c */

/* Percent-encode `in` for a URI path (keeps unreserved, sub-delims, ':',
 * '@' and, when keep_slash, '/').  malloc'd, NULL on overflow/OOM. */
char *xcap_uri_encode(const char *in, bool keep_slash);

/* ---------------------------------------------------------- schema.c */

/* Validate doc against the AUID's schema (no-op when the AUID has none).
 * Returns 0 or -1 with r = 409 schema-validation-error. */
int xcap_schema_validate(const struct xcap_auid *a, xmlDocPtr doc,
			 struct xcap_result *r);
int xcap_schema_load(const char *dir);
void xcap_schema_unload(void);

/* ------------------------------------------------------------ node.c */

/* Parse a document safely (no DOCTYPE, no entities, no network, UTF-8
 * only).  Returns the doc or NULL with r = 409 not-utf-8 /
 * not-well-formed. */
xmlDocPtr xcap_doc_parse(const uint8_t *buf, size_t len,
			 struct xcap_result *r);
/* Is buf valid UTF-8 (no NUL)? */
bool xcap_utf8_valid(const uint8_t *buf, size_t len);

/* ------------------------------------------------------------ auid.c */

xcap_service_uri_taken_fn xcap_auid_service_hook(void **arg);

#endif /* PRESENCED_XCAP_RES_INT_H */
