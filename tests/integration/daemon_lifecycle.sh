#!/usr/bin/env bash
# daemon_lifecycle.sh - presenced -n on good and broken configs, start with
# a temporary config and store, pid file locking, SIGHUP reload, SIGTERM
# shutdown, and refusal of a store newer than the binary.
. "$(dirname "$0")/lib.sh"

CONF="$T/presenced.conf"
pd_conf "$CONF"

# -n: a valid configuration
check "presenced -n accepts a valid config" "$PRESENCED" -n -c "$CONF"
out=$("$PRESENCED" -n -v -c "$CONF" -o log.level=notice 2>&1)
check "presenced -n -v prints the settings with -o applied" \
	grep -q '^log.level = notice$' <<<"$out"

# -n: a broken one is rejected with file:line
printf '[server]\ndomains = example.test\n[log]\nlevel = chatty\n' > "$T/broken.conf"
out=$("$PRESENCED" -n -c "$T/broken.conf" 2>&1); rc=$?
check "presenced -n rejects a broken config (exit 1)" test "$rc" -eq 1
check "the error names file:line" grep -q "$T/broken.conf:4: log.level" <<<"$out"
out=$("$PRESENCED" -n -c "$T/missing.conf" 2>&1); rc=$?
check "a missing config file is an error" test "$rc" -eq 1
out=$("$PRESENCED" -n -c "$CONF" -o sip.nope=1 2>&1); rc=$?
check "an unknown -o key is an error" test "$rc" -eq 1
# values only the SIP engine understands are checked by -n as well
for bad in sip.default_policy=allwo sip.digest_algorithms=SHA-1 \
	   sip.trusted_peers=10.0.0.0/99 sip.min_expires=7200; do
	out=$("$PRESENCED" -n -c "$CONF" -o "$bad" 2>&1); rc=$?
	check "presenced -n rejects $bad" test "$rc" -eq 1
done
check "... saying what is wrong" grep -q 'default_policy must be' <<<"$("$PRESENCED" -n -c "$CONF" -o sip.default_policy=allwo 2>&1)"

# start, up, pid file
if pd_start "$CONF"; then ok "presenced starts and logs ready"; else not_ok "presenced starts"; cat "$PD_LOG"; pd_finish; exit 1; fi
check "pid file holds the daemon's pid" test "$(cat "$T/presenced.pid")" = "$PD_PID"
check "the store was created" test -s "$T/presenced.db"
check "the store is logged" grep -q "store: $T/presenced.db (schema" "$PD_LOG"
FIRST_PID=$PD_PID FIRST_LOG=$PD_LOG
if pd_start "$CONF"; then not_ok "a second instance with the same pid file is refused"; pd_stop
else ok "a second instance with the same pid file is refused"; fi
check "the refusal says why" grep -q "already running (pid $FIRST_PID)" "$PD_LOG"
PD_PID=$FIRST_PID PD_LOG=$FIRST_LOG

# SIGHUP: reload a reloadable setting; a broken file keeps the running config
sed -i 's/^level = debug/level = info/' "$CONF"
kill -HUP "$PD_PID"
check "SIGHUP reloads the configuration" pd_wait_log 'reloaded .*: 1 setting changed'
cp "$CONF" "$T/good.conf"; echo "garbage line" >> "$CONF"
kill -HUP "$PD_PID"
check "a broken file on SIGHUP is reported and ignored" pd_wait_log 'reload failed, keeping'
check "the daemon survives a failed reload" kill -0 "$PD_PID"
printf '[sip]\ndefault_policy = maybe\n' >> "$T/good.conf.bad"
cat "$T/good.conf" "$T/good.conf.bad" > "$CONF"
kill -HUP "$PD_PID"
check "a SIGHUP with a bad policy name keeps the running configuration" \
	pd_wait_log 'reload failed, keeping.*invalid SIP settings'
cp "$T/good.conf" "$CONF"

# SIGTERM
pd_stop TERM; rc=$?
check "SIGTERM exits 0" test "$rc" -eq 0
check "shutdown is logged" grep -q 'presenced stopped' "$PD_LOG"
check "the pid file is removed" test ! -e "$T/presenced.pid"
check "the store is intact" "$PRESENCECTL" -s "$T/presenced.db" subscriber list

# SIGINT (Ctrl-C) works the same
pd_start "$CONF" && pd_stop INT; rc=$?
check "SIGINT exits 0" test "$rc" -eq 0

# a store from a newer presenced is refused
if command -v sqlite3 >/dev/null; then
	sqlite3 "$T/presenced.db" 'PRAGMA user_version = 999;'
	if pd_start "$CONF"; then not_ok "a newer store is refused"; pd_stop
	else ok "a newer store is refused"; fi
	check "the refusal is clear" grep -q 'newer' "$PD_LOG"
fi

pd_finish
