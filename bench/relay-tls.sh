#!/usr/bin/env bash
# Relay throughput with STARTTLS beside plain text (issue 13), interleaved per round:
#   plain  smtp-source → relaylab serve → relaylab sim-smtp without STARTTLS
#   tls    smtp-source → relaylab serve → relaylab sim-smtp offering STARTTLS (the relay's default
#          outbound level "may": every session encrypted, TLSv1.3, a certificate made at start)
# A leg's time runs from smtp-source's start until the relay's log holds every "status=sent".
# The relay reuses its outbound sessions (the connection cache), so the handshake is paid per session,
# not per message; the figure "tls_sessions_established" says how many handshakes a run made.
# Usage: bench/relay-tls.sh [MESSAGES=5000] [ROUNDS=3] [SESSIONS=20] [SIZE=1000]
# Prints "figure name value" lines on stdout after a table on stderr.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

messages=${1:-5000}
rounds=${2:-3}
sessions=${3:-20}
size=${4:-1000}
[ -x "$RELAYLAB" ] || { echo "no relaylab binary at $RELAYLAB (set RELAYLAB=...)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

work=$(mktemp -d /tmp/relaylab-bench-tls.XXXXXX)
pids=()
cleanup() {
    [ ${#pids[@]} -gt 0 ] && stop_pids "${pids[@]}"
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

dns_port=$(free_port)
cat > "$work/zones.json" <<JSON
{ "names": { "sink.example": { "mx": [ {"preference": 10, "host": "mx.sink.example"} ] },
             "mx.sink.example": { "a": ["127.0.0.1"] } } }
JSON
"$RELAYLAB" sim-dns --zones "$work/zones.json" --listen "127.0.0.1:$dns_port" >"$work/sim-dns.log" 2>&1 &
pids+=("$!")

# start_leg NAME SCRIPT_JSON: a sim-smtp remote and a relay in front of it; sets port_NAME.
start_leg() {
    local name=$1 script=$2 mx relay
    mx=$(free_port)
    echo "$script" > "$work/$name-script.json"
    # Keep little of each message: the remote records what it received.
    "$RELAYLAB" sim-smtp --script "$work/$name-script.json" --listen "127.0.0.1:$mx" >"$work/$name-sim.log" 2>&1 &
    pids+=("$!")
    wait_tcp "$mx" 30
    relay=$(free_port)
    mkdir -p "$work/$name-mailboxes"
    cat > "$work/$name-relay.json" <<JSON
{ "intake": "127.0.0.1:$relay", "dns_servers": ["127.0.0.1:$dns_port"], "mx_port": $mx,
  "mailboxes": "$work/$name-mailboxes", "spool": false, "log": "$work/$name-relay.log",
  "tls": { "outbound": "may" } }
JSON
    "$RELAYLAB" serve --config "$work/$name-relay.json" >"$work/$name-serve.out" 2>&1 &
    pids+=("$!")
    eval "pid_$name=$!"
    wait_tcp "$relay" 60
    eval "port_$name=$relay"
}

start_leg plain '{"hostname": "mx.sink.example", "record_message_bytes": 0}'
start_leg tls '{"hostname": "mx.sink.example", "record_message_bytes": 0, "tls": {"offer": true, "certificate": "self_signed"}}'

sent() { grep -c "status=sent" "$1" 2>/dev/null || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# leg NAME: one smtp-source run; prints "msg/s cpu_us_per_msg".
leg() {
    local name=$1 port pid before t0 t1 c0 c1 n
    port=$(eval echo "\$port_$name"); pid=$(eval echo "\$pid_$name")
    before=$(sent "$work/$name-relay.log"); before=${before:-0}
    c0=$(cpu_ticks "$pid")
    t0=$(now_s)
    /usr/sbin/smtp-source -d -s "$sessions" -m "$messages" -l "$size" -M handset.example \
        -f handset@docomo.example -t user@sink.example "127.0.0.1:$port" >"$work/source-$name.log" 2>&1
    for _ in $(seq 1 6000); do
        n=$(sent "$work/$name-relay.log"); n=${n:-0}
        [ "$n" -ge $((before + messages)) ] && break
        sleep 0.05
    done
    t1=$(now_s)
    c1=$(cpu_ticks "$pid")
    awk -v n="$messages" -v a="$t0" -v b="$t1" -v c=$((c1 - c0)) -v hz="$hz" \
        'BEGIN{printf "%.0f %.0f\n", n / (b - a), c * 1000000 / hz / n}'
}

echo "load average before: $(load_average)" >&2
: > "$work/plain.fig"; : > "$work/tls.fig"
for r in $(seq 1 "$rounds"); do
    p=$(leg plain); t=$(leg tls)
    echo "$p" >> "$work/plain.fig"; echo "$t" >> "$work/tls.fig"
    echo "round $r: plain $p, tls $t (msg/s, CPU µs/msg)" >&2
done
tls_sessions=$(grep -c "TLS connection established to" "$work/tls-relay.log" || true)
plain_rate=$(cut -d' ' -f1 "$work/plain.fig" | median); tls_rate=$(cut -d' ' -f1 "$work/tls.fig" | median)
plain_cpu=$(cut -d' ' -f2 "$work/plain.fig" | median); tls_cpu=$(cut -d' ' -f2 "$work/tls.fig" | median)
echo "median: plain $plain_rate msg/s ($plain_cpu µs CPU/msg), tls $tls_rate msg/s ($tls_cpu µs CPU/msg); TLS sessions established: $tls_sessions" >&2
echo "load average after: $(load_average)" >&2
echo "tls_plain_msgs_per_s $plain_rate"
echo "tls_may_msgs_per_s $tls_rate"
echo "tls_plain_cpu_us_per_msg $plain_cpu"
echo "tls_may_cpu_us_per_msg $tls_cpu"
echo "tls_sessions_established $tls_sessions"
