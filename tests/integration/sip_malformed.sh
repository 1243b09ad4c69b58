#!/usr/bin/env bash
# sip_malformed.sh - hostile input over UDP (raw datagrams from bash):
# garbage, missing mandatory headers, unparsable header values, bodies
# over sip.max_body, a message over the size limit, an entity-expansion
# PUBLISH body.  Each gets the right 4xx or is dropped, and the daemon
# keeps serving (OPTIONS answered after each).
. "$(dirname "$0")/sip_common.sh"

CONF="$T/presenced.conf"
sip_conf "$CONF" "default_policy = allow" "allow_anonymous = yes" \
	"max_body = 2k"
sed -i 's/^domains = example.test$/&\nopen_domains = open.test/' "$CONF"
if pd_start "$CONF"; then ok "presenced starts"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi

N=0
# raw MSG: send one datagram (\n becomes CRLF), print the status line of
# the answer, or nothing after 2 s.
raw() {
	local msg=$1 line=""
	exec 3<>"/dev/udp/127.0.0.1/$SIP_PORT" || return 1
	# One write(), so one datagram (bash's printf may write in pieces).
	printf '%s' "${msg//$'\n'/$'\r\n'}" > "$T/dgram"
	cat "$T/dgram" >&3
	# One read() of one datagram (bash's read would take a byte at a time
	# and lose the rest of the datagram).
	line=$(timeout 2 dd bs=65535 count=1 status=none <&3 | head -n 1)
	exec 3>&-
	printf '%s\n' "${line%$'\r'}"
}
# req METHOD RURI EXTRA_HEADERS [BODY]: set REQ to a request with the
# usual headers and a fresh branch and Call-ID (not in a subshell: N counts).
req() {
	local body=${4:-}
	N=$((N + 1))
	printf -v REQ '%s sip:%s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-m%s-%s\nFrom: <sip:x@open.test>;tag=t%s\nTo: <sip:%s>\nCall-ID: m%s-%s@test\nCSeq: 1 %s\nMax-Forwards: 70\n%sContent-Length: %s\n\n%s' \
		"$1" "$2" "$$" "$N" "$N" "$2" "$$" "$N" "$1" "$3" "${#body}" "$body"
}
alive() { req OPTIONS bob@open.test ""; [ "$(raw "$REQ")" = "SIP/2.0 200 OK" ]; }

check "serving" alive
raw $'hello world\n\n' >/dev/null
check "garbage is dropped, still serving" alive
req SUBSCRIBE bob@open.test $'Event: presence\nContact: <sip:x@127.0.0.1:9>\n'
REQ=$(printf '%s' "$REQ" | sed '/^From:/s/;tag=[^ ]*//'; printf x); REQ=${REQ%x}
r=$(raw "$REQ")
check "SUBSCRIBE without a From tag: 400 ($r)" test "${r%% *}" = "SIP/2.0" -a "$(cut -d' ' -f2 <<<"$r")" = 400
req SUBSCRIBE bob@open.test $'Event: presence\n'
r=$(raw "$REQ")
check "SUBSCRIBE without Contact: 400 ($r)" test "$(cut -d' ' -f2 <<<"$r")" = 400
req SUBSCRIBE bob@open.test $'Event: presence\nContact: <sip:x@127.0.0.1:9>\n'
REQ=$(printf '%s' "$REQ" | grep -v '^Call-ID:'; printf x); REQ=${REQ%x}
r=$(raw "$REQ")
check "missing Call-ID: 400 or dropped ($r)" bash -c "[ -z '$r' ] || [ '$(cut -d' ' -f2 <<<"$r")' = 400 ]"
check "still serving" alive
req SUBSCRIBE bob@open.test $'Event: presence\nContact: <sip:x@127.0.0.1:9>\nExpires: soon\n'
r=$(raw "$REQ")
check "unparsable Expires: 400 ($r)" test "$(cut -d' ' -f2 <<<"$r")" = 400
req SUBSCRIBE bob@open.test $'Event: presence\nContact: <sip:x@127.0.0.1:9>\nCSeq: banana\n'
REQ=$(printf '%s' "$REQ" | awk '!/^CSeq: 1 /'; printf x); REQ=${REQ%x}
r=$(raw "$REQ")
check "unparsable CSeq: 400 or dropped ($r)" bash -c "[ -z '$r' ] || [ '$(cut -d' ' -f2 <<<"$r")' = 400 ]"
check "still serving" alive

big=$(printf '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@open.test"><tuple id="t"><status><basic>open</basic></status><note>%s</note></tuple></presence>' "$(head -c 3000 /dev/zero | tr '\0' a)")
req PUBLISH bob@open.test $'Event: presence\nContent-Type: application/pidf+xml\n' "$big"
r=$(raw "$REQ")
check "PUBLISH body over sip.max_body: 413 ($r)" test "$(cut -d' ' -f2 <<<"$r")" = 413
lol='<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@open.test"><tuple id="t"><status><basic>open</basic></status><note>&d;&d;&d;&d;</note></tuple></presence>'
req PUBLISH bob@open.test $'Event: presence\nContent-Type: application/pidf+xml\n' "$lol"
r=$(raw "$REQ")
check "entity expansion body: 400 ($r)" test "$(cut -d' ' -f2 <<<"$r")" = 400
hdr="X-Junk: $(head -c 30000 /dev/zero | tr '\0' b)"
req OPTIONS bob@open.test "$hdr"$'\n'
r=$(raw "$REQ")
check "a 30 kB header (over the message limit): refused or dropped ($r)" bash -c "[ -z '$r' ] || [ '$(cut -d' ' -f2 <<<"$r")' -ge 400 ]"
req SUBSCRIBE bob@open.test $'Event: presence\nContact: <sip:x@127.0.0.1:9>\nAccept: \x01\x02\n'
r=$(raw "$REQ")
check "control characters in a header: 4xx or dropped ($r)" bash -c "[ -z '$r' ] || [ '$(cut -d' ' -f2 <<<"$r")' -ge 400 ]"
check "still serving after everything" alive
check "no crash: the daemon is alive" kill -0 "$PD_PID"
check "SIGTERM stops it cleanly" pd_stop TERM
pd_finish
