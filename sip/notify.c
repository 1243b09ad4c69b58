/*
 * notify.c - NOTIFY requests (RFC 6665 4.2.2, RFC 3856 6.7) built from the
 * stored dialog state, without nta legs: Call-ID, tags, CSeq, route set
 * and remote target come from struct sip_sub, and the request goes out
 * through nta_outgoing_mcreate() with the first Route as the next hop
 * (loose routing, RFC 3261 12.2.1.1).
 *
 * Bodies are never built per NOTIFY: the presentity's composed PIDF is
 * cached by version (publish.c) and shared by every watcher that sees
 * it; a polite-blocked watcher gets the neutral document; a pending one
 * gets no body (RFC 3856 6.6.1).
 *
 * This file also implements struct sip_sub_ops for the core (sub.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/engine_int.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>

struct notify_ctx {
	struct sip_engine *e;
	struct sip_sub *s;
};

static int on_notify_response(struct sip_sub *magic, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	struct notify_ctx *c = (struct notify_ctx *)magic;
	int status = nta_outgoing_status(orq);

	(void)sip;
	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	if (status >= 300)
		log_info("sip: NOTIFY to %s answered %d",
			 sip_sub_s(c->s, SS_REMOTE_URI), status);
	sip_sub_notify_done(&c->e->tab, c->s, status);
	free(c);
	return 0;
}

/* CSeqs are reserved in blocks: the store holds a value at or above any
 * CSeq used, so one write covers the next CSEQ_BLOCK NOTIFYs of the
 * dialog (write-behind in the current batch; a restart continues above
 * the stored value, see sip_subscribe_restore). */
#define CSEQ_BLOCK 64

static void persist_cseq(struct sip_engine *e, struct sip_sub *s)
{
	if (!s->id || e->destroying || s->local_cseq <= s->stored_cseq)
		return;
	s->stored_cseq = s->local_cseq + CSEQ_BLOCK - 1;
	if (sip_commit_begin(e) < 0)
		return;
	if (db_subscription_set_local_cseq(e->db, s->id, s->stored_cseq) < 0)
		log_warn("sip: cannot record NOTIFY CSeq: %s", db_errmsg(e->db));
}

static int notify_send(void *ctx, struct sip_sub *s)
{
	struct sip_engine *e = ctx;
	char state[64], cseq[32], from[512], to[512];
	const char *body = NULL, *ctype = NULL, *route;
	char *winfo = NULL;
	size_t blen = 0;
	struct notify_ctx *c = NULL;
	msg_t *msg = NULL;
	sip_t *sip;
	sip_request_t *rq;
	nta_outgoing_t *orq;
	url_string_t const *route_url = NULL;

	if (sip_sub_state_print(s, clock_now(), state, sizeof(state)) < 0)
		return -1;
	/* Which document: RFC 3856 6.6.1 (pending: none), RFC 5025 3.2.1
	 * (polite-block: neutral), RFC 6665 4.4.3 (a fetch carries the
	 * state; other final NOTIFYs carry none). */
	bool with_doc = s->state == SIP_SUB_ACTIVE ||
			(s->state == SIP_SUB_TERMINATED && s->fetch &&
			 s->decision != SIP_AUTHZ_CONFIRM);

	if (s->event == SIP_EV_PRESENCE) {
		ctype = "application/pidf+xml";
		if (with_doc && s->decision == SIP_AUTHZ_POLITE_BLOCK) {
			if (sip_publish_neutral(e, s->pres, &body, &blen) < 0)
				body = NULL;
		} else if (with_doc && s->decision == SIP_AUTHZ_ALLOW) {
			if (sip_publish_document(e, s->pres, &body, &blen) < 0)
				body = NULL;
			s->sent_doc = s->pres->doc_version;
		}
	} else if (s->state != SIP_SUB_TERMINATED || s->fetch) {
		ctype = "application/watcherinfo+xml";
		if (sip_winfo_body(e, s, &winfo, &blen) == 0)
			body = winfo;
	}
	persist_cseq(e, s);

	snprintf(cseq, sizeof(cseq), "%u NOTIFY", s->local_cseq);
	snprintf(from, sizeof(from), "<%s>;tag=%s", sip_sub_s(s, SS_LOCAL_URI),
		 sip_sub_s(s, SS_LOCAL_TAG));
	snprintf(to, sizeof(to), "<%s>;tag=%s", sip_sub_s(s, SS_REMOTE_URI),
		 sip_sub_s(s, SS_REMOTE_TAG));
	route = sip_sub_s(s, SS_ROUTE);

	msg = nta_msg_create(e->agent, 0);
	if (!msg)
		goto fail;
	sip = sip_object(msg);
	rq = sip_request_create(msg_home(msg), SIP_METHOD_NOTIFY,
				(url_string_t *)s->target, NULL);
	if (!rq || sip_add_tl(msg, sip,
			SIPTAG_REQUEST(rq),
			SIPTAG_FROM_STR(from),
			SIPTAG_TO_STR(to),
			SIPTAG_CALL_ID_STR(sip_sub_s(s, SS_CALL_ID)),
			SIPTAG_CSEQ_STR(cseq),
			TAG_IF(*route, SIPTAG_ROUTE_STR(route)),
			SIPTAG_CONTACT_STR(sip_sub_s(s, SS_LOCAL_CONTACT)),
			SIPTAG_EVENT_STR(s->event == SIP_EV_WINFO ?
					 "presence.winfo" : "presence"),
			SIPTAG_SUBSCRIPTION_STATE_STR(state),
			SIPTAG_MAX_FORWARDS_STR("70"),
			TAG_IF(body, SIPTAG_CONTENT_TYPE_STR(ctype)),
			TAG_IF(body, SIPTAG_PAYLOAD_STR(body)),
			TAG_END()) < 0)
		goto fail;
	if (sip->sip_route)
		route_url = (url_string_t const *)sip->sip_route->r_url;
	c = malloc(sizeof(*c));
	if (!c)
		goto fail;
	c->e = e;
	c->s = s;
	orq = nta_outgoing_mcreate(e->agent, on_notify_response,
				   (struct sip_sub *)c, route_url, msg,
				   TAG_END());
	if (!orq)
		goto fail;
	free(winfo);
	return 0;
fail:
	log_warn("sip: cannot send NOTIFY to %s", s->target);
	free(c);
	if (msg)
		msg_destroy(msg);
	free(winfo);
	return -1;
}

static void notify_gone(void *ctx, struct sip_sub *s)
{
	struct sip_engine *e = ctx;

	if (e->destroying)
		return;
	if (s->event == SIP_EV_PRESENCE)
		sip_winfo_watcher_changed(e, s, sip_reason_str(
			s->reason ? s->reason : SIP_RS_TIMEOUT));
	if (!s->id)
		return;
	if (sip_commit_begin(e) < 0)
		return;
	if (db_subscription_delete(e->db, s->id) < 0)
		log_warn("sip: cannot delete subscription %lld: %s",
			 (long long)s->id, db_errmsg(e->db));
}

const struct sip_sub_ops sip_notify_ops = {
	.send = notify_send,
	.gone = notify_gone,
};
