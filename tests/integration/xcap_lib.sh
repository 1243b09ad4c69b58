# tests/integration/xcap_lib.sh - helpers for the XCAP integration tests,
# on top of lib.sh: a throwaway CA and server certificates (certtool), a
# daemon configuration with the XCAP listener, two provisioned users, and
# curl wrappers that speak HTTPS + Digest to it.  Sourced by xcap_*.sh.

. "$top_srcdir/tests/integration/lib.sh"

command -v certtool >/dev/null || { echo "SKIP: certtool (gnutls-bin) missing"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

XCAP_HOST=xcap.example.test
XCAP_HOST2=xcap2.example.test

# xcap_certs: CA, a server certificate for XCAP_HOST (ECDSA) and one for
# XCAP_HOST2 (RSA, served by SNI), all valid for two days, under $T.
xcap_certs() {
	cat > "$T/ca.tmpl" <<EOF
cn = "presenced test CA"
ca
cert_signing_key
expiration_days = 2
EOF
	cat > "$T/srv.tmpl" <<EOF
cn = "$XCAP_HOST"
dns_name = "$XCAP_HOST"
dns_name = "localhost"
ip_address = "127.0.0.1"
tls_www_server
signing_key
encryption_key
expiration_days = 2
EOF
	cat > "$T/srv2.tmpl" <<EOF
cn = "$XCAP_HOST2"
dns_name = "$XCAP_HOST2"
tls_www_server
signing_key
encryption_key
expiration_days = 2
EOF
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/ca.key" 2>/dev/null &&
	certtool --generate-self-signed --load-privkey "$T/ca.key" \
		--template "$T/ca.tmpl" --outfile "$T/ca.pem" 2>/dev/null &&
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/srv.key" 2>/dev/null &&
	certtool --generate-certificate --load-privkey "$T/srv.key" \
		--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/srv.tmpl" --outfile "$T/srv.pem" 2>/dev/null &&
	certtool --generate-privkey --key-type=rsa --bits=2048 \
		--outfile "$T/srv2.key" 2>/dev/null &&
	certtool --generate-certificate --load-privkey "$T/srv2.key" \
		--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/srv2.tmpl" --outfile "$T/srv2.pem" 2>/dev/null
}

# xcap_setup [presenced -o options...]: certificates, config, users alice
# (two IMPUs) and bob, then start the daemon.  Sets XCAP_PORT, XROOT.
xcap_setup() {
	xcap_certs || { echo "cannot make certificates"; exit 99; }
	pd_conf "$T/pd.conf"
	cat >> "$T/pd.conf" <<EOF
[xcap]
threads = 4
[tls]
cert = $T/srv.pem
key = $T/srv.key
sni = $XCAP_HOST2:$T/srv2.pem:$T/srv2.key
EOF
	local k=00112233445566778899aabbccddeeff
	local opc=62e75b8d6fa5bf46ec87a9276f9df54d
	"$PRESENCECTL" -c "$T/pd.conf" subscriber add --impi alice@example.test \
		--impu sip:alice@example.test --impu tel:+15551234 \
		--k $k --opc $opc --password alicepw >/dev/null &&
	"$PRESENCECTL" -c "$T/pd.conf" subscriber add --impi bob@example.test \
		--impu sip:bob@example.test --k $k --opc $opc \
		--password bobpw >/dev/null || { echo "cannot provision"; exit 99; }
	pd_start "$T/pd.conf" "$@" || { echo "presenced did not start"; cat "$PD_LOG"; exit 99; }
	XROOT="https://$XCAP_HOST:$XCAP_PORT/xcap-root"
}

# Plain HTTPS to the server (no credentials).
xc_anon() {
	curl -sS --max-time 20 --cacert "$T/ca.pem" \
		--resolve "$XCAP_HOST:$XCAP_PORT:127.0.0.1" "$@"
}
# As alice / bob (HTTP Digest).
xc_alice() { xc_anon --digest -u alice@example.test:alicepw "$@"; }
xc_bob() { xc_anon --digest -u bob@example.test:bobpw "$@"; }

# xc_status CURLFN ARGS...: print the final HTTP status only.
xc_status() { local f=$1; shift; "$f" -o /dev/null -w '%{http_code}' "$@"; }

# xc_etag CURLFN URL: the ETag of a GET (unquoted), "" if none.
xc_etag() {
	local f=$1; shift
	"$f" -D - -o /dev/null "$@" | tr -d '\r' |
		sed -n 's/^[Ee][Tt][Aa][Gg]: *"\(.*\)"$/\1/p' | tail -1
}

# expect_status DESC EXPECTED CURLFN ARGS...
expect_status() {
	local d=$1 want=$2; shift 2
	local got
	got=$(xc_status "$@")
	if [ "$got" = "$want" ]; then ok "$d ($got)"; else not_ok "$d: got $got, want $want"; fi
}
