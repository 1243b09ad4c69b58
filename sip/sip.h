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
/* Run fn(arg) in the loop thread, soon.  Safe from any thread.  A post
 * still queued when the loop is destroyed is never run: drop(arg) is called
 * instead (drop may be NULL).  Returns 0, or a negative errno value (then
 * neither is called and arg is the caller's). */
int sip_loop_post(struct sip_loop *l, void (*fn)(void *arg),
		  void (*drop)(void *arg), void *arg);
/* Call fn(arg) every `ms` milliseconds in the loop thread. */
int sip_loop_every(struct sip_loop *l, unsigned ms, void (*fn)(void *arg),
		   void *arg);
/* The underlying su_root_t, for sip/ modules only (returned as void * so
 * that this header stays free of Sofia types). */
void *sip_loop_root(struct sip_loop *l);

/* --------------------------------------------------------------- engine */

/*
 * The presence engine (issue 3): SUBSCRIBE/NOTIFY (RFC 6665) for the
 * "presence" (RFC 3856) and "presence.winfo" (RFC 3857) packages, PUBLISH
 * (RFC 3903), on Sofia-SIP nta.  docs/sip.md describes the design,
 * docs/durability.md what survives a crash.  All functions run in the
 * loop thread.
 */
struct sip_engine;

/* The decision of the authorization policy (RFC 5025 3.2.1 sub-handling). */
enum sip_authz_result {
	SIP_AUTHZ_BLOCK = 0,        /* reject: 403 / terminated;reason=rejected */
	SIP_AUTHZ_CONFIRM = 1,      /* pending until the presentity decides */
	SIP_AUTHZ_POLITE_BLOCK = 2, /* active, but a neutral document */
	SIP_AUTHZ_ALLOW = 3,        /* active, the presence document */
};

struct sip_authz_decision {
	enum sip_authz_result result;
	unsigned transforms;        /* reserved for the policy issue; 0 */
};

/*
 * The authorization hook.  decide() is called in the loop thread for a new
 * subscription and again for every subscription of a presentity after
 * sip_engine_documents_changed().  `watcher` is the authenticated identity
 * (P-Asserted-Identity from a trusted peer, or the Digest-verified IMPU),
 * or "sip:anonymous@anonymous.invalid" with authenticated == false; never
 * the bare From.  Return 0 with *out filled, or a negative value (the
 * engine then answers 500 / keeps the previous decision).
 */
struct sip_authz_ops {
	int (*decide)(void *ctx, const char *presentity, const char *watcher,
		      bool authenticated, struct sip_authz_decision *out);
};

/* Parse "allow", "confirm", "polite-block" or "block".  0 or -1. */
int sip_authz_parse(const char *name, enum sip_authz_result *out);
const char *sip_authz_str(enum sip_authz_result r);

/*
 * Create the engine on `loop`: open its own store connection
 * (store.path), bind every listener of sip.listen (logged at notice level,
 * "sip: listening on udp:127.0.0.1:5060"), restore subscriptions and
 * publications from the store (dropping those that expired while the
 * daemon was down) and start the expiry timer.  Until
 * sip_engine_set_authz() is called the decision is sip.default_policy.
 * Returns 0, or a negative errno value with the reason logged; *ep is
 * left alone on failure.
 */
int sip_engine_create(struct sip_engine **ep, struct sip_loop *loop,
		      const struct conf *conf);
/* Commit what is pending, answer it, close listeners and the store.
 * NULL-safe.  Subscriptions stay in the store (they survive a restart). */
void sip_engine_destroy(struct sip_engine *e);
/* Apply the reloadable sip.* settings of `conf` (SIGHUP).  0 or -EINVAL. */
/* Check the sip.* settings (and the server.* ones the engine reads) the
 * way sip_engine_create and sip_engine_reload will: 0, or -1 after logging
 * what is wrong.  For presenced -n and for SIGHUP before anything is
 * applied. */
int sip_engine_check_conf(const struct conf *conf);
int sip_engine_reload(struct sip_engine *e, const struct conf *conf);
/* The XCAP documents of `xui` changed (already committed): re-evaluate
 * the authorization of every subscription to that presentity. */
void sip_engine_documents_changed(struct sip_engine *e, const char *xui);
/* Plug in the policy engine.  ops == NULL restores the default policy.
 * ops and ctx must outlive the engine (or the next call). */
void sip_engine_set_authz(struct sip_engine *e, const struct sip_authz_ops *ops,
			  void *ctx);

#endif /* PRESENCED_SIP_H */
