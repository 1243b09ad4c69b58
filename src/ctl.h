/*
 * ctl.h - presencectl's command modules (private to src/).
 *
 * Each command module gets the open store and its own argv (after the
 * command words) and returns the process exit status: 0 success, 1 a
 * failure the user should fix (bad input, not found), 2 usage.
 */
#ifndef PRESENCED_CTL_H
#define PRESENCED_CTL_H

#include <stdio.h>

struct db;

struct ctl {
	struct db *db;
	FILE *out;
	FILE *err;
};

int ctl_subscriber(struct ctl *c, int argc, char **argv);
/* `subscriber import FILE`: argv[0] is "import". */
int ctl_import(struct ctl *c, int argc, char **argv);

struct db_subscriber;

/* The text form of one subscriber, as given on the command line or in a
 * CSV row.  amf, sqn and password may be NULL (defaults 8000, 0, none);
 * exactly one of opc and op is set. */
struct ctl_sub_args {
	const char *impi;
	const char *const *impus;
	size_t n_impus;
	const char *k, *opc, *op, *amf, *sqn, *password;
};

/* Validate every field and build the stored form: OPc derived from OP,
 * Digest HA1 values from the password.  Returns 0, or -1 with a reason in
 * why (and *s wiped). */
int ctl_subscriber_fill(const struct ctl_sub_args *a, struct db_subscriber *s,
			char *why, size_t whylen);

/* Validate a public identity: sip:/sips: URI with user@host, or tel:.
 * Returns 0 or -1 with a reason in why. */
int ctl_check_impu(const char *uri, char *why, size_t whylen);
/* Validate an IMPI (user@realm, RFC 4282 NAI).  Returns 0 or -1. */
int ctl_check_impi(const char *impi, char *why, size_t whylen);

#endif
