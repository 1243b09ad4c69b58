#!/usr/bin/env bash
# sip_winfo.sh - presence.winfo (RFC 3857/3858): the presentity watches
# its watchers (full state, then partial: subscribed/pending, then giveup
# when the pending subscription expires), versions count up, and nobody
# else may subscribe to its watcher list.
. "$(dirname "$0")/sip_common.sh"

CONF="$T/presenced.conf"
sip_conf "$CONF" "default_policy = confirm" "trusted_peers = 127.0.0.1" \
	"min_expires = 1"
provision alice@example.test sip:alice@example.test secret
OWNER="P-Asserted-Identity: <sip:alice@example.test>"
if pd_start "$CONF"; then ok "presenced starts"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi

sipp_bg winfo "$SIPP_DIR/winfo.xml" "alice@example.test;;$OWNER"
check "the presentity's winfo subscription is accepted" pd_wait_log 'winfo subscription sip:alice@example.test'
check "a watcher subscribes (confirm: pending)" \
	sipp_run carol "$SIPP_DIR/subscribe_once.xml" \
	"alice@example.test;carol@example.test;P-Asserted-Identity: <sip:carol@example.test>;2"
check "its NOTIFY is pending" msg_has carol '^Subscription-State: pending'
wait "$SIPP_BG_PID"; rc=$?
check "winfo: full state, then subscribed/pending, then giveup (sipp)" test "$rc" -eq 0
check "watcherinfo documents are versioned 0, 1, 2" bash -c \
	"grep -o 'version=\"[0-9]*\" state' '$T/winfo.msg' | tr -d '\n' | grep -q 'version=\"0\" stateversion=\"1\" stateversion=\"2\" state'"
check "the documents are application/watcherinfo+xml" msg_has winfo '^Content-Type: application/watcherinfo\+xml'
check "another watcher may not see alice's watchers: 403" \
	probe winfo403 403 SUBSCRIBE alice@example.test "Event: presence.winfo" \
	"P-Asserted-Identity: <sip:carol@example.test>"
pd_finish
