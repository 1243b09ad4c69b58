#!/usr/bin/env bash
# sip_identity.sh - watcher identity (TS 33.141 clause 4): Digest challenge
# (401 WWW-Authenticate) and retry with sipp's [authentication], a wrong
# password, P-Asserted-Identity from a trusted peer (127.0.0.1 in
# sip.trusted_peers) and from an untrusted one (another address), and the
# refusal of anonymous watchers when sip.allow_anonymous is off.
. "$(dirname "$0")/sip_common.sh"

CONF="$T/presenced.conf"
# sipp answers MD5 challenges only; SHA-256 is covered by check_sip_identity.
sip_conf "$CONF" "default_policy = allow" "allow_anonymous = no" \
	"digest_algorithms = MD5" "trusted_peers = 127.0.0.1"
provision alice@example.test sip:alice@example.test secret
# bob (and two more) come from a bulk CSV import, in one transaction
printf 'impi,impu,k,opc,password\nbob@example.test,sip:bob@example.test tel:+15550001,%s,%s,bobpass\nc1@example.test,sip:c1@example.test,%s,%s\n' \
	"$K" "$OPC" "$K" "$OPC" > "$T/subs.csv"
check "presencectl subscriber import" bash -c \
	"'$PRESENCECTL' -c '$CONF' subscriber import '$T/subs.csv' | grep -q 'imported 2 subscribers'"
printf 'd1@example.test,sip:d1@example.test,%s,%s\nbroken line\n' "$K" "$OPC" > "$T/bad.csv"
"$PRESENCECTL" -c "$CONF" subscriber import "$T/bad.csv" >"$T/bad.out" 2>&1; rc=$?
check "a bad line fails the import with FILE:LINE" bash -c "[ $rc -eq 1 ] && grep -q 'bad.csv:2:' '$T/bad.out'"
check "... and nothing of it is kept" bash -c \
	"! '$PRESENCECTL' -c '$CONF' subscriber show d1@example.test >/dev/null 2>&1"
if pd_start "$CONF"; then ok "presenced starts"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi

check "Digest: 401, retry with credentials, 200 and NOTIFY" \
	sipp_run dig "$SIPP_DIR/digest.xml" "alice@example.test;bob@example.test;;" -au bob@example.test -ap bobpass -auth_uri alice@example.test
check "the 401 carries WWW-Authenticate with qop=auth, MD5" \
	msg_has dig '^WWW-Authenticate: Digest realm="example.test", qop="auth", algorithm=MD5'
check "the watcher is the authenticated identity" \
	grep -q "subscription sip:bob@example.test -> sip:alice@example.test" "$PD_LOG"
check "wrong password: 401 again" \
	sipp_run digbad "$SIPP_DIR/digest_bad.xml" "alice@example.test;bob@example.test;;" -au bob@example.test -ap wrong -auth_uri alice@example.test
check "the refusal is logged without secrets" bash -c \
	"grep -q 'Digest for bob@example.test refused: bad-response' '$PD_LOG' && ! grep -q bobpass '$PD_LOG'"

# Trusted peer: P-Asserted-Identity is the identity, no challenge.
check "trusted P-Asserted-Identity: 200 without a challenge" \
	sipp_run paitrust "$SIPP_DIR/subscribe_once.xml" \
	"alice@example.test;mallory@example.test;P-Asserted-Identity: <sip:carol@example.test>;60"
check "... and the watcher is the asserted identity, not the From" \
	grep -q "subscription sip:carol@example.test -> sip:alice@example.test" "$PD_LOG"

# Untrusted peer (127.0.0.1 is no longer in the list): the header is
# ignored; mallory is not provisioned and anonymity is off -> challenged.
sed -i 's/^trusted_peers = 127.0.0.1$/trusted_peers = 192.0.2.1 2001:db8::\/32/' "$CONF"
kill -HUP "$PD_PID"; pd_wait_log 'sip: settings reloaded' >/dev/null
check "untrusted P-Asserted-Identity is ignored: 401" \
	probe paiuntrust 401 SUBSCRIBE alice@example.test "Event: presence" \
	"P-Asserted-Identity: <sip:carol@example.test>"
check "no anonymous watchers when sip.allow_anonymous = no: 401" \
	probe anon 401 SUBSCRIBE alice@example.test "Event: presence"
check "PUBLISH is authenticated too: 401" \
	probe pub401 401 PUBLISH alice@example.test "Event: presence"
pd_finish
