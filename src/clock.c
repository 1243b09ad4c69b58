/*
 * clock.c - wall and monotonic time, with a replaceable wall clock so that
 * expiry logic is tested without sleeping (tests call clock_set_source).
 */
#include "config.h"
#include "src/core.h"

#include <stdatomic.h>

static clock_source_fn clock_fn;
static void *clock_arg;

int64_t clock_now(void)
{
	if (clock_fn)
		return clock_fn(clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

void clock_set_source(clock_source_fn fn, void *arg)
{
	/* Tests only, called before any thread that reads the clock starts. */
	clock_arg = arg;
	clock_fn = fn;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
