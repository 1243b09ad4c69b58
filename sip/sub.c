/*
 * sub.c - the subscription core: the in-memory table of subscriptions
 * (indexed by dialog and by presentity), their state machine (RFC 6665
 * 4.1.3 / 4.2.2, RFC 3856 6.6), expiry, and NOTIFY flow control.
 *
 * Nothing here touches the network or the store: sending a NOTIFY and
 * forgetting a subscription go through struct sip_sub_ops, so the state
 * machine is tested without sockets (tests/unit/check_sip_sub.c).
 *
 * Flow control: at most one NOTIFY is outstanding per dialog.  A change
 * that arrives meanwhile only sets `dirty`; when the outstanding NOTIFY
 * completes, one NOTIFY with the then-current state goes out, so any
 * number of intermediate states collapse into one (architecture-notes,
 * "Fan-out").
 *
 * Lifetime: a subscription holds one reference for being in the table,
 * one while a NOTIFY is outstanding, and one per deferred action (group
 * commit).  It is freed when the last one goes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

/* ------------------------------------------------------------ hashing */

uint32_t sip_hash_str(const char *s, uint32_t h)
{
	/* FNV-1a; keys are Call-IDs, tags, AORs and ETags. */
	if (h == 0)
		h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int htab_grow(struct sip_htab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	struct sip_hnode **ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct sip_hnode *n = t->slots[i], *next;
		for (; n; n = next) {
			next = n->next;
			n->next = ns[n->hash & (ncap - 1)];
			ns[n->hash & (ncap - 1)] = n;
		}
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

int sip_htab_insert(struct sip_htab *t, struct sip_hnode *n, uint32_t hash)
{
	if (t->n >= t->cap && htab_grow(t) < 0 && t->cap == 0)
		return -ENOMEM;
	n->hash = hash;
	n->next = t->slots[hash & (t->cap - 1)];
	t->slots[hash & (t->cap - 1)] = n;
	t->n++;
	return 0;
}

void sip_htab_remove(struct sip_htab *t, struct sip_hnode *n)
{
	struct sip_hnode **pp;

	if (!t->cap)
		return;
	for (pp = &t->slots[n->hash & (t->cap - 1)]; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->n--;
			return;
		}
	}
}

struct sip_hnode *sip_htab_find(const struct sip_htab *t, uint32_t hash,
				bool (*match)(const struct sip_hnode *n,
					      const void *key),
				const void *key)
{
	if (!t->cap)
		return NULL;
	for (struct sip_hnode *n = t->slots[hash & (t->cap - 1)]; n; n = n->next)
		if (n->hash == hash && match(n, key))
			return n;
	return NULL;
}

void sip_htab_free(struct sip_htab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}

/* ------------------------------------------------------------ helpers */

const char *sip_reason_str(enum sip_reason r)
{
	switch (r) {
	case SIP_RS_TIMEOUT: return "timeout";
	case SIP_RS_REJECTED: return "rejected";
	case SIP_RS_DEACTIVATED: return "deactivated";
	case SIP_RS_NORESOURCE: return "noresource";
	case SIP_RS_GIVEUP: return "giveup";
	case SIP_RS_PROBATION: return "probation";
	default: return "";
	}
}

int sip_expiry_pick(const struct sip_expiry *e, long req, unsigned *out)
{
	if (req < 0) {
		*out = e->def;
		return 0;
	}
	if (req == 0) {
		*out = 0;
		return 0;
	}
	/* RFC 6665 4.2.1.1 / RFC 3903 6 step 4: too short -> 423 with
	 * Min-Expires; longer than allowed -> shortened in the 200. */
	if ((unsigned long)req < e->min) {
		*out = e->min;
		return 423;
	}
	*out = (unsigned long)req > e->max ? e->max : (unsigned)req;
	return 0;
}

int sip_sub_state_print(const struct sip_sub *s, int64_t now, char *buf,
			size_t len)
{
	int64_t left = s->expires - now;
	int n;

	if (left < 0)
		left = 0;
	switch (s->state) {
	case SIP_SUB_ACTIVE:
		n = snprintf(buf, len, "active;expires=%lld", (long long)left);
		break;
	case SIP_SUB_PENDING:
		n = snprintf(buf, len, "pending;expires=%lld", (long long)left);
		break;
	default:
		n = snprintf(buf, len, "terminated;reason=%s",
			     sip_reason_str(s->reason ? s->reason : SIP_RS_TIMEOUT));
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* ---------------------------------------------------------- presentity */

static bool pres_match(const struct sip_hnode *n, const void *key)
{
	return strcmp(((const struct sip_pres *)n)->aor, key) == 0;
}

struct sip_pres *sip_pres_get(struct sip_subtab *t, const char *aor,
			      bool create)
{
	uint32_t h = sip_hash_str(aor, 0);
	struct sip_pres *p;
	size_t len;

	p = (struct sip_pres *)sip_htab_find(&t->pres, h, pres_match, aor);
	if (p || !create)
		return p;
	len = strlen(aor);
	p = sip_pool_alloc(sizeof(*p) + len + 1);
	if (!p)
		return NULL;
	memcpy(p->aor, aor, len + 1);
	p->doc_version = 1;
	if (sip_htab_insert(&t->pres, &p->hn, h) < 0) {
		sip_pool_free(p);
		return NULL;
	}
	return p;
}

static void pres_free(struct sip_pres *p)
{
	sip_pool_free(p->doc);
	sip_pool_free(p->neutral);
	sip_pool_free(p);
}

void sip_pres_maybe_free(struct sip_subtab *t, struct sip_pres *p)
{
	if (!p || p->nsubs || p->pubs)
		return;
	sip_htab_remove(&t->pres, &p->hn);
	pres_free(p);
}

void sip_pres_pin(struct sip_pres *p)
{
	p->nsubs++;
}

void sip_pres_unpin(struct sip_subtab *t, struct sip_pres *p)
{
	p->nsubs--;
	sip_pres_maybe_free(t, p);
}

/* ------------------------------------------------------- subscriptions */

void sip_subtab_init(struct sip_subtab *t, const struct sip_sub_ops *ops,
		     void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->ctx = ctx;
}

struct sip_sub *sip_sub_new(const struct sip_sub_init *in)
{
	size_t lens[SS_N], total = 0;
	struct sip_sub *s;

	for (int i = 0; i < SS_N; i++) {
		lens[i] = in->s[i] ? strlen(in->s[i]) : 0;
		total += lens[i] + 1;
	}
	if (total > UINT16_MAX)
		return NULL;
	s = sip_pool_alloc(sizeof(*s) + total);
	if (!s)
		return NULL;
	total = 0;
	for (int i = 0; i < SS_N; i++) {
		s->off[i] = (uint16_t)total;
		if (lens[i])
			memcpy(s->str + total, in->s[i], lens[i]);
		s->str[total + lens[i]] = '\0';
		total += lens[i] + 1;
	}
	s->id = in->id;
	s->expires = in->expires;
	s->local_cseq = in->local_cseq;
	s->stored_cseq = in->local_cseq;
	s->remote_cseq = in->remote_cseq;
	s->version = in->version;
	s->event = (uint8_t)in->event;
	s->state = (uint8_t)in->state;
	s->decision = (uint8_t)in->decision;
	s->authenticated = in->authenticated;
	s->winfo_full = true;
	s->refs = 1;
	if (in->target && sip_sub_set_target(s, in->target) < 0) {
		sip_pool_free(s);
		return NULL;
	}
	return s;
}

static uint32_t dialog_hash(const char *call_id, const char *local_tag)
{
	return sip_hash_str(local_tag, sip_hash_str(call_id, 0));
}

struct dialog_key { const char *call_id, *local_tag; };

static bool dialog_match(const struct sip_hnode *n, const void *key)
{
	const struct sip_sub *s = (const struct sip_sub *)n;
	const struct dialog_key *k = key;

	return strcmp(sip_sub_s(s, SS_CALL_ID), k->call_id) == 0 &&
	       strcmp(sip_sub_s(s, SS_LOCAL_TAG), k->local_tag) == 0;
}

struct sip_sub *sip_sub_find(const struct sip_subtab *t, const char *call_id,
			     const char *local_tag)
{
	struct dialog_key k = { call_id, local_tag };

	return (struct sip_sub *)sip_htab_find(&t->dialogs,
					       dialog_hash(call_id, local_tag),
					       dialog_match, &k);
}

void sip_sub_link(struct sip_subtab *t, struct sip_pres *p, struct sip_sub *s)
{
	s->pres = p;
	s->pprev = NULL;
	s->pnext = p->subs[s->event];
	if (s->pnext)
		s->pnext->pprev = s;
	p->subs[s->event] = s;
	p->nsubs++;
	/* A failed grow keeps the old table, which still has room to chain. */
	sip_htab_insert(&t->dialogs, &s->hn,
			dialog_hash(sip_sub_s(s, SS_CALL_ID),
				    sip_sub_s(s, SS_LOCAL_TAG)));
	s->linked = true;
	t->nsubs++;
}

static void sub_unlink(struct sip_subtab *t, struct sip_sub *s)
{
	struct sip_pres *p = s->pres;

	if (!s->linked)
		return;
	s->linked = false;
	sip_htab_remove(&t->dialogs, &s->hn);
	if (s->pprev)
		s->pprev->pnext = s->pnext;
	else
		p->subs[s->event] = s->pnext;
	if (s->pnext)
		s->pnext->pprev = s->pprev;
	s->pnext = s->pprev = NULL;
	p->nsubs--;
	t->nsubs--;
}

void sip_sub_ref(struct sip_sub *s)
{
	s->refs++;
}

void sip_sub_unref(struct sip_sub *s)
{
	if (s && --s->refs == 0) {
		sip_winfo_changes_free(s->wchanges);
		sip_pool_free(s->target);
		sip_pool_free(s);
	}
}

int sip_sub_set_target(struct sip_sub *s, const char *target)
{
	char *n;

	if (s->target && strcmp(s->target, target) == 0)
		return 0;
	n = sip_pool_strdup(target);
	if (!n)
		return -ENOMEM;
	sip_pool_free(s->target);
	s->target = n;
	return 0;
}

/* ------------------------------------------------------- state machine */

static void sub_send(struct sip_subtab *t, struct sip_sub *s)
{
	s->busy = true;
	s->dirty = false;
	s->local_cseq++;          /* RFC 3261 12.2.1.1: one higher each time */
	if (s->event == SIP_EV_WINFO)
		s->version++;     /* RFC 3858 4.2: one higher per document */
	sip_sub_ref(s);
	if (t->ops->send(t->ctx, s) < 0)
		sip_sub_notify_done(t, s, 503);
}

void sip_sub_notify(struct sip_subtab *t, struct sip_sub *s)
{
	if (!s->linked)
		return;
	if (s->busy) {
		s->dirty = true;
		return;
	}
	sub_send(t, s);
}

void sip_pres_notify(struct sip_subtab *t, struct sip_pres *p,
		     enum sip_event ev)
{
	struct sip_sub *s, *next;

	sip_pres_pin(p);
	for (s = p->subs[ev]; s; s = next) {
		next = s->pnext;
		sip_sub_notify(t, s);
	}
	sip_pres_unpin(t, p);
}

void sip_sub_remove(struct sip_subtab *t, struct sip_sub *s)
{
	struct sip_pres *p = s->pres;

	if (!s->linked)
		return;
	s->state = SIP_SUB_TERMINATED;
	sip_pres_pin(p);          /* gone() may notify p's other watchers */
	sub_unlink(t, s);
	t->ops->gone(t->ctx, s);
	sip_pres_unpin(t, p);
	sip_sub_unref(s);         /* the table's reference */
}

void sip_sub_notify_done(struct sip_subtab *t, struct sip_sub *s, int status)
{
	s->busy = false;
	if (!s->linked) {
		sip_sub_unref(s);
		return;
	}
	if (status == 481 || status == 408 || status == 503 || status == 0) {
		/* RFC 6665 4.2.2: the dialog is gone or unreachable. */
		if (s->state != SIP_SUB_TERMINATED) {
			s->state = SIP_SUB_TERMINATED;
			s->reason = SIP_RS_TIMEOUT;
		}
		sip_sub_remove(t, s);
	} else if (s->state == SIP_SUB_TERMINATED && !s->dirty) {
		/* The final NOTIFY has been answered. */
		sip_sub_remove(t, s);
	} else if (s->dirty) {
		sub_send(t, s);
	}
	sip_sub_unref(s);         /* the outstanding NOTIFY's reference */
}

void sip_sub_terminate(struct sip_subtab *t, struct sip_sub *s,
		       enum sip_reason reason)
{
	if (!s->linked || s->state == SIP_SUB_TERMINATED)
		return;
	s->state = SIP_SUB_TERMINATED;
	s->reason = (uint8_t)reason;
	sip_sub_notify(t, s);
}

struct expire_ctx { struct sip_subtab *t; int64_t now; size_t n; };

void sip_subtab_foreach(struct sip_subtab *t,
			void (*fn)(struct sip_sub *s, void *arg), void *arg)
{
	/* Collect first: fn may unlink (and so change the buckets). */
	struct sip_sub **v;
	size_t n = 0;

	if (!t->dialogs.n)
		return;
	v = malloc(t->dialogs.n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < t->dialogs.cap; i++)
		for (struct sip_hnode *h = t->dialogs.slots[i]; h; h = h->next) {
			sip_sub_ref((struct sip_sub *)h);
			v[n++] = (struct sip_sub *)h;
		}
	for (size_t i = 0; i < n; i++) {
		if (v[i]->linked)
			fn(v[i], arg);
		sip_sub_unref(v[i]);
	}
	free(v);
}

static void expire_one(struct sip_sub *s, void *arg)
{
	struct expire_ctx *c = arg;

	if (s->expires > c->now || s->state == SIP_SUB_TERMINATED)
		return;
	c->n++;
	/* RFC 6665 4.1.3: pending too long -> giveup; else timeout. */
	sip_sub_terminate(c->t, s,
			  s->state == SIP_SUB_PENDING ? SIP_RS_GIVEUP
						      : SIP_RS_TIMEOUT);
}

void sip_subtab_expire(struct sip_subtab *t, int64_t now, size_t *n)
{
	struct expire_ctx c = { t, now, 0 };

	sip_subtab_foreach(t, expire_one, &c);
	if (n)
		*n = c.n;
}

void sip_subtab_clear(struct sip_subtab *t)
{
	for (size_t i = 0; i < t->dialogs.cap; i++) {
		struct sip_hnode *h = t->dialogs.slots[i], *next;
		for (; h; h = next) {
			next = h->next;
			sip_winfo_changes_free(((struct sip_sub *)h)->wchanges);
			sip_pool_free(((struct sip_sub *)h)->target);
			sip_pool_free(h);
		}
	}
	for (size_t i = 0; i < t->pres.cap; i++) {
		struct sip_hnode *h = t->pres.slots[i], *next;
		for (; h; h = next) {
			next = h->next;
			pres_free((struct sip_pres *)h);
		}
	}
	sip_htab_free(&t->dialogs);
	sip_htab_free(&t->pres);
	t->nsubs = 0;
}

/* ---------------------------------------------------------------- accept */

bool sip_accept_allows(const char *accept, const char *type)
{
	const char *p = accept;
	const char *slash = strchr(type, '/');
	size_t tlen = strlen(type), mlen = slash ? (size_t)(slash - type) : tlen;

	if (!accept || !*accept)
		return true;
	while (*p) {
		const char *b, *e;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		b = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		e = p;
		len = (size_t)(e - b);
		if ((len == tlen && strncasecmp(b, type, len) == 0) ||
		    (len == 3 && memcmp(b, "*/*", 3) == 0) ||
		    (len == mlen + 2 && strncasecmp(b, type, mlen) == 0 &&
		     memcmp(b + mlen, "/*", 2) == 0))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}
