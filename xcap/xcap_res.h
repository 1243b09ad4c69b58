/*
 * xcap_res.h - the XCAP resource engine (private to xcap/): everything
 * about the *content* of XCAP resources, RFC 4825.
 *
 *   - URI parsing: <root>/<auid>/users/<xui>/<doc>[/~~/<node selector>]
 *     and <root>/<auid>/global/<doc>[...], ?xmlns() bindings (RFC 4825 6);
 *   - GET / PUT / DELETE of documents, elements, attributes and namespace
 *     bindings on an in-memory document (RFC 4825 7, 8);
 *   - XML Schema validation per AUID and the AUID's own constraints
 *     (uniqueness of rule ids, list names, entry URIs, ...);
 *   - application/xcap-error+xml bodies (RFC 4825 11);
 *   - the AUID registry and the xcap-caps document (RFC 4825 12).
 *
 * What this engine does NOT do (the HTTPS server does): HTTP, TLS,
 * authentication, loading and storing documents (db_xcap_get /
 * db_xcap_put compare-and-swap), ETags, If-Match / If-None-Match, and
 * telling the SIP side that a document changed.
 *
 * Threads: after xcap_res_init() returns, every function here may be
 * called from any number of threads at once.  Each call parses its own
 * copy of the document; the compiled XML Schemas are shared read-only and
 * each validation uses its own validation context.
 *
 * Results: every operation fills a struct xcap_result with the complete
 * HTTP answer to send (status, Content-Type, body).  Functions return 0
 * when r->status is 2xx and a negative value when r describes an error
 * answer (4xx/5xx) - the server sends `r` in both cases.
 *
 * XML safety: documents and bodies are parsed with XML_PARSE_NONET, no
 * entity substitution and no DTD loading; a body carrying a DOCTYPE is
 * rejected with 409 <not-well-formed> (XCAP documents never need one).
 * Size limits are the caller's job (the server bounds request bodies).
 */
#ifndef PRESENCED_XCAP_RES_H
#define PRESENCED_XCAP_RES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request path + query accepted by xcap_uri_parse() (bytes). */
#define XCAP_URI_MAX 8192

/* --------------------------------------------------------------- result */

/*
 * One HTTP answer.  `body` is malloc'd, NUL-terminated (the NUL is not
 * counted in body_len) and NULL when there is no body; content_type is ""
 * then.  `reason` is a short text for logs (never contains secrets).
 * Initialise with `struct xcap_result r = {0};` and release with
 * xcap_result_clear(), which leaves the struct zeroed and reusable.
 */
struct xcap_result {
	int status;              /* 200, 201, 400, 404, 405, 409, 415, 500 */
	char content_type[64];
	char *body;
	size_t body_len;
	char reason[128];
};

void xcap_result_clear(struct xcap_result *r);

/* ---------------------------------------------------------------- AUIDs */

struct xcap_uri;
struct _xmlDoc;

/*
 * One application usage (RFC 4825 5).  The registry is static and
 * read-only: pres-rules, org.openmobilealliance.pres-rules,
 * resource-lists, rls-services, pidf-manipulation, xcap-caps.
 */
struct xcap_auid {
	const char *name;        /* "pres-rules" */
	const char *mime;        /* "application/auth-policy+xml" */
	const char *default_ns;  /* namespace of unprefixed selector steps */
	const char *schema;      /* main XSD file name under the schema dir,
				  * NULL = well-formedness only */
	bool per_user;           /* users/<xui>/ tree allowed */
	bool global;             /* global/ tree allowed */
	bool global_read_only;   /* global documents are generated (GET only) */
	bool read_only;          /* whole AUID read-only (xcap-caps) */
	/* AUID-specific constraints after schema validation (RFC 4825 8.2.5,
	 * RFC 4826 3.4.5 / 4.4.5, RFC 5025 ...).  Returns 0, or -1 after
	 * filling r with a 409 (uniqueness-failure / constraint-failure). */
	int (*check)(struct _xmlDoc *doc, const struct xcap_uri *u,
		     struct xcap_result *r);
};

/* Look an AUID up by name (exact, case-sensitive).  NULL if unknown. */
const struct xcap_auid *xcap_auid_find(const char *name);
/* The registry, for xcap-caps: *n gets the count. */
const struct xcap_auid *xcap_auid_list(size_t *n);

/*
 * RFC 4826 4.4.5: a service URI must be unique across every rls-services
 * document of the server.  The engine checks uniqueness inside the
 * document itself; across users it asks this hook (set it once, before the
 * server threads start; NULL = no cross-document check).  The hook returns
 * 1 when `service_uri` is already used by a document other than the one
 * `u` names, 0 when free, negative on a store error (-> 500).
 */
typedef int (*xcap_service_uri_taken_fn)(const char *service_uri,
					 const struct xcap_uri *u, void *arg);
void xcap_res_set_service_uri_hook(xcap_service_uri_taken_fn fn, void *arg);

/* ----------------------------------------------------------------- URIs */

struct xcap_ns_binding {
	char *prefix;
	char *uri;
};

/* What the node selector's terminal step selects. */
enum xcap_node_kind {
	XCAP_NODE_DOCUMENT = 0,  /* no node selector */
	XCAP_NODE_ELEMENT,       /* application/xcap-el+xml */
	XCAP_NODE_ATTRIBUTE,     /* ".../@attr": application/xcap-att+xml */
	XCAP_NODE_NAMESPACE,     /* ".../namespace::*": application/xcap-ns+xml */
};

/*
 * A parsed, percent-decoded XCAP URI (RFC 4825 6).  All strings are
 * NUL-terminated and owned by the struct.
 */
struct xcap_uri {
	const struct xcap_auid *app;  /* registry entry, never NULL */
	char *auid;
	bool global;             /* global/ tree; xui is NULL then */
	char *xui;               /* decoded XUI, e.g. "sip:alice@example.com" */
	char *doc;               /* decoded document path below users/<xui>/
				  * or global/; may contain '/' (sub-dirs) */
	char *node;              /* decoded node selector after "~~", NULL =
				  * whole document */
	enum xcap_node_kind kind;
	struct xcap_ns_binding *ns;   /* xmlns(p=uri) bindings, RFC 4825 6.4 */
	size_t n_ns;
	char *doc_uri;           /* "<base><root>/<auid>/.../<doc>" re-encoded:
				  * the document URI, used for <ancestor> */
};

/*
 * Parse a request.  `root` is the configured XCAP root path (e.g.
 * "/xcap-root"; "" or "/" for the server root).  `path` is the RAW
 * request path, still percent-encoded: the server must keep libmicrohttpd
 * from unescaping it (MHD_OPTION_UNESCAPE_CALLBACK returning the length
 * unchanged, or take the raw target from MHD_OPTION_URI_LOG_CALLBACK).
 * `query` is the raw query without '?', or NULL; when NULL and `path`
 * contains '?', the query is split off `path`.  `base` is an optional
 * "https://host:port" prefix for URIs the engine builds (<ancestor>);
 * NULL gives absolute-path URIs.
 *
 * Each path segment is percent-decoded once; %00, "." and ".." segments,
 * empty document names and paths longer than XCAP_URI_MAX are refused.
 * The node selector syntax is checked here (RFC 4825 6.3 ABNF).
 *
 * Returns 0 and *out (free with xcap_uri_free), or -1 with r filled:
 * 404 for a path outside the root, an unknown AUID, a tree the AUID does
 * not have, or a bad path; 400 for a malformed node selector or query.
 */
int xcap_uri_parse(const char *root, const char *path, const char *query,
		   const char *base, struct xcap_uri **out,
		   struct xcap_result *r);
void xcap_uri_free(struct xcap_uri *u);

/* ----------------------------------------------------------- operations */

/*
 * GET (RFC 4825 8.3).  `doc` is the stored document, or NULL if there is
 * none (-> 404).  Whole document: the AUID's MIME type; an element:
 * application/xcap-el+xml; an attribute: application/xcap-att+xml (the
 * unquoted, unescaped value); namespace::*: application/xcap-ns+xml.
 * A selector matching no node or more than one node gives 404.
 */
int xcap_res_get(const struct xcap_uri *u, const uint8_t *doc, size_t doclen,
		 struct xcap_result *r);

/*
 * PUT (RFC 4825 8.2).  `doc` is the stored document or NULL if it does
 * not exist; `content_type` the request's Content-Type (parameters such as
 * charset are ignored).  On success returns 0, *newdoc is the new whole
 * document (malloc'd, free()) and r->status is 201 (created) or 200
 * (replaced), without body.  On failure returns -1, *newdoc is NULL and r
 * is the error: 409 with an xcap-error body (not-well-formed,
 * not-xml-frag, not-utf-8, no-parent + <ancestor>, schema-validation-error,
 * cannot-insert, uniqueness-failure + <exists>/<alt-value>,
 * constraint-failure), 415 for a wrong Content-Type, 405 on a read-only
 * resource, 404 when a selector step cannot be resolved by the insert
 * rules of 8.2.3, 500 on allocation failure.
 */
int xcap_res_put(const struct xcap_uri *u, const uint8_t *doc, size_t doclen,
		 const char *content_type, const uint8_t *body, size_t blen,
		 uint8_t **newdoc, size_t *newlen, struct xcap_result *r);

/*
 * DELETE (RFC 4825 8.4).  Whole document: returns 0 with *newdoc NULL and
 * status 200 (the server deletes it).  Element / attribute / (not
 * allowed: namespace) : *newdoc is the new document, status 200.  404 when
 * the document or node does not exist; 409 <cannot-delete> when a GET of
 * the same URI would still select a node afterwards, 409
 * schema-validation-error / constraint-failure when the result is invalid,
 * 405 on read-only resources and namespace selectors.
 */
int xcap_res_delete(const struct xcap_uri *u, const uint8_t *doc,
		    size_t doclen, uint8_t **newdoc, size_t *newlen,
		    struct xcap_result *r);

/* ------------------------------------------------------- set-up / misc */

/*
 * Load and compile every AUID schema from `schema_dir` (NULL = PD_DATADIR
 * "/schemas").  Call once, before any thread uses the engine.  Returns 0
 * or -1 (logged) when a schema is missing or does not compile.
 */
int xcap_res_init(const char *schema_dir);
/* Free the compiled schemas.  No engine call may run concurrently. */
void xcap_res_cleanup(void);

/*
 * The xcap-caps document (RFC 4825 12): every AUID, extension and
 * namespace this server supports.  The server serves
 * <root>/xcap-caps/global/index by calling xcap_caps_print() and passing
 * the result as `doc` to xcap_res_get() (so node selectors work).
 * *out is malloc'd (free()).  Returns 0 or -1 (allocation failure).
 */
int xcap_caps_print(char **out, size_t *len);

/*
 * The read-only rls-services global index (RFC 4826 4.3.2): the union of
 * the <service> elements of every user's rls-services document.  The
 * server collects the users' documents (`docs[i]`, `lens[i]`), calls this
 * and serves the result through xcap_res_get().  Documents that do not
 * parse are skipped.  *out is malloc'd (free()).  Returns 0 or -1.
 */
int xcap_rls_index_compose(const uint8_t *const *docs, const size_t *lens,
			   size_t n, uint8_t **out, size_t *outlen);

#endif /* PRESENCED_XCAP_RES_H */
