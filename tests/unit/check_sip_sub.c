/*
 * check_sip_sub.c - the subscription core of sip/ (sub.c) without
 * sockets: a fake sender records each NOTIFY, the clock is injected
 * (clock_set_source), so expiry is tested without sleeping.
 */
#include "config.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"
#include "src/core.h"

static int64_t fake_now;
static int64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* What the fake owner saw. */
static struct {
	int sends;
	int gones;
	char last_state[64];
	uint32_t last_cseq;
	bool fail_send;
} seen;

static int fake_send(void *ctx, struct sip_sub *s)
{
	(void)ctx;
	seen.sends++;
	seen.last_cseq = s->local_cseq;
	sip_sub_state_print(s, clock_now(), seen.last_state,
			    sizeof(seen.last_state));
	return seen.fail_send ? -1 : 0;
}

static void fake_gone(void *ctx, struct sip_sub *s)
{
	(void)ctx;
	(void)s;
	seen.gones++;
}

static const struct sip_sub_ops fake_ops = { fake_send, fake_gone };
static struct sip_subtab tab;

static void setup(void)
{
	memset(&seen, 0, sizeof(seen));
	fake_now = 1000000;
	clock_set_source(fake_clock, NULL);
	sip_subtab_init(&tab, &fake_ops, NULL);
}

static void teardown(void)
{
	sip_subtab_clear(&tab);
	clock_set_source(NULL, NULL);
}

static struct sip_sub *add(const char *call_id, const char *aor,
			   enum sip_sub_state st, int64_t expires)
{
	struct sip_sub_init in = { 0 };
	struct sip_sub *s;
	struct sip_pres *p;

	in.s[SS_CALL_ID] = call_id;
	in.s[SS_LOCAL_TAG] = "lt";
	in.s[SS_REMOTE_TAG] = "rt";
	in.s[SS_WATCHER] = "sip:bob@example.test";
	in.s[SS_REMOTE_URI] = "sip:bob@example.test";
	in.s[SS_LOCAL_URI] = aor;
	in.target = "sip:bob@192.0.2.1";
	in.state = st;
	in.event = SIP_EV_PRESENCE;
	in.decision = SIP_AUTHZ_ALLOW;
	in.expires = expires;
	in.local_cseq = 7;
	s = sip_sub_new(&in);
	ck_assert_ptr_nonnull(s);
	p = sip_pres_get(&tab, aor, true);
	ck_assert_ptr_nonnull(p);
	sip_sub_link(&tab, p, s);
	return s;
}

START_TEST(rfc6665_4_2_1_1_expiry)
{
	struct sip_expiry e = { 60, 3600, 86400 };
	unsigned out;

	ck_assert_int_eq(sip_expiry_pick(&e, -1, &out), 0);
	ck_assert_uint_eq(out, 3600);              /* no Expires: default */
	ck_assert_int_eq(sip_expiry_pick(&e, 0, &out), 0);
	ck_assert_uint_eq(out, 0);                 /* fetch / unsubscribe */
	ck_assert_int_eq(sip_expiry_pick(&e, 30, &out), 423);
	ck_assert_uint_eq(out, 60);                /* Min-Expires value */
	ck_assert_int_eq(sip_expiry_pick(&e, 60, &out), 0);
	ck_assert_uint_eq(out, 60);
	ck_assert_int_eq(sip_expiry_pick(&e, 999999, &out), 0);
	ck_assert_uint_eq(out, 86400);             /* shortened to the max */
}
END_TEST

START_TEST(rfc6665_8_2_3_subscription_state)
{
	struct sip_sub *s = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	char buf[64];

	ck_assert_int_eq(sip_sub_state_print(s, clock_now(), buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "active;expires=600");
	fake_now += 100;
	sip_sub_state_print(s, clock_now(), buf, sizeof(buf));
	ck_assert_str_eq(buf, "active;expires=500");
	s->state = SIP_SUB_PENDING;
	sip_sub_state_print(s, clock_now(), buf, sizeof(buf));
	ck_assert_str_eq(buf, "pending;expires=500");
	s->state = SIP_SUB_TERMINATED;
	s->reason = SIP_RS_REJECTED;
	sip_sub_state_print(s, clock_now(), buf, sizeof(buf));
	ck_assert_str_eq(buf, "terminated;reason=rejected");
	ck_assert_int_eq(sip_sub_state_print(s, 0, buf, 8), -ENOSPC);
}
END_TEST

START_TEST(rfc6665_4_1_3_expiry_timeout_and_giveup)
{
	struct sip_sub *a = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 60);
	struct sip_sub *p = add("c2", "sip:alice@example.test", SIP_SUB_PENDING,
				fake_now + 120);
	size_t n;

	sip_subtab_expire(&tab, clock_now(), &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(seen.sends, 0);

	fake_now += 60;                       /* a's expiry, not p's */
	sip_subtab_expire(&tab, clock_now(), &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(seen.sends, 1);
	ck_assert_str_eq(seen.last_state, "terminated;reason=timeout");
	ck_assert_uint_eq(seen.last_cseq, 8); /* 7 + 1 */
	sip_sub_notify_done(&tab, a, 200);    /* the final NOTIFY completes */
	ck_assert_int_eq(seen.gones, 1);
	ck_assert_uint_eq(tab.nsubs, 1);

	fake_now += 60;
	sip_subtab_expire(&tab, clock_now(), &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(seen.last_state, "terminated;reason=giveup");
	sip_sub_notify_done(&tab, p, 200);
	ck_assert_int_eq(seen.gones, 2);
	ck_assert_uint_eq(tab.nsubs, 0);
	/* The presentity left with its last subscription. */
	ck_assert_ptr_null(sip_pres_get(&tab, "sip:alice@example.test", false));
}
END_TEST

START_TEST(rfc6665_4_2_2_notify_failure_ends)
{
	static const int codes[] = { 481, 408, 503 };

	for (size_t i = 0; i < 3; i++) {
		char cid[8];
		struct sip_sub *s;

		snprintf(cid, sizeof(cid), "f%zu", i);
		s = add(cid, "sip:alice@example.test", SIP_SUB_ACTIVE,
			fake_now + 600);
		sip_sub_notify(&tab, s);
		ck_assert(s->busy);
		sip_sub_notify_done(&tab, s, codes[i]);
		ck_assert_int_eq(seen.gones, (int)i + 1);
		ck_assert_ptr_null(sip_sub_find(&tab, cid, "lt"));
	}
	/* A failure the RFC leaves to the notifier keeps the subscription. */
	{
		struct sip_sub *s = add("k", "sip:alice@example.test",
					SIP_SUB_ACTIVE, fake_now + 600);
		sip_sub_notify(&tab, s);
		sip_sub_notify_done(&tab, s, 500);
		ck_assert_ptr_eq(sip_sub_find(&tab, "k", "lt"), s);
		ck_assert(!s->busy);
	}
	/* A NOTIFY that cannot even be sent counts as a transport failure. */
	{
		struct sip_sub *s = add("x", "sip:alice@example.test",
					SIP_SUB_ACTIVE, fake_now + 600);
		int gones = seen.gones;
		seen.fail_send = true;
		sip_sub_notify(&tab, s);
		ck_assert_int_eq(seen.gones, gones + 1);
		ck_assert_ptr_null(sip_sub_find(&tab, "x", "lt"));
	}
}
END_TEST

START_TEST(fanout_one_outstanding_coalesced)
{
	struct sip_sub *s = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	struct sip_pres *p = s->pres;

	sip_pres_notify(&tab, p, SIP_EV_PRESENCE);
	ck_assert_int_eq(seen.sends, 1);
	/* Three changes while the first NOTIFY is outstanding ... */
	sip_pres_notify(&tab, p, SIP_EV_PRESENCE);
	sip_pres_notify(&tab, p, SIP_EV_PRESENCE);
	sip_pres_notify(&tab, p, SIP_EV_PRESENCE);
	ck_assert_int_eq(seen.sends, 1);
	ck_assert(s->dirty);
	/* ... become one NOTIFY when it completes. */
	sip_sub_notify_done(&tab, s, 200);
	ck_assert_int_eq(seen.sends, 2);
	sip_sub_notify_done(&tab, s, 200);
	ck_assert_int_eq(seen.sends, 2);
	ck_assert(!s->busy);
}
END_TEST

START_TEST(rfc6665_4_2_2_last_watcher_gone_during_fanout)
{
	struct sip_sub *a = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	struct sip_sub *b = add("c2", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);

	(void)b;
	/* Both NOTIFYs fail at once: both subscriptions and then the
	 * presentity go, in the middle of the fan-out (ASan checks that
	 * nothing touches them afterwards). */
	seen.fail_send = true;
	sip_pres_notify(&tab, a->pres, SIP_EV_PRESENCE);
	ck_assert_int_eq(seen.gones, 2);
	ck_assert_uint_eq(tab.nsubs, 0);
	ck_assert_ptr_null(sip_pres_get(&tab, "sip:alice@example.test", false));
}
END_TEST

START_TEST(rfc3261_12_2_1_1_cseq_increases)
{
	struct sip_sub *s = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	uint32_t prev = s->local_cseq;

	for (int i = 0; i < 5; i++) {
		sip_sub_notify(&tab, s);
		ck_assert_uint_eq(seen.last_cseq, prev + 1);
		prev = seen.last_cseq;
		sip_sub_notify_done(&tab, s, 200);
	}
}
END_TEST

START_TEST(rfc6665_4_2_1_4_terminate_while_busy)
{
	struct sip_sub *s = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);

	sip_sub_notify(&tab, s);
	sip_sub_ref(s);                       /* keep it to look at */
	sip_sub_terminate(&tab, s, SIP_RS_DEACTIVATED);
	ck_assert_int_eq(seen.sends, 1);      /* still one outstanding */
	sip_sub_notify_done(&tab, s, 200);
	ck_assert_int_eq(seen.sends, 2);      /* now the final one */
	ck_assert_str_eq(seen.last_state, "terminated;reason=deactivated");
	ck_assert_int_eq(seen.gones, 0);
	sip_sub_notify_done(&tab, s, 200);
	ck_assert_int_eq(seen.gones, 1);
	ck_assert(!s->linked);
	sip_sub_unref(s);
}
END_TEST

START_TEST(dialog_and_presentity_index)
{
	struct sip_sub *a = add("c1", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	struct sip_sub *b = add("c2", "sip:alice@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	struct sip_sub *c = add("c3", "sip:carol@example.test", SIP_SUB_ACTIVE,
				fake_now + 600);
	char cid[32];

	ck_assert_ptr_eq(sip_sub_find(&tab, "c2", "lt"), b);
	ck_assert_ptr_null(sip_sub_find(&tab, "c2", "other"));
	ck_assert_ptr_eq(a->pres, b->pres);
	ck_assert_ptr_ne(a->pres, c->pres);
	ck_assert_uint_eq(a->pres->nsubs, 2);
	sip_pres_notify(&tab, a->pres, SIP_EV_PRESENCE);
	ck_assert_int_eq(seen.sends, 2);      /* alice's two, not carol's */
	/* Many entries: the tables grow and still find everything. */
	for (int i = 0; i < 5000; i++) {
		snprintf(cid, sizeof(cid), "bulk%d", i);
		add(cid, "sip:bulk@example.test", SIP_SUB_ACTIVE, fake_now + 1);
	}
	ck_assert_uint_eq(tab.nsubs, 5003);
	ck_assert_ptr_nonnull(sip_sub_find(&tab, "bulk4321", "lt"));
	ck_assert_int_eq(sip_sub_set_target(c, "sip:carol@198.51.100.7"), 0);
	ck_assert_str_eq(c->target, "sip:carol@198.51.100.7");
}
END_TEST

START_TEST(rfc3856_6_7_accept)
{
	ck_assert(sip_accept_allows(NULL, "application/pidf+xml"));
	ck_assert(sip_accept_allows("", "application/pidf+xml"));
	ck_assert(sip_accept_allows("application/pidf+xml", "application/pidf+xml"));
	ck_assert(sip_accept_allows("application/*", "application/pidf+xml"));
	ck_assert(sip_accept_allows("*/*", "application/pidf+xml"));
	ck_assert(sip_accept_allows("text/plain, application/PIDF+xml;q=0.5",
				    "application/pidf+xml"));
	ck_assert(!sip_accept_allows("application/xpidf+xml",
				     "application/pidf+xml"));
	ck_assert(!sip_accept_allows("text/*", "application/pidf+xml"));
}
END_TEST

START_TEST(rfc5025_3_2_1_policy_names)
{
	enum sip_authz_result r;

	ck_assert_int_eq(sip_authz_parse("allow", &r), 0);
	ck_assert_int_eq(r, SIP_AUTHZ_ALLOW);
	ck_assert_int_eq(sip_authz_parse("polite-block", &r), 0);
	ck_assert_int_eq(r, SIP_AUTHZ_POLITE_BLOCK);
	ck_assert_int_eq(sip_authz_parse("confirm", &r), 0);
	ck_assert_int_eq(r, SIP_AUTHZ_CONFIRM);
	ck_assert_int_eq(sip_authz_parse("block", &r), 0);
	ck_assert_int_eq(r, SIP_AUTHZ_BLOCK);
	ck_assert_int_eq(sip_authz_parse("maybe", &r), -1);
	ck_assert_str_eq(sip_authz_str(SIP_AUTHZ_POLITE_BLOCK), "polite-block");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sip_sub");
	struct { const char *name; const TTest *t; } cases[] = {
		{ "rfc6665_4_2_1_1_expiry", rfc6665_4_2_1_1_expiry },
		{ "rfc6665_8_2_3_subscription_state", rfc6665_8_2_3_subscription_state },
		{ "rfc6665_4_1_3_expiry_timeout_and_giveup", rfc6665_4_1_3_expiry_timeout_and_giveup },
		{ "rfc6665_4_2_2_notify_failure_ends", rfc6665_4_2_2_notify_failure_ends },
		{ "fanout_one_outstanding_coalesced", fanout_one_outstanding_coalesced },
		{ "rfc3261_12_2_1_1_cseq_increases", rfc3261_12_2_1_1_cseq_increases },
		{ "rfc6665_4_2_2_last_watcher_gone_during_fanout", rfc6665_4_2_2_last_watcher_gone_during_fanout },
		{ "rfc6665_4_2_1_4_terminate_while_busy", rfc6665_4_2_1_4_terminate_while_busy },
		{ "dialog_and_presentity_index", dialog_and_presentity_index },
		{ "rfc3856_6_7_accept", rfc3856_6_7_accept },
		{ "rfc5025_3_2_1_policy_names", rfc5025_3_2_1_policy_names },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].t);
		suite_add_tcase(s, tc);
	}
	return s;
}

CHECK_MAIN(suite)
