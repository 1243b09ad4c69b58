/*
 * core.h - the leaf utilities every presenced layer may use: logging,
 * the configuration table and its parser, a clock that tests can replace,
 * hex helpers and constant-time comparison.
 *
 * Nothing here knows about SIP, XCAP, GBA or the store; sip/, xcap/, auth/
 * and db/ may include this header, this header includes none of theirs.
 */
#ifndef PRESENCED_CORE_H
#define PRESENCED_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

/* ------------------------------------------------------------------ log */

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Where log lines go.  LOG_TO_STDERR prefixes each line with a UTC
 * timestamp and the level; LOG_TO_SYSLOG uses facility LOG_DAEMON. */
enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* Set the sink and threshold.  Thread-safe: callable from a SIGHUP reload
 * while other threads log. */
void log_setup(enum log_target target, enum log_level level, const char *ident);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parse "err", "warn", "notice", "info" or "debug".  Returns 0, or -1 when
 * the name is unknown. */
int log_level_parse(const char *name, enum log_level *out);

/* Emit one line (no trailing newline needed).  Never pass a secret (K, OPc,
 * Ks, Ks_NAF, passwords, HA1 values) as an argument: log only identities. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_err(...)    log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* ---------------------------------------------------------------- clock */

/* Wall-clock seconds since the epoch.  Production code calls clock_now();
 * unit tests replace the source with clock_set_source() so that expiry is
 * tested without sleeping.  Passing NULL restores the real clock. */
typedef int64_t (*clock_source_fn)(void *arg);
int64_t clock_now(void);
void clock_set_source(clock_source_fn fn, void *arg);
/* Monotonic milliseconds, for timers and measurements (never replaced). */
int64_t clock_mono_ms(void);

/* ----------------------------------------------------------------- util */

/* Decode exactly `len` bytes from a hex string of 2*len digits (either
 * case).  Returns 0, or -1 on a wrong length or a non-hex digit. */
int util_hex_decode(const char *hex, uint8_t *out, size_t len);
/* Encode `len` bytes as lower-case hex into `out`, which must hold 2*len+1
 * bytes.  Always NUL-terminates. */
void util_hex_encode(const uint8_t *in, size_t len, char *out);
/* Compare two buffers in time that depends only on `len`.  Returns true
 * when equal.  Use for every secret, MAC and digest response. */
bool util_ct_equal(const void *a, const void *b, size_t len);
/* Wipe a buffer that held a secret; the compiler may not elide it. */
void util_secure_zero(void *p, size_t len);

/* --------------------------------------------------------------- config */

/*
 * The configuration is one table of settings (src/config_table.c), each
 * with a type, default, bounds and a reloadable flag; see
 * man/presenced.conf.5.  The file format is INI-like:
 *
 *     # comment
 *     [section]
 *     key = value          ; values may be "double quoted"
 *
 * and a setting is named "section.key".
 */

enum conf_type {
	CONF_STRING,   /* any text; "" allowed */
	CONF_INT,      /* integer within [min, max] */
	CONF_BOOL,     /* yes/no/true/false/on/off/1/0 */
	CONF_DURATION, /* seconds; suffixes s, m, h, d; within [min, max] */
	CONF_SIZE,     /* bytes; suffixes k, m, g (1024-based); within [min, max] */
	CONF_LEVEL,    /* a log level name */
};

struct conf;

/* Create a configuration holding every default.  Returns NULL on
 * allocation failure.  conf_free(NULL) is a no-op. */
struct conf *conf_new(void);
void conf_free(struct conf *c);

/* Parse a configuration text held in memory.  `name` is used in messages
 * ("name:line: message").  On error returns -1 and writes one message into
 * err (size errlen); settings parsed before the error are kept. */
int conf_parse_buffer(struct conf *c, const char *name, const char *buf,
		      size_t len, char *err, size_t errlen);
/* Read and parse a file (a missing file is an error). */
int conf_parse_file(struct conf *c, const char *path, char *err, size_t errlen);
/* Apply one "section.key=value" override (-o on the command line). */
int conf_override(struct conf *c, const char *assignment, char *err,
		  size_t errlen);
/* Cross-key checks after parsing (e.g. tls.cert needs tls.key).  Returns 0
 * or -1 with a message. */
int conf_validate(const struct conf *c, char *err, size_t errlen);

/* Typed getters.  The key must exist in the table and have that type:
 * asking for an unknown key or the wrong type is a programming error and
 * aborts.  Strings belong to the conf object. */
const char *conf_str(const struct conf *c, const char *key);
int64_t conf_int(const struct conf *c, const char *key);
bool conf_bool(const struct conf *c, const char *key);

/* Copy into `dst` the values of every reloadable setting of `src`
 * (SIGHUP).  Returns the number of settings that changed. */
int conf_apply_reloadable(struct conf *dst, const struct conf *src);

/* Print every setting with its current value, one "section.key = value"
 * per line, secrets included only as "(set)".  For presenced -n -v. */
void conf_dump(const struct conf *c, void (*emit)(const char *line, void *arg),
	       void *arg);

/* Split a whitespace-separated list value ("a b  c") into at most `max`
 * NUL-terminated items copied into `buf`.  Returns the count, or -1 when
 * the list has more than `max` items or does not fit in buflen. */
int conf_split_list(const char *value, char *buf, size_t buflen,
		    const char **items, int max);

#endif /* PRESENCED_CORE_H */
