/*
 * check_config.c - the configuration parser, fed from memory: valid files,
 * every kind of error with its file:line, types and bounds, -o overrides,
 * reload of the reloadable settings, and agreement between the settings
 * table, etc/presenced.conf and man/presenced.conf.5.
 */
#include "config.h"
#include "src/core.h"
#include "src/config_int.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct conf *c;
static char err[512];

static void setup(void)
{
	c = conf_new();
	ck_assert_ptr_nonnull(c);
	err[0] = '\0';
}

static void teardown(void)
{
	conf_free(c);
}

static int parse(const char *text)
{
	return conf_parse_buffer(c, "test.conf", text, strlen(text), err, sizeof(err));
}

START_TEST(defaults_are_legal)
{
	/* Every default satisfies its own row: conf_new aborts otherwise. */
	ck_assert_str_eq(conf_str(c, "sip.listen"),
			 "udp:127.0.0.1:5060 tcp:127.0.0.1:5060");
	ck_assert_int_eq(conf_int(c, "bsf.key_lifetime"), 86400);
	ck_assert_int_eq(conf_int(c, "log.level"), LOG_LVL_INFO);
	ck_assert(!conf_bool(c, "log.syslog"));
	ck_assert_int_eq(conf_validate(c, err, sizeof(err)), 0);
}
END_TEST

START_TEST(valid_file)
{
	const char *text =
		"# presenced test\n"
		"[server]\n"
		"domains = example.test other.test   # two\n"
		"pidfile = \"/run/p d.pid\"\n"
		"\n"
		"  [log]\r\n"
		"level=debug\n"
		"syslog = yes\n"
		"[bsf]\n"
		"key_lifetime = 2h\n"
		"[store]\n"
		"path = /tmp/x.db ; trailing comment\n";

	ck_assert_msg(parse(text) == 0, "%s", err);
	ck_assert_str_eq(conf_str(c, "server.domains"), "example.test other.test");
	ck_assert_str_eq(conf_str(c, "server.pidfile"), "/run/p d.pid");
	ck_assert_int_eq(conf_int(c, "log.level"), LOG_LVL_DEBUG);
	ck_assert(conf_bool(c, "log.syslog"));
	ck_assert_int_eq(conf_int(c, "bsf.key_lifetime"), 7200);
	ck_assert_str_eq(conf_str(c, "store.path"), "/tmp/x.db");
}
END_TEST

static const struct {
	const char *text;
	const char *expect;   /* substring of the message, with file:line */
} bad[] = {
	{ "[server]\ndomains = a\nnope = 1\n", "test.conf:3: unknown setting 'server.nope'" },
	{ "domains = a\n", "test.conf:1: setting outside a [section]" },
	{ "[server\n", "test.conf:1: missing ']'" },
	{ "[nosuch]\n", "test.conf:1: unknown section [nosuch]" },
	{ "[log]\nlevel = loud\n", "test.conf:2: log.level: expected" },
	{ "[log]\nsyslog = maybe\n", "test.conf:2: log.syslog: expected yes or no" },
	{ "[bsf]\nkey_lifetime = 10\n", "test.conf:2: bsf.key_lifetime: 10 is out of range" },
	{ "[bsf]\nkey_lifetime = 1w\n", "test.conf:2: bsf.key_lifetime: '1w' is not a valid duration" },
	{ "[bsf]\nkey_lifetime = 99999999999999999999\n", "test.conf:2:" },
	{ "[store]\nbusy_timeout = -5\n", "test.conf:2: store.busy_timeout: -5 is out of range" },
	{ "[server]\npidfile = \"/x\n", "test.conf:2: unterminated quoted value" },
	{ "[server]\npidfile = \"/x\" junk\n", "test.conf:2: text after a quoted value" },
	{ "[server]\njust words\n", "test.conf:2: expected 'key = value'" },
	{ "[log]\nlevel = info\nlevel = debug\n", "test.conf:3: 'log.level' already set on line 2" },
	{ "\n\n[log] x\n", "test.conf:3: text after section header" },
};

START_TEST(invalid_inputs)
{
	ck_assert_msg(parse(bad[_i].text) == -1, "accepted: %s", bad[_i].text);
	ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "case %d: got '%s', want '%s'",
		      _i, err, bad[_i].expect);
}
END_TEST

START_TEST(nul_byte_rejected)
{
	const char text[] = "[log]\nlevel = in\0fo\n";

	ck_assert_int_eq(conf_parse_buffer(c, "t", text, sizeof(text) - 1, err,
					   sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "t:2: NUL byte"));
}
END_TEST

START_TEST(overrides)
{
	ck_assert_int_eq(conf_override(c, "log.level=debug", err, sizeof(err)), 0);
	ck_assert_int_eq(conf_int(c, "log.level"), LOG_LVL_DEBUG);
	ck_assert_int_eq(conf_override(c, "sip.listen=udp:127.0.0.1:5999", err,
				       sizeof(err)), 0);
	ck_assert_str_eq(conf_str(c, "sip.listen"), "udp:127.0.0.1:5999");
	ck_assert_int_eq(conf_override(c, "nope.key=1", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown setting 'nope.key'"));
	ck_assert_int_eq(conf_override(c, "novalue", err, sizeof(err)), -1);
	ck_assert_int_eq(conf_override(c, "bsf.key_lifetime=5", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
}
END_TEST

START_TEST(cross_checks)
{
	ck_assert_int_eq(conf_override(c, "tls.cert=/x.pem", err, sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "tls.cert and tls.key"));
	ck_assert_int_eq(conf_override(c, "tls.key=/k.pem", err, sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(c, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_override(c, "server.domains=", err, sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(c, err, sizeof(err)), -1);
}
END_TEST

START_TEST(reload_only_reloadable)
{
	struct conf *fresh = conf_new();

	ck_assert_int_eq(conf_override(fresh, "log.level=debug", err, sizeof(err)), 0);
	ck_assert_int_eq(conf_override(fresh, "store.path=/elsewhere.db", err,
				       sizeof(err)), 0);
	ck_assert_int_eq(conf_apply_reloadable(c, fresh), 1);
	ck_assert_int_eq(conf_int(c, "log.level"), LOG_LVL_DEBUG);
	ck_assert_str_ne(conf_str(c, "store.path"), "/elsewhere.db");
	conf_free(fresh);
}
END_TEST

START_TEST(split_list)
{
	char buf[64];
	const char *items[4];

	ck_assert_int_eq(conf_split_list("  a.test, b.test\tc ", buf, sizeof(buf),
					 items, 4), 3);
	ck_assert_str_eq(items[0], "a.test");
	ck_assert_str_eq(items[1], "b.test");
	ck_assert_str_eq(items[2], "c");
	ck_assert_int_eq(conf_split_list("", buf, sizeof(buf), items, 4), 0);
	ck_assert_int_eq(conf_split_list("a b c d e", buf, sizeof(buf), items, 4), -1);
	ck_assert_int_eq(conf_split_list("aaaaaaaaaa", buf, 4, items, 4), -1);
}
END_TEST

static void dump_collect(const char *line, void *arg)
{
	char *acc = arg;
	strncat(acc, line, 16383 - strlen(acc));
	strncat(acc, "\n", 16383 - strlen(acc));
}

START_TEST(dump_hides_secrets)
{
	static char acc[16384];

	acc[0] = '\0';
	ck_assert_int_eq(conf_override(c, "tls.key=/secret/key.pem", err, sizeof(err)), 0);
	conf_dump(c, dump_collect, acc);
	ck_assert_ptr_null(strstr(acc, "/secret/key.pem"));
	ck_assert_ptr_nonnull(strstr(acc, "tls.key = (set)"));
	ck_assert_ptr_nonnull(strstr(acc, "sip.listen = udp:127.0.0.1:5060"));
}
END_TEST

static char *slurp(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", top ? top : PD_SRCDIR, rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The sample config and the man page name every setting, and the sample
 * parses as it is shipped. */
START_TEST(sample_and_manual_complete)
{
	char *sample = slurp("etc/presenced.conf");
	char *man = slurp("man/presenced.conf.5");

	ck_assert_msg(parse(sample) == 0, "etc/presenced.conf: %s", err);
	for (size_t i = 0; i < conf_table_len; i++) {
		const char *key = strchr(conf_table[i].name, '.') + 1;
		char needle[128];
		snprintf(needle, sizeof(needle), "\n%s =", key);
		char commented[128];
		snprintf(commented, sizeof(commented), "\n#%s =", key);
		ck_assert_msg(strstr(sample, needle) || strstr(sample, commented),
			      "etc/presenced.conf does not document %s",
			      conf_table[i].name);
		ck_assert_msg(strstr(man, conf_table[i].name),
			      "man/presenced.conf.5 does not document %s",
			      conf_table[i].name);
	}
	free(sample);
	free(man);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_are_legal);
	tcase_add_test(tc, dump_hides_secrets);
	tcase_add_test(tc, sample_and_manual_complete);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_file);
	tcase_add_loop_test(tc, invalid_inputs, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, nul_byte_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("override_reload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, overrides);
	tcase_add_test(tc, cross_checks);
	tcase_add_test(tc, reload_only_reloadable);
	tcase_add_test(tc, split_list);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(config_suite)
