#!/usr/bin/env bash
# sip_restart.sh - restart-safe state (docs/durability.md): a subscription
# answered 200 survives kill -9 and SIGTERM, and keeps getting NOTIFYs in
# the same dialog with increasing CSeq; a subscription that expired while
# the daemon was down is dropped at start.
. "$(dirname "$0")/sip_common.sh"

CONF="$T/presenced.conf"
sip_conf "$CONF" "default_policy = allow" "trusted_peers = 127.0.0.1" \
	"min_expires = 1"
provision alice@example.test sip:alice@example.test secret
W="P-Asserted-Identity: <sip:bob@example.test>"
P="P-Asserted-Identity: <sip:alice@example.test>"
if pd_start "$CONF"; then ok "presenced starts"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi

sipp_bg persist "$SIPP_DIR/persist.xml" "alice@example.test;bob@example.test;$W"
check "the long subscription is accepted" pd_wait_log 'presence subscription sip:bob@example.test'
check "a short one too (Expires 2)" \
	sipp_run short "$SIPP_DIR/subscribe_once.xml" \
	"alice@example.test;carol@example.test;P-Asserted-Identity: <sip:carol@example.test>;2"
for i in $(seq 1 50); do grep -q '^NOTIFY ' "$T/persist.msg" 2>/dev/null && break; sleep 0.1; done

pd_stop KILL
sleep 2.5   # the short subscription expires while the daemon is down
if pd_start "$CONF"; then ok "restarts after kill -9"; else not_ok "restarts after kill -9"; cat "$PD_LOG"; fi
check "one subscription restored, the expired one dropped" \
	grep -qE 'restored 1 subscriptions and publications, dropped 1 expired' "$PD_LOG"
check "a PUBLISH after kill -9" sipp_run p1 "$SIPP_DIR/publish_once.xml" "alice@example.test;;$P;after-kill"

for i in $(seq 1 50); do [ "$(notify_cseqs persist | wc -l)" -ge 2 ] && break; sleep 0.1; done
check "SIGTERM stops it" pd_stop TERM
if pd_start "$CONF"; then ok "restarts after SIGTERM"; else not_ok "restarts after SIGTERM"; cat "$PD_LOG"; fi
check "a PUBLISH after SIGTERM" sipp_run p2 "$SIPP_DIR/publish_once.xml" "alice@example.test;;$P;after-term"
wait "$SIPP_BG_PID"; rc=$?
check "the watcher got all three NOTIFYs (sipp)" test "$rc" -eq 0
cs=$(notify_cseqs persist | tr '\n' ' ')
check "CSeq increases across restarts ($cs)" bash -c \
	"set -- $cs; [ \$# -eq 3 ] && [ \$1 -lt \$2 ] && [ \$2 -lt \$3 ]"
check "one dialog: the same From tag and Call-ID in every NOTIFY" bash -c \
	"[ \$(awk '/^NOTIFY /{n=1} n && /^(From|Call-ID):/{print} /^$/{n=0}' '$T/persist.msg' | sort -u | wc -l) -eq 2 ]"
pd_finish
