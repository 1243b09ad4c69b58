/*
 * engine.c - the presence engine's life cycle and request dispatch:
 * settings, listeners (one nta agent, one transport per sip.listen entry),
 * the default leg that receives every request, OPTIONS and 405, restore
 * from the store after a restart, and the once-a-second expiry sweep.
 *
 * Why no per-dialog nta legs: 10^5 legs would cost memory and be lost on
 * a restart anyway.  Every request reaches the default leg; SUBSCRIBE
 * refreshes are matched to the in-memory table by Call-ID and To-tag, and
 * NOTIFYs are built from the stored dialog state (docs/sip.md).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <malloc.h>

#include "sip/engine_int.h"
#include "src/core.h"
#include "auth/auth.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/url.h>
#include <sofia-sip/su_log.h>
#include <stdarg.h>

#define SIP_ALLOW "SUBSCRIBE, NOTIFY, PUBLISH, OPTIONS"
#define SIP_ALLOW_EVENTS "presence, presence.winfo"
#define SIP_ACCEPT "application/pidf+xml, application/watcherinfo+xml"

/* ------------------------------------------------------------ policy */

int sip_authz_parse(const char *name, enum sip_authz_result *out)
{
	static const struct { const char *n; enum sip_authz_result r; } t[] = {
		{ "allow", SIP_AUTHZ_ALLOW }, { "confirm", SIP_AUTHZ_CONFIRM },
		{ "polite-block", SIP_AUTHZ_POLITE_BLOCK },
		{ "block", SIP_AUTHZ_BLOCK },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(name, t[i].n) == 0) {
			*out = t[i].r;
			return 0;
		}
	return -1;
}

const char *sip_authz_str(enum sip_authz_result r)
{
	switch (r) {
	case SIP_AUTHZ_ALLOW: return "allow";
	case SIP_AUTHZ_CONFIRM: return "confirm";
	case SIP_AUTHZ_POLITE_BLOCK: return "polite-block";
	default: return "block";
	}
}

int sip_engine_decide(struct sip_engine *e, const char *presentity,
		      const char *watcher, bool authenticated,
		      enum sip_authz_result *out)
{
	struct sip_authz_decision d = { e->set.default_policy, 0 };

	if (e->authz && e->authz->decide &&
	    e->authz->decide(e->authz_ctx, presentity, watcher, authenticated,
			     &d) < 0)
		return -1;
	*out = d.result;
	return 0;
}

void sip_engine_set_authz(struct sip_engine *e, const struct sip_authz_ops *ops,
			  void *ctx)
{
	e->authz = ops;
	e->authz_ctx = ctx;
}

/* ---------------------------------------------------------- settings */

static int settings_load(struct sip_settings *s, const struct conf *c)
{
	char buf[256];
	const char *algs[4];
	int n;

	memset(s, 0, sizeof(*s));
	s->n_domains = conf_split_list(conf_str(c, "server.domains"),
				       s->domains_buf, sizeof(s->domains_buf),
				       s->domains, SIP_MAX_DOMAINS);
	s->n_open = conf_split_list(conf_str(c, "server.open_domains"),
				    s->open_buf, sizeof(s->open_buf), s->open,
				    SIP_MAX_DOMAINS);
	if (s->n_domains < 0 || s->n_open < 0) {
		log_err("sip: too many domains");
		return -EINVAL;
	}
	s->n_peers = sip_peers_parse(conf_str(c, "sip.trusted_peers"), s->peers,
				     SIP_MAX_PEERS);
	if (s->n_peers < 0) {
		log_err("sip: bad sip.trusted_peers");
		return -EINVAL;
	}
	s->sub_exp.min = (unsigned)conf_int(c, "sip.min_expires");
	s->sub_exp.def = (unsigned)conf_int(c, "sip.default_expires");
	s->sub_exp.max = (unsigned)conf_int(c, "sip.max_expires");
	s->pub_exp = s->sub_exp;
	if (s->sub_exp.min > s->sub_exp.def || s->sub_exp.def > s->sub_exp.max) {
		log_err("sip: need sip.min_expires <= sip.default_expires <= sip.max_expires");
		return -EINVAL;
	}
	if (sip_authz_parse(conf_str(c, "sip.default_policy"),
			    &s->default_policy) < 0) {
		log_err("sip: sip.default_policy must be allow, confirm, polite-block or block");
		return -EINVAL;
	}
	s->allow_anonymous = conf_bool(c, "sip.allow_anonymous");
	s->max_body = (size_t)conf_int(c, "sip.max_body");
	s->commit_ms = (unsigned)conf_int(c, "sip.commit_delay");
	s->commit_max = (unsigned)conf_int(c, "sip.commit_batch");
	n = conf_split_list(conf_str(c, "sip.digest_algorithms"), buf,
			    sizeof(buf), algs, 4);
	for (int i = 0; i < n; i++) {
		if (strcasecmp(algs[i], "SHA-256") == 0) {
			s->digest_sha256 = true;
			if (!s->digest_md5)
				s->sha256_first = true;
		} else if (strcasecmp(algs[i], "MD5") == 0) {
			s->digest_md5 = true;
		} else {
			log_err("sip: unknown digest algorithm '%s'", algs[i]);
			return -EINVAL;
		}
	}
	if (!s->digest_md5 && !s->digest_sha256) {
		log_err("sip: sip.digest_algorithms is empty");
		return -EINVAL;
	}
	return 0;
}

bool sip_engine_domain_served(const struct sip_engine *e, const char *host,
			      bool *open)
{
	if (!host)
		return false;
	for (int i = 0; i < e->set.n_open; i++)
		if (strcasecmp(host, e->set.open[i]) == 0) {
			*open = true;
			return true;
		}
	*open = false;
	for (int i = 0; i < e->set.n_domains; i++)
		if (strcasecmp(host, e->set.domains[i]) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ helpers */

int sip_engine_aor(const url_t *u, char *buf, size_t len)
{
	int n;

	if (!u || !u->url_host)
		return -EINVAL;
	/* The port is not part of an AOR (RFC 3261 10.3 step 5 style). */
	n = snprintf(buf, len, "%s:%s%s%s",
		     u->url_type == url_sips ? "sips" : "sip",
		     u->url_user ? u->url_user : "", u->url_user ? "@" : "",
		     u->url_host);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int sip_engine_presentity(struct sip_engine *e, const sip_t *sip, char *aor,
			  size_t len, bool *open, const char **phrase)
{
	const url_t *ru = sip->sip_request->rq_url;
	bool yes = false;

	*phrase = "Not Found";
	if (sip_engine_aor(ru, aor, len) < 0 || !ru->url_user)
		return 404;
	if (!sip_engine_domain_served(e, ru->url_host, open)) {
		*phrase = "Domain Not Served";   /* RFC 3261 21.4.5 */
		return 404;
	}
	if (*open)
		return 0;
	/* An existence check: no subscriber row (and no key) is read. */
	if (db_impu_exists(e->db, aor, &yes) < 0) {
		*phrase = "Store Failure";
		return 500;
	}
	return yes ? 0 : 404;
}

void sip_engine_newtag(struct sip_engine *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s%x", e->boot_id, ++e->tag_seq);
}

void sip_engine_reply(struct sip_engine *e, nta_incoming_t *irq, int status,
		      const char *phrase)
{
	(void)e;
	nta_incoming_treply(irq, status, phrase, TAG_END());
	nta_incoming_destroy(irq);
}

/* Sofia's own diagnostics go to our log at debug level, one line each. */
static void sofia_log(void *arg, char const *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)arg;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n)
		log_debug("sofia: %s", buf);
}

/* ----------------------------------------------------------- dispatch */

static int on_request(struct sip_engine *e, nta_leg_t *leg,
		      nta_incoming_t *irq, sip_t const *sip)
{
	(void)leg;
	e->work++;
	if (e->destroying)
		return 503;
	if (!sip || !sip->sip_request || !sip->sip_from || !sip->sip_to ||
	    !sip->sip_call_id || !sip->sip_cseq) {
		/* RFC 3261 8.2: mandatory headers missing. */
		return 400;
	}
	if (sip->sip_error) {
		/* A header failed to parse (Sofia keeps it as an error). */
		sip_engine_reply(e, irq, 400, "Malformed header");
		return 0;
	}
	switch (sip->sip_request->rq_method) {
	case sip_method_subscribe:
		return sip_subscribe_request(e, irq, sip);
	case sip_method_publish:
		return sip_publish_request(e, irq, sip);
	case sip_method_options:
		/* RFC 3261 11.2 */
		nta_incoming_treply(irq, 200, "OK",
				    SIPTAG_ALLOW_STR(SIP_ALLOW),
				    SIPTAG_ALLOW_EVENTS_STR(SIP_ALLOW_EVENTS),
				    SIPTAG_ACCEPT_STR(SIP_ACCEPT), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	case sip_method_ack:
		nta_incoming_destroy(irq);
		return 0;
	default:
		/* RFC 3261 8.2.1: 405 with Allow. */
		nta_incoming_treply(irq, 405, "Method Not Allowed",
				    SIPTAG_ALLOW_STR(SIP_ALLOW), TAG_END());
		nta_incoming_destroy(irq);
		return 0;
	}
}

/* ------------------------------------------------------------ restore */

struct restore_ctx { struct sip_engine *e; int64_t now; size_t kept, dropped; };

static int restore_sub(const struct db_subscription *r, void *arg)
{
	struct restore_ctx *c = arg;

	if (r->expires <= c->now || r->state == DB_SUB_TERMINATED) {
		c->dropped++;
		return db_subscription_delete(c->e->db, r->id) == 0 ? 0 : 0;
	}
	if (sip_subscribe_restore(c->e, r) == 0)
		c->kept++;
	return 0;
}

static int restore_pub(const struct db_publication *p, void *arg)
{
	struct restore_ctx *c = arg;

	if (p->expires <= c->now) {
		c->dropped++;
		return 0;        /* db_publication_expire() deletes them */
	}
	if (sip_publish_restore(c->e, p) == 0)
		c->kept++;
	return 0;
}

static int restore(struct sip_engine *e)
{
	struct restore_ctx c = { e, clock_now(), 0, 0 };
	int n = 0, rc;

	/* Collect first, then delete: no write while a walk is open. */
	rc = db_begin(e->db);
	if (rc == 0)
		rc = db_subscription_foreach(e->db, NULL, NULL, restore_sub, &c);
	if (rc == 0)
		rc = db_publication_foreach(e->db, NULL, NULL, restore_pub, &c);
	if (rc == 0)
		rc = db_publication_expire(e->db, c.now, NULL, NULL, &n);
	if (rc == 0)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	if (rc < 0) {
		log_err("sip: restore from the store failed: %s", db_errmsg(e->db));
		return -EIO;
	}
	log_notice("sip: restored %zu subscriptions and publications, dropped %zu expired",
		   c.kept, c.dropped);
	return 0;
}

/* -------------------------------------------------------------- sweep */

/* Below this much free heap, trimming gives back little and costs the
 * page faults of growing the heap again. */
#define TRIM_MIN_FREE (16u << 20)

static void on_sweep(su_root_magic_t *m, su_timer_t *t, struct sip_engine *e)
{
	int64_t now = clock_now();
	size_t n = 0;

	(void)m;
	(void)t;
	sip_subtab_expire(&e->tab, now, &n);
	sip_publish_expire(e, now);
	if (n)
		log_debug("sip: %zu subscriptions expired", n);
	/* Transactions (nta keeps a UDP server transaction for 64*T1 = 32 s)
	 * come and go in bursts; give their freed memory back to the system
	 * so that RSS follows the live subscriptions.  Trimming under load
	 * only makes the heap grow back page by page (page faults in every
	 * malloc), so trim after a quiet second, at most every 5 s, and
	 * under constant load every 60 s. */
	bool quiet = e->work == e->work_seen;

	e->work_seen = e->work;
	e->sweeps++;
	if (((quiet && e->sweeps - e->last_trim >= 5) ||
	     e->sweeps - e->last_trim >= 60) &&
	    mallinfo2().fordblks >= TRIM_MIN_FREE) {
		malloc_trim(0);
		e->last_trim = e->sweeps;
	}
}

static void on_prepoll(struct sip_engine *e, su_root_t *root)
{
	(void)root;
	sip_commit_prepoll(e);
}

/* ---------------------------------------------------- create/destroy */

int sip_engine_create(struct sip_engine **ep, struct sip_loop *loop,
		      const struct conf *conf)
{
	struct sip_engine *e;
	char buf[1024], err[256];
	const char *items[SIP_MAX_LISTEN];
	struct auth_digest_params dp = { 0 };
	int n, rc;
	uint8_t rnd[8];
	FILE *ur;

	if (!ep || !loop || !conf)
		return -EINVAL;
	/* Fan-out allocates and frees thousands of messages per second:
	 * keep glibc from shrinking the heap on every free at its top (the
	 * next burst would fault the pages in again); on_sweep trims when
	 * the engine is quiet. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 4 << 20);
	e = su_home_new(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->loop = loop;
	e->root = sip_loop_root(loop);
	e->dtail = &e->dhead;
	sip_subtab_init(&e->tab, &sip_notify_ops, e);

	rc = settings_load(&e->set, conf);
	if (rc < 0)
		goto fail;

	ur = fopen("/dev/urandom", "r");
	if (!ur || fread(rnd, 1, sizeof(rnd), ur) != sizeof(rnd)) {
		if (ur)
			fclose(ur);
		rc = -EIO;
		goto fail;
	}
	fclose(ur);
	util_hex_encode(rnd, sizeof(rnd), e->boot_id);

	rc = db_open(&e->db, conf_str(conf, "store.path"), DB_OPEN_CREATE,
		     (int)conf_int(conf, "store.busy_timeout") * 1000, err,
		     sizeof(err));
	if (rc < 0) {
		log_err("sip: cannot open the store: %s", err);
		rc = -EIO;
		goto fail;
	}
	/* Checkpoints: a thread of its own copies the WAL back every second
	 * (with its fsyncs), so that the automatic checkpoint the SIP thread
	 * still runs every 1000 pages (to restart the WAL, which only the
	 * writer can do under constant load) finds little left to copy. */
	db_set_autocheckpoint(e->db, 1000);
	if (sip_ckpt_start(&e->ckpt, conf_str(conf, "store.path"),
			   (int)conf_int(conf, "store.busy_timeout") * 1000) < 0)
		log_warn("sip: no checkpoint thread; the SIP thread checkpoints alone");
	dp.nonce_lifetime_s = (unsigned)conf_int(conf, "sip.nonce_lifetime");
	rc = auth_digest_create(&e->digest, &dp);
	if (rc < 0) {
		log_err("sip: cannot create the Digest verifier");
		goto fail;
	}

	su_log_redirect(NULL, sofia_log, NULL);
	e->mclass = sip_extend_mclass(NULL);
	e->agent = nta_agent_create(e->root, (url_string_t *)-1, NULL, NULL,
				    NTATAG_MCLASS(e->mclass),
				    NTATAG_MAXSIZE(e->set.max_body + 16384),
				    NTATAG_UA(0),
				    NTATAG_SERVER_RPORT(1),
				    NTATAG_SIP_T1X64((unsigned)conf_int(conf,
						"sip.transaction_timeout") * 1000),
				    TAG_END());
	if (!e->agent) {
		log_err("sip: cannot create the nta agent");
		rc = -ENOMEM;
		goto fail;
	}
	rc = sip_tls_prepare(e, conf);
	if (rc < 0)
		goto fail;
	n = conf_split_list(conf_str(conf, "sip.listen"), buf, sizeof(buf),
			    items, SIP_MAX_LISTEN);
	if (n <= 0) {
		log_err("sip: sip.listen names no listener");
		rc = -EINVAL;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		rc = sip_listen_add(e, items[i]);
		if (rc < 0)
			goto fail;
	}
	e->dleg = nta_leg_tcreate(e->agent, on_request, e, NTATAG_NO_DIALOG(1),
				  TAG_END());
	if (!e->dleg) {
		rc = -ENOMEM;
		goto fail;
	}
	e->commit_timer = su_timer_create(su_root_task(e->root), 0);
	e->sweep_timer = su_timer_create(su_root_task(e->root), 1000);
	if (!e->commit_timer || !e->sweep_timer) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = restore(e);
	if (rc < 0)
		goto fail;
	su_timer_set_for_ever(e->sweep_timer, on_sweep, e);
	if (su_root_add_prepoll(e->root, on_prepoll, e) == 0)
		e->prepoll = true;
	*ep = e;
	return 0;
fail:
	sip_engine_destroy(e);
	return rc < 0 ? rc : -EIO;
}

void sip_engine_destroy(struct sip_engine *e)
{
	if (!e)
		return;
	e->destroying = true;
	if (e->prepoll)
		su_root_remove_prepoll(e->root);
	sip_commit_flush(e);
	su_timer_destroy(e->commit_timer);
	su_timer_destroy(e->sweep_timer);
	if (e->dleg)
		nta_leg_destroy(e->dleg);
	sip_notify_clear(e);
	if (e->agent)
		nta_agent_destroy(e->agent);
	free(e->mclass);   /* sip_extend_mclass() malloc'd a copy */
	/* Outstanding NOTIFYs died with the agent; the table goes without
	 * telling anyone: the store keeps every subscription. */
	sip_subtab_clear(&e->tab);
	sip_publish_clear(e);
	auth_digest_destroy(e->digest);
	sip_ckpt_stop(e->ckpt);
	db_close(e->db);
	sip_tls_cleanup(e);
	su_home_unref(e->home);
}

static void reauthorize_all(struct sip_engine *e)
{
	struct sip_pres **v;
	size_t n = 0;

	if (!e->tab.pres.n)
		return;
	/* Collect first: re-authorization may end subscriptions. */
	v = malloc(e->tab.pres.n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < e->tab.pres.cap; i++)
		for (struct sip_hnode *h = e->tab.pres.slots[i]; h; h = h->next)
			if (((struct sip_pres *)h)->subs[SIP_EV_PRESENCE])
				v[n++] = (struct sip_pres *)h;
	for (size_t i = 0; i < n; i++)
		sip_subscribe_reauthorize(e, v[i]);
	free(v);
}

int sip_engine_check_conf(const struct conf *conf)
{
	struct sip_settings s;

	return settings_load(&s, conf) < 0 ? -1 : 0;
}

int sip_engine_reload(struct sip_engine *e, const struct conf *conf)
{
	struct sip_settings s;
	int rc = settings_load(&s, conf);
	bool policy_changed;

	if (rc < 0)
		return rc;
	policy_changed = s.default_policy != e->set.default_policy;
	/* Domains, policy, peers, expiry bounds, anonymity and batching may
	 * change; listeners and the store need a restart.  The domain lists
	 * point into their buffers: rebase them onto the engine's copy. */
	e->set = s;
	for (int i = 0; i < s.n_domains; i++)
		e->set.domains[i] = e->set.domains_buf + (s.domains[i] - s.domains_buf);
	for (int i = 0; i < s.n_open; i++)
		e->set.open[i] = e->set.open_buf + (s.open[i] - s.open_buf);
	log_notice("sip: settings reloaded (default policy %s)",
		   sip_authz_str(s.default_policy));
	/* Without a policy engine the default decides everything: a new one
	 * applies to the existing subscriptions too. */
	if (policy_changed && !e->authz)
		reauthorize_all(e);
	return 0;
}

void sip_engine_documents_changed(struct sip_engine *e, const char *xui)
{
	struct sip_pres *p;
	char aor[300];

	if (!e || !xui)
		return;
	snprintf(aor, sizeof(aor), "%s%s", strncmp(xui, "sip:", 4) == 0 ||
		 strncmp(xui, "sips:", 5) == 0 ? "" : "sip:", xui);
	p = sip_pres_get(&e->tab, aor, false);
	if (p)
		sip_subscribe_reauthorize(e, p);
}
