/*
 * daemon.h - the presenced process life cycle (private to src/).
 */
#ifndef PRESENCED_DAEMON_H
#define PRESENCED_DAEMON_H

#include <stdbool.h>

struct daemon_opts {
	const char *config_path;      /* -c */
	const char *const *overrides; /* -o section.key=value, in order */
	int n_overrides;
	bool foreground;              /* -f */
	bool check_only;              /* -n */
	bool verbose;                 /* -v: with -n, print the settings */
};

/* Load and check the configuration, then (unless check_only) run the
 * daemon until SIGTERM or SIGINT.  Returns the process exit status. */
int daemon_main(const struct daemon_opts *o);

#endif
