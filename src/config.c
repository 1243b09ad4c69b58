/*
 * config.c - the configuration parser and typed access over the settings
 * table of config_table.c.
 *
 * The parser reads a buffer, so tests feed it from memory; every error is
 * reported once as "name:line: message".  Values are validated against the
 * row's type and bounds when parsed, never later, so a struct conf that
 * parsed without error only holds legal values.
 */
#include "config.h"
#include "src/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conf_value {
	char *str;     /* the text as written (strings, and the source of ints) */
	int64_t num;   /* parsed INT, DURATION, SIZE, BOOL, LEVEL */
	int line;      /* line that set it; 0 for the default or -o */
};

struct conf {
	struct conf_value *v;   /* conf_table_len entries */
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Parse `text` as a value of row `s`.  Returns 0 or -1 with a message
 * (without location) in why. */
static int value_parse(const struct conf_setting *s, const char *text,
		       int64_t *num, char *why, size_t whylen)
{
	char *end;
	long long n;
	int64_t mult = 1;

	switch (s->type) {
	case CONF_STRING:
		*num = 0;
		return 0;
	case CONF_BOOL:
		if (!strcasecmp(text, "yes") || !strcasecmp(text, "true") ||
		    !strcasecmp(text, "on") || !strcmp(text, "1")) {
			*num = 1;
			return 0;
		}
		if (!strcasecmp(text, "no") || !strcasecmp(text, "false") ||
		    !strcasecmp(text, "off") || !strcmp(text, "0")) {
			*num = 0;
			return 0;
		}
		errf(why, whylen, "%s: expected yes or no, got '%s'", s->name, text);
		return -1;
	case CONF_LEVEL: {
		enum log_level l;
		if (log_level_parse(text, &l) < 0) {
			errf(why, whylen,
			     "%s: expected err, warn, notice, info or debug, got '%s'",
			     s->name, text);
			return -1;
		}
		*num = l;
		return 0;
	}
	case CONF_INT:
	case CONF_DURATION:
	case CONF_SIZE:
		break;
	}

	errno = 0;
	if (!isdigit((unsigned char)text[0]) && text[0] != '-')
		goto bad;
	n = strtoll(text, &end, 10);
	if (errno == ERANGE || end == text)
		goto bad;
	if (*end) {
		char u = (char)tolower((unsigned char)*end);
		if (end[1] != '\0')
			goto bad;
		if (s->type == CONF_DURATION) {
			if (u == 's') mult = 1;
			else if (u == 'm') mult = 60;
			else if (u == 'h') mult = 3600;
			else if (u == 'd') mult = 86400;
			else goto bad;
		} else if (s->type == CONF_SIZE) {
			if (u == 'k') mult = 1024;
			else if (u == 'm') mult = 1024 * 1024;
			else if (u == 'g') mult = 1024 * 1024 * 1024;
			else goto bad;
		} else {
			goto bad;
		}
	}
	if (n > INT64_MAX / mult || n < INT64_MIN / mult)
		goto range;
	n *= mult;
	if (n < s->min || n > s->max)
		goto range;
	*num = n;
	return 0;
bad:
	errf(why, whylen, "%s: '%s' is not a valid %s", s->name, text,
	     s->type == CONF_DURATION ? "duration (e.g. 30, 5m, 1h, 1d)" :
	     s->type == CONF_SIZE ? "size (e.g. 65536, 64k, 1m)" : "integer");
	return -1;
range:
	errf(why, whylen, "%s: %s is out of range [%lld, %lld]", s->name, text,
	     (long long)s->min, (long long)s->max);
	return -1;
}

static int conf_set(struct conf *c, int idx, const char *text, int line,
		    char *why, size_t whylen)
{
	int64_t num;
	char *dup;

	if (value_parse(&conf_table[idx], text, &num, why, whylen) < 0)
		return -1;
	dup = strdup(text);
	if (!dup) {
		errf(why, whylen, "out of memory");
		return -1;
	}
	free(c->v[idx].str);
	c->v[idx].str = dup;
	c->v[idx].num = num;
	c->v[idx].line = line;
	return 0;
}

struct conf *conf_new(void)
{
	struct conf *c = calloc(1, sizeof(*c));
	char why[256];

	if (!c)
		return NULL;
	c->v = calloc(conf_table_len, sizeof(*c->v));
	if (!c->v)
		goto fail;
	for (size_t i = 0; i < conf_table_len; i++) {
		if (conf_set(c, (int)i, conf_table[i].def, 0, why, sizeof(why)) < 0) {
			/* A default that fails its own bounds is a bug in the
			 * table; check_config catches it. */
			fprintf(stderr, "presenced: bad default: %s\n", why);
			abort();
		}
	}
	return c;
fail:
	conf_free(c);
	return NULL;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	if (c->v)
		for (size_t i = 0; i < conf_table_len; i++)
			free(c->v[i].str);
	free(c->v);
	free(c);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Parse the value part of a line (after '=') into out.  Handles "quoted"
 * values with \" and \\ escapes and trailing comments. */
static int line_value(const char *p, const char *end, char *out, size_t outlen,
		      char *why, size_t whylen)
{
	size_t o = 0;

	p = skip_ws(p, end);
	if (p < end && *p == '"') {
		p++;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
				p++;
			if (o + 1 >= outlen)
				goto toolong;
			out[o++] = *p++;
		}
		if (p >= end) {
			errf(why, whylen, "unterminated quoted value");
			return -1;
		}
		p = skip_ws(p + 1, end);
		if (p < end && *p != '#' && *p != ';') {
			errf(why, whylen, "text after a quoted value");
			return -1;
		}
		out[o] = '\0';
		return 0;
	}
	while (p < end && *p != '#' && *p != ';') {
		if (o + 1 >= outlen)
			goto toolong;
		out[o++] = *p++;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
	return 0;
toolong:
	errf(why, whylen, "value too long");
	return -1;
}

int conf_parse_buffer(struct conf *c, const char *name, const char *buf,
		      size_t len, char *err, size_t errlen)
{
	char section[64] = "";
	char value[4096];
	char why[512];
	char *seen;
	const char *p = buf, *end = buf + len;
	int line = 0, rc = -1;

	seen = calloc(conf_table_len, 1);
	if (!seen) {
		errf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		const char *q;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le > p && memchr(p, '\0', (size_t)(le - p))) {
			errf(err, errlen, "%s:%d: NUL byte in line", name, line);
			goto out;
		}
		q = skip_ws(p, le);
		if (q == le || *q == '#' || *q == ';') {
			/* blank or comment */
		} else if (*q == '[') {
			const char *close = le > q ? memchr(q, ']', (size_t)(le - q)) : NULL;
			size_t n;
			if (!close) {
				errf(err, errlen, "%s:%d: missing ']' in section header",
				     name, line);
				goto out;
			}
			n = (size_t)(close - q - 1);
			if (n == 0 || n >= sizeof(section)) {
				errf(err, errlen, "%s:%d: bad section name", name, line);
				goto out;
			}
			memcpy(section, q + 1, n);
			section[n] = '\0';
			q = skip_ws(close + 1, le);
			if (q != le && *q != '#' && *q != ';') {
				errf(err, errlen, "%s:%d: text after section header",
				     name, line);
				goto out;
			}
			/* A section no setting lives in is a typo. */
			bool known = false;
			size_t sl = strlen(section);
			for (size_t i = 0; i < conf_table_len && !known; i++)
				known = strncmp(conf_table[i].name, section, sl) == 0 &&
					conf_table[i].name[sl] == '.';
			if (!known) {
				errf(err, errlen, "%s:%d: unknown section [%s]", name,
				     line, section);
				goto out;
			}
		} else {
			const char *k = q, *ke;
			char full[160];
			int idx;

			while (q < le && (isalnum((unsigned char)*q) || *q == '_' ||
					  *q == '-' || *q == '.'))
				q++;
			ke = q;
			q = skip_ws(q, le);
			if (ke == k || q >= le || *q != '=') {
				errf(err, errlen, "%s:%d: expected 'key = value'", name,
				     line);
				goto out;
			}
			if (!section[0]) {
				errf(err, errlen, "%s:%d: setting outside a [section]",
				     name, line);
				goto out;
			}
			if ((size_t)snprintf(full, sizeof(full), "%s.%.*s", section,
					     (int)(ke - k), k) >= sizeof(full)) {
				errf(err, errlen, "%s:%d: key too long", name, line);
				goto out;
			}
			idx = conf_table_find(full, strlen(full));
			if (idx < 0) {
				errf(err, errlen, "%s:%d: unknown setting '%s'", name,
				     line, full);
				goto out;
			}
			if (seen[idx]) {
				errf(err, errlen, "%s:%d: '%s' already set on line %d",
				     name, line, full, c->v[idx].line);
				goto out;
			}
			if (line_value(q + 1, le, value, sizeof(value), why,
				       sizeof(why)) < 0 ||
			    conf_set(c, idx, value, line, why, sizeof(why)) < 0) {
				errf(err, errlen, "%s:%d: %s", name, line, why);
				goto out;
			}
			seen[idx] = 1;
		}
		p = eol ? eol + 1 : end;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

int conf_parse_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (!f) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;
			if (ncap > 16 * 1024 * 1024) {
				errf(err, errlen, "%s: file too large", path);
				goto out;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				errf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		errf(err, errlen, "%s: read error", path);
		goto out;
	}
	rc = conf_parse_buffer(c, path, buf, len, err, errlen);
out:
	free(buf);
	fclose(f);
	return rc;
}

int conf_override(struct conf *c, const char *assignment, char *err,
		  size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	char why[512];
	size_t klen;
	int idx;

	if (!eq || eq == assignment) {
		errf(err, errlen, "-o %s: expected section.key=value", assignment);
		return -1;
	}
	klen = (size_t)(eq - assignment);
	while (klen > 0 && assignment[klen - 1] == ' ')
		klen--;
	idx = conf_table_find(assignment, klen);
	if (idx < 0) {
		errf(err, errlen, "-o: unknown setting '%.*s'", (int)klen, assignment);
		return -1;
	}
	const char *v = eq + 1;
	while (*v == ' ')
		v++;
	if (conf_set(c, idx, v, 0, why, sizeof(why)) < 0) {
		errf(err, errlen, "-o: %s", why);
		return -1;
	}
	return 0;
}

static int idx_of(const char *key, enum conf_type type)
{
	int idx = conf_table_find(key, strlen(key));

	if (idx < 0 || (conf_table[idx].type != type &&
			!(type == CONF_INT && (conf_table[idx].type == CONF_DURATION ||
					       conf_table[idx].type == CONF_SIZE ||
					       conf_table[idx].type == CONF_LEVEL)))) {
		fprintf(stderr, "presenced: internal error: setting '%s' %s\n", key,
			idx < 0 ? "does not exist" : "read with the wrong type");
		abort();
	}
	return idx;
}

const char *conf_str(const struct conf *c, const char *key)
{
	int idx = conf_table_find(key, strlen(key));

	if (idx < 0) {
		fprintf(stderr, "presenced: internal error: setting '%s' does not exist\n",
			key);
		abort();
	}
	return c->v[idx].str;
}

int64_t conf_int(const struct conf *c, const char *key)
{
	return c->v[idx_of(key, CONF_INT)].num;
}

bool conf_bool(const struct conf *c, const char *key)
{
	return c->v[idx_of(key, CONF_BOOL)].num != 0;
}

int conf_validate(const struct conf *c, char *err, size_t errlen)
{
	const char *cert = conf_str(c, "tls.cert"), *key = conf_str(c, "tls.key");

	if (!conf_str(c, "server.domains")[0]) {
		errf(err, errlen, "server.domains: at least one domain is required");
		return -1;
	}
	if (!conf_str(c, "store.path")[0]) {
		errf(err, errlen, "store.path: must not be empty");
		return -1;
	}
	if (!!cert[0] != !!key[0]) {
		errf(err, errlen, "tls.cert and tls.key must be set together");
		return -1;
	}
	if (conf_str(c, "xcap.root")[0] != '/') {
		errf(err, errlen, "xcap.root: must be an absolute path, e.g. /xcap-root");
		return -1;
	}
	return 0;
}

int conf_apply_reloadable(struct conf *dst, const struct conf *src)
{
	int changed = 0;

	for (size_t i = 0; i < conf_table_len; i++) {
		char *dup;
		if (!conf_table[i].reloadable ||
		    strcmp(dst->v[i].str, src->v[i].str) == 0)
			continue;
		dup = strdup(src->v[i].str);
		if (!dup)
			continue;
		free(dst->v[i].str);
		dst->v[i] = src->v[i];
		dst->v[i].str = dup;
		changed++;
	}
	return changed;
}

void conf_dump(const struct conf *c, void (*emit)(const char *line, void *arg),
	       void *arg)
{
	char line[4300];

	for (size_t i = 0; i < conf_table_len; i++) {
		const char *v = c->v[i].str;
		if (conf_table[i].secret && v[0])
			v = "(set)";
		snprintf(line, sizeof(line), "%s = %s", conf_table[i].name, v);
		emit(line, arg);
	}
}

int conf_split_list(const char *value, char *buf, size_t buflen,
		    const char **items, int max)
{
	size_t o = 0;
	int n = 0;
	const char *p = value;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (n >= max)
			return -1;
		items[n++] = buf + o;
		while (*p && *p != ' ' && *p != '\t' && *p != ',') {
			if (o + 1 >= buflen)
				return -1;
			buf[o++] = *p++;
		}
		if (o + 1 > buflen)
			return -1;
		buf[o++] = '\0';
	}
	return n;
}
