#!/usr/bin/env bash
# sip_tls.sh - a TLS listener (sip.listen "tls:addr:port" with tls.cert and
# tls.key): OPTIONS over TLS is answered; a TLS listener without a
# certificate is refused at start.
. "$(dirname "$0")/sip_common.sh"
command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }

# Sofia's TLS transport never frees OpenSSL's context and global state:
# under --enable-sanitizers, LeakSanitizer is told so (not our leak).
printf 'leak:libcrypto.so\nleak:libssl.so\n' > "$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

CONF="$T/presenced.conf"
sip_conf "$CONF"
PD_NEXT_PORT=$((SIP_PORT + 1))   # $(pd_port) runs in a subshell: step past SIP_PORT
TLS_PORT=$(pd_port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1
sed -i "s|^listen = udp:127.0.0.1:$SIP_PORT tcp:127.0.0.1:$SIP_PORT\$|& tls:127.0.0.1:$TLS_PORT|" "$CONF"
cp "$CONF" "$T/nocert.conf"
printf '[tls]\ncert = %s\nkey = %s\n' "$T/cert.pem" "$T/key.pem" >> "$CONF"

if pd_start "$T/nocert.conf"; then not_ok "a TLS listener without a certificate is refused"; pd_stop
else ok "a TLS listener without a certificate is refused"; fi
check "... and the log says why" grep -q "needs tls.cert and tls.key" "$PD_LOG"

if pd_start "$CONF"; then ok "presenced starts with a TLS listener"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi
check "the TLS listener is logged" grep -q "sip: listening on tls:127.0.0.1:$TLS_PORT" "$PD_LOG"
printf 'OPTIONS sip:alice@example.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;rport;branch=z9hG4bK-tls1\r\nFrom: <sip:x@example.test>;tag=1\r\nTo: <sip:alice@example.test>\r\nCall-ID: tls1@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' > "$T/options.txt"
timeout 5 openssl s_client -connect "127.0.0.1:$TLS_PORT" -quiet < "$T/options.txt" > "$T/tls.out" 2>/dev/null
check "OPTIONS over TLS: 200" grep -q '^SIP/2.0 200 OK' "$T/tls.out"
check "SIGTERM stops it" pd_stop TERM
pd_finish
