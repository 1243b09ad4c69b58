# tests/integration/sip_common.sh - helpers for the SIP integration tests
# (sip_*.sh), on top of lib.sh: a config with the engine's settings,
# provisioning, and running one sipp scenario against the daemon.
. "$(dirname "$0")/lib.sh"

SIPP_DIR="$top_srcdir/tests/integration/sipp"
K=000102030405060708090a0b0c0d0e0f
OPC=cdc202d5123e20f62b6d676ac72cb318

command -v sipp >/dev/null || { echo "sipp not installed: skipped"; exit 77; }

# sip_conf FILE [extra sip.* lines...]: lib.sh's config plus engine settings.
sip_conf() {
	local f=$1; shift
	pd_conf "$f"
	# Append the extra lines to lib.sh's [sip] section.
	local l extra=""
	for l in "$@"; do extra="$extra$l"$'\n'; done
	awk -v extra="$extra" '{ print } /^listen = udp:/ { printf "%s", extra }' \
		"$f" > "$f.new" && mv "$f.new" "$f"
}

# provision IMPI IMPU [PASSWORD]
provision() {
	"$PRESENCECTL" -c "$CONF" subscriber add --impi "$1" --impu "$2" \
		--k "$K" --opc "$OPC" ${3:+--password "$3"} >/dev/null
}

# sipp_run NAME SCENARIO CSV [sipp options...]: one call of SCENARIO with
# the injection line CSV; 0 when the scenario completed.  Messages go to
# $T/NAME.msg, errors to $T/NAME.err.
SIPP_PORT=
sipp_run() {
	local name=$1 scen=$2 csv=$3; shift 3
	[ -n "$SIPP_PORT" ] || SIPP_PORT=$(pd_port)
	printf 'SEQUENTIAL\n%s\n' "$csv" > "$T/$name.csv"
	timeout 30 sipp -sf "$scen" -inf "$T/$name.csv" -m 1 -i 127.0.0.1 \
		-p "$SIPP_PORT" -nostdin -timeout 20s -timeout_error \
		-recv_timeout 5000 -trace_msg -message_file "$T/$name.msg" \
		-trace_err -error_file "$T/$name.err" "$@" \
		"127.0.0.1:$SIP_PORT" >/dev/null 2>&1
}

# sipp_bg NAME SCENARIO CSV [options]: the same, in the background; sets
# SIPP_BG_PID (killed by the EXIT trap).
sipp_bg() {
	local name=$1 scen=$2 csv=$3; shift 3
	local port; port=$(pd_port)
	printf 'SEQUENTIAL\n%s\n' "$csv" > "$T/$name.csv"
	timeout 50 sipp -sf "$scen" -inf "$T/$name.csv" -m 1 -i 127.0.0.1 \
		-p "$port" -nostdin -timeout 45s -timeout_error \
		-trace_msg -message_file "$T/$name.msg" \
		-trace_err -error_file "$T/$name.err" "$@" \
		"127.0.0.1:$SIP_PORT" >/dev/null 2>&1 &
	SIPP_BG_PID=$!
	PD_PIDS+=("$SIPP_BG_PID")
}

# probe NAME CODE METHOD RURI EXTRA...: send one request built from
# sipp/probe.xml.in and expect response CODE.  EXTRA are header lines.
probe() {
	local name=$1 code=$2 method=$3 ruri=$4; shift 4
	local extra="" h
	for h in "$@"; do extra="$extra$h\n      "; done
	sed -e "s|@CODE@|$code|g" -e "s|@METHOD@|$method|g" \
	    -e "s|@RURI@|$ruri|g" -e "s|@EXTRA@|$extra|" \
	    "$SIPP_DIR/probe.xml.in" > "$T/$name.xml"
	sipp_run "$name" "$T/$name.xml" "x;"
}

# msg_has NAME REGEX: the sipp message trace of NAME matches.
msg_has() { grep -qE "$2" "$T/$1.msg"; }
# cseqs NAME: the CSeq numbers of the NOTIFYs NAME received, one per line.
notify_cseqs() { awk '/^NOTIFY /{n=1} n && /^CSeq:/{print $2; n=0}' "$T/$1.msg"; }
