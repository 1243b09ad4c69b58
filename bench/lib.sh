# shellcheck shell=bash
# shellcheck disable=SC2034 # SRV_*, KAM_* are read by sip-bench.sh
# bench/lib.sh - helpers of bench/sip-bench.sh: process CPU and memory from
# /proc, sipp statistics, and starting/stopping the three servers under test
# (presenced, the Kamailio anchor peer, the zero-work sipp notifier).
#
# Every process started here is recorded in BENCH_PIDS and killed by
# bench_cleanup (by PID, never by name).  All traffic is on 127.0.0.1.

BENCH_PIDS=()
CLK_TCK=$(getconf CLK_TCK)

bench_log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# All descendants of PID (recursive), one per line, PID itself first.
# (ps, not a glob over /proc: mawk stops at a /proc/N that vanished.)
proc_tree() {
	ps -e -o pid=,ppid= 2>/dev/null | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			print root; n = 1; q[1] = root
			for (i = 1; i <= n; i++)
				for (p in parent)
					if (parent[p] == q[i]) { q[++n] = p; print p }
		}'
}

# CPU ticks (utime+stime+cutime+cstime) of PID and all its descendants.
cpu_ticks() {
	local p sum=0 line
	for p in $(proc_tree "$1"); do
		line=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		line=${line##*) }
		# after "comm) ": state=1 ppid=2 ... utime=12 stime=13 cutime=14 cstime=15
		# shellcheck disable=SC2086 # split into fields on purpose
		set -- $line
		sum=$((sum + ${12} + ${13} + ${14} + ${15}))
	done
	echo "$sum"
}

# Seconds (3 decimals) between two tick counts.
ticks_to_s() { awk -v a="$1" -v b="$2" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }'; }

# "PSS_kB RSS_kB" summed over PID and all its descendants.
mem_kb() {
	local p pss=0 rss=0 a b
	for p in $(proc_tree "$1"); do
		read -r a b < <(awk '/^Pss:/ {p=$2} /^Rss:/ {r=$2} END {print p+0, r+0}' \
			"/proc/$p/smaps_rollup" 2>/dev/null) || continue
		pss=$((pss + a)); rss=$((rss + b))
	done
	echo "$pss $rss"
}

# stat_get CSV COLUMN: the column of the last row of a sipp -trace_stat file.
stat_get() {
	awk -F';' -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		{ last = $c }
		END { print (c && last != "") ? last : "NA" }' "$1" 2>/dev/null
}

# Wait up to $2 tenths of a second for UDP port $1 on 127.0.0.1 to be bound.
wait_udp_port() {
	local i
	for ((i = 0; i < $2; i++)); do
		ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
udp_port_free() { ! ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; }

# Kill a PID we started: TERM, wait up to $2 tenths (default 100), then KILL.
stop_pid() {
	local pid=$1 n=${2:-100} i
	[[ -n "$pid" ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

bench_cleanup() {
	local p
	[[ -n "${KAM_PID:-}" ]] && kam_stop
	for p in "${BENCH_PIDS[@]:-}"; do
		[[ -n "$p" ]] && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	return 0
}

# ---------------------------------------------------------------------------
# Servers.  srv_start TARGET FIGURE sets SRV_PID (the PID whose process tree
# is measured), SRV_PORT and SRV_DOM (host part of the request URIs).
# srv_stop stops it.  A fresh server (and a fresh store) for every call.
#
#   kamailio   ../shared/peers/kamailio/kam.sh with the tuned settings
#   presenced  $PRESENCED with a generated config; the store in a new
#              directory under $BENCH_DISKDIR (a normal disk, not tmpfs)
#   ceiling    sipp as a zero-work server: uas-subscribe.xml for figures a
#              and d, uas-publish.xml for b (no ceiling for c)
# ---------------------------------------------------------------------------
KAM_PEER_DIR=${KAM_PEER_DIR:-$BENCH_DIR/../../shared/peers/kamailio}

srv_start() {
	local target=$1 fig=$2
	SRV_TARGET=$target
	case "$target" in
	kamailio)
		export KAM_PORT=$PORT_KAM
		export KAM_CHILDREN=${KAM_CHILDREN:-4}
		export KAM_SQLITE_BUSY_MS=${KAM_SQLITE_BUSY_MS:-5000}
		export KAM_MAXBUFFER=${KAM_MAXBUFFER:-4194304}
		export BENCH_TMPDIR=$BENCH_DISKDIR
		# shellcheck source=/dev/null
		source "$KAM_PEER_DIR/kam.sh"
		kam_start || return 1
		SRV_PID=$KAM_PID SRV_PORT=$PORT_KAM SRV_DOM="127.0.0.1:$PORT_KAM"
		;;
	presenced)
		udp_port_free "$PORT_PD" || { bench_log "port $PORT_PD busy"; return 1; }
		SRV_DIR=$(mktemp -d "$BENCH_DISKDIR/pd-bench.XXXXXX") || return 1
		cat >"$SRV_DIR/presenced.conf" <<-CFG
		[server]
		domains = $PD_DOMAIN
		open_domains = $PD_DOMAIN
		pidfile =
		[store]
		path = $SRV_DIR/presenced.db
		[sip]
		listen = udp:127.0.0.1:$PORT_PD
		trusted_peers = 127.0.0.1/32
		default_policy = allow
		min_expires = 60
		max_expires = 86400
		[xcap]
		listen = 127.0.0.1:$PORT_XCAP
		[log]
		level = ${PD_LOG_LEVEL:-warn}
		CFG
		# Extra settings: PD_OPTS="sip.commit_delay=1 sip.commit_batch=512"
		local o opts=()
		for o in ${PD_OPTS:-}; do opts+=(-o "$o"); done
		${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$PRESENCED" -f \
			-c "$SRV_DIR/presenced.conf" "${opts[@]}" \
			>"$SRV_DIR/presenced.log" 2>&1 &
		SRV_PID=$!
		BENCH_PIDS+=("$SRV_PID")
		if ! wait_udp_port "$PORT_PD" 100 || ! kill -0 "$SRV_PID" 2>/dev/null; then
			bench_log "presenced did not start; log:"
			tail -n 20 "$SRV_DIR/presenced.log" >&2
			srv_stop
			return 1
		fi
		sleep 0.3
		SRV_PORT=$PORT_PD SRV_DOM=$PD_DOMAIN
		;;
	ceiling)
		local scn
		case "$fig" in
		a | d) scn=uas-subscribe.xml ;;
		b) scn=uas-publish.xml ;;
		*) bench_log "no ceiling for figure $fig"; return 1 ;;
		esac
		udp_port_free "$PORT_CEIL" || { bench_log "port $PORT_CEIL busy"; return 1; }
		SRV_DIR=$(mktemp -d "$BENCH_DISKDIR/ceiling.XXXXXX") || return 1
		(cd "$SRV_DIR" && exec ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} \
			sipp -sf "$BENCH_DIR/sipp/$scn" -i 127.0.0.1 -p "$PORT_CEIL" \
			-nostdin -buff_size 4194304 -l 18000 -trace_err \
			>/dev/null 2>"$SRV_DIR/sipp.err") &
		SRV_PID=$!
		BENCH_PIDS+=("$SRV_PID")
		wait_udp_port "$PORT_CEIL" 100 || { srv_stop; return 1; }
		sleep 0.3
		SRV_PORT=$PORT_CEIL SRV_DOM=$PD_DOMAIN
		;;
	*) bench_log "unknown target $target"; return 1 ;;
	esac
	return 0
}

srv_stop() {
	case "${SRV_TARGET:-}" in
	kamailio) kam_stop ;;
	presenced | ceiling)
		stop_pid "${SRV_PID:-}" 300
		if [[ -n "${SRV_DIR:-}" && -d "$SRV_DIR" ]]; then
			# keep the server log of a failed step next to the step's files
			[[ -n "${STEP_DIR:-}" && -d "$STEP_DIR" ]] &&
				cp "$SRV_DIR"/*.log "$SRV_DIR"/*.err "$STEP_DIR"/ 2>/dev/null
			rm -rf -- "$SRV_DIR"
		fi
		;;
	esac
	SRV_PID="" SRV_DIR=""
	return 0
}

# Log of the running server (for failed steps).
srv_log_tail() {
	case "${SRV_TARGET:-}" in
	kamailio) tail -n "${1:-20}" "$KAM_TMPD/kamailio.log" 2>/dev/null ;;
	presenced) tail -n "${1:-20}" "$SRV_DIR/presenced.log" 2>/dev/null ;;
	ceiling) tail -n "${1:-20}" "$SRV_DIR/sipp.err" 2>/dev/null ;;
	esac
}

# ---------------------------------------------------------------------------
# Other load on the machine.  The benchmark shares 2 cores with whatever else
# runs; these measure it so that a step disturbed by foreign work is visible
# (and retried, see sip-bench.sh).
# ---------------------------------------------------------------------------
# Busy ticks of all CPUs (user nice system irq softirq steal) from /proc/stat.
sys_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# CPU ticks used by this shell's reaped children (bash `times`, 2nd line).
children_ticks() {
	local t
	t=$(times | sed -n 2p)
	awk -v s="$t" -v hz="$CLK_TCK" 'BEGIN {
		n = split(s, a, " "); sum = 0
		for (i = 1; i <= n; i++) { x = a[i]; sub(/s$/, "", x); split(x, b, "m"); sum += b[1] * 60 + b[2] }
		printf "%d", sum * hz + 0.5 }'
}

# Wait (up to $1 s, default 60) until the machine is quiet: less than 15 %
# of one core busy over one second.  Returns 1 if it never got quiet.
wait_quiet() {
	local max=${1:-60} b0 b1 busy waited=0
	while :; do
		b0=$(sys_busy_ticks); sleep 1; b1=$(sys_busy_ticks)
		busy=$((b1 - b0))
		if ((busy * 100 < 15 * CLK_TCK)); then
			((waited > 0)) && bench_log "  machine quiet again after ${waited}s"
			return 0
		fi
		if ((waited == 0)); then
			bench_log "  machine busy ($((busy * 100 / CLK_TCK)) % of a core used by others); waiting up to ${max}s"
			ps -eo pid,pcpu,comm --sort=-pcpu | sed -n '2,4p' | sed 's/^/      /' >&2
		fi
		waited=$((waited + 1))
		((waited >= max)) && { bench_log "  still busy after ${max}s; going on"; return 1; }
	done
}

# Datagrams dropped by the kernel on the UDP socket bound to 127.0.0.1:PORT
# (receive buffer full), the "d" of `ss -uam` skmem; "NA" if not found.
sock_drops() {
	ss -Huamn "sport = :$1" 2>/dev/null | awk '
		{ if (match($0, /,d[0-9]+\)/)) { d = substr($0, RSTART + 2, RLENGTH - 3); found = 1 } }
		END { print found ? d : "NA" }'
}
# Receive buffer size of that socket (skmem rb), bytes.
sock_rcvbuf() {
	ss -Huamn "sport = :$1" 2>/dev/null | awk '
		{ if (match($0, /rb[0-9]+/)) { print substr($0, RSTART + 2, RLENGTH - 2); exit } }'
}

# Bytes the server's allocator holds live (not what the OS sees):
#   presenced  glibc malloc_stats() "in use bytes" (incl. mmap), via gdb
#              attached for a moment; the output goes to the server's log
#   kamailio   shared memory real_used (kamcmd core.shmmem); the workers'
#              private (pkg) memory is left out
# Prints NA when it cannot tell.
live_bytes() {
	case "$1" in
	presenced)
		command -v gdb >/dev/null || { echo NA; return; }
		gdb -p "$SRV_PID" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
		sleep 0.2
		awk '/^Total \(incl. mmap\)/ { t = 1 } t && /in use bytes/ { v = $NF; t = 0 } END { print (v == "") ? "NA" : v }' \
			"$SRV_DIR/presenced.log" 2>/dev/null
		;;
	kamailio)
		command -v kamcmd >/dev/null || { echo NA; return; }
		kamcmd -s "$KAM_CTL" core.shmmem 2>/dev/null |
			awk '/real_used:/ { v = $2 } END { print (v == "") ? "NA" : v }'
		;;
	esac
}
