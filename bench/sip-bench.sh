#!/usr/bin/env bash
# sip-bench.sh - SIP presence benchmark: presenced vs Kamailio 5.6 (the
# anchor peer, ../shared/peers/kamailio) vs a zero-work sipp UAS, all on
# loopback, driven by sipp.  Not part of `make check`.
#
#   bench/sip-bench.sh [BUILD_DIR]        (BUILD_DIR holds src/presenced)
#
# Measures, per server:
#   (a) new SUBSCRIBE dialogs/s, each with its first NOTIFY answered, at
#       0 failed calls (highest rate of a ladder that passes);
#   (b) initial PUBLISH/s at 0 failed calls;
#   (c) NOTIFYs delivered to 1,000 watchers of one presentity while one
#       publisher sends a burst of $BURST PUBLISHes back to back;
#   (d) memory (PSS) per active subscription at $NSUBS subscriptions;
# and the server's CPU-seconds (utime+stime from /proc/PID/stat, children
# included) for each.  Prints a Markdown report on stdout (RESULTS.md).
#
# Knobs: FIGURES (abcd), BENCH_DUR (s per step, 6), BENCH_SKIP_KAM=1,
# NSUBS (50000), ladders RATES_A/B (presenced), KRATES_A/B (Kamailio),
# URATES_A/B (sipp UAS), KAM_* (see kam.sh).
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC}" && pwd)
SC="$SRC/bench/sipp"
DUR=${BENCH_DUR:-6}
BURST=50   # fixed in bench/sipp/pubhot.xml
NSUBS=${NSUBS:-50000}
RATES_A=${RATES_A:-"2000 4000 6000 8000 10000"}
RATES_B=${RATES_B:-"4000 8000 10000 12000 14000"}
KRATES_A=${KRATES_A:-"500 1000 1500 2000 2500 3000"}
KRATES_B=${KRATES_B:-"1000 2000 2500 3000 4000"}
URATES_A=${URATES_A:-"8000 12000 16000 20000"}
URATES_B=${URATES_B:-"8000 16000 20000 24000"}
PD_PORT=${PD_PORT:-5560}
KAM_PORT=${KAM_PORT:-5570}
UAS_PORT=${UAS_PORT:-5580}
CLI_PORT=${CLI_PORT:-5590}
TICK=$(getconf CLK_TCK)
W=$(mktemp -d "${TMPDIR:-/tmp}/sip-bench.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
	[ -n "${KAM_PID:-}" ] && kam_stop >/dev/null 2>&1
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
log() { echo "# $*" >&2; }

# ------------------------------------------------------------- helpers

# All PIDs of a server: the main one and its children.
server_pids() { echo "$1 $(ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' ' ')"; }
cpu_ticks() { # PID -> utime+stime of it and its children, in ticks
	local t=0 p
	for p in $(server_pids "$1"); do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
	done
	echo "$t"
}
pss_kb() { # PID -> PSS of it and its children, kB
	local t=0 p
	for p in $(server_pids "$1"); do
		[ -r "/proc/$p/smaps_rollup" ] || continue
		t=$((t + $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup")))
	done
	echo "$t"
}
secs() { date +%s.%N; }
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }

# sipp_client SCEN TARGET RATE CALLS [opts]: 0 when every call succeeded.
sipp_client() {
	local scen=$1 target=$2 rate=$3 calls=$4; shift 4
	timeout $((DUR * 4 + 60)) sipp -sf "$scen" -i 127.0.0.1 -p "$CLI_PORT" \
		-r "$rate" -rp 1000 -m "$calls" -l $((rate < 10000 ? rate : 10000)) \
		-nostdin -recv_timeout 10000 -timeout $((DUR * 4 + 40))s \
		-timeout_error -max_recv_loops 10000 -max_sched_loops 10000 \
		$(grep -q '\[\$exp\]' "$scen" && echo -set exp "${EXP:-600}") \
		"$@" "$target" >/dev/null 2>&1
}

# ladder NAME SCEN TARGET PID "RATES": highest rate whose DUR-second run
# had no failed call and finished within 25% of DUR.  Prints
# "rate calls_per_cpu_s" (cpu 0 when PID is empty).
ladder() {
	local name=$1 scen=$2 target=$3 pid=$4 rates=$5
	local best=0 best_eff=0 r n t0 t1 c0 c1 el b0 b1
	for r in $rates; do
		n=$((r * DUR))
		c0=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
		b0=$(busy_ticks)
		t0=$(secs)
		if ! sipp_client "$scen" "$target" "$r" "$n"; then
			log "$name: $r/s had failures"
			break
		fi
		t1=$(secs)
		c1=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
		b1=$(busy_ticks)
		el=$(echo "$t1 - $t0" | bc -l)
		if (( $(echo "$el > $DUR * 1.25" | bc -l) )); then
			log "$name: $r/s fell behind (${el}s for ${DUR}s)"
			break
		fi
		best=$r
		if [ "$c1" -gt "$c0" ]; then
			best_eff=$(echo "$n / (($c1 - $c0) / $TICK)" | bc -l)
		fi
		log "$name: $r/s ok (${el}s, server cpu $(( c1 - c0 ))/${TICK} s, whole machine busy $(( b1 - b0 ))/${TICK} s)"
	done
	printf '%s %.0f\n' "$best" "$best_eff"
}

# fanout NAME TARGET PID: 1,000 watchers of "hot", then a burst of BURST
# PUBLISHes; ends when every watcher has the last state.  Prints
# "notifies seconds notify_per_s notify_per_cpu_s".
fanout() {
	local name=$1 target=$2 pid=$3 wport c0 c1 t0 t1 n el
	wport=$((CLI_PORT + 1))
	( cd "$W" && timeout 120 sipp -sf "$SC/watch.xml" -i 127.0.0.1 \
		-p "$wport" -r 500 -m 1000 -l 1000 -nostdin -trace_counts -fd 1 \
		-recv_timeout 30000 "$target" >/dev/null 2>&1 ) &
	local wpid=$!
	PIDS+=("$wpid")
	sleep 4     # 1,000 subscriptions at 500/s, with their first NOTIFY
	c0=$(cpu_ticks "$pid")
	t0=$(secs)
	timeout 60 sipp -sf "$SC/pubhot.xml" -i 127.0.0.1 -p "$CLI_PORT" -m 1 \
		-nostdin "$target" >/dev/null 2>&1 || log "$name: publisher failed"
	wait "$wpid"
	t1=$(secs)
	c1=$(cpu_ticks "$pid")
	# Delivered = NOTIFYs answered in the loop (the counts file's row for
	# the looping recv; the first NOTIFY is not part of the burst).
	n=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i ~ /_Recv$/) col[++k]=i}
		END{print $col[k]+0}' "$W"/watch_*_counts.csv 2>/dev/null | tail -1)
	rm -f "$W"/watch_*_counts.csv
	el=$(echo "$t1 - $t0" | bc -l)     # until every watcher has the final state
	printf '%s %.2f %.0f %.0f\n' "$n" "$el" "$(echo "$n / $el" | bc -l)" \
		"$(echo "$n / (($c1 - $c0) / $TICK + 0.001)" | bc -l)"
}

# memory NAME TARGET PID RATE: PSS growth per subscription at NSUBS,
# 40 s after the last one was created.
memory() {
	local name=$1 target=$2 pid=$3 rate=$4 p0 p1 p2
	p0=$(pss_kb "$pid")
	EXP=3600 sipp_client "$SC/sub.xml" "$target" "$rate" "$NSUBS" || log "$name: memory run had failures"
	sleep 2
	p1=$(pss_kb "$pid")
	# Transactions outlive their requests (presenced: 32 s for UDP server
	# transactions, RFC 3261 timer J; Kamailio: tm timers and the 20 s
	# write-back): 40 s later only the subscriptions are left.
	sleep 38
	p2=$(pss_kb "$pid")
	printf '%s %s %s %.0f %.0f\n' "$p0" "$p1" "$p2" \
		"$(echo "($p1 - $p0) * 1024 / $NSUBS" | bc -l)" \
		"$(echo "($p2 - $p0) * 1024 / $NSUBS" | bc -l)"
}

# ------------------------------------------------------------ servers

pd_start() {
	local sub=$1
	mkdir -p "$W/pd$sub"
	cat > "$W/pd$sub/presenced.conf" <<CFG
[server]
domains = example.test
open_domains = 127.0.0.1
[store]
path = $W/pd$sub/presenced.db
[sip]
listen = udp:127.0.0.1:$PD_PORT
default_policy = allow
allow_anonymous = yes
max_expires = 3600
[xcap]
listen = 127.0.0.1:$((PD_PORT + 1))
[log]
level = notice
CFG
	"$BUILD/src/presenced" -f -c "$W/pd$sub/presenced.conf" > "$W/pd$sub/log" 2>&1 &
	PD_PID=$!
	PIDS+=("$PD_PID")
	for _ in $(seq 1 50); do grep -q 'presenced ready' "$W/pd$sub/log" && return 0; sleep 0.1; done
	cat "$W/pd$sub/log" >&2
	return 1
}
pd_stop() { kill -TERM "$PD_PID" 2>/dev/null; wait "$PD_PID" 2>/dev/null; }

uas_start() {
	( cd "$W" && exec sipp -sf "$1" -i 127.0.0.1 -p "$UAS_PORT" -nostdin \
		-max_recv_loops 10000 >/dev/null 2>&1 ) &
	UAS_PID=$!
	PIDS+=("$UAS_PID")
	sleep 0.5
}
uas_stop() { kill -9 "$UAS_PID" 2>/dev/null; }

# ----------------------------------------------------------------- runs

declare -A R
FIG=${FIGURES:-abcd}   # which figures to run, e.g. FIGURES=d
fig() { [[ "$FIG" == *"$1"* ]]; }

run_presenced() {
	local t="127.0.0.1:$PD_PORT" x
	if fig a; then pd_start a || return 1
		x=$(ladder "presenced (a)" "$SC/sub.xml" "$t" "$PD_PID" "$RATES_A"); R[pd_a]=$x; pd_stop; fi
	if fig b; then pd_start b || return 1
		x=$(ladder "presenced (b)" "$SC/pub.xml" "$t" "$PD_PID" "$RATES_B"); R[pd_b]=$x; pd_stop; fi
	if fig c; then pd_start c || return 1
		x=$(fanout "presenced (c)" "$t" "$PD_PID"); R[pd_c]=$x; pd_stop; fi
	if fig d; then pd_start d || return 1
		x=$(memory "presenced (d)" "$t" "$PD_PID" 4000); R[pd_d]=$x; pd_stop; fi
}

run_kamailio() {
	local t="127.0.0.1:$KAM_PORT" x
	# shellcheck source=/dev/null
	. "$SRC/../shared/peers/kamailio/kam.sh" 2>/dev/null ||
		. /work/shared/peers/kamailio/kam.sh
	export KAM_PORT KAM_CHILDREN=${KAM_CHILDREN:-4} \
		KAM_SQLITE_BUSY_MS=${KAM_SQLITE_BUSY_MS:-5000} \
		KAM_MAXBUFFER=${KAM_MAXBUFFER:-4194304}
	if fig a; then kam_start || return 1
		x=$(ladder "kamailio (a)" "$SC/sub.xml" "$t" "$KAM_PID" "$KRATES_A"); R[k_a]=$x; kam_stop; fi
	if fig b; then kam_start || return 1
		x=$(ladder "kamailio (b)" "$SC/pub.xml" "$t" "$KAM_PID" "$KRATES_B"); R[k_b]=$x; kam_stop; fi
	if fig c; then kam_start || return 1
		x=$(fanout "kamailio (c)" "$t" "$KAM_PID"); R[k_c]=$x; kam_stop; fi
	if fig d; then kam_start || return 1
		x=$(memory "kamailio (d)" "$t" "$KAM_PID" 2000); R[k_d]=$x; kam_stop; fi
}

run_uas() {
	local t="127.0.0.1:$UAS_PORT" x
	if fig a; then uas_start "$SC/uas_sub.xml"
		x=$(ladder "sipp UAS (a)" "$SC/sub.xml" "$t" "$UAS_PID" "$URATES_A"); R[u_a]=$x; uas_stop; fi
	if fig b; then uas_start "$SC/uas_pub.xml"
		x=$(ladder "sipp UAS (b)" "$SC/pub.xml" "$t" "$UAS_PID" "$URATES_B"); R[u_b]=$x; uas_stop; fi
}

log "work dir $W"
run_presenced
[ -n "${BENCH_SKIP_KAM:-}" ] || run_kamailio
if fig a || fig b; then run_uas; fi

# --------------------------------------------------------------- report
f() { echo "${R[$1]:-n/a}" | awk -v i="$2" '{print $i}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0 && a != "" && a != "n/a") printf "%.2f", a / b; else print "n/a" }'; }
cat <<EOF
| measure | presenced | Kamailio 5.6 | ratio | sipp UAS ceiling |
|---|---|---|---|---|
| (a) SUBSCRIBE dialogs/s, first NOTIFY answered, 0 failures | $(f pd_a 1) | $(f k_a 1) | $(ratio "$(f pd_a 1)" "$(f k_a 1)") | $(f u_a 1) |
| (a) dialogs per server CPU-second | $(f pd_a 2) | $(f k_a 2) | $(ratio "$(f pd_a 2)" "$(f k_a 2)") | |
| (b) PUBLISH/s, 0 failures | $(f pd_b 1) | $(f k_b 1) | $(ratio "$(f pd_b 1)" "$(f k_b 1)") | $(f u_b 1) |
| (b) PUBLISH per server CPU-second | $(f pd_b 2) | $(f k_b 2) | $(ratio "$(f pd_b 2)" "$(f k_b 2)") | |
| (c) NOTIFYs delivered (1,000 watchers x $BURST PUBLISH burst) | $(f pd_c 1) | $(f k_c 1) | | |
| (c) seconds until the last NOTIFY | $(f pd_c 2) | $(f k_c 2) | | |
| (c) NOTIFY/s delivered | $(f pd_c 3) | $(f k_c 3) | $(ratio "$(f pd_c 3)" "$(f k_c 3)") | |
| (c) NOTIFY per server CPU-second | $(f pd_c 4) | $(f k_c 4) | $(ratio "$(f pd_c 4)" "$(f k_c 4)") | |
| (d) PSS before / 2 s after / 40 s after $NSUBS subscriptions (kB) | $(f pd_d 1) / $(f pd_d 2) / $(f pd_d 3) | $(f k_d 1) / $(f k_d 2) / $(f k_d 3) | | |
| (d) bytes of PSS per active subscription, 2 s after | $(f pd_d 4) | $(f k_d 4) | $(ratio "$(f pd_d 4)" "$(f k_d 4)") | |
| (d) bytes of PSS per active subscription, 40 s after | $(f pd_d 5) | $(f k_d 5) | $(ratio "$(f pd_d 5)" "$(f k_d 5)") | |
EOF
