#!/usr/bin/env bash
# sip_publish.sh - PUBLISH (RFC 3903) against the real daemon: initial,
# refresh, modify, remove, 412 for an unknown or removed ETag, 415, 400
# for malformed XML and for a DOCTYPE, expiry of a publication, 403 for a
# publisher that is not the presentity; every change reaches the watcher.
. "$(dirname "$0")/sip_common.sh"

CONF="$T/presenced.conf"
sip_conf "$CONF" "default_policy = allow" "trusted_peers = 127.0.0.1" \
	"min_expires = 1"
provision alice@example.test sip:alice@example.test secret
W="P-Asserted-Identity: <sip:bob@example.test>"
P="P-Asserted-Identity: <sip:alice@example.test>"
if pd_start "$CONF"; then ok "presenced starts"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi

check "publish lifecycle seen by a watcher (sipp)" \
	sipp_run pub "$SIPP_DIR/publish.xml" "alice@example.test;bob@example.test;$W;$P"
check "initial PUBLISH: 200 with SIP-ETag and Expires" bash -c \
	"grep -q '^SIP-ETag: ' '$T/pub.msg' && grep -q '^Expires: 600' '$T/pub.msg'"
check "each ETag is new (refresh and modify issue new ones)" \
	test "$(grep '^SIP-ETag: ' "$T/pub.msg" | sort -u | wc -l)" -ge 3
check "unknown ETag: 412" msg_has pub '^SIP/2.0 412 '
check "not PIDF: 415 with Accept" bash -c \
	"grep -q '^SIP/2.0 415 ' '$T/pub.msg' && grep -q '^Accept: application/pidf+xml' '$T/pub.msg'"
check "malformed XML: 400 with a reason" msg_has pub '^SIP/2.0 400 Invalid PIDF'
check "DOCTYPE: 400" msg_has pub '^SIP/2.0 400 Invalid PIDF: DOCTYPE'
check "publication expiry notifies the watcher" \
	sipp_run pubexp "$SIPP_DIR/publish_expire.xml" "alice@example.test;bob@example.test;$W;$P;2"
check "only the presentity may publish: 403" \
	probe pub403 403 PUBLISH alice@example.test "Event: presence" "$W"
check "PUBLISH for another event: 489" \
	probe pub489 489 PUBLISH alice@example.test "Event: dialog" "$P"
check "initial PUBLISH without a body: 400" \
	probe pub400 400 PUBLISH alice@example.test "Event: presence" "$P"
pd_finish
