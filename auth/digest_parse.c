/*
 * digest_parse.c - parse Digest credentials (Authorization and
 * Proxy-Authorization values) into struct auth_digest_cred.
 *
 * Grammar (RFC 7235 section 2.1, RFC 7230 section 3.2.6, RFC 3261 clause
 * 25.1, RFC 7616 section 3.4):
 *
 *   credentials   = "Digest" LWS auth-param *( LWS "," LWS auth-param )
 *   auth-param    = token LWS "=" LWS ( token / quoted-string )
 *   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / %x80-FF
 *   quoted-pair   = "\" ( HTAB / SP / %x21-7E / %x80-FF )
 *
 * where LWS here is SP / HTAB, plus SIP's CRLF line folding.  Every byte
 * is hostile: the parser walks [value, value + len) once, writes only into
 * the fixed-size fields of the output, and fails on anything it does not
 * expect rather than guessing.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"

/* The parameters we read; the bit of each is its index in `fields`. */
#define FIELD(name) { #name, offsetof(struct auth_digest_cred, name), \
		      sizeof(((struct auth_digest_cred *)0)->name) }
static const struct field {
	const char *name;
	size_t off, size;
} fields[] = {
	FIELD(username), FIELD(realm), FIELD(nonce), FIELD(uri),
	FIELD(response), FIELD(algorithm), FIELD(cnonce), FIELD(qop),
	FIELD(nc), FIELD(opaque),
	{ "userhash", 0, 0 },   /* boolean, handled apart */
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))
#define BIT(i) (1u << (i))
enum { F_USERNAME, F_REALM, F_NONCE, F_URI, F_RESPONSE, F_ALGORITHM,
       F_CNONCE, F_QOP, F_NC, F_OPAQUE, F_USERHASH };

/* RFC 7230 3.2.6 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Skip SP, HTAB and CRLF followed by SP/HTAB (RFC 3261 25.1 LWS).
 * Returns true when something was skipped. */
static bool skip_lws(const char **pp, const char *end)
{
	const char *p = *pp, *start = *pp;

	for (;;) {
		if (p < end && (*p == ' ' || *p == '\t'))
			p++;
		else if (end - p >= 3 && p[0] == '\r' && p[1] == '\n' &&
			 (p[2] == ' ' || p[2] == '\t'))
			p += 3;
		else
			break;
	}
	*pp = p;
	return p != start;
}

/* Append one byte to dst (size bytes with the NUL), or count it when dst
 * is NULL.  Fails when the value does not fit. */
static int emit(char *dst, size_t size, size_t *n, char c)
{
	if (dst != NULL) {
		if (*n + 1 >= size)
			return -1;
		dst[*n] = c;
		dst[*n + 1] = '\0';
	}
	(*n)++;
	return 0;
}

/* Read a token or a quoted-string at *pp into dst (unescaped; NULL to
 * discard).  Returns 0 and advances *pp, or -1 on bad syntax or length. */
static int get_value(const char **pp, const char *end, char *dst,
		     size_t size)
{
	const char *p = *pp;
	size_t n = 0;

	if (dst != NULL)
		dst[0] = '\0';
	if (p >= end)
		return -1;
	if (*p != '"') {
		while (p < end && is_tchar((unsigned char)*p))
			if (emit(dst, size, &n, *p++) < 0)
				return -1;
		if (n == 0)
			return -1;
		*pp = p;
		return 0;
	}
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*pp = p + 1;
			return 0;
		}
		if (c == '\\') {
			if (++p >= end)
				return -1;
			c = (unsigned char)*p;
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				return -1;
		} else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
			return -1;   /* CR, LF, NUL and friends */
		}
		if (emit(dst, size, &n, (char)c) < 0)
			return -1;
	}
	return -1;                   /* no closing quote */
}

static int field_index(const char *name, size_t len)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (strlen(fields[i].name) == len &&
		    strncasecmp(fields[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Read one auth-param and store it.  `seen` has a bit per known field. */
static int get_param(const char **pp, const char *end,
		     struct auth_digest_cred *out, unsigned *seen)
{
	const char *p = *pp, *name = p;
	char flag[8];
	char *dst = NULL;
	size_t size = 0;
	int i;

	while (p < end && is_tchar((unsigned char)*p))
		p++;
	if (p == name)
		return -1;
	i = field_index(name, (size_t)(p - name));
	skip_lws(&p, end);
	if (p >= end || *p != '=')
		return -1;
	p++;
	skip_lws(&p, end);
	if (i >= 0) {
		/* A parameter sent twice is ambiguous: refuse, never pick. */
		if (*seen & BIT(i))
			return -1;
		*seen |= BIT(i);
		if (i == F_USERHASH) {
			dst = flag;
			size = sizeof(flag);
		} else {
			dst = (char *)out + fields[i].off;
			size = fields[i].size;
		}
	}
	if (get_value(&p, end, dst, size) < 0)
		return -1;
	if (i == F_USERHASH) {
		/* RFC 7616 3.4: userhash = "true" / "false". */
		if (strcasecmp(flag, "true") == 0)
			out->userhash = true;
		else if (strcasecmp(flag, "false") != 0)
			return -1;
	}
	*pp = p;
	return 0;
}

/* Derived fields and cross-field rules, once every parameter is read. */
static int finish(struct auth_digest_cred *c, unsigned seen)
{
	static const unsigned required = BIT(F_USERNAME) | BIT(F_REALM) |
		BIT(F_NONCE) | BIT(F_URI) | BIT(F_RESPONSE);
	static const struct {
		const char *name;
		enum auth_digest_alg alg;
		bool sess;
	} algs[] = {
		{ "MD5", AUTH_DIGEST_MD5, false },
		{ "MD5-sess", AUTH_DIGEST_MD5, true },
		{ "SHA-256", AUTH_DIGEST_SHA256, false },
		{ "SHA-256-sess", AUTH_DIGEST_SHA256, true },
	};

	/* Present is required; empty is allowed (the TS 24.109 first request
	 * to a BSF carries nonce="" and response=""); verify refuses it. */
	if ((seen & required) != required)
		return -1;
	/* RFC 7616 3.4: cnonce and nc MUST accompany qop. */
	if ((seen & BIT(F_QOP)) &&
	    (!(seen & BIT(F_CNONCE)) || !(seen & BIT(F_NC))))
		return -1;
	/* nc-value = 8LHEX (either case accepted; it is hashed as sent). */
	if (seen & BIT(F_NC)) {
		if (strlen(c->nc) != 8)
			return -1;
		for (int i = 0; i < 8; i++) {
			char ch = c->nc[i];
			unsigned v;

			if (ch >= '0' && ch <= '9')
				v = (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v = (unsigned)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				v = (unsigned)(ch - 'A' + 10);
			else
				return -1;
			c->nc_value = c->nc_value << 4 | v;
		}
	}
	for (const char *r = c->response; *r; r++)
		if (!strchr("0123456789abcdefABCDEF", *r))
			return -1;
	/* RFC 7616 3.3: no algorithm means MD5.  Unknown ones are kept for
	 * auth_digest_verify() to refuse, not a syntax error. */
	if (!(seen & BIT(F_ALGORITHM))) {
		c->alg_known = true;
		c->alg = AUTH_DIGEST_MD5;
	}
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if ((seen & BIT(F_ALGORITHM)) &&
		    strcasecmp(c->algorithm, algs[i].name) == 0) {
			c->alg_known = true;
			c->alg = algs[i].alg;
			c->sess = algs[i].sess;
		}
	return 0;
}

int auth_digest_parse(const char *value, size_t len,
		      struct auth_digest_cred *out)
{
	const char *p = value, *end = value + len;
	unsigned seen = 0;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (value == NULL)
		return -EINVAL;
	skip_lws(&p, end);
	/* The scheme is case-insensitive (RFC 7235 2.1). */
	if (end - p < 6 || strncasecmp(p, "Digest", 6) != 0)
		goto bad;
	p += 6;
	if (!skip_lws(&p, end))
		goto bad;
	for (;;) {
		if (get_param(&p, end, out, &seen) < 0)
			goto bad;
		skip_lws(&p, end);
		if (p == end)
			break;
		/* Empty list elements and trailing commas are refused. */
		if (*p != ',')
			goto bad;
		p++;
		skip_lws(&p, end);
	}
	if (finish(out, seen) < 0)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}
