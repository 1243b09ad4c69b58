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

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/engine_int.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/url.h>

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

/* Building a NOTIFY without Sofia's tag parser or encoder.
 *
 * msg_prepare() copies a fragment that already has h_data instead of
 * encoding its fields.  So the NOTIFY is written once, as text, into one
 * buffer of the message's home; its header objects (one allocation for
 * all of them) point into that text and carry only the fields nta reads:
 * the Request-URI, the From/To tags, Call-ID, CSeq.  Nothing is parsed
 * from a string Sofia built, nothing is encoded twice, and a NOTIFY costs
 * three allocations in its home instead of some twenty.
 *
 * The body is shared: the document of the last NOTIFY is kept in a
 * template message (e->doc_tmpl), every NOTIFY that carries the same
 * bytes points its payload there and holds a reference to the template
 * (msg_set_parent), so a wave of NOTIFYs to the watchers of one
 * presentity copies the document once.  The cache key is the bytes
 * themselves, so it can never serve a stale document. */
struct notify_hdrs {
	sip_request_t rq;
	sip_from_t from;
	sip_to_t to;
	sip_call_id_t cid;
	sip_cseq_t cs;
	sip_contact_t m;
	sip_event_t o;
	sip_subscription_state_t ss;
	sip_max_forwards_t mf;
	sip_content_type_t c;
	sip_payload_t pl;
	msg_param_t from_params[2];
	msg_param_t to_params[2];
};

struct wire {
	char *buf;
	size_t len, size;
	bool overflow;
};

/* Append the NULL-terminated list of strings; return where they start. */
static char *wire_put(struct wire *w, ...)
{
	va_list ap;
	char *start = w->buf + w->len;
	const char *part;

	va_start(ap, w);
	while ((part = va_arg(ap, const char *)) != NULL) {
		size_t n = strlen(part);

		if (w->len + n >= w->size) {
			w->overflow = true;
			break;
		}
		memcpy(w->buf + w->len, part, n);
		w->len += n;
	}
	va_end(ap);
	return start;
}

/* A NUL-terminated copy (for url_d, which splits it in place). */
static char *wire_str(struct wire *w, const char *str)
{
	char *start = wire_put(w, str, NULL);

	if (w->overflow)
		return NULL;
	w->buf[w->len++] = '\0';
	return start;
}

static int add_preset(msg_t *msg, sip_t *sip, void *hdr, struct wire *w,
		      const char *line)
{
	msg_header_t *h = hdr;

	if (w->overflow)
		return -1;
	h->sh_data = line;
	h->sh_len = (size_t)(w->buf + w->len - line);
	return msg_header_insert(msg, (msg_pub_t *)sip, h);
}

static int add_addr(msg_t *msg, sip_t *sip, sip_addr_t *a,
		    msg_param_t *params, struct wire *w, const char *name,
		    const char *uri, const char *tag)
{
	char *copy = wire_str(w, uri);
	char *ptag = wire_put(w, "tag=", tag, NULL);
	const char *line;

	if (!copy || wire_str(w, "") == NULL || url_d(a->a_url, copy) < 0)
		return -1;
	params[0] = ptag;
	params[1] = NULL;
	a->a_params = params;
	a->a_tag = ptag + 4;
	line = wire_put(w, name, ": <", uri, ">;tag=", tag, "\r\n", NULL);
	return add_preset(msg, sip, a, w, line);
}

/* The template holding `body`, made when the cached one holds other
 * bytes.  NULL if it cannot be made (the caller copies the body). */
static const char *doc_shared(struct sip_engine *e, const char *body,
			      size_t blen)
{
	msg_t *t;
	char *copy;

	if (e->doc_tmpl && e->doc_tmpl_len == blen &&
	    memcmp(e->doc_tmpl_body, body, blen) == 0)
		return e->doc_tmpl_body;
	t = nta_msg_create(e->agent, 0);
	if (!t)
		return NULL;
	copy = su_alloc(msg_home(t), blen + 1);
	if (!copy) {
		msg_destroy(t);
		return NULL;
	}
	memcpy(copy, body, blen);
	copy[blen] = '\0';
	if (e->doc_tmpl)
		msg_destroy(e->doc_tmpl);
	e->doc_tmpl = t;
	e->doc_tmpl_body = copy;
	e->doc_tmpl_len = blen;
	return copy;
}

void sip_notify_clear(struct sip_engine *e)
{
	if (e->doc_tmpl)
		msg_destroy(e->doc_tmpl);
	e->doc_tmpl = NULL;
	e->doc_tmpl_body = NULL;
	e->doc_tmpl_len = 0;
}

static int notify_send(void *ctx, struct sip_sub *s)
{
	struct sip_engine *e = ctx;
	char state[64], cseq[24];
	const char *body = NULL, *ctype = NULL, *route, *event, *line;
	const char *shared = NULL;
	char *winfo = NULL, *target;
	size_t blen = 0;
	struct notify_ctx *c = NULL;
	struct notify_hdrs *hd;
	msg_t *msg = NULL;
	su_home_t *home;
	sip_t *sip;
	nta_outgoing_t *orq;
	url_string_t const *route_url = NULL;
	struct wire w = { 0 };

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
		/* Share the document when other watchers will want it too. */
		if (body && s->pres->nsubs > 1)
			shared = doc_shared(e, body, blen);
	} else if (s->state != SIP_SUB_TERMINATED || s->fetch) {
		ctype = "application/watcherinfo+xml";
		if (sip_winfo_body(e, s, &winfo, &blen) == 0)
			body = winfo;
	}
	persist_cseq(e, s);
	e->work++;

	snprintf(cseq, sizeof(cseq), "%u NOTIFY", s->local_cseq);
	route = sip_sub_s(s, SS_ROUTE);
	event = s->event == SIP_EV_WINFO ? "presence.winfo" : "presence";

	msg = nta_msg_create(e->agent, 0);
	if (!msg)
		goto fail;
	home = msg_home(msg);
	sip = sip_object(msg);
	hd = su_zalloc(home, sizeof(*hd));
	/* The text, the URIs twice (url_d copies) and the tags twice. */
	w.size = 256 + 2 * (strlen(s->target) +
			    strlen(sip_sub_s(s, SS_LOCAL_URI)) +
			    strlen(sip_sub_s(s, SS_LOCAL_TAG)) +
			    strlen(sip_sub_s(s, SS_REMOTE_URI)) +
			    strlen(sip_sub_s(s, SS_REMOTE_TAG))) +
		 strlen(sip_sub_s(s, SS_CALL_ID)) +
		 strlen(sip_sub_s(s, SS_LOCAL_CONTACT)) + strlen(state) +
		 (body && !shared ? blen : 0);
	w.buf = su_alloc(home, w.size);
	if (!hd || !w.buf)
		goto fail;

	/* Request line (RFC 3261 7.1): nta reads the parsed URI. */
	sip_request_init(&hd->rq);
	hd->rq.rq_method = sip_method_notify;
	hd->rq.rq_method_name = "NOTIFY";
	hd->rq.rq_version = SIP_VERSION_CURRENT;
	target = wire_str(&w, s->target);
	if (!target || url_d(hd->rq.rq_url, target) < 0)
		goto fail;
	line = wire_put(&w, "NOTIFY ", s->target, " SIP/2.0\r\n", NULL);
	if (add_preset(msg, sip, &hd->rq, &w, line) < 0)
		goto fail;

	/* From/To with the dialog's tags (RFC 3261 12.2.1.1). */
	sip_from_init(&hd->from);
	sip_to_init(&hd->to);
	if (add_addr(msg, sip, &hd->from, hd->from_params, &w, "From",
		     sip_sub_s(s, SS_LOCAL_URI),
		     sip_sub_s(s, SS_LOCAL_TAG)) < 0 ||
	    add_addr(msg, sip, &hd->to, hd->to_params, &w, "To",
		     sip_sub_s(s, SS_REMOTE_URI),
		     sip_sub_s(s, SS_REMOTE_TAG)) < 0)
		goto fail;

	sip_call_id_init(&hd->cid);
	hd->cid.i_id = wire_str(&w, sip_sub_s(s, SS_CALL_ID));
	if (!hd->cid.i_id)
		goto fail;
	hd->cid.i_hash = (uint32_t)msg_hash_string(hd->cid.i_id);
	line = wire_put(&w, "Call-ID: ", hd->cid.i_id, "\r\n", NULL);
	if (add_preset(msg, sip, &hd->cid, &w, line) < 0)
		goto fail;

	sip_cseq_init(&hd->cs);
	hd->cs.cs_seq = s->local_cseq;
	hd->cs.cs_method = sip_method_notify;
	hd->cs.cs_method_name = "NOTIFY";
	line = wire_put(&w, "CSeq: ", cseq, "\r\n", NULL);
	if (add_preset(msg, sip, &hd->cs, &w, line) < 0)
		goto fail;

	/* The route set is rare; Sofia parses and encodes it. */
	if (*route) {
		sip_route_t *r = sip_route_make(home, route);

		if (!r || msg_header_insert(msg, (msg_pub_t *)sip,
					    (msg_header_t *)r) < 0)
			goto fail;
		route_url = (url_string_t const *)sip->sip_route->r_url;
	}

	/* Headers nta does not read: the text is what they carry. */
	sip_contact_init(&hd->m);
	line = wire_put(&w, "Contact: ", sip_sub_s(s, SS_LOCAL_CONTACT),
			"\r\n", NULL);
	if (add_preset(msg, sip, &hd->m, &w, line) < 0)
		goto fail;
	sip_event_init(&hd->o);
	hd->o.o_type = event;
	line = wire_put(&w, "Event: ", event, "\r\n", NULL);
	if (add_preset(msg, sip, &hd->o, &w, line) < 0)
		goto fail;
	sip_subscription_state_init(&hd->ss);
	hd->ss.ss_substate = s->state == SIP_SUB_ACTIVE ? "active" :
			     s->state == SIP_SUB_PENDING ? "pending" :
			     "terminated";
	line = wire_put(&w, "Subscription-State: ", state, "\r\n", NULL);
	if (add_preset(msg, sip, &hd->ss, &w, line) < 0)
		goto fail;
	sip_max_forwards_init(&hd->mf);
	hd->mf.mf_count = 70;
	line = wire_put(&w, "Max-Forwards: 70\r\n", NULL);
	if (add_preset(msg, sip, &hd->mf, &w, line) < 0)
		goto fail;
	if (body) {
		sip_content_type_init(&hd->c);
		hd->c.c_type = ctype;
		line = wire_put(&w, "Content-Type: ", ctype, "\r\n", NULL);
		if (add_preset(msg, sip, &hd->c, &w, line) < 0)
			goto fail;
		sip_payload_init(&hd->pl);
		if (shared) {
			hd->pl.pl_data = (char *)shared;
			msg_set_parent(msg, e->doc_tmpl);
		} else {
			if (w.len + blen > w.size)
				goto fail;
			hd->pl.pl_data = w.buf + w.len;
			memcpy(hd->pl.pl_data, body, blen);
			w.len += blen;
		}
		hd->pl.pl_len = blen;
		hd->pl.pl_common->h_data = hd->pl.pl_data;
		hd->pl.pl_common->h_len = blen;
		if (msg_header_insert(msg, (msg_pub_t *)sip,
				      (msg_header_t *)&hd->pl) < 0)
			goto fail;
	}

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
