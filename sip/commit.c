/*
 * commit.c - group commit (docs/durability.md).
 *
 * Rule: nothing is answered 2xx before the write it promises is
 * committed.  Writes of requests that arrive close together share one
 * transaction: the first write of a batch opens it (BEGIN IMMEDIATE) and
 * arms a timer of sip.commit_delay milliseconds; the batch commits when
 * the timer fires or when sip.commit_batch requests have joined, and only
 * then are its answers sent and its NOTIFYs started.  With WAL and
 * synchronous=NORMAL a commit is a write() into the WAL, not an fsync, so
 * a committed batch survives the process being killed.
 *
 * If the commit fails, the batch is rolled back and every waiting request
 * is answered 500; in-memory state may then be ahead of the store until
 * the next restart (logged loudly: it means the disk failed).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sip/engine_int.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>

struct sip_deferred *sip_deferred_new(nta_incoming_t *irq, int status)
{
	struct sip_deferred *d = calloc(1, sizeof(*d));

	if (d) {
		d->irq = irq;
		d->status = status;
	}
	return d;
}

static void on_commit_timer(su_root_magic_t *m, su_timer_t *t,
			    struct sip_engine *e)
{
	(void)m;
	(void)t;
	sip_commit_flush(e);
}

int sip_commit_begin(struct sip_engine *e)
{
	int rc;

	if (e->tx_open)
		return 0;
	rc = db_begin(e->db);
	if (rc < 0) {
		log_err("sip: cannot begin a transaction: %s", db_errmsg(e->db));
		return rc;
	}
	e->tx_open = true;
	e->tx_failed = false;
	e->tx_count = 0;
	e->tx_start_ms = clock_mono_ms();
	/* Write-behind writes (NOTIFY CSeqs, deletions) only open the batch;
	 * the timer commits them even when no request joins. */
	if (e->commit_timer)
		su_timer_set_interval(e->commit_timer, on_commit_timer, e,
				      e->set.commit_ms ? e->set.commit_ms : 1);
	return 0;
}

void sip_commit_defer(struct sip_engine *e, struct sip_deferred *d)
{
	d->next = NULL;
	*e->dtail = d;
	e->dtail = &d->next;
	if (!e->tx_open) {
		/* Nothing to wait for (e.g. a fetch wrote nothing): run now. */
		sip_commit_flush(e);
	}
}

void sip_commit_note(struct sip_engine *e)
{
	e->tx_count++;
	if (e->tx_count >= e->set.commit_max || e->set.commit_ms == 0)
		sip_commit_flush(e);
}

void sip_commit_prepoll(struct sip_engine *e)
{
	/* Sofia computes poll timeouts in whole milliseconds, rounded down:
	 * in the last millisecond before a timer it polls with timeout 0 in
	 * a loop.  Committing here once the batch is within a millisecond of
	 * its deadline keeps the loop from spinning. */
	if (e->tx_open &&
	    clock_mono_ms() - e->tx_start_ms + 1 >= (int64_t)e->set.commit_ms)
		sip_commit_flush(e);
}

void sip_commit_fail(struct sip_engine *e)
{
	e->tx_failed = true;
}

static void run_deferred(struct sip_engine *e, struct sip_deferred *d, bool ok)
{
	if (d->irq) {
		if (!ok) {
			nta_incoming_treply(d->irq, 500, "Store failure",
					    TAG_END());
		} else {
			char exp[16];
			snprintf(exp, sizeof(exp), "%u", d->expires);
			nta_incoming_treply(d->irq, d->status, d->phrase,
				TAG_IF(d->has_expires, SIPTAG_EXPIRES_STR(exp)),
				TAG_IF(d->etag[0], SIPTAG_ETAG_STR(d->etag)),
				TAG_IF(d->contact, SIPTAG_CONTACT_STR(d->contact)),
				TAG_END());
		}
		nta_incoming_destroy(d->irq);
	}
	if (ok && d->sub) {
		if (d->terminate)
			sip_sub_terminate(&e->tab, d->sub, d->reason);
		else
			sip_sub_notify(&e->tab, d->sub);
	}
	if (d->sub)
		sip_sub_unref(d->sub);
	if (ok && d->notify_aor) {
		struct sip_pres *p = sip_pres_get(&e->tab, d->notify_aor, false);
		if (p) {
			sip_pres_pin(p);
			if (d->notify_presence)
				sip_pres_notify(&e->tab, p, SIP_EV_PRESENCE);
			if (d->notify_winfo)
				sip_pres_notify(&e->tab, p, SIP_EV_WINFO);
			sip_pres_unpin(&e->tab, p);
		}
	}
	free(d->notify_aor);
	free(d);
}

void sip_commit_flush(struct sip_engine *e)
{
	struct sip_deferred *d, *next;
	bool ok = true;

	if (e->tx_open) {
		if (e->commit_timer)
			su_timer_reset(e->commit_timer);
		e->tx_open = false;
		if (e->tx_failed) {
			db_rollback(e->db);
			ok = false;
		} else if (db_commit(e->db) < 0) {
			log_err("sip: group commit failed: %s; answering 500",
				db_errmsg(e->db));
			db_rollback(e->db);
			ok = false;
		}
	}
	d = e->dhead;
	e->dhead = NULL;
	e->dtail = &e->dhead;
	for (; d; d = next) {
		next = d->next;
		run_deferred(e, d, ok);
	}
}
