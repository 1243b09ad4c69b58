/*
 * engine_int.h - private to sip/: the engine object and the functions its
 * files share.  Unlike sip_int.h this header names Sofia types (nta, msg);
 * they never leave sip/.
 *
 * Files:
 *   engine.c    create/destroy/reload, restore, timers, dispatch
 *   listen.c    listeners and the TLS certificate directory
 *   commit.c    group commit: one transaction per burst, answers after it
 *   subscribe.c SUBSCRIBE (RFC 6665 4.2.1, RFC 3856, RFC 3857)
 *   publish.c   PUBLISH (RFC 3903) and the publications of a presentity
 *   notify.c    NOTIFY construction and sending (the sip_sub_ops)
 *   identity.c  watcher identity: trusted P-Asserted-Identity, Digest
 *   winfo.c     watcherinfo documents (RFC 3858) and watcher records
 *   checkpoint.c WAL checkpoints in their own thread
 *   pool.c      allocator for long-lived objects (declared in sip_int.h)
 */
#ifndef PRESENCED_SIP_ENGINE_INT_H
#define PRESENCED_SIP_ENGINE_INT_H

struct sip_engine;
struct sip_sub;
#define NTA_AGENT_MAGIC_T    struct sip_engine
#define NTA_LEG_MAGIC_T      struct sip_engine
#define NTA_OUTGOING_MAGIC_T struct sip_sub
#define SU_TIMER_ARG_T       struct sip_engine
#define SU_PREPOLL_MAGIC_T   struct sip_engine

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include <netinet/in.h>

#include "sip/sip_int.h"
#include "db/db.h"

struct auth_digest;
struct sip_ckpt;

#define SIP_MAX_DOMAINS 64
#define SIP_MAX_PEERS   64
#define SIP_MAX_LISTEN  8

struct sip_peer_net {
	int family;               /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct sip_listener {
	char proto[4];            /* udp, tcp, tls */
	char contact[160];        /* <sip:host:port;transport=x> */
};

/* Settings the engine reads from struct conf (sip_engine_reload). */
struct sip_settings {
	char domains_buf[4096];
	const char *domains[SIP_MAX_DOMAINS];
	int n_domains;
	char open_buf[4096];
	const char *open[SIP_MAX_DOMAINS];
	int n_open;
	struct sip_peer_net peers[SIP_MAX_PEERS];
	int n_peers;
	struct sip_expiry sub_exp, pub_exp;
	enum sip_authz_result default_policy;
	bool allow_anonymous;
	bool digest_sha256, digest_md5, sha256_first;
	size_t max_body;
	unsigned commit_ms, commit_max;
};

/* One answer (and what follows it) waiting for the group commit. */
struct sip_deferred {
	struct sip_deferred *next;
	nta_incoming_t *irq;      /* answer to send; NULL for none */
	int status;
	const char *phrase;
	unsigned expires;         /* Expires in the 200 */
	bool has_expires;
	char etag[40];            /* SIP-ETag in the 200 to a PUBLISH */
	const char *contact;      /* Contact in the 200 to a SUBSCRIBE */
	struct sip_sub *sub;      /* NOTIFY it after the answer (ref held) */
	bool terminate;           /* ... a final NOTIFY, with this reason */
	uint8_t reason;
	char *notify_aor;         /* notify watchers of this AOR (malloc) */
	bool notify_presence;     /* ... its presence subscriptions */
	bool notify_winfo;        /* ... its winfo subscriptions */
};

struct sip_engine {
	su_home_t home[1];
	su_root_t *root;
	struct sip_loop *loop;
	nta_agent_t *agent;
	nta_leg_t *dleg;              /* the default leg: every request */
	msg_mclass_t *mclass;         /* parser with P-Asserted-Identity */
	struct db *db;
	struct sip_ckpt *ckpt;        /* WAL checkpoints in their own thread */
	struct auth_digest *digest;
	struct sip_settings set;
	struct sip_listener listeners[SIP_MAX_LISTEN];
	int n_listeners;
	char tls_dir[128];            /* agent.pem for Sofia TLS, or "" */

	struct sip_subtab tab;        /* subscriptions and presentities */
	struct sip_htab etags;        /* publications by ETag */
	uint64_t etag_seq;
	uint32_t tag_seq;
	char boot_id[17];             /* random per start: tags, ETags */

	const struct sip_authz_ops *authz;
	void *authz_ctx;

	/* group commit (commit.c) */
	bool tx_open;
	bool tx_failed;
	unsigned tx_count;
	int64_t tx_start_ms;          /* clock_mono_ms() at BEGIN */
	su_timer_t *commit_timer;
	struct sip_deferred *dhead, **dtail;

	su_timer_t *sweep_timer;
	bool prepoll;                 /* on_prepoll registered */
	unsigned sweeps;              /* on_sweep calls */
	unsigned long work;           /* requests received + NOTIFYs sent */
	unsigned long work_seen;      /* `work` at the previous sweep */
	unsigned last_trim;           /* `sweeps` at the last malloc_trim */
	msg_t *doc_tmpl;              /* notify.c: the shared NOTIFY body */
	const char *doc_tmpl_body;
	size_t doc_tmpl_len;
	bool destroying;
};

/* listen.c */
/* Add the listener "proto:address:port" to the agent and log it.  0 or a
 * negative errno value (logged). */
int sip_listen_add(struct sip_engine *e, const char *spec);
/* Build the TLS directory from tls.cert/tls.key (nothing when unset). */
int sip_tls_prepare(struct sip_engine *e, const struct conf *conf);
void sip_tls_cleanup(struct sip_engine *e);

/* checkpoint.c: a thread with its own store connection that runs a
 * PASSIVE WAL checkpoint every second.  0 or a negative errno value. */
int sip_ckpt_start(struct sip_ckpt **cp, const char *path, int busy_ms);
/* Stop and join it.  NULL-safe. */
void sip_ckpt_stop(struct sip_ckpt *c);

/* engine.c */
bool sip_engine_domain_served(const struct sip_engine *e, const char *host,
			      bool *open);
int sip_engine_decide(struct sip_engine *e, const char *presentity,
		      const char *watcher, bool authenticated,
		      enum sip_authz_result *out);
void sip_engine_reply(struct sip_engine *e, nta_incoming_t *irq, int status,
		      const char *phrase);
void sip_engine_newtag(struct sip_engine *e, char *buf, size_t len);
/* "sip:user@host" of a URL (no port, no parameters) into buf. */
int sip_engine_aor(const url_t *u, char *buf, size_t len);
/* The presentity a SUBSCRIBE or PUBLISH addresses: its AOR into `aor`
 * when the Request-URI has a user, in a served domain, and (outside open
 * domains) is a provisioned IMPU.  Returns 0 with *open set, or the status
 * to answer (404, 500) with its phrase in *phrase. */
int sip_engine_presentity(struct sip_engine *e, const sip_t *sip, char *aor,
			  size_t len, bool *open, const char **phrase);

/* commit.c */
/* Open the batch's transaction if needed.  0 or a DB_E* code. */
int sip_commit_begin(struct sip_engine *e);
/* Queue d (malloc'd; taken over) to run after the batch commits. */
void sip_commit_defer(struct sip_engine *e, struct sip_deferred *d);
/* Note that a request's write went into the batch; commits when it is
 * full (or at once with sip.commit_delay 0).  Write-behind writes (NOTIFY
 * CSeq, deletions) call only sip_commit_begin: the timer commits them. */
void sip_commit_note(struct sip_engine *e);
/* Mark the batch as failed (a write failed): it is rolled back and every
 * deferred answer becomes 500. */
void sip_commit_fail(struct sip_engine *e);
/* Commit now and run the deferred actions. */
void sip_commit_flush(struct sip_engine *e);
/* Before the loop blocks: commit a batch that is (nearly) due, so that
 * Sofia never busy-waits the last sub-millisecond of the commit timer. */
void sip_commit_prepoll(struct sip_engine *e);
struct sip_deferred *sip_deferred_new(nta_incoming_t *irq, int status);

/* subscribe.c */
int sip_subscribe_request(struct sip_engine *e, nta_incoming_t *irq,
			  sip_t const *sip);
/* Row of the store for s (presentity and event filled in). */
void sip_subscribe_to_row(const struct sip_sub *s, struct db_subscription *r);
/* Build the in-memory subscription for a stored row (restart). */
int sip_subscribe_restore(struct sip_engine *e,
			  const struct db_subscription *r);
/* Re-run the authorization of every subscription of one presentity. */
void sip_subscribe_reauthorize(struct sip_engine *e, struct sip_pres *p);

/* publish.c */
int sip_publish_request(struct sip_engine *e, nta_incoming_t *irq,
			sip_t const *sip);
int sip_publish_restore(struct sip_engine *e, const struct db_publication *p);
void sip_publish_expire(struct sip_engine *e, int64_t now);
void sip_publish_clear(struct sip_engine *e);
/* The composed PIDF of p, rebuilt when its version changed. */
int sip_publish_document(struct sip_engine *e, struct sip_pres *p,
			 const char **doc, size_t *len);
int sip_publish_neutral(struct sip_engine *e, struct sip_pres *p,
			const char **doc, size_t *len);

/* notify.c */
/* NOTIFY CSeqs are reserved in blocks of this many: the store holds a
 * value at or above every CSeq used (docs/durability.md). */
#define CSEQ_BLOCK 64
extern const struct sip_sub_ops sip_notify_ops;
/* Drop the shared NOTIFY body (outstanding NOTIFYs keep their own
 * reference to it).  Before nta_agent_destroy(). */
void sip_notify_clear(struct sip_engine *e);

/* identity.c */
int sip_peers_parse(const char *list, struct sip_peer_net *out, int max);
bool sip_peer_trusted(const struct sip_engine *e, nta_incoming_t *irq);

#define SIP_ANONYMOUS "sip:anonymous@anonymous.invalid"

struct sip_identity {
	char uri[256];            /* the identity authorization sees */
	bool authenticated;
	char impi[256];           /* Digest username, when Digest was used */
};

/* A Digest answer, as strings (so that it is testable without SIP). */
struct sip_digest_req {
	const char *authorization;  /* the Authorization value */
	const char *method;
	const char *request_uri;
	const char *from;           /* From AOR */
	bool md5, sha256;           /* algorithms accepted */
};

/* Verify a Digest answer against the subscriber (username = IMPI) in the
 * store.  0 with *id set (the From IMPU when it belongs to the IMPI, else
 * its default IMPU), or -1; then *stale says whether a challenge with
 * stale=true is due, and realm holds the subscriber's realm if known. */
int sip_digest_check(struct auth_digest *d, struct db *db,
		     const struct sip_digest_req *req, struct sip_identity *id,
		     bool *stale, char *realm, size_t realmlen);

/* Establish who sent the request (TS 33.141 clause 4): 0 with *id filled,
 * or a SIP status that has already been answered (401/403/500).
 * `require` false lets an unknown sender through as anonymous when
 * sip.allow_anonymous is set. */
int sip_identity_get(struct sip_engine *e, nta_incoming_t *irq,
		     sip_t const *sip, struct sip_identity *id);

/* winfo.c */
/* Record the watcher of presence subscription s in the store and queue
 * the change for the presentity's winfo subscribers.  `event` is the RFC
 * 3857 3.3 event.  Returns true when a winfo subscriber must be notified
 * (the caller does it, now or after the commit). */
bool sip_winfo_record(struct sip_engine *e, struct sip_sub *s,
		      const char *event);
/* sip_winfo_record, then notify the winfo subscribers at once. */
void sip_winfo_watcher_changed(struct sip_engine *e, struct sip_sub *s,
			       const char *event);
/* The watcherinfo body of the next NOTIFY to winfo subscription s (full
 * state on its first NOTIFY, else partial changes).  malloc'd. */
int sip_winfo_body(struct sip_engine *e, struct sip_sub *s, char **out,
		   size_t *len);

#endif /* PRESENCED_SIP_ENGINE_INT_H */
