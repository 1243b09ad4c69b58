/*
 * tls.c - the GnuTLS side of the XCAP listener: certificates (a default
 * identity plus one per SNI host name), session tickets with a bounded,
 * rotated lifetime, and the diagnosis of refused handshakes.
 *
 * libmicrohttpd 0.9.75 owns the gnutls_session_t of each connection but
 * enables neither tickets nor a session cache (docs/xcap.md).  Its
 * MHD_OPTION_NOTIFY_CONNECTION (STARTED) runs after gnutls_init and before
 * the handshake, so xcap_tls_conn_setup() is called from there to:
 *   - hang the connection's struct xcap_tls_conn on the session
 *     (gnutls_session_set_ptr; MHD uses the transport pointer only), so
 *     that the certificate callback, which has no closure, finds us;
 *   - enable RFC 5077 / RFC 8446 4.6.1 session tickets with the server's
 *     current ticket key and the configured lifetime (<= 24 h, TS 33.210);
 *   - install handshake hooks that record how far a handshake got, so a
 *     refusal can be logged with its cause when the connection closes
 *     (MHD itself only says "received handshake message out of context").
 */
#include "xcap/xcap_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/x509.h>

#include "src/core.h"

#define TLS_MAX_IDENTITIES 32

/* One certificate chain with its key; host "" is the default. */
struct tls_identity {
	char host[256];
	gnutls_pcert_st pcert[8];
	unsigned n_pcert;
	gnutls_privkey_t key;
};

struct xcap_tls {
	struct tls_identity ids[TLS_MAX_IDENTITIES];
	size_t n_ids;
	unsigned lifetime;              /* seconds, resumption window */
	pthread_mutex_t lock;           /* guards the ticket key */
	gnutls_datum_t ticket_key;
	int64_t ticket_key_born;        /* clock_now() when made */
};

/* ------------------------------------------------------------ identities */

static void identity_clear(struct tls_identity *id)
{
	for (unsigned i = 0; i < id->n_pcert; i++)
		gnutls_pcert_deinit(&id->pcert[i]);
	id->n_pcert = 0;
	if (id->key)
		gnutls_privkey_deinit(id->key);
	id->key = NULL;
}

/* Load one chain + key; check they belong together with a throwaway
 * credentials structure (GNUTLS_E_CERTIFICATE_KEY_MISMATCH). */
static int identity_load(struct tls_identity *id, const char *host,
			 const char *cert, const char *key, char *err,
			 size_t errlen)
{
	gnutls_certificate_credentials_t probe = NULL;
	gnutls_datum_t kd = { NULL, 0 };
	int rc = -1, g;

	snprintf(id->host, sizeof(id->host), "%s", host);
	g = gnutls_certificate_allocate_credentials(&probe);
	if (g < 0)
		goto gnutls_fail;
	g = gnutls_certificate_set_x509_key_file(probe, cert, key,
						 GNUTLS_X509_FMT_PEM);
	if (g < 0) {
		snprintf(err, errlen, "tls: %s / %s: %s", cert, key,
			 gnutls_strerror(g));
		goto out;
	}
	id->n_pcert = sizeof(id->pcert) / sizeof(id->pcert[0]);
	g = gnutls_pcert_list_import_x509_file(id->pcert, &id->n_pcert, cert,
					       GNUTLS_X509_FMT_PEM, NULL, NULL,
					       0);
	if (g < 0) {
		id->n_pcert = 0;
		snprintf(err, errlen, "tls: %s: %s", cert, gnutls_strerror(g));
		goto out;
	}
	g = gnutls_load_file(key, &kd);
	if (g < 0) {
		snprintf(err, errlen, "tls: %s: %s", key, gnutls_strerror(g));
		goto out;
	}
	g = gnutls_privkey_init(&id->key);
	if (g < 0)
		goto gnutls_fail;
	g = gnutls_privkey_import_x509_raw(id->key, &kd, GNUTLS_X509_FMT_PEM,
					   NULL, 0);
	if (g < 0) {
		snprintf(err, errlen, "tls: %s: %s", key, gnutls_strerror(g));
		goto out;
	}
	rc = 0;
	goto out;
gnutls_fail:
	snprintf(err, errlen, "tls: %s", gnutls_strerror(g));
out:
	if (kd.data) {
		util_secure_zero(kd.data, kd.size);
		gnutls_free(kd.data);
	}
	if (probe)
		gnutls_certificate_free_credentials(probe);
	if (rc != 0)
		identity_clear(id);
	return rc;
}

/* tls.sni = "host:cert.pem:key.pem host2:cert2.pem:key2.pem" */
static int load_sni(struct xcap_tls *t, const char *list, char *err,
		    size_t errlen)
{
	char buf[8192];
	const char *items[TLS_MAX_IDENTITIES];
	int n = conf_split_list(list, buf, sizeof(buf), items,
				TLS_MAX_IDENTITIES - 1);

	if (n < 0) {
		snprintf(err, errlen, "tls.sni: too many entries (at most %d)",
			 TLS_MAX_IDENTITIES - 1);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *host = (char *)items[i];
		char *cert = strchr(host, ':');
		char *key = cert ? strchr(cert + 1, ':') : NULL;

		if (!cert || !key || cert == host || key == cert + 1 ||
		    !key[1] || cert - host >= 256) {
			snprintf(err, errlen, "tls.sni: \"%s\" is not "
				 "host:cert.pem:key.pem", items[i]);
			return -1;
		}
		*cert++ = '\0';
		*key++ = '\0';
		if (identity_load(&t->ids[t->n_ids], host, cert, key, err,
				  errlen) < 0)
			return -1;
		t->n_ids++;
	}
	return 0;
}

static int ticket_key_new(struct xcap_tls *t)
{
	gnutls_datum_t k;
	int g = gnutls_session_ticket_key_generate(&k);

	if (g < 0)
		return -1;
	if (t->ticket_key.data) {
		util_secure_zero(t->ticket_key.data, t->ticket_key.size);
		gnutls_free(t->ticket_key.data);
	}
	t->ticket_key = k;
	t->ticket_key_born = clock_now();
	return 0;
}

int xcap_tls_create(struct xcap_tls **tp, const struct conf *conf,
		    char *err, size_t errlen)
{
	struct xcap_tls *t = calloc(1, sizeof(*t));
	const char *cert = conf_str(conf, "tls.cert");
	const char *key = conf_str(conf, "tls.key");

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->lifetime = (unsigned)conf_int(conf, "xcap.tls_session_lifetime");
	if (!*cert || !*key) {
		snprintf(err, errlen, "xcap needs tls.cert and tls.key");
		goto fail;
	}
	if (identity_load(&t->ids[0], "", cert, key, err, errlen) < 0)
		goto fail;
	t->n_ids = 1;
	if (load_sni(t, conf_str(conf, "tls.sni"), err, errlen) < 0)
		goto fail;
	if (ticket_key_new(t) < 0) {
		snprintf(err, errlen, "tls: cannot make a session ticket key");
		goto fail;
	}
	*tp = t;
	return 0;
fail:
	xcap_tls_destroy(t);
	return -1;
}

void xcap_tls_destroy(struct xcap_tls *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_ids; i++)
		identity_clear(&t->ids[i]);
	if (t->ticket_key.data) {
		util_secure_zero(t->ticket_key.data, t->ticket_key.size);
		gnutls_free(t->ticket_key.data);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* -------------------------------------------------------------- SNI pick */

/* "*.example.test" matches exactly one more label. */
static bool host_match(const char *pattern, const char *name)
{
	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(name, '.');

		return dot && dot != name && strcasecmp(dot, pattern + 1) == 0;
	}
	return strcasecmp(pattern, name) == 0;
}

int xcap_tls_cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
		     int nreqs, const gnutls_pk_algorithm_t *pk_algos,
		     int pk_algos_length, gnutls_pcert_st **pcert,
		     unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct xcap_tls_conn *tc = gnutls_session_get_ptr(session);
	struct xcap_tls *t;
	const struct tls_identity *id;
	char name[256];
	size_t len = sizeof(name);
	unsigned type = 0;

	if (!tc || !tc->tls)
		return -1;
	t = tc->tls;
	id = &t->ids[0];
	/* RFC 6066 3: one host_name entry; without SNI, the default. */
	if (gnutls_server_name_get(session, name, &len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS) {
		for (size_t i = 1; i < t->n_ids; i++)
			if (host_match(t->ids[i].host, name)) {
				id = &t->ids[i];
				break;
			}
	}
	/* GnuTLS does not free these: they live as long as the server. */
	*pcert = (gnutls_pcert_st *)id->pcert;
	*pcert_length = id->n_pcert;
	*pkey = id->key;
	return 0;
}

/* ------------------------------------------------------------ handshakes */

/* RFC 8446 4.2.1 supported_versions: the highest version a ClientHello
 * offers (the legacy_version field stops at TLS 1.2). */
static int ext_cb(void *ctx, unsigned tls_id, const unsigned char *data,
		  unsigned size)
{
	struct xcap_tls_conn *tc = ctx;
	uint16_t best = 0;

	if (tls_id != 43 || size < 1)
		return 0;
	tc->hello_supported_versions = true;
	for (unsigned i = 1; i + 1 < size && i < (unsigned)data[0] + 1;
	     i += 2) {
		uint16_t v = (uint16_t)(data[i] << 8 | data[i + 1]);

		/* skip GREASE values (RFC 8701: 0x?a?a) */
		if ((v & 0x0f0f) == 0x0a0a)
			continue;
		if (v > best)
			best = v;
	}
	tc->hello_version = best;
	return 0;
}

/* The connection of this thread whose ClientHello is being processed,
 * from the hello's PRE hook until its POST hook: when GnuTLS refuses the
 * hello in between, libmicrohttpd logs the failure from this same thread
 * before it closes the socket, and xcap_tls_refusal_alert() answers it. */
static __thread struct xcap_tls_conn *tl_hello;

static int hs_hook(gnutls_session_t session, unsigned int htype,
		   unsigned when, unsigned int incoming,
		   const gnutls_datum_t *msg)
{
	struct xcap_tls_conn *tc = gnutls_session_get_ptr(session);

	if (!tc)
		return 0;
	if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && incoming) {
		if (when == GNUTLS_HOOK_PRE) {
			tl_hello = tc;
			tc->hello_seen = true;
			if (msg && msg->size >= 2) {
				tc->hello_version =
					(uint16_t)(msg->data[0] << 8 |
						   msg->data[1]);
				gnutls_ext_raw_parse(tc, ext_cb, msg,
					GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
			}
		} else {
			tc->hello_ok = true;
			if (tl_hello == tc)
				tl_hello = NULL;
		}
	}
	if (htype == GNUTLS_HANDSHAKE_FINISHED && incoming &&
	    when == GNUTLS_HOOK_POST)
		tc->finished = true;
	return 0;
}

int xcap_tls_conn_setup(struct xcap_tls *t, gnutls_session_t session,
			struct xcap_tls_conn *tc)
{
	int64_t now = clock_now();
	int g;

	tc->tls = t;
	tc->session = session;
	gnutls_session_set_ptr(session, tc);
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, hs_hook);
	/* Tickets and resumption live at most xcap.tls_session_lifetime:
	 * GnuTLS refuses older tickets, and the key itself is replaced every
	 * lifetime, so no ticket outlives two lifetimes in any case. */
	gnutls_db_set_cache_expiration(session, (int)t->lifetime);
	pthread_mutex_lock(&t->lock);
	/* (a clock that went backwards also gets a new key) */
	if ((now - t->ticket_key_born >= (int64_t)t->lifetime ||
	     now < t->ticket_key_born) && ticket_key_new(t) < 0)
		log_warn("xcap: cannot rotate the TLS ticket key");
	g = gnutls_session_ticket_enable_server(session, &t->ticket_key);
	pthread_mutex_unlock(&t->lock);
	if (g < 0) {
		log_warn("xcap: session tickets unavailable: %s",
			 gnutls_strerror(g));
		return -1;
	}
	return 0;
}

void xcap_tls_refusal_alert(void)
{
	struct xcap_tls_conn *tc = tl_hello;

	tl_hello = NULL;
	if (!tc || !tc->session || tc->hello_ok || tc->finished)
		return;
	/* RFC 8446 6.2 / RFC 5246 7.2.2: a refused handshake ends with a
	 * fatal alert.  libmicrohttpd just closes the socket, so send it
	 * here (the socket is still open; an alert is a few bytes). */
	gnutls_alert_send(tc->session, GNUTLS_AL_FATAL,
			  tc->hello_version < 0x0303 ? GNUTLS_A_PROTOCOL_VERSION
						     : GNUTLS_A_HANDSHAKE_FAILURE);
	tc->alert_sent = true;
}

void xcap_tls_conn_closed(struct xcap_tls_conn *tc)
{
	if (tl_hello == tc)
		tl_hello = NULL;
	if (tc->session)
		gnutls_session_set_ptr(tc->session, NULL);
}

static const char *version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return "an unknown version";
	}
}

bool xcap_tls_conn_refused(const struct xcap_tls_conn *tc, char *why,
			   size_t whylen)
{
	if (tc->finished)
		return false;
	if (!tc->hello_seen) {
		snprintf(why, whylen, "no TLS ClientHello received");
	} else if (!tc->hello_ok) {
		const char *alert = tc->alert_sent ? "; fatal alert sent" : "";

		if (tc->hello_version < 0x0303)
			snprintf(why, whylen, "client offers at most %s, "
				 "TLS 1.2 or 1.3 required%s",
				 version_name(tc->hello_version), alert);
		else
			snprintf(why, whylen, "no acceptable cipher suite or "
				 "key exchange offered (AEAD with ECDHE/DHE "
				 "required)%s", alert);
	} else {
		gnutls_alert_description_t a = gnutls_alert_get(tc->session);
		const char *an = gnutls_alert_get_name(a);

		snprintf(why, whylen, "handshake aborted by the client "
			 "(last alert: %s)", an ? an : "none");
	}
	return true;
}

void xcap_tls_info_get(gnutls_session_t session, struct xcap_tls_info *info,
		       char *buf, size_t buflen)
{
	gnutls_kx_algorithm_t kx = gnutls_kx_get(session);
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(session);
	gnutls_mac_algorithm_t m = gnutls_mac_get(session);
	gnutls_protocol_t p = gnutls_protocol_get_version(session);
	unsigned char id[2] = { 0, 0 };
	const char *name = NULL;
	size_t len = buflen;
	unsigned type = 0;

	memset(info, 0, sizeof(*info));
	info->protocol = gnutls_protocol_get_name(p);
	/* TS 33.220 Annex H wants the 2-octet code of the suite in use. */
	for (size_t i = 0;; i++) {
		unsigned char cid[2];
		gnutls_kx_algorithm_t ikx;
		gnutls_cipher_algorithm_t ic;
		gnutls_mac_algorithm_t im;
		gnutls_protocol_t ip;
		const char *n = gnutls_cipher_suite_info(i, cid, &ikx, &ic,
							 &im, &ip);

		if (!n)
			break;
		if (ic == c && im == m &&
		    (p == GNUTLS_TLS1_3 ? ip == GNUTLS_TLS1_3 && ikx == 0
					: ikx == kx)) {
			memcpy(id, cid, 2);
			name = n;
			break;
		}
	}
	info->cipher_suite = name ? name : "";
	memcpy(info->suite_id, id, 2);
	info->psk_username = gnutls_psk_server_get_username(session);
	info->server_name = "";
	if (buf && buflen &&
	    gnutls_server_name_get(session, buf, &len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS)
		info->server_name = buf;
	info->resumed = gnutls_session_is_resumed(session) != 0;
}
