/*
 * fuzz_xcap_uri.c - libFuzzer harness for fuzz_xcap_uri_one() (tests/fuzz/targets.c).
 * Built and run by tests/fuzz/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/targets.h"

#ifndef PD_SRCDIR
#define PD_SRCDIR "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s = getenv("top_srcdir");

	if (fuzz_init(s && *s ? s : PD_SRCDIR) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_xcap_uri_one(data, size);
}
