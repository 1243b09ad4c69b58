/*
 * winfo.c - watcher information (RFC 3857, format RFC 3858).
 *
 * The watcher records of a presentity live in the store (db_watcher_*),
 * one per (presentity, watcher, "presence").  A winfo subscription gets
 * the full list on its first NOTIFY (and after a restart), then partial
 * documents holding only the watchers that changed since its previous
 * NOTIFY (RFC 3858 4.2); changes that pile up while a NOTIFY is
 * outstanding are merged per watcher.  `version` counts documents per
 * subscription, from 0 (RFC 3858 4.1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/engine_int.h"
#include "src/core.h"

struct sip_winfo_change {
	struct sip_winfo_change *next;
	char status[16];
	char event[16];
	char watcher[];
};

void sip_winfo_changes_free(struct sip_winfo_change *c)
{
	while (c) {
		struct sip_winfo_change *next = c->next;
		free(c);
		c = next;
	}
}

static const char *status_of(const struct sip_sub *s)
{
	switch (s->state) {
	case SIP_SUB_ACTIVE: return "active";
	case SIP_SUB_PENDING: return "pending";
	default: return "terminated";
	}
}

static void queue_change(struct sip_sub *w, const char *watcher,
			 const char *status, const char *event)
{
	struct sip_winfo_change *c, **pp;

	if (w->winfo_full)
		return;   /* the next NOTIFY carries everything anyway */
	for (pp = &w->wchanges; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->watcher, watcher) == 0)
			break;
	c = *pp;
	if (!c) {
		c = calloc(1, sizeof(*c) + strlen(watcher) + 1);
		if (!c) {
			w->winfo_full = true;
			return;
		}
		strcpy(c->watcher, watcher);
		*pp = c;
	}
	snprintf(c->status, sizeof(c->status), "%s", status);
	snprintf(c->event, sizeof(c->event), "%s", event);
}

bool sip_winfo_record(struct sip_engine *e, struct sip_sub *s,
		      const char *event)
{
	struct db_watcher w;
	const char *watcher = sip_sub_s(s, SS_WATCHER);
	const char *status = status_of(s);
	int rc;

	if (sip_commit_begin(e) == 0) {
		if (s->state == SIP_SUB_TERMINATED) {
			rc = db_watcher_delete(e->db, s->pres->aor, watcher,
					       "presence");
			if (rc == DB_ENOTFOUND)
				rc = 0;
		} else {
			memset(&w, 0, sizeof(w));
			snprintf(w.presentity, sizeof(w.presentity), "%s",
				 s->pres->aor);
			snprintf(w.watcher, sizeof(w.watcher), "%s", watcher);
			snprintf(w.event, sizeof(w.event), "presence");
			snprintf(w.status, sizeof(w.status), "%s", status);
			snprintf(w.last_event, sizeof(w.last_event), "%s", event);
			w.updated = clock_now();
			rc = db_watcher_put(e->db, &w);
		}
		if (rc < 0)
			log_warn("sip: cannot record watcher: %s",
				 db_errmsg(e->db));
	}
	for (struct sip_sub *ws = s->pres->subs[SIP_EV_WINFO]; ws; ws = ws->pnext)
		queue_change(ws, watcher, status, event);
	return s->pres->subs[SIP_EV_WINFO] != NULL;
}

void sip_winfo_watcher_changed(struct sip_engine *e, struct sip_sub *s,
			       const char *event)
{
	if (sip_winfo_record(e, s, event))
		sip_pres_notify(&e->tab, s->pres, SIP_EV_WINFO);
}

/* ------------------------------------------------------------ document */

struct buf { char *p; size_t len, cap; bool err; };

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* XML character data / attribute value escaping. */
static void put_esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': puts_(b, "&amp;"); break;
		case '<': puts_(b, "&lt;"); break;
		case '>': puts_(b, "&gt;"); break;
		case '"': puts_(b, "&quot;"); break;
		default: put(b, s, 1);
		}
	}
}

static void put_watcher(struct buf *b, const char *uri, const char *status,
			const char *event)
{
	char id[16];

	snprintf(id, sizeof(id), "w%08x", sip_hash_str(uri, 0));
	puts_(b, "<watcher id=\"");
	puts_(b, id);
	puts_(b, "\" event=\"");
	put_esc(b, event);
	puts_(b, "\" status=\"");
	put_esc(b, status);
	puts_(b, "\">");
	put_esc(b, uri);
	puts_(b, "</watcher>");
}

static int full_one(const struct db_watcher *w, void *arg)
{
	if (strcmp(w->event, "presence") == 0)
		put_watcher(arg, w->watcher, w->status,
			    w->last_event[0] ? w->last_event : "subscribed");
	return 0;
}

int sip_winfo_body(struct sip_engine *e, struct sip_sub *s, char **out,
		   size_t *len)
{
	struct buf b = { 0 };
	char head[64];
	bool full = s->winfo_full;

	puts_(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"");
	snprintf(head, sizeof(head), "%u", s->version ? s->version - 1 : 0);
	puts_(&b, head);
	puts_(&b, full ? "\" state=\"full\">" : "\" state=\"partial\">");
	puts_(&b, "<watcher-list resource=\"");
	put_esc(&b, s->pres->aor);
	puts_(&b, "\" package=\"presence\">");
	if (full) {
		if (db_watcher_foreach(e->db, s->pres->aor, full_one, &b) < 0)
			b.err = true;
		s->winfo_full = false;
	} else {
		for (struct sip_winfo_change *c = s->wchanges; c; c = c->next)
			put_watcher(&b, c->watcher, c->status, c->event);
	}
	sip_winfo_changes_free(s->wchanges);
	s->wchanges = NULL;
	puts_(&b, "</watcher-list></watcherinfo>\n");
	if (b.err) {
		free(b.p);
		s->winfo_full = true;
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
