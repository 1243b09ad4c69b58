/*
 * ctl_import.c - `presencectl subscriber import FILE`: bulk provisioning
 * from CSV, all rows in one transaction (100,000 subscribers in seconds).
 *
 * Format, one subscriber per line (RFC 4180 without quoting; '#' starts a
 * comment line; a first line starting with "impi," is a header):
 *
 *     impi,impus,k,opc[,password]
 *
 *   impi      the private identity, user@realm
 *   impus     public identities separated by '|' or spaces; the first is
 *             the default
 *   k, opc    32 hex digits each (Milenage K and OPc)
 *   password  optional; stored only as Digest HA1 (MD5 and SHA-256) for
 *             the realm of the IMPI, never in clear
 *
 * All or nothing: the first bad line (reported as FILE:LINE) or duplicate
 * rolls the whole import back.  "-" reads standard input.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/core.h"
#include "src/ctl.h"
#include "db/db.h"
#include "auth/auth.h"

#define IMPORT_MAX_IMPUS 16

/* Split `line` at commas into at most max fields (in place). */
static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p; p++)
		if (*p == ',') {
			if (n == max)
				return -1;
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Parse one line into s and impus; 0 or -1 with why. */
static int parse_line(char *line, struct db_subscriber *s, const char **impus,
		      size_t *n_impus, char *why, size_t whylen)
{
	char *f[6], *tok, *save = NULL;
	const char *password;
	int n = split(line, f, 6);

	if (n < 4 || n > 5) {
		snprintf(why, whylen, "want impi,impus,k,opc[,password]");
		return -1;
	}
	for (int i = 0; i < n; i++)
		f[i] = trim(f[i]);
	memset(s, 0, sizeof(*s));
	if (ctl_check_impi(f[0], why, whylen) < 0)
		return -1;
	snprintf(s->impi, sizeof(s->impi), "%s", f[0]);
	*n_impus = 0;
	for (tok = strtok_r(f[1], "| ", &save); tok;
	     tok = strtok_r(NULL, "| ", &save)) {
		if (*n_impus == IMPORT_MAX_IMPUS) {
			snprintf(why, whylen, "more than %d public identities",
				 IMPORT_MAX_IMPUS);
			return -1;
		}
		if (ctl_check_impu(tok, why, whylen) < 0)
			return -1;
		impus[(*n_impus)++] = tok;
	}
	if (*n_impus == 0) {
		snprintf(why, whylen, "no public identity");
		return -1;
	}
	if (util_hex_decode(f[2], s->k, DB_KEY_LEN) < 0 ||
	    util_hex_decode(f[3], s->opc, DB_KEY_LEN) < 0) {
		snprintf(why, whylen, "k and opc must be 32 hex digits");
		return -1;
	}
	password = n == 5 ? f[4] : "";
	if (*password) {
		/* The realm is the IMPI's home domain (TS 23.003 13.3), as for
		 * `subscriber add`. */
		snprintf(s->realm, sizeof(s->realm), "%s", strchr(s->impi, '@') + 1);
		if (auth_digest_ha1(AUTH_DIGEST_MD5, s->impi, s->realm, password,
				    s->ha1_md5, sizeof(s->ha1_md5)) < 0 ||
		    auth_digest_ha1(AUTH_DIGEST_SHA256, s->impi, s->realm,
				    password, s->ha1_sha256,
				    sizeof(s->ha1_sha256)) < 0) {
			snprintf(why, whylen, "cannot derive Digest secrets");
			return -1;
		}
		util_secure_zero(f[4], strlen(f[4]));
	}
	return 0;
}

int ctl_import(struct ctl *c, const char *path)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL, why[256];
	size_t cap = 0, lineno = 0, added = 0;
	struct db_subscriber s;
	const char *impus[IMPORT_MAX_IMPUS];
	size_t n_impus;
	int status = 1, rc;

	if (!in) {
		fprintf(c->err, "presencectl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (db_begin(c->db) < 0) {
		fprintf(c->err, "presencectl: %s\n", db_errmsg(c->db));
		goto out;
	}
	while (getline(&line, &cap, in) > 0) {
		char *l = trim(line);

		lineno++;
		if (!*l || *l == '#' || (lineno == 1 && strncmp(l, "impi,", 5) == 0))
			continue;
		if (parse_line(l, &s, impus, &n_impus, why, sizeof(why)) < 0) {
			fprintf(c->err, "presencectl: %s:%zu: %s\n", path, lineno,
				why);
			goto rollback;
		}
		rc = db_subscriber_add(c->db, &s, impus, n_impus);
		util_secure_zero(&s, sizeof(s));
		if (rc < 0) {
			fprintf(c->err, "presencectl: %s:%zu: %s\n", path, lineno,
				rc == DB_EEXIST ? "subscriber or identity exists"
						: db_errmsg(c->db));
			goto rollback;
		}
		added++;
	}
	if (ferror(in)) {
		fprintf(c->err, "presencectl: %s: read error\n", path);
		goto rollback;
	}
	db_audit_add(c->db, "presencectl", "subscriber.import", path, "");
	if (db_commit(c->db) < 0) {
		fprintf(c->err, "presencectl: commit: %s\n", db_errmsg(c->db));
		goto rollback;
	}
	fprintf(c->out, "imported %zu subscribers\n", added);
	status = 0;
	goto out;
rollback:
	db_rollback(c->db);
	fprintf(c->err, "presencectl: nothing imported\n");
out:
	if (line) {
		util_secure_zero(line, cap);
		free(line);
	}
	if (in != stdin)
		fclose(in);
	return status;
}
