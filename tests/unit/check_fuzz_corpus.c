/*
 * check_fuzz_corpus.c - replay the committed fuzz corpus
 * (tests/fuzz/corpus/<target>/) through the same entry points the
 * libFuzzer harnesses use (tests/fuzz/targets.c), so that every input that
 * once crashed, leaked or produced a bad document stays a regression test.
 * Each target is one TCase; a crash fails it (Check forks), and under
 * --enable-sanitizers ASan/UBSan/LSan report as they do while fuzzing.
 * The xcap_node target also checks that every document the engine writes
 * passes a whole-document PUT (RFC 4825 8.2.5, "never a half-written
 * document"), aborting otherwise.
 */
#include <check.h>
#include "tests/unit/check_main.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/targets.h"

#ifndef PD_SRCDIR
#define PD_SRCDIR "."
#endif

static const char *srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : PD_SRCDIR;
}

static void setup(void)
{
	ck_assert_int_eq(fuzz_init(srcdir()), 0);
}

static void teardown(void)
{
	fuzz_cleanup();
}

/* Feed every regular file of corpus/<target>; returns how many. */
static int replay(const char *target, int (*one)(const uint8_t *, size_t))
{
	char dir[1024], path[2048];
	struct dirent *e;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", srcdir(),
		 target);
	dp = opendir(dir);
	ck_assert_msg(dp != NULL, "corpus %s", dir);
	while ((e = readdir(dp)) != NULL) {
		FILE *f;
		uint8_t *buf;
		long len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "%s", path);
		ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		rewind(f);
		/* exactly len bytes: ASan sees any read past the input */
		buf = malloc(len ? (size_t)len : 1);
		ck_assert_ptr_nonnull(buf);
		ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		ck_assert_int_eq(one(buf, (size_t)len), 0);
		free(buf);
		n++;
	}
	closedir(dp);
	return n;
}

START_TEST(rfc4825_6_xcap_uri)
{
	ck_assert_int_gt(replay("xcap_uri", fuzz_xcap_uri_one), 0);
}
END_TEST

START_TEST(rfc4825_8_xcap_node)
{
	ck_assert_int_gt(replay("xcap_node", fuzz_xcap_node_one), 0);
}
END_TEST

START_TEST(rfc7235_2_1_digest)
{
	ck_assert_int_gt(replay("digest", fuzz_digest_one), 0);
}
END_TEST

START_TEST(config_parse)
{
	ck_assert_int_gt(replay("config", fuzz_config_one), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fuzz_corpus");
	struct {
		const char *name;
		const TTest *t;
	} tc[] = {
		{ "rfc4825_6_xcap_uri", rfc4825_6_xcap_uri },
		{ "rfc4825_8_xcap_node", rfc4825_8_xcap_node },
		{ "rfc7235_2_1_digest", rfc7235_2_1_digest },
		{ "config_parse", config_parse },
	};

	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		TCase *c = tcase_create(tc[i].name);

		tcase_add_checked_fixture(c, setup, teardown);
		tcase_set_timeout(c, 120);
		tcase_add_test(c, tc[i].t);
		suite_add_tcase(s, c);
	}
	return s;
}

CHECK_MAIN(suite)
