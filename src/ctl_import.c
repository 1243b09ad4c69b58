/*
 * ctl_import.c - `presencectl subscriber import FILE`: bulk provisioning
 * from CSV, all rows in one transaction (all or nothing).
 *
 * Format (RFC 4180 quoting: a field may be "double quoted", "" inside is a
 * quote).  Blank lines and lines starting with '#' are skipped.  An
 * optional header row names the columns, in any order, from:
 *
 *     impi, impu, k, opc, op, amf, sqn, password
 *
 * Without a header the columns are impi,impu,k,opc,amf,sqn,password (the
 * last three may be left out or empty).  The impu field holds one or more
 * public identities separated by spaces; the first is the default.
 * FILE "-" reads standard input.
 */
#include "config.h"
#include "src/core.h"
#include "src/ctl.h"
#include "db/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum col { COL_IMPI, COL_IMPU, COL_K, COL_OPC, COL_OP, COL_AMF, COL_SQN,
	   COL_PASSWORD, COL_N };

static const char *const col_names[COL_N] = {
	"impi", "impu", "k", "opc", "op", "amf", "sqn", "password",
};

#define MAX_FIELDS 16
#define MAX_IMPUS 32

/* Split one CSV line in place into at most MAX_FIELDS fields.  Returns the
 * count, or -1 for an unterminated quote or too many fields. */
static int csv_split(char *line, char **fields)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		if (n >= MAX_FIELDS)
			return -1;
		while (*r == ' ' || *r == '\t')
			r++;
		fields[n++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0')
					return -1;
				if (*r == '"') {
					if (r[1] == '"') {
						*w++ = '"';
						r += 2;
						continue;
					}
					r++;
					break;
				}
				*w++ = *r++;
			}
			while (*r == ' ' || *r == '\t')
				r++;
			if (*r != ',' && *r != '\0')
				return -1;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
			while (w > fields[n - 1] && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
		}
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		*w++ = '\0';
		r++;   /* past ',' */
	}
}

struct import {
	struct ctl *c;
	const char *file;
	int cols[MAX_FIELDS];       /* column of each field position */
	int n_cols;
	long line;
	long added;
};

static int parse_header(struct import *im, char **f, int n)
{
	bool seen[COL_N] = { false };

	for (int i = 0; i < n; i++) {
		int col = -1;
		for (int k = 0; k < COL_N; k++)
			if (strcasecmp(f[i], col_names[k]) == 0)
				col = k;
		if (col < 0) {
			fprintf(im->c->err, "presencectl: %s:%ld: unknown column '%s'\n",
				im->file, im->line, f[i]);
			return -1;
		}
		if (seen[col]) {
			fprintf(im->c->err, "presencectl: %s:%ld: column '%s' twice\n",
				im->file, im->line, f[i]);
			return -1;
		}
		seen[col] = true;
		im->cols[i] = col;
	}
	if (!seen[COL_IMPI] || !seen[COL_IMPU] || !seen[COL_K] ||
	    seen[COL_OPC] == seen[COL_OP]) {
		fprintf(im->c->err, "presencectl: %s:%ld: the header needs impi, impu, k "
			"and exactly one of opc or op\n", im->file, im->line);
		return -1;
	}
	im->n_cols = n;
	return 0;
}

static int import_row(struct import *im, char **f, int n)
{
	const char *val[COL_N] = { NULL };
	const char *impus[MAX_IMPUS];
	struct ctl_sub_args a = { .impus = impus };
	struct db_subscriber s;
	char why[300];
	int rc;

	if (n > im->n_cols) {
		fprintf(im->c->err, "presencectl: %s:%ld: %d fields, at most %d expected\n",
			im->file, im->line, n, im->n_cols);
		return -1;
	}
	for (int i = 0; i < n; i++)
		val[im->cols[i]] = f[i][0] ? f[i] : NULL;

	/* The impu field: identities separated by blanks, split in place. */
	for (char *p = (char *)(val[COL_IMPU] ? val[COL_IMPU] : ""); *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (a.n_impus >= MAX_IMPUS) {
			fprintf(im->c->err, "presencectl: %s:%ld: more than %d identities\n",
				im->file, im->line, MAX_IMPUS);
			return -1;
		}
		impus[a.n_impus++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	a.impi = val[COL_IMPI] ? val[COL_IMPI] : "";
	a.k = val[COL_K] ? val[COL_K] : "";
	a.opc = val[COL_OPC];
	a.op = val[COL_OP];
	if (!a.opc && !a.op)
		a.opc = "";     /* reported as a bad --opc */
	a.amf = val[COL_AMF];
	a.sqn = val[COL_SQN];
	a.password = val[COL_PASSWORD];

	if (ctl_subscriber_fill(&a, &s, why, sizeof(why)) < 0) {
		fprintf(im->c->err, "presencectl: %s:%ld: %s\n", im->file, im->line, why);
		return -1;
	}
	rc = db_subscriber_add(im->c->db, &s, impus, a.n_impus);
	util_secure_zero(&s, sizeof(s));
	if (rc == DB_EEXIST) {
		fprintf(im->c->err, "presencectl: %s:%ld: subscriber %s or one of its "
			"identities already exists\n", im->file, im->line, a.impi);
		return -1;
	}
	if (rc < 0) {
		fprintf(im->c->err, "presencectl: %s:%ld: %s\n", im->file, im->line,
			db_errmsg(im->c->db));
		return -1;
	}
	im->added++;
	return 0;
}

int ctl_import(struct ctl *c, int argc, char **argv)
{
	static const int default_cols[] = { COL_IMPI, COL_IMPU, COL_K, COL_OPC,
					    COL_AMF, COL_SQN, COL_PASSWORD };
	struct import im = { .c = c };
	char *line = NULL, *fields[MAX_FIELDS];
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int status = 1, n;
	bool first = true;

	if (argc != 2)
		return 2;
	im.file = argv[1];
	f = strcmp(im.file, "-") == 0 ? stdin : fopen(im.file, "r");
	if (!f) {
		fprintf(c->err, "presencectl: %s: %s\n", im.file, strerror(errno));
		return 1;
	}
	memcpy(im.cols, default_cols, sizeof(default_cols));
	im.n_cols = (int)(sizeof(default_cols) / sizeof(default_cols[0]));
	if (db_begin(c->db) < 0) {
		fprintf(c->err, "presencectl: %s\n", db_errmsg(c->db));
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		im.line++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			fprintf(c->err, "presencectl: %s:%ld: NUL byte\n", im.file, im.line);
			goto rollback;
		}
		if (len == 0 || line[0] == '#')
			continue;
		n = csv_split(line, fields);
		if (n < 0) {
			fprintf(c->err, "presencectl: %s:%ld: malformed CSV (unbalanced "
				"quotes or more than %d fields)\n", im.file, im.line,
				MAX_FIELDS);
			goto rollback;
		}
		if (first && strcasecmp(fields[0], "impi") == 0) {
			first = false;
			if (parse_header(&im, fields, n) < 0)
				goto rollback;
			continue;
		}
		first = false;
		if (import_row(&im, fields, n) < 0)
			goto rollback;
	}
	if (ferror(f)) {
		fprintf(c->err, "presencectl: %s: read error\n", im.file);
		goto rollback;
	}
	db_audit_add(c->db, "presencectl", "subscriber.import", im.file, "");
	if (db_commit(c->db) < 0) {
		fprintf(c->err, "presencectl: commit failed: %s\n", db_errmsg(c->db));
		goto out;
	}
	fprintf(c->out, "imported %ld subscriber%s from %s\n", im.added,
		im.added == 1 ? "" : "s", im.file);
	status = 0;
	goto out;
rollback:
	db_rollback(c->db);
	fprintf(c->err, "presencectl: nothing imported\n");
out:
	if (line)
		util_secure_zero(line, cap);
	free(line);
	if (f != stdin)
		fclose(f);
	return status;
}
