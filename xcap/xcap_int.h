/*
 * xcap_int.h - private to the XCAP server (server.c, tls.c, handler.c,
 * xauth.c): the TLS context, the per-connection and per-request state, and
 * the request handler's contract.  The resource engine has its own private
 * header (xcap_res.h).
 */
#ifndef PRESENCED_XCAP_INT_H
#define PRESENCED_XCAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "xcap/xcap.h"

struct conf;
struct db;

/* ---------------------------------------------------------------- tls.c */

/* TLS 1.2 and 1.3 only; AEAD suites only; ECDHE/DHE with certificates;
 * nothing under 128 bits; no anonymous, NULL or export suites (TS 33.210
 * 6.2, TS 33.222).  `gnutls-cli --priority <this> -l` lists the result. */
#define XCAP_TLS_PRIORITIES                                              \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:"     \
	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:"     \
	"+AES-256-CCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:"   \
	"+DHE-RSA:%SERVER_PRECEDENCE"

struct xcap_tls;

/* What tls.c tracks about one connection's handshake (for the refusal log
 * and for authenticators).  Lives inside struct xcap_conn. */
struct xcap_tls_conn {
	struct xcap_tls *tls;
	gnutls_session_t session;
	bool hello_seen;        /* a ClientHello arrived */
	bool hello_ok;          /* ... and a version and suite were agreed */
	bool finished;          /* the handshake completed */
	uint16_t hello_version; /* legacy_version of the ClientHello */
	bool hello_supported_versions; /* it carried supported_versions */
	bool alert_sent;        /* we sent the fatal alert of a refusal */
};

/* Load tls.cert/tls.key (the default identity) and every tls.sni entry,
 * and make the first session-ticket key.  Returns 0 or -1 with a message
 * in err. */
int xcap_tls_create(struct xcap_tls **tp, const struct conf *conf,
		    char *err, size_t errlen);
void xcap_tls_destroy(struct xcap_tls *t);
/* The gnutls_certificate_retrieve_function2 handed to libmicrohttpd
 * (MHD_OPTION_HTTPS_CERT_CALLBACK): picks the certificate by SNI. */
int xcap_tls_cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
		     int nreqs, const gnutls_pk_algorithm_t *pk_algos,
		     int pk_algos_length, gnutls_pcert_st **pcert,
		     unsigned int *pcert_length, gnutls_privkey_t *pkey);
/* Called before the handshake of every connection: remembers `tc` on the
 * session, enables session tickets with the current (rotated) key, sets
 * the resumption lifetime and installs the handshake hooks. */
int xcap_tls_conn_setup(struct xcap_tls *t, gnutls_session_t session,
			struct xcap_tls_conn *tc);
/* libmicrohttpd reported a failed handshake on this thread: if it failed
 * on the ClientHello (no acceptable version or suite), send the fatal
 * alert MHD does not send. */
void xcap_tls_refusal_alert(void);
/* The connection is going away: forget it. */
void xcap_tls_conn_closed(struct xcap_tls_conn *tc);
/* After a connection closed: when its handshake did not complete, write
 * the refusal with its reason to `why` (and return true). */
bool xcap_tls_conn_refused(const struct xcap_tls_conn *tc, char *why,
			   size_t whylen);
/* Fill the TLS facts of an established session.  Strings point into
 * GnuTLS's static tables or `buf`. */
void xcap_tls_info_get(gnutls_session_t session, struct xcap_tls_info *info,
		       char *buf, size_t buflen);

/* ----------------------------------------------------- requests (server) */

/* A reply the handler composes; server.c turns it into an MHD_Response. */
struct xcap_reply {
	int status;
	char content_type[64];
	char *body;             /* malloc'd or NULL */
	size_t body_len;
	char etag[72];          /* quoted strong ETag, "" for none */
	char allow[32];         /* Allow header for 405, "" for none */
	char challenge[XCAP_AUTH_MAX_CHALLENGES][512];
	int n_challenges;
	char auth_info[256];
	char log[320];          /* one-line outcome for the access log */
};

/* One request as handler.c sees it (nothing of libmicrohttpd). */
struct xcap_req {
	const char *method;
	const char *uri;        /* raw request-target, path and query */
	const uint8_t *body;
	size_t body_len;
	const char *(*header)(void *hctx, const char *name);
	void *hctx;
	const char *remote_addr;
	const struct xcap_tls_info *tls;
};

/* The handler's view of the server (set by server.c, read-only while
 * running). */
struct xcap_handler_cfg {
	const char *root;       /* "/xcap-root" */
	const char *base;       /* "https://fqdn:port" for <ancestor> URIs */
	size_t max_uri;
	/* IMPIs allowed to read the rls-services global index, blank
	 * separated; "" = nobody over XCAP (the RLS reads the store). */
	const char *rls_index_readers;
	const struct xcap_authenticator *auth;
	void *auth_ctx;
	void (*changed)(const char *xui, const char *auid, void *arg);
	void *changed_arg;
};

/* Step 1, as soon as the headers are in (before any body is read, so an
 * unauthenticated client never makes us buffer one): the 414 check and
 * authentication.  Returns 0 with *res filled, or -1 with `out` the
 * answer (401 with challenges, 403, 414, 500). */
int xcap_handle_auth(const struct xcap_handler_cfg *cfg, struct db *db,
		     const struct xcap_req *req, struct xcap_auth_result *res,
		     struct xcap_reply *out);
/* Step 2, with the whole body: parse the URI, authorize `auth`, then
 * GET/PUT/DELETE with conditional headers and compare-and-swap.  Always
 * fills `out` (release with xcap_reply_clear). */
void xcap_handle(const struct xcap_handler_cfg *cfg, struct db *db,
		 const struct xcap_req *req,
		 const struct xcap_auth_result *auth, struct xcap_reply *out);
void xcap_reply_clear(struct xcap_reply *r);
/* Fill `out` with a short error reply (text/plain body). */
void xcap_reply_error(struct xcap_reply *out, int status, const char *why);

/* rlsdocs.c: the rls-services global index composed from every user's
 * documents (*out malloc'd), and the xcap_service_uri_taken_fn hook that
 * checks <service uri> uniqueness across users (RFC 4826 4.4.5).  Both
 * return 0 / -1 (the hook: 1 taken, 0 free, -1 store error). */
struct xcap_uri;
int xcap_rls_index_load(struct db *db, uint8_t **out, size_t *outlen);
int xcap_rls_service_taken(const char *service_uri, const struct xcap_uri *u,
			   void *arg);

/* Used by the handler for the RFC 4826 4.4.5 cross-document check: the
 * calling thread's store handle (set by server.c around each request). */
struct db *xcap_thread_db(void);
void xcap_thread_db_set(struct db *db);

#endif /* PRESENCED_XCAP_INT_H */
