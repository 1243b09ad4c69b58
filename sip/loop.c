/*
 * loop.c - the SIP thread's event loop: a thin wrapper over Sofia's su_root
 * that keeps Sofia types inside sip/.
 *
 * Cross-thread work (XCAP telling the SIP side that documents changed)
 * arrives through sip_loop_post(): a mutex-protected queue plus an eventfd
 * that wakes su_root, so the posting thread never touches SIP state.
 */
#include "config.h"

struct sip_loop;
struct loop_watch;
struct loop_timer;
#define SU_ROOT_MAGIC_T struct sip_loop
#define SU_WAKEUP_ARG_T struct loop_watch
#define SU_TIMER_ARG_T struct loop_timer

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sip/sip.h"

struct loop_watch {
	struct loop_watch *next;
	int fd;
	int index;                   /* su_root registration */
	void (*cb)(int fd, void *arg);
	void *arg;
};

struct loop_timer {
	struct loop_timer *next;
	su_timer_t *timer;
	void (*fn)(void *arg);
	void *arg;
};

struct loop_post {
	struct loop_post *next;
	void (*fn)(void *arg);
	void (*drop)(void *arg);   /* for a post the loop never ran */
	void *arg;
};

struct sip_loop {
	su_root_t *root;
	struct loop_watch *watches;
	struct loop_timer *timers;
	int efd;                     /* eventfd for posts */
	pthread_mutex_t lock;
	struct loop_post *head, *tail;
};

static int watch_wakeup(struct sip_loop *l, su_wait_t *w, struct loop_watch *lw)
{
	(void)l;
	(void)w;
	lw->cb(lw->fd, lw->arg);
	return 0;
}

static void post_drain(int fd, void *arg)
{
	struct sip_loop *l = arg;
	struct loop_post *p;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&l->lock);
	p = l->head;
	l->head = l->tail = NULL;
	pthread_mutex_unlock(&l->lock);
	while (p) {
		struct loop_post *next = p->next;
		p->fn(p->arg);
		free(p);
		p = next;
	}
}

int sip_loop_create(struct sip_loop **lp)
{
	struct sip_loop *l;
	int rc;

	if (!lp)
		return -EINVAL;
	if (su_init() != 0)
		return -EIO;
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto fail_deinit;
	}
	l->efd = -1;
	pthread_mutex_init(&l->lock, NULL);
	l->root = su_root_create(l);
	if (!l->root) {
		rc = -ENOMEM;
		goto fail;
	}
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->efd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = sip_loop_watch_fd(l, l->efd, post_drain, l);
	if (rc < 0)
		goto fail;
	*lp = l;
	return 0;
fail:
	sip_loop_destroy(l);
	return rc;
fail_deinit:
	su_deinit();
	return rc;
}

void sip_loop_destroy(struct sip_loop *l)
{
	if (!l)
		return;
	while (l->timers) {
		struct loop_timer *t = l->timers;
		l->timers = t->next;
		su_timer_destroy(t->timer);
		free(t);
	}
	while (l->watches) {
		struct loop_watch *w = l->watches;
		l->watches = w->next;
		su_root_deregister(l->root, w->index);
		free(w);
	}
	while (l->head) {
		struct loop_post *p = l->head;
		l->head = p->next;
		if (p->drop)
			p->drop(p->arg);
		free(p);
	}
	if (l->efd >= 0)
		close(l->efd);
	if (l->root)
		su_root_destroy(l->root);
	pthread_mutex_destroy(&l->lock);
	free(l);
	su_deinit();
}

int sip_loop_run(struct sip_loop *l)
{
	su_root_run(l->root);
	return 0;
}

void sip_loop_stop(struct sip_loop *l)
{
	su_root_break(l->root);
}

int sip_loop_watch_fd(struct sip_loop *l, int fd, void (*cb)(int fd, void *arg),
		      void *arg)
{
	struct loop_watch *w;
	su_wait_t wait[1];

	if (!l || fd < 0 || !cb)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	if (su_wait_create(wait, fd, SU_WAIT_IN) < 0) {
		free(w);
		return -EIO;
	}
	w->index = su_root_register(l->root, wait, watch_wakeup, w, 0);
	if (w->index < 0) {
		su_wait_destroy(wait);
		free(w);
		return -EIO;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

int sip_loop_post(struct sip_loop *l, void (*fn)(void *arg),
		  void (*drop)(void *arg), void *arg)
{
	struct loop_post *p;
	uint64_t one = 1;

	if (!l || !fn)
		return -EINVAL;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->drop = drop;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&l->lock);
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	pthread_mutex_unlock(&l->lock);
	/* An eventfd write only fails when the counter would overflow, and
	 * then the loop has a wake-up pending anyway. */
	if (write(l->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return 0;
	return 0;
}

static void timer_fire(struct sip_loop *l, su_timer_t *t, struct loop_timer *lt)
{
	(void)l;
	(void)t;
	lt->fn(lt->arg);
}

int sip_loop_every(struct sip_loop *l, unsigned ms, void (*fn)(void *arg),
		   void *arg)
{
	struct loop_timer *t;

	if (!l || !fn || ms == 0)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fn = fn;
	t->arg = arg;
	t->timer = su_timer_create(su_root_task(l->root), ms);
	/* su_timer_run repeats with the duration given at creation;
	 * su_timer_set_interval would fire only once. */
	if (!t->timer || su_timer_run(t->timer, timer_fire, t) < 0) {
		su_timer_destroy(t->timer);
		free(t);
		return -ENOMEM;
	}
	t->next = l->timers;
	l->timers = t;
	return 0;
}

void *sip_loop_root(struct sip_loop *l)
{
	return l ? l->root : NULL;
}
