#!/usr/bin/env bash
# sip_subscribe.sh - SUBSCRIBE/NOTIFY for "presence" against the real
# daemon with sipp: OPTIONS, subscribe/refresh/unsubscribe in one dialog,
# fetch, expiry, policy decisions (allow, confirm, polite-block, block via
# SIGHUP), and the error answers (489, 406, 423, 404, 405, 481).
. "$(dirname "$0")/sip_common.sh"

CONF="$T/presenced.conf"
sip_conf "$CONF" "default_policy = allow" "allow_anonymous = yes" \
	"min_expires = 1"
provision alice@example.test sip:alice@example.test secret
TRUST="P-Asserted-Identity: <sip:bob@example.test>"
if pd_start "$CONF"; then ok "presenced starts"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi
check "each listener is logged" grep -q "sip: listening on udp:127.0.0.1:$SIP_PORT" "$PD_LOG"

# OPTIONS (RFC 3261 11.2)
check "OPTIONS -> 200" probe options 200 OPTIONS alice@example.test
check "... with Allow, Allow-Events and Accept" bash -c \
	"grep -q '^Allow: .*SUBSCRIBE' '$T/options.msg' && grep -q '^Allow-Events: presence' '$T/options.msg' && grep -q '^Accept: application/pidf+xml' '$T/options.msg'"

# subscribe, refresh, unsubscribe in one dialog
check "subscribe, refresh, unsubscribe (sipp)" \
	sipp_run sub "$SIPP_DIR/subscribe.xml" "alice@example.test;carol@example.test;;"
check "three NOTIFYs with CSeq 1 2 3" test "$(notify_cseqs sub | tr '\n' ' ')" = "1 2 3 "
check "every NOTIFY is in the dialog (one From tag)" \
	test "$(awk '/^NOTIFY /{n=1} n && /^From:/{print; n=0}' "$T/sub.msg" | sort -u | wc -l)" -eq 1
check "the anonymous watcher is logged as such (not the From)" \
	grep -q "subscription sip:anonymous@anonymous.invalid -> sip:alice@example.test" "$PD_LOG"

# route set (RFC 3261 12.1.1): NOTIFYs follow the Record-Route (here a
# "proxy" that is the watcher itself, loose routing)
check "SUBSCRIBE with Record-Route" \
	sipp_run rr "$SIPP_DIR/subscribe_rr.xml" "alice@example.test;carol@example.test;;60"
check "the NOTIFY carries the route set" msg_has rr "^Route: <sip:127.0.0.1:[0-9]+;lr;rrtest=1>"
check "the 200 echoes Record-Route" bash -c \
	"awk '/^SIP\/2.0 200/{n=1} n' '$T/rr.msg' | grep -q '^Record-Route: '"

# TCP: SUBSCRIBE over TCP, NOTIFY back
check "SUBSCRIBE over TCP, NOTIFY over TCP" \
	sipp_run tcp "$SIPP_DIR/subscribe_once.xml" "alice@example.test;carol@example.test;;60" -t t1
check "... the NOTIFY came over TCP" msg_has tcp '^Via: SIP/2.0/TCP'

# fetch (RFC 6665 4.4.3)
check "fetch: Expires 0 -> 200 and one NOTIFY" \
	sipp_run fetch "$SIPP_DIR/subscribe_once.xml" "alice@example.test;carol@example.test;;0"
check "fetch NOTIFY is terminated;reason=timeout" msg_has fetch '^Subscription-State: terminated;reason=timeout'
check "fetch NOTIFY carries the document" msg_has fetch '^Content-Type: application/pidf\+xml'
check "fetch 200 says Expires: 0" msg_has fetch '^Expires: 0'

# expiry without refresh (RFC 6665 4.1.3): NOTIFY terminated;timeout
check "expiry sends terminated;reason=timeout" \
	sipp_run expire "$SIPP_DIR/expire.xml" "alice@example.test;carol@example.test;;2"

# no trusted peer configured: P-Asserted-Identity is ignored
check "untrusted P-Asserted-Identity is ignored (anonymous)" \
	sipp_run pai "$SIPP_DIR/subscribe_once.xml" "alice@example.test;mallory@example.test;$TRUST;60"
check "... logged as anonymous" grep -q "subscription sip:anonymous@anonymous.invalid" "$PD_LOG"

# error answers
check "unknown event -> 489" probe e489 489 SUBSCRIBE alice@example.test "Event: dialog"
check "... with Allow-Events" msg_has e489 '^Allow-Events: presence'
check "no Event header -> 489" probe e489b 489 SUBSCRIBE alice@example.test
check "Accept without PIDF -> 406" probe e406 406 SUBSCRIBE alice@example.test "Event: presence" "Accept: text/plain"
sed -i 's/^min_expires = 1$/min_expires = 30/' "$CONF"; kill -HUP "$PD_PID"; pd_wait_log 'sip: settings reloaded' >/dev/null
check "Expires below sip.min_expires -> 423 (after SIGHUP)" probe e423b 423 SUBSCRIBE alice@example.test "Event: presence" "Expires: 10"
check "... with Min-Expires: 30" msg_has e423b '^Min-Expires: 30'
check "unknown user -> 404" probe e404 404 SUBSCRIBE nobody@example.test "Event: presence"
check "foreign domain -> 404" probe e404b 404 SUBSCRIBE alice@foreign.test "Event: presence"
check "unsupported method -> 405" probe e405 405 MESSAGE alice@example.test
check "... with Allow" msg_has e405 '^Allow: .*PUBLISH'
check "refresh of an unknown dialog -> 481" bash -c \
	"sed -e 's|^      To: <sip:@RURI@>|      To: <sip:@RURI@>;tag=nosuchtag|' '$SIPP_DIR/probe.xml.in' > '$T/probe481.in'"
SIPP_DIR_SAVE=$SIPP_DIR
mkdir -p "$T/p481"; cp "$T/probe481.in" "$T/p481/probe.xml.in"; SIPP_DIR="$T/p481"
check "refresh of an unknown dialog -> 481 (sipp)" probe e481 481 SUBSCRIBE alice@example.test "Event: presence"
SIPP_DIR=$SIPP_DIR_SAVE

# policy: polite-block (RFC 5025 3.2.1): active, a neutral document
sed -i 's/^default_policy = allow$/default_policy = polite-block/' "$CONF"; kill -HUP "$PD_PID"
pd_wait_log 'default policy polite-block' >/dev/null
check "polite-block: subscription accepted" \
	sipp_run polite "$SIPP_DIR/subscribe_once.xml" "alice@example.test;carol@example.test;;60"
check "polite-block: active with a neutral document" bash -c \
	"grep -q '^Subscription-State: active' '$T/polite.msg' && grep -q '<tuple id=\"neutral\">' '$T/polite.msg'"
# confirm: pending and no document (RFC 3856 6.6.1)
sed -i 's/^default_policy = polite-block$/default_policy = confirm/' "$CONF"; kill -HUP "$PD_PID"
pd_wait_log 'default policy confirm' >/dev/null
check "confirm: subscription accepted" \
	sipp_run confirm "$SIPP_DIR/subscribe_once.xml" "alice@example.test;dave@example.test;;60"
check "confirm: pending, no body" bash -c \
	"grep -q '^Subscription-State: pending;expires=' '$T/confirm.msg' && ! awk '/^NOTIFY /{n=1} n' '$T/confirm.msg' | grep -q '^Content-Type:'"
# block: 403 (RFC 5025 3.2.1, RFC 3856 6.6)
sed -i 's/^default_policy = confirm$/default_policy = block/' "$CONF"; kill -HUP "$PD_PID"
pd_wait_log 'default policy block' >/dev/null
check "block: SUBSCRIBE -> 403" probe e403 403 SUBSCRIBE alice@example.test "Event: presence"

check "still serving after all that" probe options2 200 OPTIONS alice@example.test
check "SIGTERM stops it cleanly" pd_stop TERM
pd_finish
