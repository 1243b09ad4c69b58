/*
 * check_main.h - the main() every Check program in tests/unit shares:
 * run one suite, exit non-zero when any test failed.
 *
 *     #include "tests/unit/check_main.h"
 *     CHECK_MAIN(config_suite)
 */
#ifndef PRESENCED_CHECK_MAIN_H
#define PRESENCED_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int check_main_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define CHECK_MAIN(suite_fn) \
	int main(void) { return check_main_run(suite_fn()); }

#endif
