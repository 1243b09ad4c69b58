/*
 * checkpoint.c - WAL checkpoints off the SIP thread.
 *
 * With WAL and synchronous=NORMAL a commit is a write() into the WAL; the
 * fsyncs happen at checkpoints.  SQLite runs a checkpoint inside the
 * COMMIT that grows the WAL past 1000 pages, i.e. in the SIP thread, which
 * stops answering for as long as the copy and the fsync take.  This
 * thread, with its own connection (architecture-notes: one connection per
 * thread), runs a PASSIVE checkpoint every second, so the SIP thread's
 * checkpoint finds most pages already copied and synced.  The SIP thread
 * keeps its own: under constant writes only the writer's checkpoint can
 * complete and let the WAL restart from the beginning (measured: without
 * it the WAL grew by 100 MB in 20,000 PUBLISHes).  It touches no engine
 * state.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "sip/engine_int.h"
#include "src/core.h"

struct sip_ckpt {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct db *db;
};

static void *ckpt_main(void *arg)
{
	struct sip_ckpt *c = arg;
	struct timespec ts;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		while (!c->stop &&
		       pthread_cond_timedwait(&c->wake, &c->lock, &ts) == 0)
			;
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		if (stop)
			break;
		if (db_checkpoint(c->db, NULL, NULL) < 0)
			log_warn("sip: WAL checkpoint failed: %s", db_errmsg(c->db));
	}
	return NULL;
}

int sip_ckpt_start(struct sip_ckpt **cp, const char *path, int busy_ms)
{
	struct sip_ckpt *c = calloc(1, sizeof(*c));
	char err[256];
	int rc;

	if (!c)
		return -ENOMEM;
	rc = db_open(&c->db, path, 0, busy_ms, err, sizeof(err));
	if (rc < 0) {
		log_err("sip: checkpoint connection: %s", err);
		free(c);
		return -EIO;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	rc = pthread_create(&c->thread, NULL, ckpt_main, c);
	if (rc != 0) {
		db_close(c->db);
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->wake);
		free(c);
		return -rc;
	}
	*cp = c;
	return 0;
}

void sip_ckpt_stop(struct sip_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	db_close(c->db);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	free(c);
}
