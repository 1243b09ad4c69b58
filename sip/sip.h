/*
 * sip.h - the SIP side of presenced: the event loop that owns all SIP and
 * subscription state, and the presence engine that runs on it.
 *
 * Sofia-SIP types never leave sip/: the daemon drives the loop through
 * struct sip_loop, and other threads reach the SIP thread only through
 * sip_loop_post() (architecture-notes: "the two sides never share a
 * mutable struct").
 */
#ifndef PRESENCED_SIP_H
#define PRESENCED_SIP_H

#include <stdbool.h>
#include <stddef.h>

struct conf;

/* ------------------------------------------------------------------ loop */

struct sip_loop;

/* Create the su_root loop of the calling thread (su_init included).
 * Returns 0 or a negative errno value; *lp is left alone on failure. */
int sip_loop_create(struct sip_loop **lp);
/* Destroy the loop; every watch and pending post is dropped.  NULL-safe. */
void sip_loop_destroy(struct sip_loop *l);
/* Run until sip_loop_stop().  Returns 0. */
int sip_loop_run(struct sip_loop *l);
/* Make sip_loop_run() return after the current callback.  Loop thread only. */
void sip_loop_stop(struct sip_loop *l);
/* Call cb(fd, arg) in the loop thread whenever fd is readable. */
int sip_loop_watch_fd(struct sip_loop *l, int fd, void (*cb)(int fd, void *arg),
		      void *arg);
/* Run fn(arg) in the loop thread, soon.  Safe from any thread.  Returns 0,
 * or a negative errno value (then fn is not called and arg is the
 * caller's). */
int sip_loop_post(struct sip_loop *l, void (*fn)(void *arg), void *arg);
/* Call fn(arg) every `ms` milliseconds in the loop thread. */
int sip_loop_every(struct sip_loop *l, unsigned ms, void (*fn)(void *arg),
		   void *arg);
/* The underlying su_root_t, for sip/ modules only (returned as void * so
 * that this header stays free of Sofia types). */
void *sip_loop_root(struct sip_loop *l);

#endif /* PRESENCED_SIP_H */
