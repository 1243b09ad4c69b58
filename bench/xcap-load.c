/*
 * xcap-load.c - a small XCAP load generator for bench/xcap-bench.sh (not
 * part of the build or of make check).
 *
 * N threads, each with its own HTTPS connection (GnuTLS), send GET or PUT
 * requests for D seconds and answer the server's HTTP Digest challenge
 * themselves (SHA-256, qop=auth, one nonce per thread with a rising nc),
 * so the server is measured with authentication on, as in production.
 *
 *   keep-alive mode (default): one connection per thread, reused;
 *   -r: a new TCP+TLS connection per request, resuming the thread's
 *       previous TLS session (tickets), as a phone that wakes up would.
 *
 * "{t}" in the path is replaced by the thread number, so PUT threads can
 * write documents of their own.  Prints one line of totals.
 *
 * Build: cc -O2 -o xcap-load bench/xcap-load.c -lgnutls -pthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

struct opts {
	const char *host, *sni, *ca, *user, *pass, *path, *method, *ctype;
	char *body;
	size_t body_len;
	int port, threads, seconds;
	bool reconnect;
};

static struct opts o = {
	.host = "127.0.0.1", .port = 8443, .method = "GET", .threads = 4,
	.seconds = 10, .ctype = "application/resource-lists+xml",
};
static gnutls_certificate_credentials_t cred;
static atomic_long n_ok, n_err, n_412, n_conn, n_resumed;
static volatile int stop;

struct worker {
	int id;
	char path[1024];
	int fd;
	gnutls_session_t s;
	gnutls_datum_t resume;          /* last session, for -r */
	char realm[128], nonce[256];
	unsigned nc;
	char buf[65536];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hex_hash(const char *in, char out[65])
{
	uint8_t h[32];
	static const char hx[] = "0123456789abcdef";

	gnutls_hash_fast(GNUTLS_DIG_SHA256, in, strlen(in), h);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[h[i] >> 4];
		out[2 * i + 1] = hx[h[i] & 15];
	}
	out[64] = '\0';
}

static void conn_close(struct worker *w)
{
	if (w->s) {
		if (o.reconnect) {
			gnutls_free(w->resume.data);
			w->resume.data = NULL;
			gnutls_session_get_data2(w->s, &w->resume);
		}
		gnutls_deinit(w->s);
		w->s = NULL;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static int conn_open(struct worker *w)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, rc;

	sa.sin_port = htons((uint16_t)o.port);
	inet_pton(AF_INET, o.host, &sa.sin_addr);
	w->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (w->fd < 0 || connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	gnutls_init(&w->s, GNUTLS_CLIENT);
	gnutls_set_default_priority(w->s);
	gnutls_credentials_set(w->s, GNUTLS_CRD_CERTIFICATE, cred);
	if (o.sni)
		gnutls_server_name_set(w->s, GNUTLS_NAME_DNS, o.sni,
				       strlen(o.sni));
	gnutls_session_set_verify_cert(w->s, o.sni, 0);
	if (w->resume.data)
		gnutls_session_set_data(w->s, w->resume.data, w->resume.size);
	gnutls_transport_set_int(w->s, w->fd);
	do
		rc = gnutls_handshake(w->s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		fprintf(stderr, "handshake: %s\n", gnutls_strerror(rc));
		goto fail;
	}
	atomic_fetch_add(&n_conn, 1);
	if (gnutls_session_is_resumed(w->s))
		atomic_fetch_add(&n_resumed, 1);
	return 0;
fail:
	conn_close(w);
	return -1;
}

static int send_all(struct worker *w, const char *p, size_t n)
{
	while (n) {
		ssize_t k = gnutls_record_send(w->s, p, n);

		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read one response; returns the status, fills realm/nonce on 401. */
static int read_response(struct worker *w)
{
	size_t have = 0, need = 0, hlen = 0;
	int status = -1;

	for (;;) {
		ssize_t k;
		char *end;

		if (hlen && have >= hlen + need)
			break;
		if (have >= sizeof(w->buf) - 1)
			return -1;
		k = gnutls_record_recv(w->s, w->buf + have,
				       sizeof(w->buf) - 1 - have);
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
			continue;
		if (k <= 0)
			return -1;
		have += (size_t)k;
		w->buf[have] = '\0';
		if (!hlen && (end = strstr(w->buf, "\r\n\r\n"))) {
			char *cl = strcasestr(w->buf, "\r\nContent-Length:");

			hlen = (size_t)(end - w->buf) + 4;
			need = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
			status = atoi(w->buf + 9);
		}
	}
	if (status == 401) {
		char *c = strcasestr(w->buf, "algorithm=SHA-256");
		char *hdr, *r, *n;

		if (!c)
			return -1;
		for (hdr = c; hdr > w->buf && hdr[-1] != '\n'; hdr--)
			;
		r = strstr(hdr, "realm=\"");
		n = strstr(hdr, "nonce=\"");
		if (!r || !n)
			return -1;
		sscanf(r + 7, "%127[^\"]", w->realm);
		sscanf(n + 7, "%255[^\"]", w->nonce);
		w->nc = 0;
	}
	return status;
}

static int one_request(struct worker *w)
{
	char req[8192], auth[2560] = "", ha1[65], ha2[65], resp[65];
	char tmp[2048];
	int len, status;

	for (int attempt = 0; attempt < 3; attempt++) {
		if (w->nonce[0]) {
			char cnonce[17];

			snprintf(cnonce, sizeof(cnonce), "%08x%08x",
				 (unsigned)rand(), (unsigned)w->id);
			w->nc++;
			snprintf(tmp, sizeof(tmp), "%s:%s:%s", o.user, w->realm,
				 o.pass);
			hex_hash(tmp, ha1);
			snprintf(tmp, sizeof(tmp), "%s:%s", o.method, w->path);
			hex_hash(tmp, ha2);
			snprintf(tmp, sizeof(tmp), "%s:%s:%08x:%s:auth:%s", ha1,
				 w->nonce, w->nc, cnonce, ha2);
			hex_hash(tmp, resp);
			snprintf(auth, sizeof(auth),
				 "Authorization: Digest username=\"%s\", "
				 "realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
				 "algorithm=SHA-256, qop=auth, nc=%08x, "
				 "cnonce=\"%s\", response=\"%s\"\r\n",
				 o.user, w->realm, w->nonce, w->path, w->nc,
				 cnonce, resp);
		}
		len = snprintf(req, sizeof(req),
			       "%s %s HTTP/1.1\r\nHost: %s\r\n%s"
			       "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			       o.method, w->path, o.sni ? o.sni : o.host, auth,
			       o.ctype, o.body ? o.body_len : 0);
		if (send_all(w, req, (size_t)len) < 0 ||
		    (o.body && send_all(w, o.body, o.body_len) < 0))
			return -1;
		status = read_response(w);
		if (status != 401)
			return status;
		/* a challenge to a request with a body closes the connection
		 * (the server never reads an unauthenticated body) */
		if (strcasestr(w->buf, "\r\nConnection: close")) {
			conn_close(w);
			if (conn_open(w) < 0)
				return -1;
		}
	}
	return 401;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	while (!stop) {
		int st;

		if (!w->s && conn_open(w) < 0) {
			atomic_fetch_add(&n_err, 1);
			usleep(10000);
			continue;
		}
		st = one_request(w);
		if (st >= 200 && st < 300)
			atomic_fetch_add(&n_ok, 1);
		else if (st == 412)
			atomic_fetch_add(&n_412, 1);
		else
			atomic_fetch_add(&n_err, 1);
		if (st < 0 || o.reconnect)
			conn_close(w);
	}
	conn_close(w);
	gnutls_free(w->resume.data);
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

int main(int argc, char **argv)
{
	pthread_t *th;
	struct worker *ws;
	double t0, t;
	int c;

	while ((c = getopt(argc, argv, "h:p:s:C:u:w:P:m:b:t:n:d:r")) != -1) {
		switch (c) {
		case 'h': o.host = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 's': o.sni = optarg; break;
		case 'C': o.ca = optarg; break;
		case 'u': o.user = optarg; break;
		case 'w': o.pass = optarg; break;
		case 'P': o.path = optarg; break;
		case 'm': o.method = optarg; break;
		case 'b': o.body = slurp(optarg, &o.body_len); break;
		case 't': o.ctype = optarg; break;
		case 'n': o.threads = atoi(optarg); break;
		case 'd': o.seconds = atoi(optarg); break;
		case 'r': o.reconnect = true; break;
		default:
			fprintf(stderr, "usage: xcap-load -C ca.pem -u user -w "
				"password -P path [-h ip] [-p port] [-s sni] "
				"[-m GET|PUT -b body -t type] [-n threads] "
				"[-d seconds] [-r]\n");
			return 2;
		}
	}
	if (!o.ca || !o.user || !o.pass || !o.path || o.threads < 1) {
		fprintf(stderr, "xcap-load: -C, -u, -w and -P are required\n");
		return 2;
	}
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_certificate_set_x509_trust_file(cred, o.ca, GNUTLS_X509_FMT_PEM);
	ws = calloc((size_t)o.threads, sizeof(*ws));
	th = calloc((size_t)o.threads, sizeof(*th));
	for (int i = 0; i < o.threads; i++) {
		ws[i].id = i;
		ws[i].fd = -1;
		const char *tok = strstr(o.path, "{t}");

		if (tok)
			snprintf(ws[i].path, sizeof(ws[i].path), "%.*s%d%s",
				 (int)(tok - o.path), o.path, i, tok + 3);
		else
			snprintf(ws[i].path, sizeof(ws[i].path), "%s", o.path);
		pthread_create(&th[i], NULL, worker_run, &ws[i]);
	}
	t0 = now_s();
	sleep((unsigned)o.seconds);
	stop = 1;
	for (int i = 0; i < o.threads; i++)
		pthread_join(th[i], NULL);
	t = now_s() - t0;
	printf("%s %s threads=%d seconds=%.1f ok=%ld rate=%.0f/s 412=%ld "
	       "errors=%ld connections=%ld resumed=%ld\n", o.method,
	       o.reconnect ? "new-conn+resume" : "keep-alive", o.threads, t,
	       (long)n_ok, n_ok / t, (long)n_412, (long)n_err, (long)n_conn,
	       (long)n_resumed);
	free(ws);
	free(th);
	free(o.body);
	gnutls_certificate_free_credentials(cred);
	return n_ok > 0 ? 0 : 1;
}
