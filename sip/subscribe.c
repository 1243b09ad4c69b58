/*
 * subscribe.c - SUBSCRIBE for "presence" (RFC 3856) and "presence.winfo"
 * (RFC 3857) over RFC 6665: new subscriptions, refreshes, unsubscribes
 * and fetches; restore after a restart; re-authorization when the
 * presentity's documents change.
 *
 * Order of checks for a new SUBSCRIBE (each answers and stops):
 *   Event (489) -> Accept (406) -> domain (404) -> presentity (404) ->
 *   From tag / Contact (400) -> Expires (423) -> identity (401/403) ->
 *   winfo owner (403) -> policy (403 for block) -> commit -> 200 -> NOTIFY.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/engine_int.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>

#define ALLOW_EVENTS "presence, presence.winfo"
/* After a restart, NOTIFY CSeqs continue this far above the value
 * recorded.  The store holds a reservation at or above every CSeq used
 * (notify.c), but it is written behind: the NOTIFYs of the last
 * group-commit window before a crash may have gone beyond a reservation
 * that was not yet committed.  CSeq need only increase (RFC 3261
 * 12.2.1.1). */
#define CSEQ_RESTART_GAP 1000

static const char *event_type(enum sip_event ev)
{
	return ev == SIP_EV_WINFO ? "application/watcherinfo+xml"
				  : "application/pidf+xml";
}

static bool accept_ok(sip_t const *sip, enum sip_event ev)
{
	const char *type = event_type(ev);
	const sip_accept_t *ac = sip->sip_accept;

	if (!ac)
		return true;   /* RFC 3856 6.7 / RFC 3857 5.7: the default */
	for (; ac; ac = ac->ac_next) {
		if (!ac->ac_type)
			continue;
		if (sip_accept_allows(ac->ac_type, type))
			return true;
	}
	return false;
}

void sip_subscribe_to_row(const struct sip_sub *s, struct db_subscription *r)
{
	memset(r, 0, sizeof(*r));
	r->id = s->id;
	snprintf(r->call_id, sizeof(r->call_id), "%s", sip_sub_s(s, SS_CALL_ID));
	snprintf(r->local_tag, sizeof(r->local_tag), "%s", sip_sub_s(s, SS_LOCAL_TAG));
	snprintf(r->remote_tag, sizeof(r->remote_tag), "%s", sip_sub_s(s, SS_REMOTE_TAG));
	snprintf(r->event, sizeof(r->event), "%s",
		 s->event == SIP_EV_WINFO ? "presence.winfo" : "presence");
	snprintf(r->presentity, sizeof(r->presentity), "%s", s->pres->aor);
	snprintf(r->watcher, sizeof(r->watcher), "%s", sip_sub_s(s, SS_WATCHER));
	snprintf(r->remote_uri, sizeof(r->remote_uri), "%s", sip_sub_s(s, SS_REMOTE_URI));
	snprintf(r->local_uri, sizeof(r->local_uri), "%s", sip_sub_s(s, SS_LOCAL_URI));
	snprintf(r->remote_target, sizeof(r->remote_target), "%s", s->target);
	snprintf(r->route_set, sizeof(r->route_set), "%s", sip_sub_s(s, SS_ROUTE));
	snprintf(r->local_contact, sizeof(r->local_contact), "%s",
		 sip_sub_s(s, SS_LOCAL_CONTACT));
	snprintf(r->accept, sizeof(r->accept), "%s", event_type(s->event));
	r->state = s->state;
	snprintf(r->reason, sizeof(r->reason), "%s", sip_reason_str(s->reason));
	r->expires = s->expires;
	r->local_cseq = s->local_cseq;
	r->remote_cseq = s->remote_cseq;
	r->version = s->version;
}

/* Write the row of s (insert when new) into the current batch. */
static int store_sub(struct sip_engine *e, struct sip_sub *s, bool insert)
{
	struct db_subscription r;
	int rc;

	rc = sip_commit_begin(e);
	if (rc < 0)
		return rc;
	sip_subscribe_to_row(s, &r);
	/* A NOTIFY follows every SUBSCRIBE: reserve the CSeqs of it and of
	 * the next CSEQ_BLOCK - 1 NOTIFYs now, which spares notify.c a
	 * separate write until they are used up (CSeq need only increase,
	 * RFC 3261 12.2.1.1; this row is committed before the NOTIFY). */
	r.local_cseq = s->local_cseq + CSEQ_BLOCK;
	s->stored_cseq = r.local_cseq;
	if (insert) {
		rc = db_subscription_insert(e->db, &r);
		if (rc == 0)
			s->id = r.id;
	} else {
		rc = db_subscription_update(e->db, &r);
	}
	if (rc < 0) {
		log_err("sip: cannot store subscription: %s", db_errmsg(e->db));
		sip_commit_fail(e);
	}
	return rc;
}

/* The Record-Route set as the route set of a UAS (RFC 3261 12.1.1):
 * same order, comma-joined. */
static int route_set(const sip_t *sip, char *buf, size_t len)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	size_t used = 0;
	int rc = 0;

	buf[0] = '\0';
	for (const sip_record_route_t *rr = sip->sip_record_route; rr;
	     rr = rr->r_next) {
		sip_record_route_t one = *rr;
		char *s;
		size_t n;

		one.r_next = NULL;
		one.r_common->h_data = NULL;
		one.r_common->h_len = 0;
		s = sip_header_as_string(home, (sip_header_t *)&one);
		if (!s) {
			rc = -1;
			break;
		}
		n = strlen(s);
		if (used + n + 3 > len) {
			rc = -1;
			break;
		}
		if (used) {
			memcpy(buf + used, ", ", 2);
			used += 2;
		}
		memcpy(buf + used, s, n + 1);
		used += n;
	}
	su_home_deinit(home);
	return rc;
}

static const char *local_contact(struct sip_engine *e, sip_t const *sip)
{
	const char *proto = "udp";

	if (sip->sip_via && sip->sip_via->v_protocol) {
		const char *p = strrchr(sip->sip_via->v_protocol, '/');
		if (p && strcasecmp(p + 1, "TCP") == 0)
			proto = "tcp";
		else if (p && strcasecmp(p + 1, "TLS") == 0)
			proto = "tls";
	}
	for (int i = 0; i < e->n_listeners; i++)
		if (strcmp(e->listeners[i].proto, proto) == 0)
			return e->listeners[i].contact;
	return e->n_listeners ? e->listeners[0].contact : "<sip:127.0.0.1>";
}

static int answer_423(nta_incoming_t *irq, unsigned min)
{
	char m[16];

	snprintf(m, sizeof(m), "%u", min);
	nta_incoming_treply(irq, 423, "Interval Too Brief",
			    SIPTAG_MIN_EXPIRES_STR(m), TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

static int answer(nta_incoming_t *irq, int status, const char *phrase)
{
	nta_incoming_treply(irq, status, phrase, TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

/* ------------------------------------------------------------ refresh */

static int subscribe_refresh(struct sip_engine *e, nta_incoming_t *irq,
			     sip_t const *sip, enum sip_event ev)
{
	struct sip_sub *s;
	struct sip_deferred *d;
	unsigned exp;
	long req = sip->sip_expires ? (long)sip->sip_expires->ex_delta : -1;
	int rc;

	s = sip_sub_find(&e->tab, sip->sip_call_id->i_id, sip->sip_to->a_tag);
	if (!s || s->state == SIP_SUB_TERMINATED || s->event != ev ||
	    !sip->sip_from->a_tag ||
	    strcmp(sip_sub_s(s, SS_REMOTE_TAG), sip->sip_from->a_tag) != 0)
		return answer(irq, 481, "Subscription Does Not Exist");
	if (sip->sip_cseq->cs_seq <= s->remote_cseq)
		return answer(irq, 500, "CSeq Out of Order"); /* RFC 3261 12.2.2 */
	rc = sip_expiry_pick(&e->set.sub_exp, req, &exp);
	if (rc == 423)
		return answer_423(irq, exp);
	s->remote_cseq = sip->sip_cseq->cs_seq;
	d = sip_deferred_new(irq, 200);
	if (!d)
		return 500;
	d->phrase = "OK";
	d->has_expires = true;
	d->expires = exp;
	d->contact = sip_sub_s(s, SS_LOCAL_CONTACT);
	if (exp == 0) {
		/* RFC 6665 4.2.1.4: unsubscribe -> final NOTIFY.  The row is
		 * marked terminated now (a restart drops it) and deleted when
		 * the final NOTIFY completes. */
		s->expires = clock_now();
		d->terminate = true;
		d->reason = SIP_RS_TIMEOUT;
		uint8_t was = s->state;
		s->state = SIP_SUB_TERMINATED;
		store_sub(e, s, false);
		s->state = was;   /* sip_sub_terminate sets it after the 200 */
	} else {
		/* RFC 6665 4.1.2.1: refresh; the Contact may change. */
		s->expires = clock_now() + exp;
		if (sip->sip_contact) {
			su_home_t home[1] = { SU_HOME_INIT(home) };
			char *t = url_as_string(home, sip->sip_contact->m_url);
			if (t)
				sip_sub_set_target(s, t);
			su_home_deinit(home);
		}
		store_sub(e, s, false);
	}
	sip_sub_ref(s);
	d->sub = s;
	sip_commit_defer(e, d);
	sip_commit_note(e);
	return 0;
}

/* ---------------------------------------------------------------- new */

static int subscribe_new(struct sip_engine *e, nta_incoming_t *irq,
			 sip_t const *sip, enum sip_event ev)
{
	char aor[256], from[256], to[256], tag[32], routes[2048], target[512];
	struct sip_identity id;
	struct sip_sub_init in = { 0 };
	struct sip_sub *s;
	struct sip_pres *p;
	struct sip_deferred *d;
	enum sip_authz_result dec = SIP_AUTHZ_ALLOW;
	long req = sip->sip_expires ? (long)sip->sip_expires->ex_delta : -1;
	bool open = false, winfo_notify = false;
	unsigned exp;
	const char *phrase;
	int rc;

	rc = sip_engine_presentity(e, sip, aor, sizeof(aor), &open, &phrase);
	if (rc != 0)
		return answer(irq, rc, phrase);
	if (!sip->sip_from->a_tag)
		return answer(irq, 400, "Missing From Tag");
	if (!sip->sip_contact || !sip->sip_contact->m_url->url_host)
		return answer(irq, 400, "Missing Contact"); /* RFC 6665 4.1.2 */
	rc = sip_expiry_pick(&e->set.sub_exp, req, &exp);
	if (rc == 423)
		return answer_423(irq, exp);

	rc = sip_identity_get(e, irq, sip, &id);
	if (rc != 0)
		return 0;   /* answered */

	if (ev == SIP_EV_WINFO) {
		/* RFC 3857 5.6: only the presentity sees its watchers. */
		bool mine = id.authenticated && strcmp(id.uri, aor) == 0;
		if (!mine && id.authenticated && id.impi[0])
			db_impu_belongs(e->db, id.impi, aor, &mine);
		if (!mine)
			return answer(irq, 403, "Only the presentity may watch its watchers");
	} else {
		if (sip_engine_decide(e, aor, id.uri, id.authenticated, &dec) < 0)
			return answer(irq, 500, "Policy Failure");
		/* RFC 5025 3.2.1 block / RFC 3856 6.6: reject. */
		if (dec == SIP_AUTHZ_BLOCK)
			return answer(irq, 403, "Forbidden");
	}

	if (sip_engine_aor(sip->sip_from->a_url, from, sizeof(from)) < 0 ||
	    sip_engine_aor(sip->sip_to->a_url, to, sizeof(to)) < 0 ||
	    route_set(sip, routes, sizeof(routes)) < 0)
		return answer(irq, 400, "Bad Dialog Headers");
	{
		su_home_t home[1] = { SU_HOME_INIT(home) };
		char *t = url_as_string(home, sip->sip_contact->m_url);
		snprintf(target, sizeof(target), "%s", t ? t : "");
		su_home_deinit(home);
		if (!target[0] || strlen(target) >= sizeof(target) - 1)
			return answer(irq, 400, "Bad Contact");
	}
	sip_engine_newtag(e, tag, sizeof(tag));
	in.s[SS_CALL_ID] = sip->sip_call_id->i_id;
	in.s[SS_LOCAL_TAG] = tag;
	in.s[SS_REMOTE_TAG] = sip->sip_from->a_tag;
	in.s[SS_WATCHER] = id.uri;
	/* The From URI with its original form (RFC 3261 12.1.1: remote URI). */
	in.s[SS_REMOTE_URI] = from;
	in.s[SS_LOCAL_URI] = to;
	in.s[SS_ROUTE] = routes;
	in.s[SS_LOCAL_CONTACT] = local_contact(e, sip);
	in.target = target;
	in.expires = clock_now() + exp;
	in.remote_cseq = sip->sip_cseq->cs_seq;
	in.local_cseq = 0;
	in.event = ev;
	in.state = dec == SIP_AUTHZ_CONFIRM ? SIP_SUB_PENDING : SIP_SUB_ACTIVE;
	in.decision = dec;
	in.authenticated = id.authenticated;
	s = sip_sub_new(&in);
	p = sip_pres_get(&e->tab, aor, true);
	if (!s || !p) {
		sip_sub_unref(s);
		sip_pres_maybe_free(&e->tab, p);
		return answer(irq, 500, "Out of Memory");
	}
	s->fetch = exp == 0;
	nta_incoming_tag(irq, tag);
	d = sip_deferred_new(irq, 200);
	if (!d) {
		sip_sub_unref(s);
		sip_pres_maybe_free(&e->tab, p);
		return answer(irq, 500, "Out of Memory");
	}
	sip_sub_link(&e->tab, p, s);
	if (!s->fetch) {
		store_sub(e, s, true);
		if (ev == SIP_EV_PRESENCE)
			winfo_notify = sip_winfo_record(e, s,
				dec == SIP_AUTHZ_CONFIRM ? "subscribed" : "approved");
	}
	d->phrase = "OK";
	d->has_expires = true;
	d->expires = exp;
	d->contact = sip_sub_s(s, SS_LOCAL_CONTACT);
	sip_sub_ref(s);
	d->sub = s;
	if (s->fetch) {
		/* RFC 6665 4.4.3: fetch -> one NOTIFY, terminated;timeout. */
		d->terminate = true;
		d->reason = SIP_RS_TIMEOUT;
	}
	if (winfo_notify) {
		d->notify_aor = strdup(aor);
		d->notify_winfo = d->notify_aor != NULL;
	}
	log_debug("sip: %s subscription %s -> %s (%s)",
		  ev == SIP_EV_WINFO ? "winfo" : "presence", id.uri, aor,
		  sip_authz_str(dec));
	sip_commit_defer(e, d);
	if (!s->fetch)
		sip_commit_note(e);
	return 0;
}

int sip_subscribe_request(struct sip_engine *e, nta_incoming_t *irq,
			  sip_t const *sip)
{
	enum sip_event ev;

	if (!sip->sip_event || !sip->sip_event->o_type)
		goto bad_event;
	if (strcasecmp(sip->sip_event->o_type, "presence") == 0)
		ev = SIP_EV_PRESENCE;
	else if (strcasecmp(sip->sip_event->o_type, "presence.winfo") == 0)
		ev = SIP_EV_WINFO;
	else
		goto bad_event;
	if (!accept_ok(sip, ev)) {
		nta_incoming_treply(irq, 406, "Not Acceptable",
				    SIPTAG_ACCEPT_STR(event_type(ev)), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
	if (sip->sip_to->a_tag)
		return subscribe_refresh(e, irq, sip, ev);
	return subscribe_new(e, irq, sip, ev);
bad_event:
	/* RFC 6665 8.2.1 / 7.2.2: 489 with Allow-Events. */
	nta_incoming_treply(irq, 489, "Bad Event",
			    SIPTAG_ALLOW_EVENTS_STR(ALLOW_EVENTS), TAG_END());
	nta_incoming_destroy(irq);
	return 0;
}

/* ------------------------------------------------------------ restore */

int sip_subscribe_restore(struct sip_engine *e, const struct db_subscription *r)
{
	struct sip_sub_init in = { 0 };
	struct sip_sub *s;
	struct sip_pres *p;
	enum sip_authz_result dec = SIP_AUTHZ_ALLOW;
	bool authenticated = strcmp(r->watcher, SIP_ANONYMOUS) != 0;

	in.s[SS_CALL_ID] = r->call_id;
	in.s[SS_LOCAL_TAG] = r->local_tag;
	in.s[SS_REMOTE_TAG] = r->remote_tag;
	in.s[SS_WATCHER] = r->watcher;
	in.s[SS_REMOTE_URI] = r->remote_uri;
	in.s[SS_LOCAL_URI] = r->local_uri;
	in.s[SS_ROUTE] = r->route_set;
	in.s[SS_LOCAL_CONTACT] = r->local_contact;
	in.target = r->remote_target;
	in.id = r->id;
	in.expires = r->expires;
	in.local_cseq = r->local_cseq + CSEQ_RESTART_GAP;
	in.remote_cseq = r->remote_cseq;
	in.version = r->version;
	in.event = strcmp(r->event, "presence.winfo") == 0 ? SIP_EV_WINFO
							    : SIP_EV_PRESENCE;
	in.state = r->state == DB_SUB_PENDING ? SIP_SUB_PENDING : SIP_SUB_ACTIVE;
	if (in.event == SIP_EV_PRESENCE &&
	    sip_engine_decide(e, r->presentity, r->watcher, authenticated,
			      &dec) < 0)
		dec = in.state == SIP_SUB_PENDING ? SIP_AUTHZ_CONFIRM
						  : SIP_AUTHZ_ALLOW;
	in.decision = dec;
	in.authenticated = authenticated;
	s = sip_sub_new(&in);
	p = sip_pres_get(&e->tab, r->presentity, true);
	if (!s || !p) {
		sip_sub_unref(s);
		return -1;
	}
	sip_sub_link(&e->tab, p, s);
	return 0;
}

/* ------------------------------------------------------- reauthorize */

void sip_subscribe_reauthorize(struct sip_engine *e, struct sip_pres *p)
{
	struct sip_sub *s, *next;
	bool open = false, gone = false, winfo = false;
	const char *host = strchr(p->aor, '@');

	sip_pres_pin(p);   /* ending subscriptions must not free p here */
	if (host && !sip_engine_domain_served(e, host + 1, &open))
		gone = true;
	if (!gone && !open) {
		struct db_subscriber sub;
		int rc = db_subscriber_by_impu(e->db, p->aor, &sub);
		util_secure_zero(&sub, sizeof(sub));
		gone = rc == DB_ENOTFOUND;
	}
	if (gone) {
		/* RFC 6665 4.1.3 noresource: the presentity is no more. */
		for (int ev = 0; ev < SIP_EV_N; ev++)
			for (s = p->subs[ev]; s; s = next) {
				next = s->pnext;
				sip_sub_terminate(&e->tab, s, SIP_RS_NORESOURCE);
			}
		sip_pres_unpin(&e->tab, p);
		return;
	}
	for (s = p->subs[SIP_EV_PRESENCE]; s; s = next) {
		enum sip_authz_result dec;
		next = s->pnext;
		if (s->state == SIP_SUB_TERMINATED ||
		    sip_engine_decide(e, p->aor, sip_sub_s(s, SS_WATCHER),
				      s->authenticated, &dec) < 0 ||
		    dec == s->decision)
			continue;
		if (dec == SIP_AUTHZ_BLOCK) {
			s->decision = (uint8_t)dec;
			sip_sub_terminate(&e->tab, s, SIP_RS_REJECTED);
			continue;
		}
		if (dec == SIP_AUTHZ_CONFIRM && s->state == SIP_SUB_ACTIVE) {
			/* No way back to pending inside a dialog: end it and
			 * let the watcher resubscribe (RFC 6665 4.1.3). */
			s->decision = (uint8_t)dec;
			sip_sub_terminate(&e->tab, s, SIP_RS_DEACTIVATED);
			continue;
		}
		if (s->state == SIP_SUB_PENDING && dec != SIP_AUTHZ_CONFIRM) {
			s->state = SIP_SUB_ACTIVE;
			winfo |= sip_winfo_record(e, s, "approved");
		}
		s->decision = (uint8_t)dec;
		store_sub(e, s, false);
		sip_sub_notify(&e->tab, s);
	}
	if (winfo)
		sip_pres_notify(&e->tab, p, SIP_EV_WINFO);
	sip_pres_unpin(&e->tab, p);
}
