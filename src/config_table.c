/*
 * config_table.c - every setting presenced knows, in one table.
 *
 * Adding a setting: add one row here (keep the sections together), one
 * entry in etc/presenced.conf and one in man/presenced.conf.5.  The
 * sample-file test in tests/unit/check_config.c fails until all three agree.
 */
#include "src/config_int.h"

#include <string.h>


#define D (int64_t)86400

const struct conf_setting conf_table[] = {
	/* --- server --- */
	{ "server.domains", CONF_STRING, "example.test", 0, 0, false, false,
	  "SIP/XCAP domains this server is the presence server for" },
	{ "server.open_domains", CONF_STRING, "", 0, 0, false, false,
	  "domains in which any user is a presentity (labs and benchmarks only)" },
	{ "server.pidfile", CONF_STRING, "", 0, 0, false, false,
	  "pid file to create and lock; empty for none" },

	/* --- store --- */
	{ "store.path", CONF_STRING, PD_LOCALSTATEDIR "/lib/presenced/presenced.db",
	  0, 0, false, false, "SQLite store file" },
	{ "store.busy_timeout", CONF_DURATION, "5", 1, 600, false, false,
	  "how long a connection waits for a lock, in seconds" },

	/* --- sip --- */
	{ "sip.listen", CONF_STRING, "udp:127.0.0.1:5060 tcp:127.0.0.1:5060", 0, 0,
	  false, false, "SIP listeners: transport:address:port, space separated" },
	{ "sip.trusted_peers", CONF_STRING, "", 0, 0, true, false,
	  "addresses or CIDRs whose P-Asserted-Identity is honoured" },
	/* sip.* settings of the presence engine go below this line. */
	{ "sip.min_expires", CONF_DURATION, "60", 1, 3600, true, false,
	  "shortest SUBSCRIBE/PUBLISH expiry accepted; shorter gets 423" },
	{ "sip.default_expires", CONF_DURATION, "3600", 1, 7 * D, true, false,
	  "expiry when a SUBSCRIBE/PUBLISH has no Expires header" },
	{ "sip.max_expires", CONF_DURATION, "86400", 1, 7 * D, true, false,
	  "longest expiry granted; longer requests are shortened" },
	{ "sip.default_policy", CONF_STRING, "confirm", 0, 0, true, false,
	  "decision without rules: allow, confirm, polite-block or block" },
	{ "sip.allow_anonymous", CONF_BOOL, "no", 0, 0, true, false,
	  "accept watchers that are neither trusted nor provisioned as anonymous" },
	{ "sip.digest_algorithms", CONF_STRING, "SHA-256 MD5", 0, 0, true, false,
	  "Digest algorithms offered in a 401, most preferred first" },
	{ "sip.nonce_lifetime", CONF_DURATION, "300", 10, 3600, false, false,
	  "age after which a Digest nonce is stale, in seconds" },
	{ "sip.max_body", CONF_SIZE, "65536", 1024, 1024 * 1024, false, false,
	  "largest PUBLISH body accepted (larger gets 413)" },
	{ "sip.commit_delay", CONF_INT, "5", 0, 100, true, false,
	  "group commit window in milliseconds (0: commit every request)" },
	{ "sip.commit_batch", CONF_INT, "256", 1, 10000, true, false,
	  "requests per group commit at most" },
	{ "sip.transaction_timeout", CONF_DURATION, "32", 2, 64, false, false,
	  "SIP transaction timeout (64*T1): NOTIFY timeout, UDP transaction lifetime" },

	/* --- xcap --- */
	{ "xcap.listen", CONF_STRING, "127.0.0.1:8443", 0, 0, false, false,
	  "XCAP HTTPS listener, address:port" },
	{ "xcap.root", CONF_STRING, "/xcap-root", 0, 0, false, false,
	  "path of the XCAP root on the listener" },
	{ "xcap.fqdn", CONF_STRING, "xcap.example.test", 0, 0, false, false,
	  "host name of the XCAP server (NAF FQDN)" },
	/* xcap.* settings of the XCAP server go below this line. */
	{ "xcap.threads", CONF_INT, "4", 1, 256, false, false,
	  "worker threads of the XCAP listener (each has a store connection)" },
	{ "xcap.max_connections", CONF_INT, "1000", 1, 100000, false, false,
	  "open XCAP connections at most" },
	{ "xcap.max_connections_per_ip", CONF_INT, "100", 0, 100000, false, false,
	  "open XCAP connections per client address at most; 0 = no limit" },
	{ "xcap.connection_timeout", CONF_DURATION, "60", 1, 3600, false, false,
	  "idle XCAP connections are closed after this many seconds" },
	{ "xcap.max_body", CONF_SIZE, "1m", 1024, 64 * 1024 * 1024, false, false,
	  "largest XCAP request body accepted (larger: 413)" },
	{ "xcap.max_uri", CONF_SIZE, "4k", 256, 8192, false, false,
	  "longest XCAP request-target accepted (longer: 414)" },
	{ "xcap.tls_session_lifetime", CONF_DURATION, "12h", 60, D, false, false,
	  "how long a TLS session can be resumed (tickets), at most 24 h" },
	{ "xcap.auth_realm", CONF_STRING, "", 0, 0, false, false,
	  "HTTP Digest realm; empty = the first of server.domains" },
	{ "xcap.nonce_lifetime", CONF_DURATION, "300", 10, D, false, false,
	  "age after which a Digest nonce is stale" },
	{ "xcap.schema_dir", CONF_STRING, "", 0, 0, false, false,
	  "directory of the AUID XML Schemas; empty = the installed ones" },
	{ "xcap.rls_index_readers", CONF_STRING, "", 0, 0, false, false,
	  "IMPIs that may GET the rls-services global index (the RLS); empty = none" },

	/* --- tls --- */
	{ "tls.cert", CONF_STRING, "", 0, 0, false, false,
	  "PEM server certificate chain" },
	{ "tls.key", CONF_STRING, "", 0, 0, false, true,
	  "PEM private key of tls.cert" },
	{ "tls.ca", CONF_STRING, "", 0, 0, false, false,
	  "PEM CA bundle for verifying peers (trusted proxies)" },
	/* tls.* settings go below this line. */
	{ "tls.sni", CONF_STRING, "", 0, 0, false, false,
	  "more XCAP identities chosen by SNI: host:cert.pem:key.pem, space separated" },

	/* --- bsf --- */
	{ "bsf.listen", CONF_STRING, "", 0, 0, false, false,
	  "embedded BSF (Ub) listener, address:port; empty disables it" },
	{ "bsf.fqdn", CONF_STRING, "bsf.example.test", 0, 0, false, false,
	  "host name of the BSF, used in B-TIDs and the Ub realm" },
	{ "bsf.key_lifetime", CONF_DURATION, "86400", 60, 7 * D, true, false,
	  "lifetime of a bootstrapped key (Ks), in seconds" },

	/* --- log --- */
	{ "log.level", CONF_LEVEL, "info", 0, 0, true, false,
	  "err, warn, notice, info or debug" },
	{ "log.syslog", CONF_BOOL, "no", 0, 0, false, false,
	  "log to syslog (facility daemon) instead of stderr" },
};

const size_t conf_table_len = sizeof(conf_table) / sizeof(conf_table[0]);

int conf_table_find(const char *name, size_t len)
{
	for (size_t i = 0; i < conf_table_len; i++)
		if (strlen(conf_table[i].name) == len &&
		    memcmp(conf_table[i].name, name, len) == 0)
			return (int)i;
	return -1;
}
