#!/bin/bash
# bench/xcap-bench.sh - XCAP GET and PUT per second over HTTPS with Digest
# authentication, on keep-alive connections and on a new connection per
# request resuming the TLS session.  Not part of make check.
#
#   bench/xcap-bench.sh [seconds-per-run] [threads]
#
# Run from a built tree (top_builddir, default: the current directory).
# Uses the integration test helpers for certificates, config and users;
# the load tool bench/xcap-load.c is compiled into the temp directory.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_srcdir top_builddir
SECS=${1:-10}
THREADS=${2:-4}
. "$top_srcdir/tests/integration/xcap_lib.sh"

cc -O2 -o "$T/xcap-load" "$top_srcdir/bench/xcap-load.c" -lgnutls -pthread ||
	{ echo "cannot build xcap-load"; exit 1; }
xcap_setup -o log.level=notice -o xcap.threads="${XCAP_THREADS:-2}"

RL=application/resource-lists+xml
printf '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends"><entry uri="sip:bob@example.test"><display-name>Bob</display-name></entry><entry uri="sip:carol@example.test"/></list></resource-lists>' > "$T/doc"
xc_alice -o /dev/null -X PUT -H "Content-Type: $RL" --data-binary @"$T/doc" \
	"$XROOT/resource-lists/users/sip:alice@example.test/index"
P=/xcap-root/resource-lists/users/sip:alice@example.test
load() {
	"$T/xcap-load" -C "$T/ca.pem" -s "$XCAP_HOST" -p "$XCAP_PORT" \
		-u alice@example.test -w alicepw -n "$THREADS" -d "$SECS" "$@"
}
echo "# $(nproc) CPUs, xcap.threads=${XCAP_THREADS:-2}, $THREADS client threads, ${SECS}s per run"
load -m GET -P "$P/index"
load -m GET -P "$P/index" -r
load -m GET -P "$P/index/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:bob@example.test%22%5d"
load -m PUT -b "$T/doc" -t "$RL" -P "$P/bench{t}"
load -m PUT -b "$T/doc" -t "$RL" -P "$P/bench{t}" -r
load -m PUT -b "$T/doc" -t "$RL" -P "$P/index"
pd_stop
