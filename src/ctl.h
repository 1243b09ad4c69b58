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
/* `subscriber import FILE` (src/ctl_import.c): CSV rows
 * "impi,impus,k,opc[,password]" in one transaction; FILE "-" is stdin. */
int ctl_import(struct ctl *c, const char *path);

/* Validate a public identity: sip:/sips: URI with user@host, or tel:.
 * Returns 0 or -1 with a reason in why. */
int ctl_check_impu(const char *uri, char *why, size_t whylen);
/* Validate an IMPI (user@realm, RFC 4282 NAI).  Returns 0 or -1. */
int ctl_check_impi(const char *impi, char *why, size_t whylen);

#endif
