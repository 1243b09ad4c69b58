/*
 * server.c - the XCAP HTTPS listener on libmicrohttpd 0.9.75 + GnuTLS.
 *
 * Threads: an MHD thread pool of xcap.threads workers; each accepted
 * connection stays on one worker, which runs the handler to completion
 * (store reads and one short write transaction), so every worker owns one
 * store connection, opened on first use and closed by a thread-specific
 * data destructor when MHD joins the worker.
 *
 * Per connection (MHD_OPTION_NOTIFY_CONNECTION): a struct xcap_conn with
 * the TLS tracking of tls.c and the peer address.  Per request: the raw
 * request-target (MHD_OPTION_URI_LOG_CALLBACK, before MHD splits and
 * unescapes it; the engine decodes each segment itself, RFC 4825 6) and
 * the body, bounded by xcap.max_body (413 as soon as Content-Length or the
 * received bytes say so, never buffering beyond the limit).
 */
#include "xcap/xcap_int.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "src/core.h"
#include "db/db.h"
#include "xcap/xcap_res.h"

struct xcap_server {
	struct MHD_Daemon *mhd;
	struct xcap_tls *tls;
	struct xcap_handler_cfg cfg;
	void *auth_ctx;
	const struct xcap_authenticator *auth;
	pthread_key_t db_key;
	bool db_key_made;
	bool res_inited;
	char store_path[1024];
	int busy_ms;
	size_t max_body;
	char root[256];
	char base[512];
	char rls_readers[1024];
	unsigned port;
	struct sockaddr_storage addr;
};

struct xcap_conn {
	struct xcap_tls_conn tc;        /* first: tls.c finds us by it */
	struct xcap_server *s;
	char addr[64];
	unsigned requests;
	/* TLS facts for authenticators, read once at the first request */
	struct xcap_tls_info tinfo;
	char sni[256];
};

struct xcap_rq {
	char *uri;
	char addr[64];
	struct xcap_auth_result auth;
	uint8_t *body;
	size_t len, cap;
	bool started;
	struct xcap_reply *early; /* refusal decided on the headers */
	bool too_big;           /* over xcap.max_body: body being dropped */
	size_t dropped;
	bool answered;
};

static __thread struct db *thread_db;

struct db *xcap_thread_db(void) { return thread_db; }
void xcap_thread_db_set(struct db *db) { thread_db = db; }

static void db_key_destroy(void *p)
{
	db_close(p);
}

/* This worker's store connection, opened on first use. */
static struct db *worker_db(struct xcap_server *s)
{
	struct db *db = pthread_getspecific(s->db_key);
	char err[256] = "";

	if (db)
		return db;
	if (db_open(&db, s->store_path, 0, s->busy_ms, err, sizeof(err)) < 0) {
		log_err("xcap: cannot open the store %s: %s", s->store_path,
			err);
		return NULL;
	}
	pthread_setspecific(s->db_key, db);
	return db;
}

/* ---------------------------------------------------------- MHD plumbing */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	/* MHD 0.9.75 says this, in the worker thread, right after
	 * gnutls_handshake() failed and before it closes the socket. */
	if (strncmp(line, "Error: received handshake message", 33) == 0)
		xcap_tls_refusal_alert();
	log_debug("xcap: libmicrohttpd: %s", line);
}

static void addr_print(const struct sockaddr *sa, char *out, size_t outlen)
{
	socklen_t sl = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);

	if (getnameinfo(sa, sl, out, (socklen_t)outlen, NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(out, outlen, "?");
}

static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct xcap_server *s = cls;
	struct xcap_conn *cx = *socket_context;
	const union MHD_ConnectionInfo *ci;
	char why[256];

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		cx = calloc(1, sizeof(*cx));
		if (!cx)
			return;
		cx->s = s;
		ci = MHD_get_connection_info(c,
				MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr)
			addr_print(ci->client_addr, cx->addr, sizeof(cx->addr));
		ci = MHD_get_connection_info(c,
				MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci && ci->tls_session)
			xcap_tls_conn_setup(s->tls, ci->tls_session, &cx->tc);
		*socket_context = cx;
		return;
	}
	if (!cx)
		return;
	if (cx->tc.session && cx->requests == 0 &&
	    xcap_tls_conn_refused(&cx->tc, why, sizeof(why))) {
		/* TS 33.210 6.2 / TS 33.222: a refusal is logged. */
		if (cx->tc.hello_seen)
			log_notice("xcap: TLS handshake refused from %s: %s",
				   cx->addr, why);
		else
			log_info("xcap: connection from %s closed: %s",
				 cx->addr, why);
	}
	xcap_tls_conn_closed(&cx->tc);
	free(cx);
	*socket_context = NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct xcap_rq *rq = calloc(1, sizeof(*rq));

	if (!rq)
		return NULL;
	rq->uri = strdup(uri ? uri : "");
	if (!rq->uri) {
		free(rq);
		return NULL;
	}
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct xcap_rq *rq = *con_cls;

	if (!rq)
		return;
	if (rq->early) {
		xcap_reply_clear(rq->early);
		free(rq->early);
	}
	free(rq->uri);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

/* Keep the path as received: the engine decodes segment by segment. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static const char *hdr_get(void *hctx, const char *name)
{
	return MHD_lookup_connection_value(hctx, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
				  struct xcap_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->body) {
		resp = MHD_create_response_from_buffer(r->body_len, r->body,
						       MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->body = NULL;  /* MHD frees it now */
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	if (r->content_type[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->content_type);
	if (r->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	if (r->allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	for (int i = 0; i < r->n_challenges; i++)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					r->challenge[i]);
	if (r->auth_info[0])
		MHD_add_response_header(resp, "Authentication-Info",
					r->auth_info);
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct xcap_rq *rq,
				  int status, const char *why)
{
	struct xcap_reply r;
	enum MHD_Result ret;

	xcap_reply_error(&r, status, why);
	ret = send_reply(c, &r);
	xcap_reply_clear(&r);
	if (rq)
		rq->answered = true;
	return ret;
}

/* The handler's view of this request (body added once complete). */
static int req_fill(struct xcap_server *s, struct MHD_Connection *c,
		    struct xcap_rq *rq, const char *method, struct xcap_req *req,
		    struct db **dbp)
{
	const union MHD_ConnectionInfo *ci;
	struct xcap_conn *cx = NULL;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci)
		cx = ci->socket_context;
	if (!cx)
		return -1;
	*dbp = worker_db(s);
	if (!*dbp)
		return -1;
	if (cx->requests == 0 && !rq->started) {
		xcap_tls_info_get(cx->tc.session, &cx->tinfo, cx->sni,
				  sizeof(cx->sni));
		log_debug("xcap: %s: %s %s (%02x%02x)%s%s%s", cx->addr,
			  cx->tinfo.protocol ? cx->tinfo.protocol : "?",
			  cx->tinfo.cipher_suite, cx->tinfo.suite_id[0],
			  cx->tinfo.suite_id[1],
			  cx->tinfo.resumed ? ", resumed" : "",
			  cx->sni[0] ? ", SNI " : "", cx->sni);
	}
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->uri = rq->uri;
	req->body = rq->body;
	req->body_len = rq->len;
	req->header = hdr_get;
	req->hctx = c;
	req->remote_addr = cx->addr;
	req->tls = &cx->tinfo;
	if (!rq->started) {
		cx->requests++;
		cx->tc.finished = true;  /* a request came: TLS is up */
	}
	snprintf(rq->addr, sizeof(rq->addr), "%s", cx->addr);
	return 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, struct xcap_rq *rq,
			      const char *method, struct xcap_reply *reply)
{
	enum MHD_Result ret;

	log_info("xcap: %s %s %s -> %d %s", rq->addr, method, rq->uri,
		 reply->status, reply->log);
	ret = send_reply(c, reply);
	xcap_reply_clear(reply);
	rq->answered = true;
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct xcap_server *s = cls;
	struct xcap_rq *rq = *con_cls;
	struct xcap_req req;
	struct xcap_reply reply;
	struct db *db = NULL;
	enum MHD_Result ret;
	int rc;

	if (!rq)
		return send_error(c, NULL, 500, "out of memory");
	if (rq->answered) {
		*upload_size = 0;  /* discard the rest of a refused body */
		return MHD_YES;
	}
	if (rq->too_big) {
		/* MHD 0.9.75 cannot queue a reply in the middle of an upload:
		 * drop the rest of the body unbuffered and answer 413 at its
		 * end, but close at once on a sender that will not stop. */
		size_t n = *upload_size;

		*upload_size = 0;
		rq->dropped += n;
		if (rq->dropped > 4 * s->max_body)
			return MHD_NO;
		if (n)
			return MHD_YES;
		xcap_reply_error(&reply, 413, "request body too large");
		return answer(c, rq, method, &reply);
	}
	if (!rq->started) {
		const char *cl = MHD_lookup_connection_value(c,
			MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		if (req_fill(s, c, rq, method, &req, &db) < 0)
			return send_error(c, rq, 500, "server not ready");
		rq->started = true;
		/* RFC 9110 15.5.14: refuse before reading the body. */
		if (cl && strtoull(cl, NULL, 10) > s->max_body) {
			xcap_reply_error(&reply, 413, "request body too large");
			return answer(c, rq, method, &reply);
		}
		/* 414, then authentication, before any body is read. */
		xcap_thread_db_set(db);
		rc = xcap_handle_auth(&s->cfg, db, &req, &rq->auth, &reply);
		xcap_thread_db_set(NULL);
		if (rc == 0)
			return MHD_YES;
		/* Refuse a body at once (MHD then closes the connection rather
		 * than read it); without a body, answer in the final call so
		 * that the connection stays open for the authenticated retry. */
		if ((cl && strtoull(cl, NULL, 10) > 0) ||
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
				MHD_HTTP_HEADER_TRANSFER_ENCODING))
			return answer(c, rq, method, &reply);
		rq->early = malloc(sizeof(*rq->early));
		if (!rq->early) {
			xcap_reply_clear(&reply);
			return send_error(c, rq, 500, "out of memory");
		}
		*rq->early = reply;
		return MHD_YES;
	}
	if (rq->early) {
		struct xcap_reply *e = rq->early;

		rq->early = NULL;
		*upload_size = 0;
		ret = answer(c, rq, method, e);
		free(e);
		return ret;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		if (rq->len + n > s->max_body) {
			/* chunked body over the limit: stop buffering now */
			rq->too_big = true;
			rq->dropped = n;
			*upload_size = 0;
			free(rq->body);
			rq->body = NULL;
			rq->len = rq->cap = 0;
			return MHD_YES;
		}
		if (rq->len + n > rq->cap) {
			size_t cap = rq->cap ? rq->cap : 4096;
			uint8_t *nb;

			while (cap < rq->len + n)
				cap *= 2;
			if (cap > s->max_body)
				cap = s->max_body;
			nb = realloc(rq->body, cap);
			if (!nb)
				return send_error(c, rq, 500, "out of memory");
			rq->body = nb;
			rq->cap = cap;
		}
		memcpy(rq->body + rq->len, upload, n);
		rq->len += n;
		*upload_size = 0;
		return MHD_YES;
	}

	/* The whole request is here. */
	if (req_fill(s, c, rq, method, &req, &db) < 0)
		return send_error(c, rq, 500, "server not ready");
	xcap_thread_db_set(db);
	xcap_handle(&s->cfg, db, &req, &rq->auth, &reply);
	xcap_thread_db_set(NULL);
	return answer(c, rq, method, &reply);
}

/* -------------------------------------------------------------- start/stop */

/* "127.0.0.1:8443", "[::1]:8443", "*:8443" */
static int listen_parse(const char *spec, struct sockaddr_storage *ss,
			unsigned *port, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL;
	char *end;
	unsigned long p;
	size_t hl;

	if (!colon)
		goto bad;
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535 || end == colon + 1)
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(strcmp(host, "*") == 0 || !*host ? NULL : host,
			colon + 1, &hints, &ai) != 0 || !ai)
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	*port = (unsigned)p;
	return 0;
bad:
	snprintf(err, errlen, "xcap.listen: \"%s\" is not address:port", spec);
	return -1;
}

static int server_config(struct xcap_server *s, const struct conf *conf,
			 char *err, size_t errlen)
{
	const char *root = conf_str(conf, "xcap.root");
	size_t rl;

	snprintf(s->store_path, sizeof(s->store_path), "%s",
		 conf_str(conf, "store.path"));
	s->busy_ms = (int)conf_int(conf, "store.busy_timeout") * 1000;
	s->max_body = (size_t)conf_int(conf, "xcap.max_body");
	s->cfg.max_uri = (size_t)conf_int(conf, "xcap.max_uri");
	if (s->cfg.max_uri > XCAP_URI_MAX)
		s->cfg.max_uri = XCAP_URI_MAX;
	/* "/xcap-root/" and "/xcap-root" name the same root. */
	snprintf(s->root, sizeof(s->root), "%s", root);
	rl = strlen(s->root);
	while (rl > 1 && s->root[rl - 1] == '/')
		s->root[--rl] = '\0';
	if (s->root[0] != '/') {
		snprintf(err, errlen, "xcap.root must start with '/'");
		return -1;
	}
	if (listen_parse(conf_str(conf, "xcap.listen"), &s->addr, &s->port,
			 err, errlen) < 0)
		return -1;
	s->cfg.root = s->root;
	s->cfg.base = s->base;
	snprintf(s->rls_readers, sizeof(s->rls_readers), "%s",
		 conf_str(conf, "xcap.rls_index_readers"));
	s->cfg.rls_index_readers = s->rls_readers;
	return 0;
}

/* The "https://host[:port]" that engine-built URIs start with. */
static void base_set(struct xcap_server *s, const struct conf *conf)
{
	if (s->port == 443)
		snprintf(s->base, sizeof(s->base), "https://%s",
			 conf_str(conf, "xcap.fqdn"));
	else
		snprintf(s->base, sizeof(s->base), "https://%s:%u",
			 conf_str(conf, "xcap.fqdn"), s->port);
}

int xcap_server_start(struct xcap_server **sp, const struct conf *conf,
		      const struct xcap_server_hooks *hooks)
{
	struct xcap_server *s = calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *di;
	const char *schema_dir = conf_str(conf, "xcap.schema_dir");
	char err[512] = "", host[64];
	unsigned threads = (unsigned)conf_int(conf, "xcap.threads");
	unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_AUTO | MHD_USE_ERROR_LOG;

	if (!s) {
		log_err("xcap: out of memory");
		return -1;
	}
	if (server_config(s, conf, err, sizeof(err)) < 0)
		goto fail;
	if (xcap_res_init(*schema_dir ? schema_dir : NULL) < 0) {
		snprintf(err, sizeof(err), "cannot load the XCAP schemas");
		goto fail;
	}
	s->res_inited = true;
	xcap_res_set_service_uri_hook(xcap_rls_service_taken, NULL);
	if (xcap_tls_create(&s->tls, conf, err, sizeof(err)) < 0)
		goto fail;
	s->auth = hooks && hooks->auth ? hooks->auth : &xcap_auth_digest;
	if (s->auth->create && s->auth->create(&s->auth_ctx, conf) < 0) {
		snprintf(err, sizeof(err), "authenticator %s failed to start",
			 s->auth->name);
		goto fail;
	}
	s->cfg.auth = s->auth;
	s->cfg.auth_ctx = s->auth_ctx;
	if (hooks) {
		s->cfg.changed = hooks->changed;
		s->cfg.changed_arg = hooks->arg;
	}
	if (pthread_key_create(&s->db_key, db_key_destroy) != 0) {
		snprintf(err, sizeof(err), "pthread_key_create failed");
		goto fail;
	}
	s->db_key_made = true;
	if (s->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	base_set(s, conf);

	s->mhd = MHD_start_daemon(flags, (uint16_t)s->port, NULL, NULL,
		on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr,
		MHD_OPTION_HTTPS_CERT_CALLBACK, xcap_tls_cert_cb,
		MHD_OPTION_HTTPS_PRIORITIES, XCAP_TLS_PRIORITIES,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
		MHD_OPTION_CONNECTION_LIMIT,
			(unsigned)conf_int(conf, "xcap.max_connections"),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(unsigned)conf_int(conf, "xcap.max_connections_per_ip"),
		MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned)conf_int(conf, "xcap.connection_timeout"),
		/* room for the longest target we serve plus headers */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)(s->cfg.max_uri + 32 * 1024),
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, sizeof(err), "cannot start the HTTPS listener on "
			 "%s (address in use, or bad TLS settings)",
			 conf_str(conf, "xcap.listen"));
		goto fail;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (di && di->port && di->port != s->port) {
		s->port = di->port;   /* port 0: the kernel chose */
		base_set(s, conf);
	}
	addr_print((struct sockaddr *)&s->addr, host, sizeof(host));
	log_notice("xcap: listening on https://%s%s%s:%u%s (%u threads, %s "
		   "authentication)", s->addr.ss_family == AF_INET6 ? "[" : "",
		   host, s->addr.ss_family == AF_INET6 ? "]" : "", s->port,
		   s->root, threads, s->auth->name);
	*sp = s;
	return 0;
fail:
	log_err("xcap: %s", err);
	xcap_server_stop(s);
	return -1;
}

void xcap_server_stop(struct xcap_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);  /* joins the workers: their TSD
					   * destructors close the stores */
	if (s->db_key_made)
		pthread_key_delete(s->db_key);
	if (s->auth && s->auth->destroy && s->auth_ctx)
		s->auth->destroy(s->auth_ctx);
	xcap_tls_destroy(s->tls);
	if (s->res_inited)
		xcap_res_cleanup();
	free(s);
}

unsigned xcap_server_port(const struct xcap_server *s)
{
	return s ? s->port : 0;
}
