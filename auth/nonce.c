/*
 * nonce.c - the bounded nonce-count table behind Digest replay protection.
 *
 * RFC 7616 section 3.4 (and RFC 3261 clause 22.4 via RFC 2617 3.2.2) lets
 * a client reuse a nonce with an increasing nonce-count; the server must
 * remember, per nonce, the highest count it accepted so that a repeated
 * request is detected.  This file keeps that memory in a fixed pool of
 * entries: a hash table (chained through entry indices) for lookup, plus
 * intrusive doubly-linked lists for the pending/active/free sets described
 * in auth_int.h.  Entries are addressed by uint32_t index; NIL ends a list.
 *
 * The keys are the 16 random bytes of nonces this server issued.  Lookups
 * happen only after the nonce's HMAC was checked, so an attacker cannot
 * choose keys, and the first bytes make a uniform hash.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"

#define NIL UINT32_MAX

enum nonce_list { NL_FREE, NL_PENDING, NL_ACTIVE, NL_COUNT };

struct nonce_ent {
	uint8_t id[AUTH_NONCE_ID_LEN];
	uint32_t nc;         /* highest nonce-count accepted */
	uint32_t hnext;      /* next entry in the same hash bucket */
	uint32_t prev, next; /* links in the list named by `list` */
	uint8_t list;        /* enum nonce_list */
};

struct nonce_list_head {
	uint32_t head, tail;
	size_t n, max;
};

struct auth_nonce_table {
	struct nonce_ent *ents;
	uint32_t *buckets;
	uint32_t mask;       /* bucket count - 1 (a power of two) */
	struct nonce_list_head l[NL_COUNT];
};

static uint32_t bucket_of(const struct auth_nonce_table *t, const uint8_t *id)
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	return h & t->mask;
}

static void list_unlink(struct auth_nonce_table *t, uint32_t i)
{
	struct nonce_ent *e = &t->ents[i];
	struct nonce_list_head *l = &t->l[e->list];

	if (e->prev != NIL)
		t->ents[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NIL)
		t->ents[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NIL;
	l->n--;
}

static void list_push_tail(struct auth_nonce_table *t, enum nonce_list which,
			   uint32_t i)
{
	struct nonce_ent *e = &t->ents[i];
	struct nonce_list_head *l = &t->l[which];

	e->list = (uint8_t)which;
	e->next = NIL;
	e->prev = l->tail;
	if (l->tail != NIL)
		t->ents[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

static uint32_t hash_find(const struct auth_nonce_table *t, const uint8_t *id)
{
	uint32_t i;

	for (i = t->buckets[bucket_of(t, id)]; i != NIL; i = t->ents[i].hnext)
		if (memcmp(t->ents[i].id, id, AUTH_NONCE_ID_LEN) == 0)
			return i;
	return NIL;
}

static void hash_unlink(struct auth_nonce_table *t, uint32_t i)
{
	uint32_t *pp = &t->buckets[bucket_of(t, t->ents[i].id)];

	while (*pp != NIL && *pp != i)
		pp = &t->ents[*pp].hnext;
	if (*pp == i)
		*pp = t->ents[i].hnext;
	t->ents[i].hnext = NIL;
}

/* Drop entry i from the map and its list, and return it to the free list. */
static void ent_release(struct auth_nonce_table *t, uint32_t i)
{
	hash_unlink(t, i);
	list_unlink(t, i);
	memset(t->ents[i].id, 0, AUTH_NONCE_ID_LEN);
	t->ents[i].nc = 0;
	list_push_tail(t, NL_FREE, i);
}

int auth_nonce_table_new(struct auth_nonce_table **tp, size_t max)
{
	struct auth_nonce_table *t = NULL;
	size_t nb = 1;
	uint32_t i;
	int rc = -ENOMEM;

	if (tp == NULL || max < 2 || max >= NIL / 2)
		return -EINVAL;
	/* About one entry per bucket. */
	while (nb < max)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	t->ents = calloc(max, sizeof(*t->ents));
	t->buckets = malloc(nb * sizeof(*t->buckets));
	if (t->ents == NULL || t->buckets == NULL)
		goto out;
	t->mask = (uint32_t)(nb - 1);
	for (i = 0; i < nb; i++)
		t->buckets[i] = NIL;
	for (i = 0; i < NL_COUNT; i++)
		t->l[i] = (struct nonce_list_head){ NIL, NIL, 0, 0 };
	t->l[NL_PENDING].max = max / 2;
	t->l[NL_ACTIVE].max = max - max / 2;
	t->l[NL_FREE].max = max;
	for (i = 0; i < (uint32_t)max; i++) {
		t->ents[i].hnext = NIL;
		list_push_tail(t, NL_FREE, i);
	}
	*tp = t;
	t = NULL;
	rc = 0;
out:
	auth_nonce_table_free(t);
	return rc;
}

void auth_nonce_table_free(struct auth_nonce_table *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t->buckets);
	free(t);
}

void auth_nonce_table_add(struct auth_nonce_table *t,
			  const uint8_t id[AUTH_NONCE_ID_LEN])
{
	struct nonce_list_head *pend = &t->l[NL_PENDING];
	uint32_t i;

	/* The pool holds pending.max + active.max entries, so while pending
	 * is below its share a free entry exists. */
	if (pend->n >= pend->max)
		ent_release(t, pend->head);
	i = t->l[NL_FREE].head;
	list_unlink(t, i);
	memcpy(t->ents[i].id, id, AUTH_NONCE_ID_LEN);
	t->ents[i].nc = 0;
	t->ents[i].hnext = t->buckets[bucket_of(t, id)];
	t->buckets[bucket_of(t, id)] = i;
	list_push_tail(t, NL_PENDING, i);
}

int auth_nonce_table_use(struct auth_nonce_table *t,
			 const uint8_t id[AUTH_NONCE_ID_LEN], uint32_t nc)
{
	struct nonce_list_head *act = &t->l[NL_ACTIVE];
	uint32_t i = hash_find(t, id);

	if (i == NIL)
		return -ENOENT;
	/* RFC 7616 3.4: the count must grow; equal or lower is a replay. */
	if (nc <= t->ents[i].nc)
		return -EALREADY;
	t->ents[i].nc = nc;
	list_unlink(t, i);
	if (t->ents[i].list == NL_PENDING && act->n >= act->max)
		ent_release(t, act->head);
	list_push_tail(t, NL_ACTIVE, i);
	return 0;
}

void auth_nonce_table_remove(struct auth_nonce_table *t,
			     const uint8_t id[AUTH_NONCE_ID_LEN])
{
	uint32_t i = hash_find(t, id);

	if (i != NIL)
		ent_release(t, i);
}

void auth_nonce_table_counts(const struct auth_nonce_table *t,
			     size_t *pending, size_t *active)
{
	*pending = t->l[NL_PENDING].n;
	*active = t->l[NL_ACTIVE].n;
}
