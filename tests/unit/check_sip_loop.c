/*
 * check_sip_loop.c - the SIP thread's loop (sip/loop.c): a post from
 * another thread runs in the loop thread, a post the loop never runs is
 * handed to its drop function, watches and timers fire.
 */
#include "config.h"
#include "sip/sip.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct seen {
	struct sip_loop *loop;
	pthread_t thread;       /* where fn ran */
	int ran, dropped, ticks;
};

static void on_post(void *arg)
{
	struct seen *s = arg;

	s->thread = pthread_self();
	s->ran++;
	sip_loop_stop(s->loop);
}

static void on_drop(void *arg)
{
	((struct seen *)arg)->dropped++;
}

static void *poster(void *arg)
{
	struct seen *s = arg;

	ck_assert_int_eq(sip_loop_post(s->loop, on_post, on_drop, s), 0);
	return NULL;
}

START_TEST(post_runs_in_the_loop_thread)
{
	struct seen s = { 0 };
	pthread_t t;

	ck_assert_int_eq(sip_loop_create(&s.loop), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, poster, &s), 0);
	sip_loop_run(s.loop);
	pthread_join(t, NULL);
	ck_assert_int_eq(s.ran, 1);
	ck_assert(pthread_equal(s.thread, pthread_self()));
	sip_loop_destroy(s.loop);
	ck_assert_int_eq(s.dropped, 0);   /* run posts are not dropped too */
}
END_TEST

START_TEST(unrun_post_is_dropped)
{
	struct seen s = { 0 };

	ck_assert_int_eq(sip_loop_create(&s.loop), 0);
	ck_assert_int_eq(sip_loop_post(s.loop, on_post, on_drop, &s), 0);
	ck_assert_int_eq(sip_loop_post(s.loop, on_post, NULL, &s), 0);
	sip_loop_destroy(s.loop);         /* never ran */
	ck_assert_int_eq(s.ran, 0);
	ck_assert_int_eq(s.dropped, 1);
	ck_assert_int_eq(sip_loop_post(NULL, on_post, on_drop, &s), -22);
}
END_TEST

static void on_tick(void *arg)
{
	struct seen *s = arg;

	if (++s->ticks == 3)
		sip_loop_stop(s->loop);
}

static void on_readable(int fd, void *arg)
{
	struct seen *s = arg;
	char c;

	ck_assert_int_eq(read(fd, &c, 1), 1);
	s->ran++;
	sip_loop_stop(s->loop);
}

START_TEST(watch_and_timer)
{
	struct seen s = { 0 };
	int p[2];

	ck_assert_int_eq(sip_loop_create(&s.loop), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(sip_loop_watch_fd(s.loop, p[0], on_readable, &s), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	sip_loop_run(s.loop);
	ck_assert_int_eq(s.ran, 1);
	ck_assert_int_eq(sip_loop_every(s.loop, 1, on_tick, &s), 0);
	sip_loop_run(s.loop);
	ck_assert_int_eq(s.ticks, 3);
	sip_loop_destroy(s.loop);
	close(p[0]);
	close(p[1]);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("sip_loop");
	TCase *tc = tcase_create("loop");

	tcase_add_test(tc, post_runs_in_the_loop_thread);
	tcase_add_test(tc, unrun_post_is_dropped);
	tcase_add_test(tc, watch_and_timer);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(loop_suite)
