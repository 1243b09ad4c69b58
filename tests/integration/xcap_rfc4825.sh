#!/bin/bash
# xcap_rfc4825.sh - RFC 4825 over HTTPS against the real daemon: document
# and node GET/PUT/DELETE, strong ETags on every answer, If-Match /
# If-None-Match (412, 304), MIME types, every 409 condition the engine
# knows, authorization (own IMPUs only, global read-only), the composed
# rls-services index, xcap-caps, the audit trail and the change event.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/xcap_lib.sh"

# alice plays the list server that may read the rls-services index.
xcap_setup -o xcap.rls_index_readers=alice@example.test
A="$XROOT/resource-lists/users/sip:alice@example.test/index"
RL=application/resource-lists+xml
NS='xmlns="urn:ietf:params:xml:ns:resource-lists"'
doc1="<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<resource-lists $NS><list name=\"friends\"><entry uri=\"sip:bob@example.test\"><display-name>Bob</display-name></entry></list></resource-lists>"

put() { # put CURLFN URL TYPE BODY [curl args]: status
	local f=$1 u=$2 t=$3 b=$4; shift 4
	printf '%s' "$b" > "$T/body"
	xc_status "$f" -X PUT -H "Content-Type: $t" --data-binary @"$T/body" "$@" "$u"
}
has_409() { # has_409 DESC ELEMENT CURLFN ARGS...: 409 with <ELEMENT> body
	local d=$1 el=$2; shift 2
	local f=$1; shift
	local code
	code=$("$f" -o "$T/err" -D "$T/errh" -w '%{http_code}' "$@")
	if [ "$code" = 409 ] && grep -q "<$el" "$T/err" &&
	   grep -qi 'Content-Type: application/xcap-error+xml' "$T/errh"; then
		ok "409 <$el>: $d"
	else
		not_ok "409 <$el>: $d (got $code: $(head -c 300 "$T/err"))"
	fi
}
put409() { # put409 DESC ELEMENT URL TYPE BODY
	printf '%s' "$5" > "$T/body"
	has_409 "$1" "$2" xc_alice -X PUT -H "Content-Type: $4" --data-binary @"$T/body" "$3"
}

# --- create, ETag, MIME types
check "new document: 201" test "$(put xc_alice "$A" $RL "$doc1")" = 201
e1=$(xc_etag xc_alice "$A")
check "GET gives a strong quoted ETag" test -n "$e1"
xc_alice -D "$T/h" -o "$T/got" "$A"
check "document MIME type" grep -qi "Content-Type: $RL" "$T/h"
check "document body round-trips" grep -q 'name="friends"' "$T/got"
EL="$A/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:bob@example.test%22%5d"
xc_alice -D "$T/h" -o "$T/got" "$EL"
check "element GET: application/xcap-el+xml" grep -qi 'Content-Type: application/xcap-el+xml' "$T/h"
check "element GET carries the document ETag" grep -q "ETag: \"$e1\"" "$T/h"
xc_alice -D "$T/h" -o "$T/got" "$A/~~/resource-lists/list%5b@name=%22friends%22%5d/@name"
check "attribute GET: application/xcap-att+xml" grep -qi 'Content-Type: application/xcap-att+xml' "$T/h"
check "attribute value" grep -qx 'friends' "$T/got"
xc_alice -D "$T/h" -o "$T/got" "$A/~~/resource-lists/namespace::*"
check "namespace GET: application/xcap-ns+xml" grep -qi 'Content-Type: application/xcap-ns+xml' "$T/h"

# --- conditional requests (RFC 4825 7.11, RFC 9110 13)
expect_status "GET If-None-Match current -> 304" 304 xc_alice -H "If-None-Match: \"$e1\"" "$A"
expect_status "GET If-None-Match * -> 304" 304 xc_alice -H "If-None-Match: *" "$A"
expect_status "GET If-None-Match other -> 200" 200 xc_alice -H 'If-None-Match: "nope"' "$A"
expect_status "GET If-Match other -> 412" 412 xc_alice -H 'If-Match: "nope"' "$A"
xc_alice -D "$T/h" -o /dev/null -H "If-None-Match: \"$e1\"" "$A"
check "304 carries the ETag" grep -q "ETag: \"$e1\"" "$T/h"
check "PUT If-None-Match * on an existing document -> 412" \
	test "$(put xc_alice "$A" $RL "$doc1" -H 'If-None-Match: *')" = 412
check "PUT If-Match stale -> 412" \
	test "$(put xc_alice "$A" $RL "$doc1" -H 'If-Match: "stale"')" = 412
check "PUT If-Match weak W/ never matches (strong comparison) -> 412" \
	test "$(put xc_alice "$A" $RL "$doc1" -H "If-Match: W/\"$e1\"")" = 412
check "PUT If-Match current -> 200" \
	test "$(put xc_alice "$A" $RL "$doc1" -H "If-Match: \"$e1\"")" = 200
e2=$(xc_etag xc_alice "$A")
check "ETag changes on every write" test -n "$e2" -a "$e2" != "$e1"
expect_status "DELETE If-Match old -> 412" 412 xc_alice -X DELETE -H "If-Match: \"$e1\"" "$A"
B2="$XROOT/resource-lists/users/sip:alice@example.test/other"
check "If-Match * on a missing document -> 412" \
	test "$(put xc_alice "$B2" $RL "$doc1" -H 'If-Match: *')" = 412
check "If-None-Match * creates -> 201" \
	test "$(put xc_alice "$B2" $RL "$doc1" -H 'If-None-Match: *')" = 201

# --- node PUT/DELETE
E2="$A/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:carol@example.test%22%5d"
xc_alice -D "$T/h" -o /dev/null -X PUT -H 'Content-Type: application/xcap-el+xml' \
	--data-binary '<entry uri="sip:carol@example.test"/>' "$E2"
check "element PUT creates: 201 with a new ETag" grep -q '^HTTP/1.1 201' "$T/h"
check "... new ETag in the answer" grep -q 'ETag: "' "$T/h"
expect_status "element DELETE" 200 xc_alice -X DELETE "$E2"
expect_status "deleted element is gone" 404 xc_alice "$E2"
check "attribute PUT" test "$(put xc_alice "$A/~~/resource-lists/list%5b@name=%22friends%22%5d/entry%5b@uri=%22sip:bob@example.test%22%5d/@uri" \
	application/xcap-att+xml 'sip:bob@example.test')" = 200

# --- every 409 condition
e2=$(xc_etag xc_alice "$A")
put409 "truncated XML" not-well-formed "$A" $RL '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list'
put409 "Latin-1 byte in a document" not-utf-8 "$A" $RL "$(printf '<?xml version="1.0"?><resource-lists %s><list name="caf\xe9"/></resource-lists>' "$NS")"
put409 "two elements as one element" not-xml-frag "$E2" application/xcap-el+xml '<entry uri="sip:carol@example.test"/><entry uri="sip:dave@example.test"/>'
put409 "missing parent list" no-parent "$A/~~/resource-lists/list%5b@name=%22nosuch%22%5d/entry%5b@uri=%22sip:x@example.test%22%5d" application/xcap-el+xml '<entry uri="sip:x@example.test"/>'
check "no-parent names the ancestor" grep -q '<ancestor>' "$T/err"
put409 "element not in the schema" schema-validation-error "$A" $RL "<resource-lists $NS><bogus/></resource-lists>"
put409 "body not selected by the URI" cannot-insert "$E2" application/xcap-el+xml '<entry uri="sip:someoneelse@example.test"/>'
put409 "duplicate list name" uniqueness-failure "$A" $RL "<resource-lists $NS><list name=\"a\"/><list name=\"a\"/></resource-lists>"
put409 "bad attribute value" not-xml-att-value "$A/~~/resource-lists/list%5b@name=%22friends%22%5d/@name" application/xcap-att+xml 'a<b"c'
has_409 "deleting the root element" cannot-delete xc_alice -X DELETE "$A/~~/resource-lists"
RLS="$XROOT/rls-services/users/sip:alice@example.test/index"
RLSNS='xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists"'
put409 "rls resource-list not an HTTP URI" constraint-failure "$RLS" application/rls-services+xml \
	"<rls-services $RLSNS><service uri=\"sip:friends@example.test\"><resource-list>sip:nope</resource-list><packages><package>presence</package></packages></service></rls-services>"
e_now=$(xc_etag xc_alice "$A")
check "failed writes left the document alone" test "$e_now" = "$e2"
check "wrong Content-Type -> 415" test "$(put xc_alice "$A" text/plain "$doc1")" = 415

# --- rls-services: index composed from every user, uniqueness across users
svc() { echo "<rls-services $RLSNS><service uri=\"$1\"><list><rl:entry uri=\"sip:bob@example.test\"/></list><packages><package>presence</package></packages></service></rls-services>"; }
check "alice's rls-services" test "$(put xc_alice "$RLS" application/rls-services+xml "$(svc sip:alice-friends@example.test)")" = 201
BRLS="$XROOT/rls-services/users/sip:bob@example.test/index"
check "bob's rls-services" test "$(put xc_bob "$BRLS" application/rls-services+xml "$(svc sip:bob-friends@example.test)")" = 201
printf '%s' "$(svc sip:alice-friends@example.test)" > "$T/body"
has_409 "service URI taken by another user" uniqueness-failure xc_bob -X PUT \
	-H 'Content-Type: application/rls-services+xml' --data-binary @"$T/body" "$BRLS"
expect_status "global index is not for other users (403)" 403 xc_bob "$XROOT/rls-services/global/index"
xc_alice -D "$T/h" -o "$T/idx" "$XROOT/rls-services/global/index"
check "global index has alice's service" grep -q 'sip:alice-friends@example.test' "$T/idx"
check "global index has bob's service" grep -q 'sip:bob-friends@example.test' "$T/idx"
check "global index has an ETag" grep -q 'ETag: "' "$T/h"
expect_status "global index is read-only (PUT)" 403 xc_alice -X PUT -H 'Content-Type: application/rls-services+xml' --data-binary @"$T/body" "$XROOT/rls-services/global/index"
expect_status "global index is read-only (DELETE)" 403 xc_alice -X DELETE "$XROOT/rls-services/global/index"
xc_alice -D "$T/h" -o "$T/caps" "$XROOT/xcap-caps/global/index"
check "xcap-caps: its MIME type" grep -qi 'Content-Type: application/xcap-caps+xml' "$T/h"
check "xcap-caps lists pres-rules" grep -q '<auid>pres-rules</auid>' "$T/caps"
expect_status "xcap-caps is read-only" 403 xc_alice -X DELETE "$XROOT/xcap-caps/global/index"

# --- authorization
expect_status "alice reads bob's document: 403" 403 xc_alice "$BRLS"
expect_status "alice writes bob's document: 403" 403 xc_alice -X PUT -H "Content-Type: $RL" --data-binary "$doc1" "$XROOT/resource-lists/users/sip:bob@example.test/index"
expect_status "alice deletes bob's document: 403" 403 xc_alice -X DELETE "$BRLS"
check "alice's second IMPU is hers" test "$(put xc_alice "$XROOT/resource-lists/users/tel:+15551234/index" $RL "$doc1")" = 201
expect_status "unknown AUID: 404" 404 xc_alice "$XROOT/no-such-auid/users/sip:alice@example.test/index"
expect_status "missing document: 404" 404 xc_alice "$XROOT/pres-rules/users/sip:alice@example.test/index"
expect_status "POST: 405" 405 xc_alice -X POST --data-binary x "$A"

# --- DELETE a whole document, then it is gone
expect_status "DELETE document" 200 xc_alice -X DELETE "$B2"
expect_status "deleted document: 404" 404 xc_alice "$B2"

# --- audit trail and change events
if command -v sqlite3 >/dev/null; then
	n=$(sqlite3 "$T/presenced.db" "SELECT count(*) FROM audit WHERE actor='alice@example.test' AND action LIKE 'xcap.%'")
	check "each change is audited ($n records)" test "$n" -ge 8
	check "audit names the document" test "$(sqlite3 "$T/presenced.db" \
		"SELECT count(*) FROM audit WHERE action='xcap.delete' AND object LIKE 'resource-lists/users/sip:alice@example.test/other%'")" -ge 1
fi
pd_wait_log 'xcap: documents of sip:alice@example.test changed \(resource-lists\)' 30
check "change event reached the SIP thread" grep -q 'documents of sip:alice@example.test changed (resource-lists)' "$PD_LOG"
check "rls-services change event" grep -q 'documents of sip:bob@example.test changed (rls-services)' "$PD_LOG"

check "daemon still running" kill -0 "$PD_PID"
check "daemon stops cleanly (exit 0)" pd_stop
pd_finish
