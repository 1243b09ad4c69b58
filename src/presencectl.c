/*
 * presencectl.c - provisioning over the presenced store.
 *
 *   presencectl [-c FILE] [-s STORE] COMMAND ...
 *
 * The store is found through the same configuration file presenced uses
 * (store.path), or given directly with -s.  presencectl opens its own
 * connection, so it works while the daemon runs (WAL mode).
 */
#include "config.h"
#include "src/core.h"
#include "src/ctl.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: presencectl [-c FILE] [-s STORE] COMMAND ...\n"
		"  -c FILE  presenced configuration (default %s/presenced.conf)\n"
		"  -s STORE the store file, instead of store.path from FILE\n"
		"commands:\n"
		"  subscriber add --impi I --impu U [--impu U2 ...]\n"
		"                 (--k HEX --opc HEX | --k HEX --op HEX)\n"
		"                 [--amf HEX] [--sqn HEX] [--password PW]\n"
		"  subscriber list\n"
		"  subscriber show IMPI\n"
		"  subscriber delete IMPI\n"
		"  subscriber import FILE   (CSV; see presencectl(8))\n",
		PD_SYSCONFDIR);
}

int main(int argc, char **argv)
{
	const char *config = NULL, *store = NULL;
	struct conf *conf = NULL;
	struct ctl c = { .out = stdout, .err = stderr };
	char err[512];
	int ch, status = 2;

	while ((ch = getopt(argc, argv, "+c:s:hV")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'V':
			printf("presencectl %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!store) {
		conf = conf_new();
		if (!conf) {
			fprintf(stderr, "presencectl: out of memory\n");
			return 1;
		}
		if (conf_parse_file(conf, config ? config : PD_SYSCONFDIR "/presenced.conf",
				    err, sizeof(err)) < 0) {
			fprintf(stderr, "presencectl: %s\n", err);
			status = 1;
			goto out;
		}
		store = conf_str(conf, "store.path");
	}
	if (db_open(&c.db, store, DB_OPEN_CREATE, 5000, err, sizeof(err)) < 0) {
		fprintf(stderr, "presencectl: store %s: %s\n", store, err);
		status = 1;
		goto out;
	}
	if (strcmp(argv[optind], "subscriber") == 0) {
		status = ctl_subscriber(&c, argc - optind - 1, argv + optind + 1);
	} else {
		fprintf(stderr, "presencectl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		status = 2;
	}
out:
	db_close(c.db);
	conf_free(conf);
	return status;
}
