/*
 * config_int.h - the settings table behind struct conf (private to src/).
 *
 * One row per setting: name, type, default, bounds, whether SIGHUP may
 * change it, and a one-line description.  man/presenced.conf.5 and
 * etc/presenced.conf document the same rows; tests/unit/check_config.c
 * checks that the sample file names every key of this table.
 */
#ifndef PRESENCED_CONFIG_INT_H
#define PRESENCED_CONFIG_INT_H

#include "src/core.h"

struct conf_setting {
	const char *name;        /* "section.key" */
	enum conf_type type;
	const char *def;         /* default, as it would be written in the file */
	int64_t min, max;        /* bounds for INT, DURATION and SIZE */
	bool reloadable;         /* may change on SIGHUP */
	bool secret;             /* never printed by conf_dump */
	const char *help;
};

extern const struct conf_setting conf_table[];
extern const size_t conf_table_len;

/* Index of a setting, or -1. */
int conf_table_find(const char *name, size_t len);

#endif
