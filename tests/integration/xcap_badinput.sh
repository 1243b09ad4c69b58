#!/bin/bash
# xcap_badinput.sh - hostile input to the XCAP server: oversized bodies
# (413, by Content-Length and chunked), overlong request-targets (414),
# malformed and non-UTF-8 XML, DOCTYPEs with external entities and the
# billion-laughs expansion, path traversal, broken node selectors and
# predicates, unknown AUIDs, bytes that are not TLS; the per-address
# connection limit and the idle timeout.  Each gets a clear status, the
# stored document never changes, and the daemon lives on.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/xcap_lib.sh"

xcap_setup -o xcap.max_body=64k -o xcap.max_uri=2k \
	-o xcap.max_connections_per_ip=4 -o xcap.connection_timeout=2
A="$XROOT/resource-lists/users/sip:alice@example.test/index"
RL=application/resource-lists+xml
NS='xmlns="urn:ietf:params:xml:ns:resource-lists"'
printf '<resource-lists %s><list name="keep"/></resource-lists>' "$NS" > "$T/doc"
check "create" test "$(xc_status xc_alice -X PUT -H "Content-Type: $RL" --data-binary @"$T/doc" "$A")" = 201
e0=$(xc_etag xc_alice "$A")

bad() { # bad DESC WANT BODYFILE [URL] [TYPE]
	local d=$1 want=$2 f=$3 u=${4:-$A} t=${5:-$RL} got
	got=$(xc_status xc_alice -X PUT -H "Content-Type: $t" --data-binary @"$f" "$u" 2>/dev/null)
	# A 413 comes before the body is read: a client still sending may see
	# a reset instead (000), which is the same refusal.
	[ "$want" = 413 ] && [ "$got" = 000 ] && got=413
	if [ "$got" = "$want" ]; then ok "$d ($got)"; else not_ok "$d: got $got, want $want"; fi
}

# --- sizes
head -c 200000 /dev/zero | tr '\0' a > "$T/big"
bad "body over xcap.max_body (Content-Length)" 413 "$T/big"
got=$(xc_status xc_alice -X PUT -H "Content-Type: $RL" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$A" 2>/dev/null)
check "chunked body over xcap.max_body -> 413 ($got)" test "$got" = 413 -o "$got" = 000
# The server answers 413 before reading the body and closes; depending on
# timing the client sees the 413 or a reset while it is still sending.
# Either is a refusal (000 is curl's code for "no response read").
got=$(xc_status xc_anon -X PUT -H "Content-Type: $RL" --data-binary @"$T/big" "$A" 2>/dev/null)
check "413 without credentials too, body never read ($got)" \
	test "$got" = 413 -o "$got" = 000
L=$(head -c 3000 /dev/zero | tr '\0' x)
expect_status "request-target over xcap.max_uri -> 414" 414 xc_alice "$A/$L"
L=$(head -c 60000 /dev/zero | tr '\0' x)
expect_status "request-target over the connection memory -> 414" 414 xc_alice "$A/$L"

# --- XML
printf '<resource-lists %s><list name="a">' "$NS" > "$T/b"
bad "unclosed element" 409 "$T/b"
printf '\xff\xfe<\x00r\x00' > "$T/b"
bad "UTF-16 / binary garbage" 409 "$T/b"
printf '<?xml version="1.0" encoding="ISO-8859-1"?><resource-lists %s><list name="caf\xe9"/></resource-lists>' "$NS" > "$T/b"
bad "non-UTF-8 encoding declared" 409 "$T/b"
{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE resource-lists [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>'
	echo "<resource-lists $NS><list name=\"&xxe;\"/></resource-lists>"
} > "$T/b"
bad "external entity (XXE)" 409 "$T/b"
{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE lolz ['
	echo ' <!ENTITY lol "lol">'
	prev=lol
	for i in 1 2 3 4 5 6 7 8 9; do
		printf ' <!ENTITY lol%s "' $i
		for j in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' $prev; done
		echo '">'
		prev=lol$i
	done
	echo ']>'
	echo "<resource-lists $NS><list name=\"&lol9;\"/></resource-lists>"
} > "$T/b"
bad "billion laughs" 409 "$T/b"
printf '<resource-lists %s><list name="a"/></resource-lists>trailing' "$NS" > "$T/b"
bad "content after the root" 409 "$T/b"
: > "$T/b"
bad "empty body" 409 "$T/b"
{
	printf '<resource-lists %s>' "$NS"
	for i in $(seq 1 3000); do printf '<list>'; done
	for i in $(seq 1 3000); do printf '</list>'; done
	printf '</resource-lists>'
} > "$T/b"
bad "3000 nested lists" 409 "$T/b"

# --- URIs and selectors (after authentication)
for u in \
	"$XROOT/resource-lists/users/sip:alice@example.test/../sip:bob@example.test/index" \
	"$XROOT/resource-lists/users/sip:alice@example.test/%2e%2e/%2e%2e/global/index" \
	"$XROOT/resource-lists/users/sip:alice@example.test/..%2f..%2fetc%2fpasswd" \
	"$XROOT/resource-lists/users/sip:alice@example.test/ind%00ex" \
	"$XROOT/../etc/passwd" \
	"$XROOT/resource-lists/users/sip:alice@example.test/"; do
	got=$(xc_status xc_alice --path-as-is "$u")
	case $got in
	400|403|404) ok "traversal/odd path refused ($got): ${u#"$XROOT"}";;
	*) not_ok "traversal/odd path: got $got for ${u#"$XROOT"}";;
	esac
done
expect_status "unknown AUID -> 404" 404 xc_alice "$XROOT/evil-auid/users/sip:alice@example.test/index"
expect_status "unbalanced bracket -> 400" 400 xc_alice "$A/~~/resource-lists/list%5b@name=%22keep%22"
expect_status "unbalanced quote -> 400" 400 xc_alice "$A/~~/resource-lists/list%5b@name=%22keep%5d"
expect_status "bad predicate (unquoted value) -> 400" 400 xc_alice "$A/~~/resource-lists/list%5b@name=keep%5d"
expect_status "bad predicate (position 0) -> 400" 400 xc_alice "$A/~~/resource-lists/list%5b0%5d"
expect_status "empty step -> 400" 400 xc_alice "$A/~~/resource-lists//list"
expect_status "unknown prefix -> 400" 400 xc_alice "$A/~~/nope:resource-lists"
expect_status "PUT through a broken selector -> 400" 400 xc_alice -X PUT \
	-H 'Content-Type: application/xcap-el+xml' --data-binary '<list name="x"/>' \
	"$A/~~/resource-lists/list%5b@name=%22x%22"

# --- bytes that are not TLS, and HTTP on the HTTPS port
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' |
	timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$XCAP_PORT" 2>/dev/null
head -c 4096 /dev/urandom |
	timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$XCAP_PORT" 2>/dev/null
check "plain HTTP on the HTTPS port gets no answer" \
	bash -c "! curl -sS --max-time 5 http://127.0.0.1:$XCAP_PORT/ >/dev/null 2>&1"

# --- connection limits: four idle connections fill this address's quota
exec 5<>/dev/tcp/127.0.0.1/"$XCAP_PORT" 6<>/dev/tcp/127.0.0.1/"$XCAP_PORT" \
	7<>/dev/tcp/127.0.0.1/"$XCAP_PORT" 8<>/dev/tcp/127.0.0.1/"$XCAP_PORT"
check "a fifth connection from the same address is refused" \
	bash -c "! curl -sS --max-time 5 --cacert '$T/ca.pem' https://127.0.0.1:$XCAP_PORT/ >/dev/null 2>&1"
exec 5>&- 6>&- 7>&- 8>&-
sleep 1
expect_status "after they close, connections are accepted again" 200 xc_alice "$A"
# --- an idle connection is closed after xcap.connection_timeout (2 s)
exec 5<>/dev/tcp/127.0.0.1/"$XCAP_PORT"
sleep 3.5
timeout 2 cat <&5 >/dev/null 2>&1
rc=$?
exec 5>&-
check "idle connection closed by the server after the timeout (rc $rc)" test "$rc" != 124

# --- nothing was half-written, and the server still serves
check "document unchanged after every refused write" test "$(xc_etag xc_alice "$A")" = "$e0"
xc_alice -o "$T/now" "$A"
check "document content intact" grep -q 'name="keep"' "$T/now"
check "daemon still running" kill -0 "$PD_PID"
expect_status "and still serving" 200 xc_alice "$A"
check "daemon stops cleanly (exit 0)" pd_stop
pd_finish
