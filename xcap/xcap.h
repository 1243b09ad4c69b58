/*
 * xcap.h - the XCAP server of presenced (RFC 4825 over HTTPS): the API the
 * daemon uses to start and stop it, and the authentication interface that
 * the Digest authenticator (xcap/xauth.c) and, later, the GBA NAF plug into.
 *
 * The server runs libmicrohttpd with GnuTLS in its own thread pool.  Each
 * worker thread opens its own store connection.  Documents are changed by
 * compare-and-swap on their ETag (db_xcap_put), each change is audited in
 * the same transaction, and after the commit the daemon is told through
 * the `changed` hook, which runs in an XCAP worker thread and must only
 * post a message to the SIP thread (architecture-notes: the two sides
 * never share a mutable struct).
 *
 * libmicrohttpd and GnuTLS types never leave xcap/ (and auth/): this
 * header names none of them.
 */
#ifndef PRESENCED_XCAP_H
#define PRESENCED_XCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;

/* -------------------------------------------------------- authentication */

/*
 * What an authenticator learns about the TLS session a request came on.
 * GBA over TLS needs the negotiated cipher suite (its 2-octet code goes
 * into NAF_Id, TS 33.220 Annex H) and, in TLS-PSK mode, the PSK identity
 * (TS 33.222 5.4).  Strings are valid during the authenticate() call only.
 */
struct xcap_tls_info {
	const char *protocol;       /* "TLS1.3", "TLS1.2" */
	const char *cipher_suite;   /* GnuTLS name of the suite */
	uint8_t suite_id[2];        /* IANA code, e.g. 0x13 0x01 */
	const char *psk_username;   /* TLS-PSK identity; NULL with certificates */
	const char *server_name;    /* SNI host name; "" when none was sent */
	bool resumed;               /* abbreviated handshake */
};

/* One request, as an authenticator sees it.  Valid during the call. */
struct xcap_auth_request {
	const char *method;         /* "GET", "PUT", "DELETE", ... */
	const char *uri;            /* request-target exactly as received */
	const char *authorization;  /* Authorization header, NULL if absent */
	const char *remote_addr;    /* numeric peer address */
	const struct xcap_tls_info *tls;
	/* Any other request header by name (case-insensitive), NULL if
	 * absent: User-Agent, X-3GPP-Intended-Identity, ... */
	const char *(*header)(void *hctx, const char *name);
	void *hctx;
	struct db *db;              /* this worker thread's store handle */
	int64_t now;                /* clock_now() at arrival */
};

/* Up to this many WWW-Authenticate challenges in one 401. */
#define XCAP_AUTH_MAX_CHALLENGES 3

/* An authenticator's answer.  Zeroed by the caller before the call. */
struct xcap_auth_result {
	/* On XCAP_AUTH_OK: the authenticated private identity.  The user may
	 * act on users/<xui>/ for each IMPU bound to it (db_impu_belongs),
	 * or, when `impu` is set, on that one public identity only (GBA with
	 * X-3GPP-Intended-Identity). */
	char impi[256];
	char impu[256];
	/* On XCAP_AUTH_CHALLENGE: the WWW-Authenticate header values. */
	char challenge[XCAP_AUTH_MAX_CHALLENGES][512];
	int n_challenges;
	/* On XCAP_AUTH_OK: an Authentication-Info value, "" for none. */
	char auth_info[256];
	/* For the log, whatever the outcome; never a secret. */
	char reason[256];
};

enum xcap_auth_outcome {
	XCAP_AUTH_OK = 0,          /* authenticated */
	XCAP_AUTH_CHALLENGE = 1,   /* answer 401 with res->challenge[] */
	XCAP_AUTH_FORBIDDEN = 2,   /* answer 403 (e.g. intended identity not
				    * bound to the subscriber) */
	XCAP_AUTH_ERROR = -1,      /* store or internal failure: 500 */
};

/*
 * An authentication method: a const table chosen by name (like curl's
 * vtls backends).  create() runs once at server start, destroy() at stop;
 * authenticate() runs in any worker thread concurrently, so `ctx` must be
 * thread-safe.  authenticate() returns an enum xcap_auth_outcome.
 */
struct xcap_authenticator {
	const char *name;
	int (*create)(void **ctxp, const struct conf *conf);
	void (*destroy)(void *ctx);
	int (*authenticate)(void *ctx, const struct xcap_auth_request *req,
			    struct xcap_auth_result *res);
};

/* HTTP Digest (RFC 7616: SHA-256 and MD5, qop=auth, stale nonces,
 * nonce-count replay protection) against the subscribers' HA1s in the
 * store (xcap/xauth.c). */
extern const struct xcap_authenticator xcap_auth_digest;

/* ----------------------------------------------------------------- server */

/*
 * What the server tells the daemon, and optional replacements.
 *  - changed(xui, auid, arg): called after each committed change to a
 *    pres-rules, org.openmobilealliance.pres-rules, pidf-manipulation,
 *    resource-lists or rls-services document of users/<xui>/.  Runs in an
 *    XCAP worker thread; it must be quick and thread-safe (post a message,
 *    nothing more).  The strings are valid during the call only.  May be
 *    NULL.
 *  - auth: the authenticator; NULL selects xcap_auth_digest.
 */
struct xcap_server_hooks {
	void (*changed)(const char *xui, const char *auid, void *arg);
	void *arg;
	const struct xcap_authenticator *auth;
};

struct xcap_server;

/*
 * Start the HTTPS listener configured by the xcap.* and tls.* settings:
 * load the certificates (tls.cert / tls.key and the tls.sni list), the
 * XCAP schemas (xcap.schema_dir) and the authenticator, then start the
 * libmicrohttpd thread pool.  The store (store.path) must already exist:
 * each worker opens its own connection to it.  `conf` and `hooks` are
 * copied from; they need not outlive the call.  Logs the listener at
 * notice level.  Returns 0, or -1 after logging why; *sp is left alone
 * on failure.
 */
int xcap_server_start(struct xcap_server **sp, const struct conf *conf,
		      const struct xcap_server_hooks *hooks);

/* Stop accepting, finish or close the open connections, join the workers
 * (closing their store connections) and free everything.  NULL-safe. */
void xcap_server_stop(struct xcap_server *s);

/* The TCP port actually bound (useful with xcap.listen port 0). */
unsigned xcap_server_port(const struct xcap_server *s);

#endif /* PRESENCED_XCAP_H */
