/*
 * schema.c - XML Schema validation of XCAP documents (RFC 4825 8.2.5).
 *
 * Every AUID's schema is compiled once by xcap_res_init() from a
 * directory of XSD files (xcap/schemas/, installed in
 * $(pkgdatadir)/schemas); imports between them are resolved from that
 * directory.  A compiled xmlSchema is shared by all threads for
 * validation only; each validation creates its own xmlSchemaValidCtxt,
 * which is what libxml2 requires for concurrent use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "src/core.h"
#include "xcap/res_int.h"

#define MAX_AUIDS 16

static xmlSchemaPtr schemas[MAX_AUIDS];

static size_t auid_index(const struct xcap_auid *a)
{
	size_t n;
	const struct xcap_auid *list = xcap_auid_list(&n);

	return (size_t)(a - list);
}

/* Silence libxml2 while compiling; failures are reported once below. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int xcap_schema_load(const char *dir)
{
	size_t n, i;
	const struct xcap_auid *list = xcap_auid_list(&n);

	if (n > MAX_AUIDS)
		return -1;
	for (i = 0; i < n; i++) {
		char path[4096];
		xmlSchemaParserCtxtPtr pc;

		if (!list[i].schema || schemas[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, list[i].schema);
		pc = xmlSchemaNewParserCtxt(path);
		if (!pc)
			goto fail;
		xmlSchemaSetParserErrors(pc, quiet, quiet, NULL);
		schemas[i] = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
		if (!schemas[i]) {
			log_err("xcap: cannot compile schema %s", path);
			goto fail;
		}
	}
	return 0;
fail:
	xcap_schema_unload();
	return -1;
}

void xcap_schema_unload(void)
{
	size_t i;

	for (i = 0; i < MAX_AUIDS; i++) {
		xmlSchemaFree(schemas[i]);
		schemas[i] = NULL;
	}
}

/* Keep the first validation error as the <schema-validation-error>
 * phrase (RFC 4825 11.2 allows a human-readable phrase). */
static void first_error(void *ctx, xmlErrorPtr e)
{
	char *buf = ctx;
	size_t l;

	if (buf[0] || !e || !e->message)
		return;
	snprintf(buf, 200, "line %d: %s", e->line, e->message);
	l = strlen(buf);
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == ' '))
		buf[--l] = '\0';
}

int xcap_schema_validate(const struct xcap_auid *a, xmlDocPtr doc,
			 struct xcap_result *r)
{
	size_t i = auid_index(a);
	xmlSchemaValidCtxtPtr vc;
	char msg[200] = "";
	int rc;

	if (!a->schema)
		return 0;
	if (i >= MAX_AUIDS || !schemas[i])
		return xcap_err_status(r, 500, "schemas not loaded");
	vc = xmlSchemaNewValidCtxt(schemas[i]);
	if (!vc)
		return xcap_err_status(r, 500, "out of memory");
	xmlSchemaSetValidStructuredErrors(vc, first_error, msg);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc < 0)
		return xcap_err_status(r, 500, "schema validation failed");
	if (rc > 0)
		return xcap_err_conflict(r, "schema-validation-error",
					 msg[0] ? msg : NULL);
	return 0;
}

#ifndef PD_DATADIR
#define PD_DATADIR "/usr/local/share/presenced"
#endif

int xcap_res_init(const char *schema_dir)
{
	xmlInitParser();
	return xcap_schema_load(schema_dir ? schema_dir
				: PD_DATADIR "/schemas");
}

void xcap_res_cleanup(void)
{
	xcap_schema_unload();
}
