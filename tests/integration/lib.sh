# tests/integration/lib.sh - helpers for integration tests: a private temp
# directory, free loopback ports, a config writer, and starting/stopping the
# real daemon.  Sourced by each test script; every process a test starts is
# killed by the EXIT trap, pass or fail.

set -u

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
PRESENCED="$top_builddir/src/presenced"
PRESENCECTL="$top_builddir/src/presencectl"

T=$(mktemp -d "${TMPDIR:-/tmp}/pd-test.XXXXXX")
PD_PIDS=()
PD_FAILS=0
PD_PASSES=0

pd_cleanup() {
	local p
	for p in "${PD_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$PD_FAILS" -eq 0 ] && [ -z "${PD_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "test files kept in $T"
	fi
}
trap pd_cleanup EXIT

ok() { PD_PASSES=$((PD_PASSES + 1)); echo "ok - $*"; }
not_ok() { PD_FAILS=$((PD_FAILS + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
pd_finish() {
	echo "$PD_PASSES passed, $PD_FAILS failed"
	[ "$PD_FAILS" -eq 0 ]
}

# A port free for both TCP and UDP on 127.0.0.1, different on every call.
# The counter lives in a file because callers use $(pd_port), a subshell
# whose variables are lost.
echo $(( 20000 + ($$ * 7) % 30000 )) > "$T/.next-port"
pd_port() {
	local p
	p=$(cat "$T/.next-port")
	while :; do
		p=$((p + 1))
		[ "$p" -gt 60000 ] && p=20000
		if ! ss -Htaun 2>/dev/null | awk '{print $5}' | grep -qE "[:.]$p\$"; then
			echo "$p" > "$T/.next-port"
			echo "$p"
			return 0
		fi
	done
}

# pd_conf FILE [extra "section.key=value" lines are appended via -o instead]
pd_conf() {
	local f=$1
	SIP_PORT=${SIP_PORT:-$(pd_port)}
	XCAP_PORT=${XCAP_PORT:-$(pd_port)}
	cat > "$f" <<CFG
[server]
domains = example.test
pidfile = $T/presenced.pid
[store]
path = $T/presenced.db
[sip]
listen = udp:127.0.0.1:$SIP_PORT tcp:127.0.0.1:$SIP_PORT
[xcap]
listen = 127.0.0.1:$XCAP_PORT
schema_dir = $top_srcdir/xcap/schemas
[log]
level = debug
CFG
}

# pd_start CONF [presenced options...]: start in the foreground, wait until
# it logs "presenced ready" (or dies).  Sets PD_PID and PD_LOG.
pd_start() {
	local conf=$1; shift
	PD_LOG="$T/presenced.$(date +%s%N).log"
	"$PRESENCED" -f -c "$conf" "$@" >"$PD_LOG" 2>&1 &
	PD_PID=$!
	PD_PIDS+=("$PD_PID")
	local i
	for i in $(seq 1 100); do
		grep -q 'presenced ready' "$PD_LOG" 2>/dev/null && return 0
		kill -0 "$PD_PID" 2>/dev/null || { wait "$PD_PID" 2>/dev/null; return 1; }
		sleep 0.1
	done
	return 1
}

# pd_stop [SIGNAL]: stop PD_PID, return its exit status.
pd_stop() {
	local sig=${1:-TERM} rc=0
	kill -"$sig" "$PD_PID" 2>/dev/null
	wait "$PD_PID" 2>/dev/null || rc=$?
	return $rc
}

# pd_wait_log PATTERN [TIMEOUT_TENTHS]: wait until the daemon log matches.
pd_wait_log() {
	local i
	for i in $(seq 1 "${2:-50}"); do
		grep -qE "$1" "$PD_LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
