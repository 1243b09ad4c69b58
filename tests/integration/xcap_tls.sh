#!/bin/bash
# xcap_tls.sh - the TLS profile of the XCAP listener (TS 33.210 6.2,
# TS 33.222): TLS 1.2/1.3 only, AEAD suites only, no anonymous suites, a
# fatal alert and a log line for each refusal, session resumption (tickets)
# on TLS 1.3 and 1.2, one certificate per SNI host name, and no request
# served without authentication.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/xcap_lib.sh"
command -v gnutls-cli >/dev/null || { echo "SKIP: gnutls-cli missing"; exit 77; }

xcap_setup

# gcli PRIORITY [more gnutls-cli args]: one handshake, output in $T/gcli.out
gcli() {
	local prio=$1; shift
	echo | timeout 15 gnutls-cli --priority "$prio" --x509cafile "$T/ca.pem" \
		-p "$XCAP_PORT" "$@" 127.0.0.1 >"$T/gcli.out" 2>&1
}
refusals() { grep -c 'TLS handshake refused from 127.0.0.1' "$PD_LOG"; }

# 1. TLS 1.1 is refused with a fatal protocol_version alert, and logged.
n0=$(refusals)
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.1"
check "TLS 1.1 handshake fails" grep -q 'Fatal error' "$T/gcli.out"
check "TLS 1.1 gets a fatal protocol_version alert" \
	grep -q 'Received alert \[70\]' "$T/gcli.out"
pd_wait_log 'refused from 127.0.0.1: client offers at most TLS 1.1' 30
check "TLS 1.1 refusal is logged with its reason" test "$(refusals)" -gt "$n0"
if curl --help all 2>/dev/null | grep -q -- '--tls-max'; then
	check "curl --tls-max 1.1 is refused" \
		bash -c "! curl -sS --max-time 10 --tls-max 1.1 --cacert '$T/ca.pem' \
			https://127.0.0.1:$XCAP_PORT/ >/dev/null 2>&1"
fi
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.0"
check "TLS 1.0 is refused" grep -q 'Fatal error' "$T/gcli.out"

# 2. Anonymous key exchange is refused (it exists only up to TLS 1.2).
n0=$(refusals)
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ANON-ECDH:+ANON-DH"
check "anonymous suites are refused with a fatal handshake_failure alert" \
	grep -q 'Received alert \[40\]' "$T/gcli.out"
pd_wait_log 'refused from 127.0.0.1: no acceptable cipher suite' 30
check "anonymous refusal is logged" test "$(refusals)" -gt "$n0"
# A client that also allows TLS 1.3 gets TLS 1.3, authenticated by the
# server certificate: still never anonymous.
gcli "NORMAL:-KX-ALL:+ANON-ECDH:+ANON-DH"
if grep -q 'Handshake was completed' "$T/gcli.out"; then
	check "a TLS 1.3 fallback is certificate-authenticated" \
		grep -q 'Certificate type: X.509' "$T/gcli.out"
else
	check "anonymous-only client refused" grep -q 'Fatal error' "$T/gcli.out"
fi

# 3. Non-AEAD (CBC) and NULL suites are refused.
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:+CAMELLIA-128-CBC"
check "CBC-only client is refused" grep -q 'Fatal error' "$T/gcli.out"
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+NULL:+AES-128-CBC:-MAC-ALL:+SHA1:+SHA256:%COMPAT"
check "NULL-cipher client is refused" grep -q 'Fatal error' "$T/gcli.out"

# 4. What is negotiated: TLS 1.3 with an AEAD, or TLS 1.2 ECDHE + AEAD.
gcli "NORMAL"
check "default client gets TLS 1.3 + AEAD" \
	grep -Eq 'Description: \(TLS1.3[^)]*\).*\((AES-(128|256)-(GCM|CCM)|CHACHA20-POLY1305)\)' "$T/gcli.out"
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.2"
check "TLS 1.2 client gets ECDHE + AEAD" \
	grep -Eq 'Description: \(TLS1.2[^)]*\)-\(ECDHE[^)]*\).*\((AES-(128|256)-(GCM|CCM)|CHACHA20-POLY1305)\)' "$T/gcli.out"

# 5. Resumption (session tickets), TLS 1.3 and TLS 1.2.
gcli "NORMAL" --resume
check "TLS 1.3 session is resumed" grep -q 'This is a resumed session' "$T/gcli.out"
gcli "NORMAL:-VERS-ALL:+VERS-TLS1.2" --resume
check "TLS 1.2 session is resumed" grep -q 'This is a resumed session' "$T/gcli.out"

# 6. SNI: each host name gets its own certificate.
gcli "NORMAL" --sni-hostname "$XCAP_HOST2" --verify-hostname "$XCAP_HOST2"
check "SNI $XCAP_HOST2 gets its certificate" \
	grep -q "subject \`CN=$XCAP_HOST2'" "$T/gcli.out"
check "... and it verifies" grep -q 'Handshake was completed' "$T/gcli.out"
gcli "NORMAL" --sni-hostname "$XCAP_HOST" --verify-hostname "$XCAP_HOST"
check "SNI $XCAP_HOST gets the default certificate" \
	grep -q "subject \`CN=$XCAP_HOST'" "$T/gcli.out"
gcli "NORMAL" --disable-sni
check "no SNI: the default certificate" grep -q "subject \`CN=$XCAP_HOST'" "$T/gcli.out"

# 7. Never served unauthenticated: 401 with SHA-256 and MD5 challenges,
# for the global caps document, an unknown AUID and a garbage path alike.
expect_status "GET xcap-caps without credentials" 401 xc_anon "$XROOT/xcap-caps/global/index"
expect_status "unknown AUID without credentials" 401 xc_anon "$XROOT/nope/global/index"
expect_status "path outside the root without credentials" 401 xc_anon "https://$XCAP_HOST:$XCAP_PORT/etc/passwd"
xc_anon -D "$T/h" -o /dev/null "$XROOT/xcap-caps/global/index"
check "challenge offers SHA-256" grep -q 'WWW-Authenticate: Digest .*algorithm=SHA-256' "$T/h"
check "challenge offers MD5" grep -q 'WWW-Authenticate: Digest .*algorithm=MD5' "$T/h"
check "challenge has qop=auth" grep -q 'qop="auth"' "$T/h"
expect_status "wrong password" 401 xc_anon --digest -u alice@example.test:wrong "$XROOT/xcap-caps/global/index"
expect_status "unknown user" 401 xc_anon --digest -u eve@example.test:x "$XROOT/xcap-caps/global/index"
expect_status "Basic is not accepted" 401 xc_anon --basic -u alice@example.test:alicepw "$XROOT/xcap-caps/global/index"
expect_status "Digest as alice" 200 xc_alice "$XROOT/xcap-caps/global/index"
xc_alice -D "$T/h" -o /dev/null "$XROOT/xcap-caps/global/index"
check "success carries Authentication-Info rspauth" grep -q 'Authentication-Info: .*rspauth=' "$T/h"
# What an authenticator (GBA: NAF_Id) learns: the suite and its IANA code.
check "TLS 1.3 suite and its code reach the authenticator" \
	grep -Eq 'xcap: 127.0.0.1: TLS1.3 TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256) \(130[123]\)' "$PD_LOG"
xc_alice --tls-max 1.2 -o /dev/null "$XROOT/xcap-caps/global/index"
check "TLS 1.2 suite and its code reach the authenticator" \
	grep -Eq 'xcap: 127.0.0.1: TLS1.2 TLS_ECDHE_ECDSA_[A-Z0-9_]+ \(c0(2b|2c|ac|ad)|cca9\)' "$PD_LOG"

check "daemon still running" kill -0 "$PD_PID"
check "daemon stops cleanly (exit 0)" pd_stop
pd_finish
