# tests/: Check unit tests (tests/unit) and integration tests with real
# peers (tests/integration), all run by `make check`.

TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = $(PD_INTERNAL) $(PD_EXT_LIBS) $(CHECK_LIBS)

# Integration scripts find the binaries and fixtures through these.
AM_TESTS_ENVIRONMENT = \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	CK_DEFAULT_TIMEOUT=60; export CK_DEFAULT_TIMEOUT;

EXTRA_DIST += tests/fixtures tests/integration/lib.sh

# --- db (issue 2)
check_PROGRAMS += tests/unit/check_db
tests_unit_check_db_SOURCES = tests/unit/check_db.c
tests_unit_check_db_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_db_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_db

# --- config (issue 2)
check_PROGRAMS += tests/unit/check_config
tests_unit_check_config_SOURCES = tests/unit/check_config.c
tests_unit_check_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_config_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_config

# --- presencectl end to end (issue 2)
check_PROGRAMS += tests/unit/check_presencectl
tests_unit_check_presencectl_SOURCES = tests/unit/check_presencectl.c
tests_unit_check_presencectl_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_presencectl_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_presencectl

# --- daemon life cycle (issue 2)
dist_check_SCRIPTS += tests/integration/daemon_lifecycle.sh
TESTS += tests/integration/daemon_lifecycle.sh

# --- sip loop
check_PROGRAMS += tests/unit/check_sip_loop
tests_unit_check_sip_loop_SOURCES = tests/unit/check_sip_loop.c
tests_unit_check_sip_loop_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_sip_loop_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_sip_loop

# --- auth (digest)
check_PROGRAMS += tests/unit/check_digest
tests_unit_check_digest_SOURCES = tests/unit/check_digest.c
tests_unit_check_digest_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_digest_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_digest

# --- sip
check_PROGRAMS += tests/unit/check_pidf
tests_unit_check_pidf_SOURCES = tests/unit/check_pidf.c
tests_unit_check_pidf_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_pidf_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_pidf
check_PROGRAMS += tests/unit/check_sip_sub
tests_unit_check_sip_sub_SOURCES = tests/unit/check_sip_sub.c
tests_unit_check_sip_sub_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_sip_sub_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_sip_sub
check_PROGRAMS += tests/unit/check_sip_identity
tests_unit_check_sip_identity_SOURCES = tests/unit/check_sip_identity.c
tests_unit_check_sip_identity_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_sip_identity_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_sip_identity
check_PROGRAMS += tests/unit/check_sip_engine
tests_unit_check_sip_engine_SOURCES = tests/unit/check_sip_engine.c
tests_unit_check_sip_engine_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_sip_engine_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_sip_engine
dist_check_SCRIPTS += \
	tests/integration/sip_subscribe.sh \
	tests/integration/sip_publish.sh \
	tests/integration/sip_identity.sh \
	tests/integration/sip_winfo.sh \
	tests/integration/sip_restart.sh \
	tests/integration/sip_malformed.sh \
	tests/integration/sip_tls.sh
TESTS += \
	tests/integration/sip_subscribe.sh \
	tests/integration/sip_publish.sh \
	tests/integration/sip_identity.sh \
	tests/integration/sip_winfo.sh \
	tests/integration/sip_restart.sh \
	tests/integration/sip_malformed.sh \
	tests/integration/sip_tls.sh
EXTRA_DIST += tests/integration/sip_common.sh tests/integration/sipp

# --- xcap
# server (issue 4): HTTPS + Digest against the real daemon, with curl and
# gnutls-cli; throwaway certificates are made with certtool at test time.
EXTRA_DIST += tests/integration/xcap_lib.sh
dist_check_SCRIPTS += tests/integration/xcap_tls.sh \
	tests/integration/xcap_rfc4825.sh tests/integration/xcap_race.sh \
	tests/integration/xcap_badinput.sh
TESTS += tests/integration/xcap_tls.sh tests/integration/xcap_rfc4825.sh \
	tests/integration/xcap_race.sh tests/integration/xcap_badinput.sh
check_PROGRAMS += tests/unit/check_xcap_server
tests_unit_check_xcap_server_SOURCES = tests/unit/check_xcap_server.c
tests_unit_check_xcap_server_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_xcap_server_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_xcap_server
check_PROGRAMS += tests/unit/check_xcap_server_tls
tests_unit_check_xcap_server_tls_SOURCES = tests/unit/check_xcap_server_tls.c
tests_unit_check_xcap_server_tls_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_xcap_server_tls_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_xcap_server_tls
check_PROGRAMS += tests/unit/check_xcap_uri
tests_unit_check_xcap_uri_SOURCES = tests/unit/check_xcap_uri.c
tests_unit_check_xcap_uri_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_xcap_uri_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_xcap_uri

check_PROGRAMS += tests/unit/check_xcap_node
tests_unit_check_xcap_node_SOURCES = tests/unit/check_xcap_node.c
tests_unit_check_xcap_node_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_xcap_node_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_xcap_node

# --- fuzz corpus replay: every input of tests/fuzz/corpus/<target>/ fed
# through the entry points the libFuzzer harnesses use (tests/fuzz/run.sh
# builds and runs those; they are not part of make check).
check_PROGRAMS += tests/unit/check_fuzz_corpus
tests_unit_check_fuzz_corpus_SOURCES = tests/unit/check_fuzz_corpus.c \
	tests/fuzz/targets.c tests/fuzz/targets.h
tests_unit_check_fuzz_corpus_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_fuzz_corpus_LDADD = $(TEST_LDADD)
TESTS += tests/unit/check_fuzz_corpus
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run.sh tests/fuzz/corpus \
	tests/fuzz/fuzz_xcap_uri.c tests/fuzz/fuzz_xcap_node.c \
	tests/fuzz/fuzz_digest.c tests/fuzz/fuzz_config.c
EXTRA_DIST += tests/unit/check_main.h
