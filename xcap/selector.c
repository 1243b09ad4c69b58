/*
 * selector.c - XCAP node selectors (RFC 4825 6.3), parsed by hand from
 * the ABNF and evaluated directly on the libxml2 tree (no XPath engine,
 * so nothing in a URI is ever interpreted as an expression):
 *
 *   node-selector  = element-selector ["/" terminal-selector]
 *   element-selector = step *( "/" step )
 *   step           = by-name / by-pos / by-attr / by-pos-attr
 *   by-pos         = NameorAny "[" position "]"
 *   by-attr        = NameorAny "[" attr-test "]"
 *   by-pos-attr    = NameorAny "[" position "]" "[" attr-test "]"
 *   attr-test      = "@" att-name "=" att-value        ; AttValue, XML 1.0
 *   terminal-selector = attribute-selector / namespace-selector
 *
 * Extension selectors are not supported (a malformed selector: 400).
 * Evaluation follows XPath 1.0 as RFC 4825 6.3 requires: each step maps
 * the current node set to the element children passing the name test,
 * the position predicate counts among those (1-based, document order),
 * the attribute predicate filters after it.  Unprefixed element names are
 * in the AUID's default namespace (RFC 4825 6.3 / 5.2); unprefixed
 * attribute names are in no namespace, as in XML.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xcap/res_int.h"

static void step_clear(struct xcap_step *st)
{
	free(st->prefix);
	free(st->name);
	free(st->att_prefix);
	free(st->att_name);
	free(st->att_value);
	free(st->text);
}

void xcap_sel_free(struct xcap_sel *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		step_clear(&s->steps[i]);
	free(s->steps);
	free(s->term_prefix);
	free(s->term_name);
	free(s);
}

static bool name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static bool name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-';
}

/* QName at *p: sets prefix (or NULL) and local name.  -1 if none. */
static int parse_qname(const char **p, char **prefix, char **local)
{
	const char *s = *p, *colon = NULL;

	if (!name_start((unsigned char)*s))
		return -1;
	while (name_char((unsigned char)*s) ||
	       (*s == ':' && !colon && name_start((unsigned char)s[1]))) {
		if (*s == ':')
			colon = s;
		s++;
	}
	if (colon) {
		*prefix = strndup(*p, (size_t)(colon - *p));
		*local = strndup(colon + 1, (size_t)(s - colon - 1));
	} else {
		*prefix = NULL;
		*local = strndup(*p, (size_t)(s - *p));
	}
	if (!*local || (colon && !*prefix))
		goto bad;
	/* The byte test above lets any non-ASCII byte through; a name that
	 * a PUT may write into the document must be an XML NCName. */
	if (xmlValidateNCName(BAD_CAST *local, 0) != 0 ||
	    (*prefix && xmlValidateNCName(BAD_CAST *prefix, 0) != 0))
		goto bad;
	*p = s;
	return 0;
bad:
	free(*prefix);
	free(*local);
	*prefix = *local = NULL;
	return -1;
}

/* XML 1.0 [2] Char: what a document may contain at all, literally or as
 * a character reference (WFC: Legal Character). */
static bool xml_char(unsigned long cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD ||
	       (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
	       (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* Append the UTF-8 encoding of code point cp. */
static int put_utf8(char **o, unsigned long cp)
{
	char *d = *o;

	if (!xml_char(cp))
		return -1;
	if (cp < 0x80) {
		*d++ = (char)cp;
	} else if (cp < 0x800) {
		*d++ = (char)(0xC0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xE0 | cp >> 12);
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*d++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*d++ = (char)(0xF0 | cp >> 18);
		*d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*d++ = (char)(0x80 | (cp & 0x3F));
	}
	*o = d;
	return 0;
}

/* AttValue (XML 1.0 [10]) at *p, quotes " or ', predefined and character
 * references decoded.  -1 when malformed. */
static int parse_attvalue(const char **p, char **out)
{
	const char *s = *p;
	char q = *s, *o, *buf;

	if (q != '"' && q != '\'')
		return -1;
	s++;
	buf = o = malloc(strlen(s) + 1);
	if (!buf)
		return -1;
	for (; *s && *s != q; s++) {
		const unsigned char *c = (const unsigned char *)s;

		/* Only XML Chars: a control character or U+FFFE/U+FFFF
		 * (EF BF BE/BF; the input is valid UTF-8) put into an
		 * attribute would make the stored document ill-formed. */
		if (*s == '<' || (*c < 0x20 && !xml_char(*c)) ||
		    (c[0] == 0xEF && c[1] == 0xBF &&
		     (c[2] == 0xBE || c[2] == 0xBF)))
			goto bad;
		if (*s != '&') {
			*o++ = *s;
			continue;
		}
		if (s[1] == '#') {
			/* XML 1.0 [66]: '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'
			 * (strtoul would also take a sign, blanks or "0x"). */
			bool hex = s[2] == 'x';
			const char *e = s + (hex ? 3 : 2), *d = e;
			unsigned long cp = 0;

			for (; hex ? isxdigit((unsigned char)*e)
				   : isdigit((unsigned char)*e); e++) {
				cp = cp * (hex ? 16 : 10) +
				     (unsigned long)(isdigit((unsigned char)*e)
					? *e - '0'
					: (tolower((unsigned char)*e) - 'a' + 10));
				if (cp > 0x10FFFF)
					goto bad;
			}
			if (e == d || *e != ';' || put_utf8(&o, cp) < 0)
				goto bad;
			s = e;
		} else {
			static const struct { const char *n; char c; } ent[] = {
				{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
				{ "quot;", '"' }, { "apos;", '\'' },
			};
			size_t i;

			for (i = 0; i < 5; i++)
				if (!strncmp(s + 1, ent[i].n, strlen(ent[i].n)))
					break;
			if (i == 5)
				goto bad;
			*o++ = ent[i].c;
			s += strlen(ent[i].n);
		}
	}
	if (*s != q)
		goto bad;
	*o = '\0';
	*out = buf;
	*p = s + 1;
	return 0;
bad:
	free(buf);
	return -1;
}

/* One step; text is NUL-terminated and holds exactly the step. */
static int parse_step(const char *text, struct xcap_step *st)
{
	const char *p = text;

	if (*p == '*') {
		p++;
	} else if (parse_qname(&p, &st->prefix, &st->name) < 0) {
		return -1;
	}
	if (*p == '[' && p[1] >= '0' && p[1] <= '9') {
		char *e;
		unsigned long v = strtoul(p + 1, &e, 10);

		if (*e != ']' || v == 0 || v > 100000)
			return -1;
		st->pos = (unsigned)v;
		p = e + 1;
	}
	if (*p == '[' && p[1] == '@') {
		p += 2;
		if (parse_qname(&p, &st->att_prefix, &st->att_name) < 0 ||
		    *p++ != '=' || parse_attvalue(&p, &st->att_value) < 0 ||
		    *p++ != ']')
			return -1;
	}
	return *p ? -1 : 0;
}

/* Split at '/' outside quoted attribute values. */
static const char *next_slash(const char *p)
{
	char q = 0;

	for (; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '/') {
			return p;
		}
	}
	return q ? NULL : p;
}

int xcap_sel_parse(const char *text, struct xcap_sel **out)
{
	struct xcap_sel *s = calloc(1, sizeof(*s));
	const char *p = text;
	int rc = -1;

	*out = NULL;
	if (!s)
		return -1;
	s->kind = XCAP_NODE_ELEMENT;
	while (*p) {
		const char *e = next_slash(p);
		char *tok;
		struct xcap_step *ns;

		if (!e || e == p)
			goto out;
		tok = strndup(p, (size_t)(e - p));
		if (!tok)
			goto out;
		p = *e ? e + 1 : e;
		if (*e && !*p) {        /* trailing '/' */
			free(tok);
			goto out;
		}
		if (!*p && tok[0] == '@') {
			const char *q = tok + 1;

			if (s->n == 0 ||
			    parse_qname(&q, &s->term_prefix, &s->term_name) < 0
			    || *q) {
				free(tok);
				goto out;
			}
			s->kind = XCAP_NODE_ATTRIBUTE;
			free(tok);
			break;
		}
		if (!*p && strcmp(tok, "namespace::*") == 0) {
			free(tok);
			if (s->n == 0)
				goto out;
			s->kind = XCAP_NODE_NAMESPACE;
			break;
		}
		ns = realloc(s->steps, (s->n + 1) * sizeof(*ns));
		if (!ns) {
			free(tok);
			goto out;
		}
		s->steps = ns;
		ns = &s->steps[s->n++];
		memset(ns, 0, sizeof(*ns));
		ns->text = tok;
		if (parse_step(tok, ns) < 0)
			goto out;
	}
	if (s->n == 0)
		goto out;
	rc = 0;
	*out = s;
	s = NULL;
out:
	xcap_sel_free(s);
	return rc;
}

const char *xcap_sel_ns(const struct xcap_uri *u, const char *prefix)
{
	size_t i;

	if (!prefix)
		return u->app->default_ns;
	for (i = 0; i < u->n_ns; i++)
		if (strcmp(u->ns[i].prefix, prefix) == 0)
			return u->ns[i].uri;
	return NULL;
}

bool xcap_sel_step_test(const struct xcap_uri *u, const struct xcap_step *st,
			xmlNodePtr el)
{
	if (el->type != XML_ELEMENT_NODE)
		return false;
	if (st->name) {
		const char *ns = xcap_sel_ns(u, st->prefix);
		const char *have = el->ns ? (const char *)el->ns->href : NULL;

		if (strcmp((const char *)el->name, st->name) != 0)
			return false;
		if (!ns || !have || strcmp(ns, have) != 0)
			return false;
	}
	if (st->att_name) {
		xmlChar *v;
		bool ok;

		if (st->att_prefix) {
			const char *ans = xcap_sel_ns(u, st->att_prefix);

			v = ans ? xmlGetNsProp(el, BAD_CAST st->att_name,
					       BAD_CAST ans) : NULL;
		} else {
			v = xmlGetNoNsProp(el, BAD_CAST st->att_name);
		}
		ok = v && strcmp((const char *)v, st->att_value) == 0;
		xmlFree(v);
		if (!ok)
			return false;
	}
	return true;
}

/* Name test only (for position counting). */
static bool name_test(const struct xcap_uri *u, const struct xcap_step *st,
		      xmlNodePtr el)
{
	struct xcap_step t = *st;

	t.att_name = NULL;
	return xcap_sel_step_test(u, &t, el);
}

size_t xcap_sel_eval(const struct xcap_uri *u, const struct xcap_sel *s,
		     size_t nsteps, xmlDocPtr doc, xmlNodePtr *one)
{
	xmlNodePtr *set = malloc(sizeof(*set)), *next = NULL;
	size_t n = 1, i, j;

	*one = NULL;
	if (!set)
		return 0;
	set[0] = (xmlNodePtr)doc;
	for (i = 0; i < nsteps && n; i++) {
		const struct xcap_step *st = &s->steps[i];
		size_t cap = 0, m = 0;

		for (j = 0; j < n; j++) {
			xmlNodePtr c;
			unsigned k = 0;

			for (c = set[j]->children; c; c = c->next) {
				if (!name_test(u, st, c))
					continue;
				k++;
				if (st->pos && k != st->pos)
					continue;
				if (!xcap_sel_step_test(u, st, c))
					continue;
				if (m == cap) {
					xmlNodePtr *t;

					cap = cap ? 2 * cap : 8;
					t = realloc(next, cap * sizeof(*t));
					if (!t) {
						m = 0;
						goto oom;
					}
					next = t;
				}
				next[m++] = c;
			}
		}
oom:
		free(set);
		set = next;
		next = NULL;
		n = m;
	}
	if (n == 1)
		*one = set[0];
	free(set);
	return n;
}

char *xcap_sel_uri(const struct xcap_uri *u, const struct xcap_sel *s,
		   size_t n)
{
	size_t len = strlen(u->doc_uri) + 8, i;
	char **enc, *out = NULL;

	enc = calloc(n ? n : 1, sizeof(*enc));
	if (!enc)
		return NULL;
	for (i = 0; i < n; i++) {
		enc[i] = xcap_uri_encode(s->steps[i].text, false);
		if (!enc[i])
			goto out;
		len += strlen(enc[i]) + 1;
	}
	out = malloc(len);
	if (!out)
		goto out;
	strcpy(out, u->doc_uri);
	if (n)
		strcat(out, "/~~");
	for (i = 0; i < n; i++) {
		strcat(out, "/");
		strcat(out, enc[i]);
	}
out:
	for (i = 0; i < n; i++)
		free(enc[i]);
	free(enc);
	return out;
}

int xcap_attvalue_decode(const uint8_t *body, size_t len, char **out)
{
	const char quotes[] = "\"'";
	size_t i;

	*out = NULL;
	if (memchr(body, '\0', len))
		return -1;
	for (i = 0; i < 2; i++) {
		char *q = malloc(len + 3);
		const char *p = q;
		int rc;

		if (!q)
			return -1;
		q[0] = quotes[i];
		memcpy(q + 1, body, len);
		q[len + 1] = quotes[i];
		q[len + 2] = '\0';
		rc = parse_attvalue(&p, out);
		if (rc == 0 && *p) {
			free(*out);
			*out = NULL;
			rc = -1;
		}
		free(q);
		if (rc == 0)
			return 0;
	}
	return -1;
}
