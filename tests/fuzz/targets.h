/*
 * targets.h - the fuzz entry points of presenced, shared by the libFuzzer
 * harnesses (tests/fuzz/fuzz_*.c, built by tests/fuzz/run.sh with clang)
 * and the corpus replay test (tests/unit/check_fuzz_corpus.c, built by
 * make check with the normal compiler).  Each entry feeds one input to one
 * network-facing parser exactly as the daemon would, then releases
 * everything; a crash, a sanitizer report or a leak is the failure.
 *
 * Input formats (so that a corpus file can be written by hand):
 *   xcap_uri:    "<path>" or "<path>\0<query>" (raw, still percent-encoded);
 *   xcap_node:   byte 0 picks the fixture document and the operation
 *                (see targets.c), then "<selector>\n<body>": the selector is
 *                appended raw to ".../index/~~/" (an empty one names the
 *                whole document ".../index") and parsed by
 *                xcap_uri_parse(); the body is the PUT body;
 *   digest:      an Authorization header value ("Digest username=...");
 *   config:      a configuration file text.
 */
#ifndef PRESENCED_TESTS_FUZZ_TARGETS_H
#define PRESENCED_TESTS_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* One-time set-up: loads the XCAP fixture documents from
 * <srcdir>/tests/fixtures/xcap and the schemas from <srcdir>/xcap/schemas,
 * creates the Digest verifier and quiets the logs.  Returns 0 or -1. */
int fuzz_init(const char *srcdir);
/* Undo fuzz_init() (for leak-checked replay). */
void fuzz_cleanup(void);

/* The entries.  They return 0 (libFuzzer's convention) whatever the
 * parser decided: only a crash or a sanitizer report is a finding. */
int fuzz_xcap_uri_one(const uint8_t *data, size_t size);
int fuzz_xcap_node_one(const uint8_t *data, size_t size);
int fuzz_digest_one(const uint8_t *data, size_t size);
int fuzz_config_one(const uint8_t *data, size_t size);

#endif /* PRESENCED_TESTS_FUZZ_TARGETS_H */
