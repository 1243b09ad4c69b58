/*
 * listen.c - the engine's listeners: one nta transport per sip.listen
 * entry ("udp|tcp|tls:address:port", IPv6 in brackets), the Contact each
 * one gives the dialogs created through it, and the private directory
 * that Sofia's TLS transport wants (agent.pem = tls.key + tls.cert).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sip/engine_int.h"
#include "src/core.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport_tag.h>

/* ---------------------------------------------------------- listeners */

int sip_listen_add(struct sip_engine *e, const char *spec)
{
	char proto[4], host[128], url[256];
	const char *p = spec, *c;
	unsigned port;
	int rc;

	c = strchr(p, ':');
	if (!c || (size_t)(c - p) >= sizeof(proto))
		goto bad;
	memcpy(proto, p, (size_t)(c - p));
	proto[c - p] = '\0';
	p = c + 1;
	if (*p == '[') {
		c = strchr(p, ']');
		if (!c || c[1] != ':')
			goto bad;
		c++;
	} else {
		c = strrchr(p, ':');
	}
	if (!c || (size_t)(c - p) >= sizeof(host) ||
	    sscanf(c + 1, "%u", &port) != 1 || port == 0 || port > 65535)
		goto bad;
	memcpy(host, p, (size_t)(c - p));
	host[c - p] = '\0';
	if (e->n_listeners >= SIP_MAX_LISTEN)
		goto bad;

	if (strcmp(proto, "udp") == 0 || strcmp(proto, "tcp") == 0) {
		snprintf(url, sizeof(url), "sip:%s:%u;transport=%s", host, port,
			 proto);
		/* Large UDP buffers ride out bursts (the loop may be busy
		 * with a commit for a moment). */
		rc = nta_agent_add_tport(e->agent, (url_string_t *)url,
					 TPTAG_UDP_RMEM(4 * 1024 * 1024),
					 TPTAG_UDP_WMEM(4 * 1024 * 1024),
					 TAG_END());
	} else if (strcmp(proto, "tls") == 0) {
		if (!e->tls_dir[0]) {
			log_err("sip: %s needs tls.cert and tls.key", spec);
			return -EINVAL;
		}
		snprintf(url, sizeof(url), "sips:%s:%u;transport=tls", host,
			 port);
		rc = nta_agent_add_tport(e->agent, (url_string_t *)url,
					 TPTAG_CERTIFICATE(e->tls_dir),
					 TAG_END());
	} else {
		goto bad;
	}
	if (rc < 0) {
		log_err("sip: cannot listen on %s: %s", spec, strerror(errno));
		return -EADDRINUSE;
	}
	snprintf(e->listeners[e->n_listeners].proto,
		 sizeof(e->listeners[0].proto), "%s", proto);
	snprintf(e->listeners[e->n_listeners].contact,
		 sizeof(e->listeners[0].contact), "<%s:%s:%u;transport=%s>",
		 strcmp(proto, "tls") == 0 ? "sips" : "sip", host, port, proto);
	e->n_listeners++;
	log_notice("sip: listening on %s", spec);
	return 0;
bad:
	log_err("sip: bad listener '%s' (want udp|tcp|tls:address:port)", spec);
	return -EINVAL;
}

/* Sofia's TLS transport wants a directory holding agent.pem (key and
 * certificate chain).  Build a private one from tls.key and tls.cert. */
int sip_tls_prepare(struct sip_engine *e, const struct conf *conf)
{
	const char *cert = conf_str(conf, "tls.cert");
	const char *key = conf_str(conf, "tls.key");
	char path[256], buf[4096];
	const char *files[2] = { key, cert };
	FILE *out;

	if (!*cert || !*key)
		return 0;
	snprintf(e->tls_dir, sizeof(e->tls_dir), "/tmp/presenced-tls.XXXXXX");
	if (!mkdtemp(e->tls_dir)) {
		e->tls_dir[0] = '\0';
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/agent.pem", e->tls_dir);
	out = fopen(path, "w");
	if (!out)
		return -errno;
	chmod(path, 0600);
	for (int i = 0; i < 2; i++) {
		FILE *in = fopen(files[i], "r");
		size_t n;
		if (!in) {
			fclose(out);
			log_err("sip: cannot read %s", files[i]);
			return -EINVAL;
		}
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, out);
		fclose(in);
	}
	util_secure_zero(buf, sizeof(buf));
	fclose(out);
	return 0;
}

void sip_tls_cleanup(struct sip_engine *e)
{
	char path[256];

	if (!e->tls_dir[0])
		return;
	snprintf(path, sizeof(path), "%s/agent.pem", e->tls_dir);
	unlink(path);
	rmdir(e->tls_dir);
	e->tls_dir[0] = '\0';
}

