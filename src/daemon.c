/*
 * daemon.c - the presenced process: configuration, logging, pid file, the
 * store, the SIP thread's loop, signals and the services that run on it.
 *
 * Signals are blocked in every thread and read from a signalfd on the
 * su_root loop, so a handler never runs in the middle of SIP state:
 * SIGTERM/SIGINT stop the loop (services flush and the store is closed),
 * SIGHUP re-reads the configuration and applies the reloadable settings.
 */
#include "config.h"
#include "src/core.h"
#include "src/daemon.h"
#include "db/db.h"
#include "sip/sip.h"
#include "xcap/xcap.h"

#include <errno.h>
#include <libxml/parser.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

struct daemon {
	const struct daemon_opts *opts;
	struct conf *conf;
	struct sip_loop *loop;
	struct db *db;          /* the main thread's store connection */
	struct sip_engine *sip; /* issue 3: the presence engine */
	struct xcap_server *xcap;
	int sigfd;
	int pidfd;
	int exit_status;
};

/* Read the config file and apply -o overrides into a fresh struct conf. */
static struct conf *load_conf(const struct daemon_opts *o, char *err,
			      size_t errlen)
{
	struct conf *c = conf_new();

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (conf_parse_file(c, o->config_path, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < o->n_overrides; i++)
		if (conf_override(c, o->overrides[i], err, errlen) < 0)
			goto fail;
	if (conf_validate(c, err, errlen) < 0)
		goto fail;
	/* Values only the SIP engine understands (policy names, algorithms,
	 * peer CIDRs) are checked here too, so -n and SIGHUP refuse them
	 * before anything runs with them. */
	if (sip_engine_check_conf(c) < 0) {
		snprintf(err, errlen, "%s: invalid SIP settings (see above)",
			 o->config_path);
		goto fail;
	}
	return c;
fail:
	conf_free(c);
	return NULL;
}

static void print_line(const char *line, void *arg)
{
	fprintf(arg, "%s\n", line);
}

/* Create and lock the pid file.  A second presenced with the same pid file
 * fails here rather than fighting over ports and the store. */
static int pidfile_open(struct daemon *d)
{
	const char *path = conf_str(d->conf, "server.pidfile");
	char buf[32];
	int fd, n;

	d->pidfd = -1;
	if (!path[0])
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_err("pid file %s is locked: presenced already running (pid %s)",
			path, buf[0] ? buf : "?");
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
		log_err("pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	d->pidfd = fd;
	return 0;
}

static void pidfile_close(struct daemon *d)
{
	if (d->pidfd < 0)
		return;
	unlink(conf_str(d->conf, "server.pidfile"));
	close(d->pidfd);
	d->pidfd = -1;
}

static int log_subscriber(const struct db_subscriber *s, void *arg)
{
	(void)arg;
	/* Identities only: never K, OPc or HA1. */
	log_info("store: subscriber %s%s", s->impi,
		 s->ha1_md5[0] ? " (digest password set)" : "");
	return 0;
}

/* Open the main thread's store connection: creates and migrates the
 * schema, so every other connection finds it ready. */
static int store_open(struct daemon *d)
{
	char err[256];
	int64_t n = 0;
	int version = 0;
	int rc;

	rc = db_open(&d->db, conf_str(d->conf, "store.path"), DB_OPEN_CREATE,
		     (int)conf_int(d->conf, "store.busy_timeout") * 1000, err,
		     sizeof(err));
	if (rc < 0) {
		log_err("store %s: %s", conf_str(d->conf, "store.path"), err);
		return -1;
	}
	db_schema_version(d->db, &version);
	db_subscriber_count(d->db, &n);
	log_notice("store: %s (schema %d, %lld subscribers)",
		   conf_str(d->conf, "store.path"), version, (long long)n);
	/* A demo or lab store is small enough to list; a production one is not. */
	if (n > 0 && n <= 20)
		db_subscriber_foreach(d->db, log_subscriber, NULL);
	return 0;
}

/* ----------------------------------------------------------- services */

/* The SIP engine and the XCAP server start here, after the store, and stop
 * in reverse order before it closes. */
/* --- XCAP (issue 4): the HTTPS server runs in its own threads; after a
 * committed change to a document the SIP side depends on, it calls
 * xcap_changed() in an XCAP worker, which posts a copy of the news to the
 * SIP thread (the two sides never share a mutable struct). */
struct xcap_change {
	struct daemon *d;
	char xui[256];
	char auid[64];
};

static void xcap_change_apply(void *arg)
{
	struct xcap_change *c = arg;

	/* In the SIP thread: re-run the authorization of the presentity's
	 * watchers from the store. */
	log_debug("xcap: documents of %s changed (%s)", c->xui, c->auid);
	if (c->d->sip)
		sip_engine_documents_changed(c->d->sip, c->xui);
	free(c);
}

static void xcap_changed(const char *xui, const char *auid, void *arg)
{
	struct daemon *d = arg;
	struct xcap_change *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->d = d;
	snprintf(c->xui, sizeof(c->xui), "%s", xui);
	snprintf(c->auid, sizeof(c->auid), "%s", auid);
	/* A message the stopped loop never runs is freed by the loop. */
	if (sip_loop_post(d->loop, xcap_change_apply, free, c) < 0) {
		log_warn("xcap: cannot tell the SIP side that %s changed", xui);
		free(c);
	}
}

static int xcap_start(struct daemon *d)
{
	struct xcap_server_hooks hooks = { .changed = xcap_changed, .arg = d };

	if (!conf_str(d->conf, "xcap.listen")[0]) {
		log_notice("xcap: disabled (xcap.listen is empty)");
		return 0;
	}
	if (!conf_str(d->conf, "tls.cert")[0]) {
		log_warn("xcap: disabled: no tls.cert (XCAP is served over "
			 "HTTPS only)");
		return 0;
	}
	return xcap_server_start(&d->xcap, d->conf, &hooks);
}
/* --- end XCAP */

static int services_start(struct daemon *d)
{
	/* --- sip (issue 3): the presence engine, on the SIP thread's loop. */
	int rc = sip_engine_create(&d->sip, d->loop, d->conf);

	if (rc < 0) {
		log_err("cannot start the SIP engine: %s", strerror(-rc));
		return -1;
	}
	if (xcap_start(d) < 0)
		return -1;
	return 0;
}

static void xcap_stop(struct daemon *d)
{
	xcap_server_stop(d->xcap);   /* no worker posts after this */
	d->xcap = NULL;
}

static void services_stop(struct daemon *d)
{
	xcap_stop(d);
	/* --- sip (issue 3): flush pending commits, close listeners. */
	sip_engine_destroy(d->sip);
	d->sip = NULL;
}

static void services_reload(struct daemon *d)
{
	/* --- sip (issue 3) */
	if (d->sip)
		sip_engine_reload(d->sip, d->conf);
}

/* ------------------------------------------------------------ signals */

static void reload(struct daemon *d)
{
	char err[512];
	struct conf *fresh = load_conf(d->opts, err, sizeof(err));
	int changed;

	if (!fresh) {
		log_err("reload failed, keeping the running configuration: %s", err);
		return;
	}
	changed = conf_apply_reloadable(d->conf, fresh);
	conf_free(fresh);
	log_set_level((enum log_level)conf_int(d->conf, "log.level"));
	services_reload(d);
	log_notice("reloaded %s: %d setting%s changed", d->opts->config_path,
		   changed, changed == 1 ? "" : "s");
}

static void on_signal(int fd, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("signal %d: shutting down", (int)si.ssi_signo);
			sip_loop_stop(d->loop);
			break;
		case SIGHUP:
			reload(d);
			break;
		default:
			break;
		}
	}
}

static int signals_setup(struct daemon *d)
{
	sigset_t set;

	/* Blocked before any thread starts, so every thread inherits it and
	 * the signalfd is the only receiver. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	umask(027);
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int daemon_main(const struct daemon_opts *o)
{
	struct daemon d = { .opts = o, .sigfd = -1, .pidfd = -1, .exit_status = 1 };
	char err[512];
	int rc;

	d.conf = load_conf(o, err, sizeof(err));
	if (!d.conf) {
		fprintf(stderr, "presenced: %s\n", err);
		return 1;
	}
	if (o->check_only) {
		if (o->verbose)
			conf_dump(d.conf, print_line, stdout);
		printf("presenced: configuration %s is valid\n", o->config_path);
		conf_free(d.conf);
		return 0;
	}

	/* libxml2's global state is set up once, before any thread starts. */
	xmlInitParser();
	log_setup(conf_bool(d.conf, "log.syslog") ? LOG_TO_SYSLOG : LOG_TO_STDERR,
		  (enum log_level)conf_int(d.conf, "log.level"), "presenced");
	if (!o->foreground && daemonize() < 0) {
		log_err("cannot detach: %s", strerror(errno));
		goto out;
	}
	if (signals_setup(&d) < 0 || pidfile_open(&d) < 0)
		goto out;
	log_notice("presenced %s starting (config %s, pid %ld)", PACKAGE_VERSION,
		   o->config_path, (long)getpid());
	if (store_open(&d) < 0)
		goto out;
	rc = sip_loop_create(&d.loop);
	if (rc < 0) {
		log_err("cannot create the SIP event loop: %s", strerror(-rc));
		goto out;
	}
	if (sip_loop_watch_fd(d.loop, d.sigfd, on_signal, &d) < 0) {
		log_err("cannot watch signals");
		goto out;
	}
	if (services_start(&d) < 0)
		goto out_services;
	log_notice("presenced ready");
	sip_loop_run(d.loop);
	d.exit_status = 0;
out_services:
	services_stop(&d);
out:
	sip_loop_destroy(d.loop);
	db_close(d.db);
	if (d.exit_status == 0)
		log_notice("presenced stopped");
	pidfile_close(&d);
	if (d.sigfd >= 0)
		close(d.sigfd);
	conf_free(d.conf);
	xmlCleanupParser();
	return d.exit_status;
}
