/*
 * ctl_subscriber.c - `presencectl subscriber add|list|show|delete`.
 *
 * A subscriber is one private identity (IMPI) with its AKA keys (K, OPc,
 * AMF, SQN: TS 33.102 / TS 35.206) and optionally a password, from which
 * the Digest HA1 values are derived at once so the password itself is
 * never stored.  Secrets are never printed: `show` says only whether they
 * are set.
 */
#include "config.h"
#include "src/core.h"
#include "src/ctl.h"
#include "db/db.h"
#include "auth/auth.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMPUS 32

int ctl_check_impi(const char *impi, char *why, size_t whylen)
{
	const char *at = strchr(impi, '@');
	size_t len = strlen(impi);

	if (len == 0 || len >= 256) {
		snprintf(why, whylen, "IMPI must be 1 to 255 characters");
		return -1;
	}
	if (!at || at == impi || !at[1] || strchr(at + 1, '@')) {
		snprintf(why, whylen, "IMPI '%s' is not of the form user@realm", impi);
		return -1;
	}
	for (const char *p = impi; *p; p++) {
		if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\\' ||
		    *p == ':') {
			snprintf(why, whylen, "IMPI '%s' has a character not allowed in a NAI",
				 impi);
			return -1;
		}
	}
	return 0;
}

/* RFC 3261 25.1 host: labels of alphanumerics and '-', separated by '.',
 * or an IPv4 address, or a bracketed IPv6 reference. */
static bool host_ok(const char *h, size_t n)
{
	if (n == 0)
		return false;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']';
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '.')
			return false;
		if (ch == '.' && (i == 0 || h[i - 1] == '.'))
			return false;
	}
	return h[0] != '-' && h[n - 1] != '-';
}

int ctl_check_impu(const char *uri, char *why, size_t whylen)
{
	size_t len = strlen(uri);
	const char *rest, *at, *end;

	if (len == 0 || len >= 256)
		goto bad;
	for (const char *p = uri; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '<' || *p == '>' ||
		    *p == '"')
			goto bad;
	if (strncasecmp(uri, "tel:", 4) == 0) {
		/* RFC 3966: a global number, digits and visual separators. */
		rest = uri + 4;
		if (*rest != '+' || !isdigit((unsigned char)rest[1]))
			goto bad;
		for (const char *p = rest + 1; *p && *p != ';'; p++)
			if (!isdigit((unsigned char)*p) && *p != '-' && *p != '.' &&
			    *p != '(' && *p != ')')
				goto bad;
		return 0;
	}
	if (strncasecmp(uri, "sip:", 4) == 0)
		rest = uri + 4;
	else if (strncasecmp(uri, "sips:", 5) == 0)
		rest = uri + 5;
	else
		goto bad;
	end = rest + strcspn(rest, ";?");
	at = memchr(rest, '@', (size_t)(end - rest));
	if (!at || at == rest)
		goto bad;
	if (memchr(at + 1, '@', (size_t)(end - at - 1)))
		goto bad;
	/* Port is allowed but a public identity normally has none. */
	const char *host = at + 1;
	const char *colon = memchr(host, ':', (size_t)(end - host));
	if (host[0] == '[')
		colon = NULL;
	if (!host_ok(host, (size_t)((colon ? colon : end) - host)))
		goto bad;
	return 0;
bad:
	snprintf(why, whylen,
		 "'%s' is not a public identity (sip:user@domain, sips:... or tel:+number)",
		 uri);
	return -1;
}

static int hex_field(const char *name, const char *hex, uint8_t *out, size_t len,
		     char *why, size_t whylen)
{
	if (util_hex_decode(hex, out, len) < 0) {
		snprintf(why, whylen, "--%s must be %zu hex digits", name, 2 * len);
		return -1;
	}
	return 0;
}

int ctl_subscriber_fill(const struct ctl_sub_args *a, struct db_subscriber *s,
			char *why, size_t whylen)
{
	uint8_t op_bin[DB_KEY_LEN], sqn_bin[6];
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (ctl_check_impi(a->impi, why, whylen) < 0)
		return -1;
	if (a->n_impus == 0) {
		snprintf(why, whylen, "at least one public identity is needed");
		return -1;
	}
	for (size_t i = 0; i < a->n_impus; i++) {
		if (ctl_check_impu(a->impus[i], why, whylen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->impus[i], a->impus[j]) == 0) {
				snprintf(why, whylen, "public identity %s given twice",
					 a->impus[i]);
				return -1;
			}
	}
	if (hex_field("k", a->k, s->k, DB_KEY_LEN, why, whylen) < 0 ||
	    hex_field("amf", a->amf ? a->amf : "8000", s->amf, DB_AMF_LEN, why,
		      whylen) < 0 ||
	    hex_field("sqn", a->sqn ? a->sqn : "000000000000", sqn_bin,
		      sizeof(sqn_bin), why, whylen) < 0)
		goto out;
	if (a->opc) {
		if (hex_field("opc", a->opc, s->opc, DB_KEY_LEN, why, whylen) < 0)
			goto out;
	} else {
		if (hex_field("op", a->op, op_bin, DB_KEY_LEN, why, whylen) < 0)
			goto out;
		/* TS 35.206 4.1: OPc = OP xor E_K(OP); only OPc is stored. */
		if (auth_milenage_opc(s->k, op_bin, s->opc) < 0) {
			snprintf(why, whylen, "cannot derive OPc");
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(sqn_bin); i++)
		s->sqn = s->sqn << 8 | sqn_bin[i];
	snprintf(s->impi, sizeof(s->impi), "%s", a->impi);
	if (a->password && a->password[0]) {
		/* The realm of a subscriber's Digest credentials is its home
		 * domain, the realm part of the IMPI (TS 23.003 13.3). */
		snprintf(s->realm, sizeof(s->realm), "%s", strchr(a->impi, '@') + 1);
		if (auth_digest_ha1(AUTH_DIGEST_MD5, a->impi, s->realm, a->password,
				    s->ha1_md5, sizeof(s->ha1_md5)) < 0 ||
		    auth_digest_ha1(AUTH_DIGEST_SHA256, a->impi, s->realm, a->password,
				    s->ha1_sha256, sizeof(s->ha1_sha256)) < 0) {
			snprintf(why, whylen, "cannot derive Digest secrets");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		util_secure_zero(s, sizeof(*s));
	util_secure_zero(op_bin, sizeof(op_bin));
	return rc;
}

static int cmd_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "impi", required_argument, NULL, 'i' },
		{ "impu", required_argument, NULL, 'u' },
		{ "k", required_argument, NULL, 'k' },
		{ "opc", required_argument, NULL, 'c' },
		{ "op", required_argument, NULL, 'o' },
		{ "amf", required_argument, NULL, 'a' },
		{ "sqn", required_argument, NULL, 'q' },
		{ "password", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct db_subscriber s;
	const char *impus[MAX_IMPUS];
	struct ctl_sub_args a = { .impus = impus };
	char why[300];
	int ch, rc, status = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': a.impi = optarg; break;
		case 'u':
			if (a.n_impus >= MAX_IMPUS) {
				fprintf(c->err, "presencectl: at most %d --impu\n", MAX_IMPUS);
				return 2;
			}
			impus[a.n_impus++] = optarg;
			break;
		case 'k': a.k = optarg; break;
		case 'c': a.opc = optarg; break;
		case 'o': a.op = optarg; break;
		case 'a': a.amf = optarg; break;
		case 'q': a.sqn = optarg; break;
		case 'p': a.password = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc || !a.impi || a.n_impus == 0 || !a.k || (!a.opc == !a.op)) {
		fprintf(c->err, "presencectl: subscriber add needs --impi, at least one "
			"--impu, --k and exactly one of --opc or --op\n");
		return 2;
	}
	if (ctl_subscriber_fill(&a, &s, why, sizeof(why)) < 0) {
		fprintf(c->err, "presencectl: %s\n", why);
		return 1;
	}
	rc = db_subscriber_add(c->db, &s, impus, a.n_impus);
	if (rc == DB_EEXIST) {
		fprintf(c->err, "presencectl: subscriber %s or one of its identities "
			"already exists\n", a.impi);
		goto out;
	}
	if (rc < 0) {
		fprintf(c->err, "presencectl: cannot add %s: %s\n", a.impi,
			db_errmsg(c->db));
		goto out;
	}
	db_audit_add(c->db, "presencectl", "subscriber.add", a.impi, impus[0]);
	fprintf(c->out, "added %s (%zu public identit%s)\n", a.impi, a.n_impus,
		a.n_impus == 1 ? "y" : "ies");
	status = 0;
out:
	util_secure_zero(&s, sizeof(s));
	return status;
}

struct impu_list {
	char buf[2048];
	size_t len;
};

static int collect_impu(const struct db_impu *u, void *arg)
{
	struct impu_list *l = arg;
	int n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s",
			 l->len ? " " : "", u->uri);
	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
	return 0;
}

static int list_one(const struct db_subscriber *s, void *arg)
{
	struct ctl *c = arg;
	struct impu_list l = { .len = 0 };

	l.buf[0] = '\0';
	db_impu_foreach(c->db, s->impi, collect_impu, &l);
	fprintf(c->out, "%s\t%s\t%s\n", s->impi, l.buf,
		s->ha1_md5[0] ? "password" : "-");
	return 0;
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return 2;
	if (db_subscriber_foreach(c->db, list_one, c) < 0) {
		fprintf(c->err, "presencectl: %s\n", db_errmsg(c->db));
		return 1;
	}
	return 0;
}

static int cmd_show(struct ctl *c, int argc, char **argv)
{
	struct db_subscriber s;
	struct impu_list l = { .len = 0 };
	char amf[5];
	int rc;

	if (argc != 2)
		return 2;
	rc = db_subscriber_get(c->db, argv[1], &s);
	if (rc == DB_ENOTFOUND) {
		fprintf(c->err, "presencectl: no subscriber %s\n", argv[1]);
		return 1;
	}
	if (rc < 0) {
		fprintf(c->err, "presencectl: %s\n", db_errmsg(c->db));
		return 1;
	}
	l.buf[0] = '\0';
	db_impu_foreach(c->db, s.impi, collect_impu, &l);
	util_hex_encode(s.amf, sizeof(s.amf), amf);
	fprintf(c->out,
		"impi: %s\nimpu: %s\nk: (set)\nopc: (set)\namf: %s\nsqn: %012llx\n"
		"digest: %s%s\n",
		s.impi, l.buf, amf, (unsigned long long)s.sqn,
		s.ha1_md5[0] ? "realm " : "no password",
		s.ha1_md5[0] ? s.realm : "");
	util_secure_zero(&s, sizeof(s));
	return 0;
}

static int cmd_delete(struct ctl *c, int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return 2;
	rc = db_subscriber_delete(c->db, argv[1]);
	if (rc == DB_ENOTFOUND) {
		fprintf(c->err, "presencectl: no subscriber %s\n", argv[1]);
		return 1;
	}
	if (rc < 0) {
		fprintf(c->err, "presencectl: %s\n", db_errmsg(c->db));
		return 1;
	}
	db_audit_add(c->db, "presencectl", "subscriber.delete", argv[1], "");
	fprintf(c->out, "deleted %s\n", argv[1]);
	return 0;
}

int ctl_subscriber(struct ctl *c, int argc, char **argv)
{
	int status = 2;

	if (argc < 1)
		goto usage;
	if (strcmp(argv[0], "add") == 0)
		status = cmd_add(c, argc, argv);
	else if (strcmp(argv[0], "list") == 0)
		status = cmd_list(c, argc, argv);
	else if (strcmp(argv[0], "show") == 0)
		status = cmd_show(c, argc, argv);
	else if (strcmp(argv[0], "delete") == 0)
		status = cmd_delete(c, argc, argv);
	else if (strcmp(argv[0], "import") == 0)
		status = ctl_import(c, argc, argv);
	if (status != 2)
		return status;
usage:
	fprintf(c->err, "usage: presencectl subscriber add|list|show IMPI|delete IMPI|import FILE\n"
		"(see presencectl(8))\n");
	return 2;
}
