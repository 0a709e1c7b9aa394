#!/usr/bin/env bash
# The 2009 incident, live (docs/training.md): a scripted DNS and a remote MTA that answers like
# Exchange 5.5 did ("553 malformed address" to a MAIL FROM whose local part ends with a dot), and two
# `relaylab serve` gateways in front of it, one with the 2009 relay's words (legacy-2009) and one
# truthful (accurate). A handset q.@docomo.ne.jp sends one message through each; the notices it gets
# are shown decoded by `relaylab notice show`.
#
# Starts anywhere: the scripted servers listen on port 0 and the script reads the port each got from
# its "listening on" line; serve gets a random free port (another if taken). No fixed port; the configs, spools,
# Maildirs and logs live in a temp folder that is removed at the end (KEEP=1 keeps it).
#
# usage: scripts/live-demo.sh [RELAYLAB_BINARY]      (default build/relaylab)
set -euo pipefail
bin=${1:-build/relaylab}
here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bin" ] || { echo "live-demo: $bin is not an executable relaylab (build it: ./dev.sh build)" >&2; exit 2; }
# Seconds to wait for a server to start and for the notices to arrive.
START_TIMEOUT=${START_TIMEOUT:-10}
NOTICE_TIMEOUT=${NOTICE_TIMEOUT:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/relaylab-demo.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "live-demo: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# port_of LOG SED-EXPRESSION WHAT: the port a server wrote into LOG once it listened.
port_of() {
    local log=$1 expr=$2 what=$3 port="" tries=$((START_TIMEOUT * 20))
    for ((i = 0; i < tries; i++)); do
        port=$(sed -n "$expr" "$log" 2>/dev/null | head -1)
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.05
    done
    echo "live-demo: $what did not start within ${START_TIMEOUT}s; its output:" >&2
    cat "$log" >&2
    return 1
}

"$bin" sim-smtp --script "$here/examples/incident-2009/exchange-2009.json" --listen "127.0.0.31:0" >"$work/mx.log" 2>&1 &
pids+=($!)
mx_port=$(port_of "$work/mx.log" 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "the remote MTA (sim-smtp)")
"$bin" sim-dns --zones "$here/examples/incident-2009/zones.json" --listen "127.0.0.1:0" >"$work/dns.log" 2>&1 &
pids+=($!)
dns_port=$(port_of "$work/dns.log" 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "the DNS server (sim-dns)")
echo "== The world: DNS on 127.0.0.1:$dns_port, mail.isp.example on 127.0.0.31:$mx_port (answers like Exchange 5.5)"

# serve's intake takes no port 0: try a random unprivileged port, and another if that one is taken
# (serve then exits at once with "Address already in use").
# Sets $intake; serve's own output goes to files (a command substitution would wait for it).
start_serve() {
    local policy=$1 pid
    for ((try = 0; try < 20; try++)); do
        intake=$((20000 + RANDOM % 40000))
        cat >"$work/$policy.json" <<JSON
{ "hostname": "relay.docomo.example", "intake": "127.0.0.1:$intake",
  "dns_servers": ["127.0.0.1:$dns_port"], "mx_port": $mx_port,
  "policy": "$policy", "local_part": "pass", "notice_charset": "ISO-2022-JP",
  "mailboxes": "$work/$policy-mailboxes", "spool": "$work/$policy-spool", "log": "$work/$policy.log" }
JSON
        "$bin" serve --config "$work/$policy.json" >"$work/$policy.out" 2>"$work/$policy.err" &
        pid=$!
        for ((i = 0; i < START_TIMEOUT * 20; i++)); do
            grep -q 'intake on ' "$work/$policy.err" && { pids+=("$pid"); return 0; }
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        grep -q 'in use' "$work/$policy.err" || break
    done
    echo "live-demo: relaylab serve ($policy) did not start; it said:" >&2
    cat "$work/$policy.err" >&2
    return 1
}

for policy in legacy-2009 accurate; do
    start_serve "$policy"
    echo "== relaylab serve, policy $policy: intake 127.0.0.1:$intake"
    "$bin" probe smtp "127.0.0.1:$intake" --from 'q.@docomo.ne.jp' --to 'user@isp.example' >"$work/$policy.probe" 2>&1 ||
        { echo "live-demo: the handset could not submit to $policy:" >&2; cat "$work/$policy.probe" >&2; exit 1; }
done

notices() { find "$work" -path '*-mailboxes/*/new/*' -type f | wc -l; }
for ((i = 0; i < NOTICE_TIMEOUT * 20; i++)); do
    [ "$(notices)" -ge 2 ] && break
    sleep 0.05
done
if [ "$(notices)" -lt 2 ]; then
    echo "live-demo: no notice within ${NOTICE_TIMEOUT}s; the gateways said:" >&2
    cat "$work"/*.err "$work"/*.log >&2
    exit 1
fi

echo
echo "== What the remote MTA said (mail.isp.example, as Exchange 5.5 did in 2009) =="
grep -E 'MAIL FROM|553' "$work/mx.log" | head -2
echo
echo "== The relay's log (Postfix's shape) =="
grep 'relaylab/smtp' "$work/legacy-2009.log"
for policy in legacy-2009 accurate; do
    echo
    echo "== The handset's notice under policy $policy (relaylab notice show) =="
    "$bin" notice show "$work/$policy-mailboxes"
done
