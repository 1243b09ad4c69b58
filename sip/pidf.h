/*
 * pidf.h - PIDF (RFC 3863) documents for the presence engine: validate a
 * PUBLISH body once, compose the live publications of one presentity into
 * the one document NOTIFY carries, and produce the neutral document.
 *
 * Private header of sip/.  It names no libxml2 and no Sofia type, so that
 * sip/sip.h may include it; the parsed form stays behind struct pidf_doc.
 *
 * Life cycle (architecture-notes, "NOTIFY bodies"): a PUBLISH body is
 * parsed and checked once (pidf_parse) and the struct pidf_doc is kept
 * with the publication; when the set of live publications of a presentity
 * changes, pidf_compose builds the NOTIFY body once; NOTIFYs then send
 * those bytes.  Nothing here re-parses per NOTIFY.
 *
 * Security: every body is hostile.  pidf_parse checks the size bound
 * before anything else, requires strict UTF-8 (no NUL), parses with
 * XML_PARSE_NONET and without entity substitution or DTD loading, and
 * rejects any document with a DOCTYPE at all (the parser is stopped at the
 * DOCTYPE, before an internal subset is read), which disposes of entity
 * expansion ("billion laughs") and external entities (XXE) alike.
 *
 * Threads: the functions keep no state; distinct objects may be used from
 * distinct threads once libxml2 is initialised (the daemon should call
 * xmlInitParser() from main before it starts threads; the functions call
 * it too, which is a no-op after the first time).
 */
#ifndef PRESENCED_SIP_PIDF_H
#define PRESENCED_SIP_PIDF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* The namespaces this module knows by name (RFC 3863, RFC 4479, RFC 4480). */
#define PIDF_NS		"urn:ietf:params:xml:ns:pidf"
#define PIDF_NS_DM	"urn:ietf:params:xml:ns:pidf:data-model"
#define PIDF_NS_RPID	"urn:ietf:params:xml:ns:pidf:rpid"

/* Return codes (0 on success).  The SIP layer maps them to responses. */
#define PIDF_EINVAL	(-EINVAL)   /* bad arguments (a caller bug) */
#define PIDF_EBADDOC	(-EBADMSG)  /* body is not a valid PIDF -> 400 + why */
#define PIDF_ETOOBIG	(-EMSGSIZE) /* body longer than max_len -> 413 */
#define PIDF_ENOMEM	(-ENOMEM)   /* allocation failed -> 500 */

/* A validated PIDF document; owns its libxml2 tree.  Immutable. */
struct pidf_doc;

/*
 * Parse and validate a PUBLISH body of `len` bytes (no NUL terminator
 * needed).  On success returns 0 and stores a new document in *out (free
 * it with pidf_free).  On failure returns a negative code, leaves *out
 * alone and, when why != NULL and whylen > 0, writes a NUL-terminated
 * reason (short printable ASCII, no CR/LF, truncated to whylen) fit for a
 * SIP reason phrase, e.g. "Invalid PIDF: tuple without status".
 *
 * Checks, in order:
 *  - 0 < len <= max_len (else PIDF_ETOOBIG, or PIDF_EBADDOC when empty);
 *  - strict UTF-8 without NUL; the XML declaration, if it names an
 *    encoding, names UTF-8;
 *  - well-formed, namespace-well-formed XML without a DOCTYPE;
 *  - RFC 3863 4.1: root <presence> in PIDF_NS with an `entity` attribute
 *    that is an absolute URI; top-level PIDF children are only <tuple> and
 *    <note>;
 *  - RFC 3863 4.1.1-4.1.7: each <tuple> has an `id` (xs:ID: an NCName,
 *    unique in the document), exactly one <status>; <basic>, if present,
 *    is "open" or "closed"; at most one <contact> whose `priority`, if
 *    present, is a qvalue in [0,1]; at most one <timestamp>, an
 *    xs:dateTime; no unknown PIDF element inside a tuple or status;
 *  - RFC 4479: top-level dm:person and dm:device carry an `id` (xs:ID,
 *    unique across tuples, persons and devices).
 * Elements of other namespaces (RPID, RFC 4479 dm:deviceID, unknown
 * extensions, RFC 3863 4.3) are not checked and are kept as they are;
 * `mustUnderstand` is the watcher's business, not the server's.
 */
int pidf_parse(const uint8_t *buf, size_t len, size_t max_len,
	       struct pidf_doc **out, char *why, size_t whylen);

/* Free a document.  NULL-safe. */
void pidf_free(struct pidf_doc *d);

/* The `entity` attribute of the document's <presence> (a URI).  The string
 * belongs to d and lives as long as d. */
const char *pidf_entity(const struct pidf_doc *d);

/*
 * Compose docs[0..n-1] (the live publications of one presentity, oldest
 * first) into one PIDF document for NOTIFY.  `entity` is the presentity
 * URI; it becomes the root's entity, whatever the publications said.
 *
 * Merge rules:
 *  - <tuple>s, dm:person and dm:device are keyed by their id (one xs:ID
 *    space, as in a single document).  A later element with an id already
 *    seen replaces the earlier one, at the earlier one's position when it
 *    is of the same kind; otherwise the earlier one is dropped.
 *  - top-level <note>s are kept once per (xml:lang, text);
 *  - other top-level extension elements are kept, in order;
 *  - output order: tuples, notes, then persons/devices/extensions (the
 *    RFC 3863 schema order), each in order of first appearance.
 * Namespaces: PIDF_NS is the root's default namespace; every other
 * namespace used is declared once on the root (PIDF_NS_DM as "dm",
 * PIDF_NS_RPID as "rpid", others under their original prefix unless it
 * clashes, else "nsN"); redundant or conflicting declarations inside the
 * copied elements are removed; elements in no namespace stay in none.
 *
 * The output is a UTF-8 document with an XML declaration, no indentation,
 * and depends only on the inputs (same inputs, same bytes).  n == 0 yields
 * a <presence> with no children; for the document a watcher gets when
 * nothing is published, prefer pidf_neutral().
 *
 * On success returns 0, *out is a malloc'd NUL-terminated buffer (free it
 * with free()) and *outlen its length without the NUL.  On failure returns
 * a negative code and leaves *out and *outlen alone.
 */
int pidf_compose(const char *entity, struct pidf_doc *const *docs, size_t n,
		 char **out, size_t *outlen);

/*
 * The neutral document for `entity`: one tuple (id "neutral") whose
 * <basic> is "closed", and nothing else - no person, device, note, contact
 * or extension.
 *
 * Why this document: RFC 5025 3.2.1 defines polite-block as an "active"
 * subscription that gets a document showing the presentity unavailable,
 * and suggests excluding person and device elements and including only a
 * single service whose basic status is closed; RFC 3856 6.6.2 likewise
 * lets the PA hide a refusal behind "offline" state.  Sending the same
 * document when the presentity has no live publication means a
 * polite-blocked watcher cannot tell blocking from "nothing published",
 * which is the point of polite blocking.
 *
 * Same output contract as pidf_compose.
 */
int pidf_neutral(const char *entity, char **out, size_t *outlen);

#endif /* PRESENCED_SIP_PIDF_H */
