/*
 * check_xcap_server_tls.c - xcap/tls.c without libmicrohttpd: a GnuTLS
 * client and a server session set up exactly as the listener sets them up
 * (xcap_tls_conn_setup + the SNI certificate callback + the fixed
 * priorities) shake hands over in-memory buffers.
 *
 * Proves: the certificate is chosen by SNI; a session resumes with its
 * ticket; the ticket key is replaced after xcap.tls_session_lifetime (an
 * injected clock moves past it, and the old ticket no longer resumes);
 * a TLS 1.1 or anonymous-only ClientHello is refused and diagnosed.
 * Certificates are generated in memory with GnuTLS at test time.
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "src/core.h"
#include "xcap/xcap_int.h"

static char tmpdir[512];
static struct xcap_tls *tls;
static int64_t fake_now;
static int64_t fake_clock(void *arg) { return fake_now; }

/* ------------------------------------------------ in-memory transport */

struct pipe {
	uint8_t buf[65536];
	size_t len;
};

struct end {
	struct pipe *in, *out;
};

static ssize_t push(gnutls_transport_ptr_t p, const void *data, size_t n)
{
	struct end *e = p;

	if (e->out->len + n > sizeof(e->out->buf))
		n = sizeof(e->out->buf) - e->out->len;
	memcpy(e->out->buf + e->out->len, data, n);
	e->out->len += n;
	return (ssize_t)n;
}

static ssize_t pull(gnutls_transport_ptr_t p, void *data, size_t n)
{
	struct end *e = p;

	if (e->in->len == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (n > e->in->len)
		n = e->in->len;
	memcpy(data, e->in->buf, n);
	memmove(e->in->buf, e->in->buf + n, e->in->len - n);
	e->in->len -= n;
	return (ssize_t)n;
}

/* "is there data?" for GnuTLS (non-blocking: never waits) */
static int pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct end *e = p;

	return e->in->len > 0 ? 1 : 0;
}

/* ------------------------------------------------------- certificates */

static void make_cert(const char *cn, const char *certpath,
		      const char *keypath)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	gnutls_datum_t out;
	FILE *f;
	time_t now = time(NULL);

	ck_assert_int_eq(gnutls_x509_privkey_init(&key), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	serial[0] = (unsigned char)cn[0];
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, now - 3600);
	gnutls_x509_crt_set_expiration_time(crt, now + 86400);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
				      (unsigned)strlen(cn));
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, cn,
					     (unsigned)strlen(cn),
					     GNUTLS_FSAN_SET);
	gnutls_x509_crt_set_key(crt, key);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, key,
					       GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
						 &out), 0);
	f = fopen(certpath, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(out.data, 1, out.size, f);
	fclose(f);
	gnutls_free(out.data);
	ck_assert_int_eq(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM,
						     &out), 0);
	f = fopen(keypath, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(out.data, 1, out.size, f);
	fclose(f);
	gnutls_free(out.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	char c1[600], k1[600], c2[600], k2[600], line[3000], err[256];
	struct conf *conf = conf_new();

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_xcap_tls.XXXXXX",
		 t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(c1, sizeof(c1), "%s/a.pem", tmpdir);
	snprintf(k1, sizeof(k1), "%s/a.key", tmpdir);
	snprintf(c2, sizeof(c2), "%s/b.pem", tmpdir);
	snprintf(k2, sizeof(k2), "%s/b.key", tmpdir);
	make_cert("a.example.test", c1, k1);
	make_cert("b.example.test", c2, k2);
	snprintf(line, sizeof(line), "tls.cert=%s", c1);
	ck_assert_int_eq(conf_override(conf, line, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "tls.key=%s", k1);
	ck_assert_int_eq(conf_override(conf, line, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "tls.sni=b.example.test:%s:%s", c2, k2);
	ck_assert_int_eq(conf_override(conf, line, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_override(conf, "xcap.tls_session_lifetime=60",
				       err, sizeof(err)), 0);
	fake_now = 1700000000;
	clock_set_source(fake_clock, NULL);
	ck_assert_msg(xcap_tls_create(&tls, conf, err, sizeof(err)) == 0,
		      "%s", err);
	conf_free(conf);
}

static void teardown(void)
{
	const char *names[] = { "a.pem", "a.key", "b.pem", "b.key" };
	char path[700];

	xcap_tls_destroy(tls);
	tls = NULL;
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	clock_set_source(NULL, NULL);
}

/* ---------------------------------------------------------- handshake */

struct outcome {
	int rc;                  /* server handshake result */
	bool resumed;
	char subject_cn[128];
	struct xcap_tls_conn tc;
	gnutls_datum_t session;  /* client's session data for resumption */
};

/*
 * One handshake.  `prio` is the client's priority string, `sni` its
 * server name (NULL for none), `resume` session data to offer.
 */
static void handshake(const char *prio, const char *sni,
		      const gnutls_datum_t *resume, struct outcome *o)
{
	gnutls_certificate_credentials_t scred, ccred;
	gnutls_anon_client_credentials_t anon;
	gnutls_session_t s, c;
	static struct pipe c2s, s2c;
	struct end se = { &c2s, &s2c }, ce = { &s2c, &c2s };
	int src = GNUTLS_E_AGAIN, crc = GNUTLS_E_AGAIN;

	memset(o, 0, sizeof(*o));
	c2s.len = s2c.len = 0;
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&scred), 0);
	gnutls_certificate_set_retrieve_function2(scred, xcap_tls_cert_cb);
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&ccred), 0);
	ck_assert_int_eq(gnutls_anon_allocate_client_credentials(&anon), 0);

	ck_assert_int_eq(gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
	ck_assert_int_eq(gnutls_priority_set_direct(s, XCAP_TLS_PRIORITIES,
						    NULL), 0);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, scred);
	gnutls_transport_set_ptr(s, &se);
	gnutls_transport_set_push_function(s, push);
	gnutls_transport_set_pull_function(s, pull);
	gnutls_transport_set_pull_timeout_function(s, pull_timeout);
	xcap_tls_conn_setup(tls, s, &o->tc);

	ck_assert_int_eq(gnutls_init(&c, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
	ck_assert_int_eq(gnutls_priority_set_direct(c, prio, NULL), 0);
	gnutls_credentials_set(c, GNUTLS_CRD_CERTIFICATE, ccred);
	gnutls_credentials_set(c, GNUTLS_CRD_ANON, anon);
	if (sni)
		gnutls_server_name_set(c, GNUTLS_NAME_DNS, sni, strlen(sni));
	if (resume)
		gnutls_session_set_data(c, resume->data, resume->size);
	gnutls_transport_set_ptr(c, &ce);
	gnutls_transport_set_push_function(c, push);
	gnutls_transport_set_pull_function(c, pull);
	gnutls_transport_set_pull_timeout_function(c, pull_timeout);

	for (int i = 0; i < 50 && (src == GNUTLS_E_AGAIN ||
				   crc == GNUTLS_E_AGAIN); i++) {
		if (crc == GNUTLS_E_AGAIN)
			crc = gnutls_handshake(c);
		if (src == GNUTLS_E_AGAIN)
			src = gnutls_handshake(s);
		if (crc < 0 && crc != GNUTLS_E_AGAIN &&
		    !gnutls_error_is_fatal(crc))
			crc = GNUTLS_E_AGAIN;
		if (src < 0 && src != GNUTLS_E_AGAIN &&
		    !gnutls_error_is_fatal(src))
			src = GNUTLS_E_AGAIN;
		if (src < 0 && src != GNUTLS_E_AGAIN)
			break;
	}
	o->rc = src;
	if (src == 0 && crc == 0) {
		const gnutls_datum_t *pc;
		unsigned n = 0;
		char buf[16];
		gnutls_x509_crt_t crt;
		size_t len = sizeof(o->subject_cn);

		o->resumed = gnutls_session_is_resumed(s) != 0;
		pc = gnutls_certificate_get_peers(c, &n);
		if (pc && n) {
			gnutls_x509_crt_init(&crt);
			gnutls_x509_crt_import(crt, &pc[0], GNUTLS_X509_FMT_DER);
			gnutls_x509_crt_get_dn_by_oid(crt,
				GNUTLS_OID_X520_COMMON_NAME, 0, 0,
				o->subject_cn, &len);
			gnutls_x509_crt_deinit(crt);
		}
		/* TLS 1.3 tickets arrive after the handshake: let the client
		 * read them (no application data follows). */
		gnutls_record_recv(c, buf, sizeof(buf));
		ck_assert_int_eq(gnutls_session_get_data2(c, &o->session), 0);
	}
	gnutls_session_set_ptr(s, NULL);
	gnutls_deinit(c);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(scred);
	gnutls_certificate_free_credentials(ccred);
	gnutls_anon_free_client_credentials(anon);
}

/* ------------------------------------------------------------- tests */

START_TEST(rfc6066_3_sni_selects_certificate)
{
	struct outcome o;

	handshake("NORMAL", "b.example.test", NULL, &o);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_str_eq(o.subject_cn, "b.example.test");
	gnutls_free(o.session.data);
	handshake("NORMAL", "a.example.test", NULL, &o);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_str_eq(o.subject_cn, "a.example.test");
	gnutls_free(o.session.data);
	handshake("NORMAL", NULL, NULL, &o);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_str_eq(o.subject_cn, "a.example.test");
	gnutls_free(o.session.data);
	handshake("NORMAL", "other.example.test", NULL, &o);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_str_eq(o.subject_cn, "a.example.test");
	gnutls_free(o.session.data);
}
END_TEST

static void resumption(const char *prio)
{
	struct outcome first, again, late;

	handshake(prio, NULL, NULL, &first);
	ck_assert_int_eq(first.rc, 0);
	ck_assert(!first.resumed);
	handshake(prio, NULL, &first.session, &again);
	ck_assert_int_eq(again.rc, 0);
	ck_assert_msg(again.resumed, "%s: ticket did not resume", prio);
	gnutls_free(again.session.data);
	/* One lifetime later the ticket key is replaced: the old ticket
	 * no longer decrypts and a full handshake follows. */
	fake_now += 61;
	handshake(prio, NULL, &first.session, &late);
	ck_assert_int_eq(late.rc, 0);
	ck_assert_msg(!late.resumed, "%s: ticket outlived its key", prio);
	gnutls_free(late.session.data);
	gnutls_free(first.session.data);
}

START_TEST(rfc8446_4_6_1_ticket_resumption_tls13)
{
	resumption("NORMAL:-VERS-ALL:+VERS-TLS1.3");
}
END_TEST

START_TEST(rfc5077_ticket_resumption_tls12)
{
	resumption("NORMAL:-VERS-ALL:+VERS-TLS1.2");
}
END_TEST

START_TEST(ts33210_refusals_diagnosed)
{
	struct outcome o;
	char why[256];

	handshake("NORMAL:-VERS-ALL:+VERS-TLS1.1", NULL, NULL, &o);
	ck_assert_int_ne(o.rc, 0);
	ck_assert(xcap_tls_conn_refused(&o.tc, why, sizeof(why)));
	ck_assert_msg(strstr(why, "at most TLS 1.1"), "%s", why);

	handshake("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ANON-ECDH:+ANON-DH",
		  NULL, NULL, &o);
	ck_assert_int_ne(o.rc, 0);
	ck_assert(xcap_tls_conn_refused(&o.tc, why, sizeof(why)));
	ck_assert_msg(strstr(why, "no acceptable cipher suite"), "%s", why);

	handshake("NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:"
		  "-MAC-ALL:+SHA1:+SHA256", NULL, NULL, &o);
	ck_assert_int_ne(o.rc, 0);
	ck_assert(xcap_tls_conn_refused(&o.tc, why, sizeof(why)));
	ck_assert_msg(strstr(why, "no acceptable cipher suite"), "%s", why);

	handshake("NORMAL", NULL, NULL, &o);
	ck_assert_int_eq(o.rc, 0);
	ck_assert(!xcap_tls_conn_refused(&o.tc, why, sizeof(why)));
	gnutls_free(o.session.data);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xcap_server_tls");
	TCase *tc;

	tc = tcase_create("rfc6066_3_sni");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc6066_3_sni_selects_certificate);
	suite_add_tcase(s, tc);
	tc = tcase_create("ticket_resumption_and_rotation");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rfc8446_4_6_1_ticket_resumption_tls13);
	tcase_add_test(tc, rfc5077_ticket_resumption_tls12);
	suite_add_tcase(s, tc);
	tc = tcase_create("ts33210_6_2_refusals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ts33210_refusals_diagnosed);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
