#!/bin/bash
# xcap_race.sh - compare-and-swap on the ETag (architecture-notes "XCAP
# Writes"): concurrent PUTs carrying the same If-Match, exactly one wins
# and every other one gets 412; concurrent unconditional changes of the
# same document are all applied (the server re-runs a lost
# read-modify-write), so no update is lost.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/xcap_lib.sh"

xcap_setup
A="$XROOT/resource-lists/users/sip:alice@example.test/index"
NS='xmlns="urn:ietf:params:xml:ns:resource-lists"'
N=8

printf '<resource-lists %s><list name="l"/></resource-lists>' "$NS" > "$T/doc"
check "create" test "$(xc_status xc_alice -X PUT -H 'Content-Type: application/resource-lists+xml' --data-binary @"$T/doc" "$A")" = 201

# 1. N writers with the same If-Match, five rounds.
for round in 1 2 3 4 5; do
	e=$(xc_etag xc_alice "$A")
	pids=()
	for i in $(seq 1 $N); do
		printf '<resource-lists %s><list name="r%s-w%s"/></resource-lists>' "$NS" "$round" "$i" > "$T/doc.$i"
		xc_status xc_alice -X PUT -H 'Content-Type: application/resource-lists+xml' \
			-H "If-Match: \"$e\"" --data-binary @"$T/doc.$i" "$A" > "$T/st.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	wins=$(cat "$T"/st.* | grep -o '200' | wc -l)
	lost=$(cat "$T"/st.* | grep -o '412' | wc -l)
	check "round $round: exactly one of $N If-Match PUTs wins ($wins won, $lost got 412)" \
		test "$wins" -eq 1 -a "$lost" -eq $((N - 1))
	# The stored document is the winner's, whole.
	xc_alice -o "$T/now" "$A"
	w=$(sed -n 's/.*name="\(r[0-9]*-w[0-9]*\)".*/\1/p' "$T/now")
	check "round $round: the stored document is one writer's ($w)" \
		grep -q "name=\"r$round-w" "$T/now"
	rm -f "$T"/st.*
done

# 2. N unconditional element PUTs to the same document at once: the
#    server retries lost compare-and-swaps, so all N entries end up stored.
pids=()
for i in $(seq 1 $N); do
	xc_status xc_alice -X PUT -H 'Content-Type: application/xcap-el+xml' \
		--data-binary "<entry uri=\"sip:u$i@example.test\"/>" \
		"$A/~~/resource-lists/list/entry%5b@uri=%22sip:u$i@example.test%22%5d" > "$T/st.$i" &
	pids+=($!)
done
wait "${pids[@]}"
okc=$(cat "$T"/st.* | grep -Eo '20[01]' | wc -l)
busy=$(cat "$T"/st.* | grep -o '503' | wc -l)
xc_alice -o "$T/now" "$A"
stored=$(grep -o 'entry uri="sip:u[0-9]*@example.test"' "$T/now" | sort -u | wc -l)
check "unconditional concurrent writes: every success is stored ($okc ok, $busy busy, $stored stored)" \
	test "$stored" -eq "$okc" -a $((okc + busy)) -eq $N
check "most unconditional writes succeed" test "$okc" -ge $((N / 2))

check "daemon still running" kill -0 "$PD_PID"
check "daemon stops cleanly (exit 0)" pd_stop
pd_finish
