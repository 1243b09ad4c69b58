/*
 * log.c - leveled logging to stderr or syslog.
 *
 * One line per call.  The threshold is an atomic so that a SIGHUP reload
 * can change it while other threads log; the stderr sink writes each line
 * with a single write(2) so lines from several threads never interleave.
 */
#include "config.h"
#include "src/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static _Atomic int log_threshold = LOG_LVL_INFO;
static _Atomic int log_sink = LOG_TO_STDERR;

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "err",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

void log_setup(enum log_target target, enum log_level level, const char *ident)
{
	if (target == LOG_TO_SYSLOG)
		openlog(ident ? ident : "presenced", LOG_PID | LOG_NDELAY,
			LOG_DAEMON);
	atomic_store(&log_sink, (int)target);
	atomic_store(&log_threshold, (int)level);
}

void log_set_level(enum log_level level)
{
	atomic_store(&log_threshold, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&log_threshold);
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "error") == 0) {
		*out = LOG_LVL_ERR;
		return 0;
	}
	if (strcmp(name, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	size_t off = 0;
	int n;

	if ((int)level > atomic_load(&log_threshold))
		return;
	if (atomic_load(&log_sink) == LOG_TO_SYSLOG) {
		vsyslog(syslog_prio[level], fmt, ap);
		return;
	}

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + off, sizeof(line) - off, ".%03ldZ %s: ",
		     ts.tv_nsec / 1000000L, level_names[level]);
	if (n > 0)
		off += (size_t)n;
	n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
	if (n < 0)
		n = 0;
	off += (size_t)n;
	if (off > sizeof(line) - 2)
		off = sizeof(line) - 2;  /* truncated: keep the newline */
	/* Control characters from the network must not forge log lines. */
	for (size_t i = 0; i < off; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f)
			line[i] = '?';
	line[off++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, off);
	(void)w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
