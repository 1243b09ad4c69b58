/*
 * main.c - presenced: the command line.  Everything else is in daemon.c.
 *
 *   presenced [-c FILE] [-o section.key=value]... [-n [-v]] [-f] [-V]
 */
#include "config.h"
#include "src/core.h"
#include "src/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_OVERRIDES 128

static void usage(FILE *f)
{
	fprintf(f,
		"usage: presenced [-c FILE] [-o section.key=value]... [-n [-v]] [-f] [-V]\n"
		"  -c FILE   configuration file (default %s/presenced.conf)\n"
		"  -o K=V    override one setting; repeatable\n"
		"  -n        check the configuration and exit (-v prints every setting)\n"
		"  -f        stay in the foreground and log to stderr\n"
		"  -V        print the version and exit\n",
		PD_SYSCONFDIR);
}

int main(int argc, char **argv)
{
	static const char *overrides[MAX_OVERRIDES];
	struct daemon_opts o = {
		.config_path = PD_SYSCONFDIR "/presenced.conf",
		.overrides = overrides,
	};
	int ch;

	while ((ch = getopt(argc, argv, "c:o:nfvVh")) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'o':
			if (o.n_overrides >= MAX_OVERRIDES) {
				fprintf(stderr, "presenced: too many -o options\n");
				return 2;
			}
			overrides[o.n_overrides++] = optarg;
			break;
		case 'n':
			o.check_only = true;
			break;
		case 'f':
			o.foreground = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'V':
			printf("presenced %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return daemon_main(&o);
}
