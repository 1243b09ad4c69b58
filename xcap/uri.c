/*
 * uri.c - XCAP URI parsing (RFC 4825 6).
 *
 *   <root>/<auid>/users/<xui>/<doc path>[/~~/<node selector>][?query]
 *   <root>/<auid>/global/<doc path>[/~~/<node selector>][?query]
 *
 * The path is split on raw '/' before decoding, so an XUI carrying %2F
 * stays one segment; each segment is percent-decoded exactly once.  The
 * node selector starts after the first path segment that is exactly "~~"
 * (RFC 4825 6).  The query holds XPointer-style xmlns(prefix=uri)
 * bindings (RFC 4825 6.4).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcap/res_int.h"

#define MAX_SEGS 64

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode len bytes of s.  NULL on a bad escape, %00 or OOM. */
static char *pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			goto bad;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *xcap_uri_encode(const char *in, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in);
	char *out, *o;

	if (n > XCAP_URI_MAX)
		return NULL;
	out = malloc(3 * n + 1);
	if (!out)
		return NULL;
	for (o = out; *in; in++) {
		unsigned char c = (unsigned char)*in;

		/* RFC 3986 pchar: unreserved / sub-delims / ":" / "@" */
		if (isalnum(c) || strchr("-._~!$&'()*+,;=:@", c) ||
		    (keep_slash && c == '/')) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

void xcap_uri_free(struct xcap_uri *u)
{
	size_t i;

	if (!u)
		return;
	free(u->auid);
	free(u->xui);
	free(u->doc);
	free(u->node);
	for (i = 0; i < u->n_ns; i++) {
		free(u->ns[i].prefix);
		free(u->ns[i].uri);
	}
	free(u->ns);
	free(u->doc_uri);
	free(u);
}

/* A namespace name is a URI reference (Namespaces in XML 1.0, 2.2): no
 * controls, blanks or the characters RFC 3986 excludes.  '&' is refused
 * as well: a PUT may declare the name in the document, and libxml2 writes
 * an xmlns value without escaping it. */
static bool ns_uri_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7F ||
		    strchr("<>\"&{}|\\^`", *s))
			return false;
	return true;
}

/* RFC 4825 6.4: query = 1*( "xmlns(" prefix "=" uri ")" ), decoded. */
static int parse_query(struct xcap_uri *u, const char *q)
{
	char *dq = pct_decode(q, strlen(q));
	const char *p = dq;
	int rc = -1;

	if (!dq)
		return -1;
	/* Namespace URIs may be declared in the stored document. */
	if (!xcap_utf8_valid((const uint8_t *)dq, strlen(dq)))
		goto out;
	while (*p) {
		const char *eq, *close;
		struct xcap_ns_binding *nb;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (strncmp(p, "xmlns(", 6) != 0)
			goto out;
		p += 6;
		eq = strchr(p, '=');
		close = strchr(p, ')');
		if (!eq || !close || eq > close || eq == p || close == eq + 1)
			goto out;
		nb = realloc(u->ns, (u->n_ns + 1) * sizeof(*nb));
		if (!nb)
			goto out;
		u->ns = nb;
		nb = &u->ns[u->n_ns];
		nb->prefix = strndup(p, (size_t)(eq - p));
		nb->uri = strndup(eq + 1, (size_t)(close - eq - 1));
		u->n_ns++;
		if (!nb->prefix || !nb->uri || !ns_uri_ok(nb->uri))
			goto out;
		p = close + 1;
	}
	rc = 0;
out:
	free(dq);
	return rc;
}

/* Decoded document path segment: not empty, ".", "..", nor holding '/'. */
static bool seg_ok(const char *s)
{
	return *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       !strchr(s, '/');
}

static int fail(struct xcap_result *r, int status, const char *why,
		struct xcap_uri *u, char **segs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(segs[i]);
	xcap_uri_free(u);
	return xcap_err_status(r, status, why);
}

int xcap_uri_parse(const char *root, const char *path, const char *query,
		   const char *base, struct xcap_uri **out,
		   struct xcap_result *r)
{
	char *segs[MAX_SEGS], *raw_sel = NULL;
	size_t nseg = 0, rootlen, i, doc0, docn;
	const char *p, *end, *sel_start = NULL;
	struct xcap_uri *u;
	char *docenc = NULL, *xuienc = NULL;
	int n;

	*out = NULL;
	if (!root || !path)
		return xcap_err_status(r, 400, "no path");
	if (strlen(path) + (query ? strlen(query) : 0) > XCAP_URI_MAX)
		return xcap_err_status(r, 414, "URI too long");
	while (*root == '/')
		root++;
	rootlen = strlen(root);
	while (rootlen && root[rootlen - 1] == '/')
		rootlen--;
	end = query ? path + strlen(path) : path + strcspn(path, "?");
	if (!query && *end == '?')
		query = end + 1;
	p = path;
	if (*p != '/')
		return xcap_err_status(r, 404, "not an absolute path");
	p++;
	if (rootlen) {
		if ((size_t)(end - p) <= rootlen ||
		    strncmp(p, root, rootlen) != 0 || p[rootlen] != '/')
			return xcap_err_status(r, 404, "outside the XCAP root");
		p += rootlen + 1;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return xcap_err_status(r, 500, "out of memory");
	/* Split on raw '/', decoding each segment once, up to "~~". */
	while (p < end) {
		const char *s = p;
		size_t len;

		while (p < end && *p != '/')
			p++;
		len = (size_t)(p - s);
		if (nseg == MAX_SEGS)
			return fail(r, 404, "too many segments", u, segs, nseg);
		segs[nseg] = pct_decode(s, len);
		if (!segs[nseg])
			return fail(r, 400, "bad percent-encoding", u, segs,
				    nseg);
		nseg++;
		if (p < end)
			p++;
		if (strcmp(segs[nseg - 1], "~~") == 0) {
			free(segs[--nseg]);
			sel_start = p;
			break;
		}
		if (p == end && end[-1] == '/')
			return fail(r, 404, "directory", u, segs, nseg);
	}
	if (nseg < 3)
		return fail(r, 404, "incomplete XCAP URI", u, segs, nseg);
	u->app = xcap_auid_find(segs[0]);
	if (!u->app)
		return fail(r, 404, "unknown AUID", u, segs, nseg);
	if (strcmp(segs[1], "global") == 0 && u->app->global) {
		u->global = true;
		doc0 = 2;
	} else if (strcmp(segs[1], "users") == 0 && u->app->per_user &&
		   nseg >= 4 && segs[2][0]) {
		doc0 = 3;
	} else {
		return fail(r, 404, "no such tree", u, segs, nseg);
	}
	/* The document path (sub-directories allowed), each segment safe. */
	docn = nseg - doc0;
	for (i = doc0; i < nseg; i++)
		if (!seg_ok(segs[i]))
			return fail(r, 404, "bad document path", u, segs, nseg);
	if (!u->global && (strcmp(segs[2], ".") == 0 ||
			   strcmp(segs[2], "..") == 0))
		return fail(r, 404, "bad XUI", u, segs, nseg);
	{
		size_t len = 0;
		char *d;

		for (i = doc0; i < nseg; i++)
			len += strlen(segs[i]) + 1;
		d = u->doc = malloc(len);
		if (!d)
			return fail(r, 500, "out of memory", u, segs, nseg);
		for (i = doc0; i < nseg; i++) {
			size_t l = strlen(segs[i]);

			memcpy(d, segs[i], l);
			d += l;
			*d++ = i + 1 < nseg ? '/' : '\0';
		}
	}
	(void)docn;
	u->auid = segs[0];
	segs[0] = NULL;
	if (!u->global) {
		u->xui = segs[2];
		segs[2] = NULL;
	}
	if (sel_start) {
		raw_sel = pct_decode(sel_start, (size_t)(end - sel_start));
		/* Names and values from the selector end up in the stored
		 * document (PUT of an attribute): UTF-8 only (RFC 3986 2.5,
		 * RFC 4825 6.3), or the document would be serialised
		 * truncated. */
		if (!raw_sel || !*raw_sel ||
		    !xcap_utf8_valid((const uint8_t *)raw_sel,
				     strlen(raw_sel))) {
			free(raw_sel);
			return fail(r, 400, "bad node selector", u, segs, nseg);
		}
		u->node = raw_sel;
	}
	if (query && *query && parse_query(u, query) < 0)
		return fail(r, 400, "bad xmlns() query", u, segs, nseg);
	/* Check the selector syntax and its prefixes now (400). */
	if (u->node) {
		struct xcap_sel *s;

		if (xcap_sel_parse(u->node, &s) < 0)
			return fail(r, 400, "malformed node selector", u,
				    segs, nseg);
		u->kind = s->kind;
		for (i = 0; i < s->n; i++)
			if ((s->steps[i].prefix &&
			     !xcap_sel_ns(u, s->steps[i].prefix)) ||
			    (s->steps[i].att_prefix &&
			     !xcap_sel_ns(u, s->steps[i].att_prefix)))
				break;
		n = i < s->n || (s->term_prefix &&
				 !xcap_sel_ns(u, s->term_prefix));
		xcap_sel_free(s);
		if (n)
			return fail(r, 400, "unbound namespace prefix", u,
				    segs, nseg);
	}
	/* The document URI, re-encoded (for <ancestor>). */
	docenc = xcap_uri_encode(u->doc, true);
	xuienc = u->xui ? xcap_uri_encode(u->xui, false) : NULL;
	if (!docenc || (u->xui && !xuienc)) {
		free(docenc);
		free(xuienc);
		return fail(r, 500, "out of memory", u, segs, nseg);
	}
	{
		size_t len = strlen(base ? base : "") + rootlen +
			     strlen(u->auid) + strlen(docenc) +
			     (xuienc ? strlen(xuienc) : 0) + 16;

		u->doc_uri = malloc(len);
		if (u->doc_uri)
			snprintf(u->doc_uri, len, "%s/%.*s%s%s/%s%s%s%s",
				 base ? base : "", (int)rootlen, root,
				 rootlen ? "/" : "", u->auid,
				 u->global ? "global" : "users",
				 xuienc ? "/" : "", xuienc ? xuienc : "",
				 "");
	}
	if (u->doc_uri) {
		size_t l = strlen(u->doc_uri), dl = strlen(docenc);
		char *t = realloc(u->doc_uri, l + dl + 2);

		if (t) {
			u->doc_uri = t;
			t[l] = '/';
			memcpy(t + l + 1, docenc, dl + 1);
		} else {
			free(u->doc_uri);
			u->doc_uri = NULL;
		}
	}
	free(docenc);
	free(xuienc);
	if (!u->doc_uri)
		return fail(r, 500, "out of memory", u, segs, nseg);
	for (i = 0; i < nseg; i++)
		free(segs[i]);
	*out = u;
	return 0;
}
