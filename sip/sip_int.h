/*
 * sip_int.h - private to sip/: the in-memory subscription table and
 * presentity index (sub.c), publications (pub.c), group commit
 * (commit.c), identity (identity.c), watcherinfo (winfo.c) and the
 * engine object that ties them to Sofia nta (engine.c, request.c,
 * notify.c).
 *
 * The subscription core (struct sip_subtab and the sip_sub_* functions)
 * knows nothing of Sofia or SQLite: it is a state machine over plain
 * structs that calls back through struct sip_sub_ops to send a NOTIFY or
 * to forget a subscription.  That is what lets tests/unit/check_sip_sub.c
 * drive it with a fake sender and an injected clock (no sockets, no
 * sleeps).  The store stays the truth; these structs are the index the
 * hot path needs (architecture-notes, "Subscriptions at scale").
 */
#ifndef PRESENCED_SIP_INT_H
#define PRESENCED_SIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sip.h"

/* --------------------------------------------------------------- pool */

/* Long-lived objects of the SIP thread (pool.c): zeroed memory from
 * dense size-class chunks, so that they do not pin the pages of
 * short-lived Sofia transactions.  Free with sip_pool_free (NULL-safe). */
void *sip_pool_alloc(size_t n);
void sip_pool_free(void *p);
char *sip_pool_strdup(const char *s);
/* Copy n bytes and add a NUL. */
void *sip_pool_memdup(const void *s, size_t n);

/* ------------------------------------------------------------ hashing */

/* An intrusive chained hash: embed struct sip_hnode, look up by string
 * key through a caller-supplied key function.  Grows by doubling. */
struct sip_hnode {
	struct sip_hnode *next;
	uint32_t hash;
};

struct sip_htab {
	struct sip_hnode **slots;
	size_t cap;   /* power of two, or 0 */
	size_t n;
};

uint32_t sip_hash_str(const char *s, uint32_t h);
int sip_htab_insert(struct sip_htab *t, struct sip_hnode *n, uint32_t hash);
void sip_htab_remove(struct sip_htab *t, struct sip_hnode *n);
/* First node with this hash for which match(node, key) is true. */
struct sip_hnode *sip_htab_find(const struct sip_htab *t, uint32_t hash,
				bool (*match)(const struct sip_hnode *n,
					      const void *key),
				const void *key);
void sip_htab_free(struct sip_htab *t);

/* ------------------------------------------------- subscription core */

enum sip_event { SIP_EV_PRESENCE = 0, SIP_EV_WINFO = 1, SIP_EV_N = 2 };

enum sip_sub_state {
	SIP_SUB_PENDING = 0,    /* = DB_SUB_PENDING */
	SIP_SUB_ACTIVE = 1,     /* = DB_SUB_ACTIVE */
	SIP_SUB_TERMINATED = 2, /* = DB_SUB_TERMINATED */
};

/* RFC 6665 section 4.1.3 reasons (and RFC 3857 3.3 winfo events). */
enum sip_reason {
	SIP_RS_NONE = 0,
	SIP_RS_TIMEOUT,
	SIP_RS_REJECTED,
	SIP_RS_DEACTIVATED,
	SIP_RS_NORESOURCE,
	SIP_RS_GIVEUP,
	SIP_RS_PROBATION,
};
const char *sip_reason_str(enum sip_reason r);

struct sip_pub;
struct sip_pres;
struct sip_winfo_change;
/* Free a list of winfo changes (winfo.c). */
void sip_winfo_changes_free(struct sip_winfo_change *c);

/* Packed strings of one subscription, in this order, NUL-separated. */
enum sip_sub_str {
	SS_CALL_ID, SS_LOCAL_TAG, SS_REMOTE_TAG, SS_WATCHER, SS_REMOTE_URI,
	SS_LOCAL_URI, SS_ROUTE, SS_LOCAL_CONTACT, SS_N
};

struct sip_sub {
	struct sip_hnode hn;        /* dialog index: call-id + local tag */
	struct sip_sub *pnext, *pprev; /* list of its presentity and event */
	struct sip_pres *pres;
	int64_t id;                 /* store row id; 0 = not stored (fetch) */
	int64_t expires;            /* absolute unix seconds */
	uint32_t local_cseq;        /* last CSeq used in a NOTIFY */
	uint32_t stored_cseq;       /* CSeq the store holds (>= local_cseq
				     * means no write is needed) */
	uint32_t remote_cseq;       /* last CSeq seen in a SUBSCRIBE */
	uint32_t version;           /* winfo version of the last NOTIFY */
	uint32_t sent_doc;          /* pres->doc_version last sent */
	uint16_t refs;              /* table link + outstanding NOTIFY + deferred */
	uint8_t event;              /* enum sip_event */
	uint8_t state;              /* enum sip_sub_state */
	uint8_t reason;             /* enum sip_reason when terminated */
	uint8_t decision;           /* enum sip_authz_result */
	bool linked : 1;            /* in the table */
	bool busy : 1;              /* a NOTIFY is outstanding */
	bool dirty : 1;             /* an update arrived while busy */
	bool authenticated : 1;
	bool winfo_full : 1;        /* next winfo NOTIFY carries full state */
	bool fetch : 1;             /* Expires: 0 on a new SUBSCRIBE */
	struct sip_winfo_change *wchanges; /* winfo: changes not yet sent */
	char *target;               /* remote target (Contact); changes on
				     * refresh, so kept apart (malloc) */
	uint16_t off[SS_N];         /* offsets into str */
	char str[];                 /* packed strings */
};

static inline const char *sip_sub_s(const struct sip_sub *s, enum sip_sub_str i)
{
	return s->str + s->off[i];
}

/* Everything needed to create one subscription (strings are copied). */
struct sip_sub_init {
	const char *s[SS_N];
	const char *target;
	int64_t id;
	int64_t expires;
	uint32_t local_cseq, remote_cseq, version;
	enum sip_event event;
	enum sip_sub_state state;
	enum sip_authz_result decision;
	bool authenticated;
};

/* One presentity: its subscriptions, publications and composed PIDF. */
struct sip_pres {
	struct sip_hnode hn;
	struct sip_sub *subs[SIP_EV_N];
	struct sip_pub *pubs;       /* oldest first */
	uint32_t doc_version;       /* bumped on every publication change */
	uint32_t doc_built;         /* version the cached doc was built from */
	char *doc;                  /* composed PIDF (malloc) */
	size_t doc_len;
	char *neutral;              /* pidf_neutral() (malloc), lazily */
	size_t neutral_len;
	unsigned nsubs;
	char aor[];
};

struct sip_subtab;

/* What the core asks of its owner. */
struct sip_sub_ops {
	/* Send one NOTIFY reflecting s's current state (s->local_cseq has
	 * already been advanced).  Return 0 if it is on its way (the owner
	 * then calls sip_sub_notify_done exactly once), or -1 if it could
	 * not be sent (the core treats that like a transport failure). */
	int (*send)(void *ctx, struct sip_sub *s);
	/* s has left the table for good (terminated, final NOTIFY done or
	 * failed): forget it in the store and tell winfo watchers. */
	void (*gone)(void *ctx, struct sip_sub *s);
};

struct sip_subtab {
	struct sip_htab dialogs;
	struct sip_htab pres;
	const struct sip_sub_ops *ops;
	void *ctx;
	size_t nsubs;
};

void sip_subtab_init(struct sip_subtab *t, const struct sip_sub_ops *ops,
		     void *ctx);
/* Free every subscription and presentity without notifying anyone. */
void sip_subtab_clear(struct sip_subtab *t);

/* The presentity of `aor`, or NULL; with create, made when missing
 * (NULL only on ENOMEM). */
struct sip_pres *sip_pres_get(struct sip_subtab *t, const char *aor,
			      bool create);
/* Drop a presentity that has no subscriptions and no publications. */
void sip_pres_maybe_free(struct sip_subtab *t, struct sip_pres *p);
/* Keep p alive across code that may end its last subscription; unpin
 * frees it if it is then empty (so p must not be used after unpin). */
void sip_pres_pin(struct sip_pres *p);
void sip_pres_unpin(struct sip_subtab *t, struct sip_pres *p);

/* Allocate a subscription (refs = 1, owned by the caller until linked).
 * Returns NULL on ENOMEM or when the strings exceed 64 KiB. */
struct sip_sub *sip_sub_new(const struct sip_sub_init *in);
/* Put s in the table under presentity p (takes the caller's reference). */
void sip_sub_link(struct sip_subtab *t, struct sip_pres *p, struct sip_sub *s);
/* Find by dialog: Call-ID and our (To) tag. */
struct sip_sub *sip_sub_find(const struct sip_subtab *t, const char *call_id,
			     const char *local_tag);
void sip_sub_ref(struct sip_sub *s);
/* Drop one reference; frees s when none is left. */
void sip_sub_unref(struct sip_sub *s);
/* Replace the remote target (Contact update on refresh, RFC 6665
 * 4.1.2.1).  0 or -ENOMEM (then the old target stays). */
int sip_sub_set_target(struct sip_sub *s, const char *target);

/* Ask for a NOTIFY: sent now, or coalesced when one is outstanding (at
 * most one NOTIFY per dialog; the latest state goes out when it ends). */
void sip_sub_notify(struct sip_subtab *t, struct sip_sub *s);
/* Every subscription of p for event ev gets sip_sub_notify.  p may be
 * gone afterwards (a NOTIFY that cannot be sent ends its subscription):
 * pin it to use it after the call. */
void sip_pres_notify(struct sip_subtab *t, struct sip_pres *p,
		     enum sip_event ev);
/* The outstanding NOTIFY of s ended with `status` (0 or 408 for a
 * timeout, 503 for a transport failure).  481, 408 and 503 end the
 * subscription (RFC 6665 4.2.2). */
void sip_sub_notify_done(struct sip_subtab *t, struct sip_sub *s, int status);
/* Move s to terminated with `reason` and send the final NOTIFY; the
 * subscription leaves the table when that NOTIFY completes. */
void sip_sub_terminate(struct sip_subtab *t, struct sip_sub *s,
		       enum sip_reason reason);
/* Remove from the table now, without a NOTIFY; calls ops->gone. */
void sip_sub_remove(struct sip_subtab *t, struct sip_sub *s);
/* Terminate every subscription whose expiry is <= now: active ones with
 * reason timeout, pending ones with giveup (RFC 6665 4.1.3).  *n gets the
 * count (may be NULL). */
void sip_subtab_expire(struct sip_subtab *t, int64_t now, size_t *n);
/* Call fn for every subscription in the table. */
void sip_subtab_foreach(struct sip_subtab *t,
			void (*fn)(struct sip_sub *s, void *arg), void *arg);

/* The Subscription-State value for s at `now` (RFC 6665 8.2.3):
 * "active;expires=N", "pending;expires=N", "terminated;reason=R". */
int sip_sub_state_print(const struct sip_sub *s, int64_t now, char *buf,
			size_t len);

/* Pick the expiry of a SUBSCRIBE or PUBLISH (RFC 6665 4.2.1.1, RFC 3903
 * 6): `req` < 0 means no Expires header.  Returns 0 with *out set (0 for
 * a fetch/removal), or 423 when 0 < req < min (then *out = min). */
struct sip_expiry { unsigned min, def, max; };
int sip_expiry_pick(const struct sip_expiry *e, long req, unsigned *out);

/* --------------------------------------------------------- accept */

/* Does an Accept header value list allow `type`?  NULL or "" (no Accept
 * header) means the package default, which is what we serve
 * (RFC 3856 6.7, RFC 3857 5.7). */
bool sip_accept_allows(const char *accept, const char *type);

#endif /* PRESENCED_SIP_INT_H */
