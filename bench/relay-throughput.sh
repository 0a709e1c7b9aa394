#!/usr/bin/env bash
# Relay throughput on loopback, three figures from one run, interleaved per round:
#   ceiling   smtp-source → smtp-sink                       (what the harness itself allows)
#   relaylab  smtp-source → relaylab serve (in-memory queue) → smtp-sink
#   spool     smtp-source → relaylab serve (durable spool)   → smtp-sink   (only when LEGS names it)
#   postfix   smtp-source → Postfix 3.7 (throwaway instance) → smtp-sink
# A leg's time runs from smtp-source's start until the sink has counted every message.
# Usage: bench/relay-throughput.sh [MESSAGES=10000] [ROUNDS=3] [SESSIONS=20] [SIZE=1000]
#   env PERF_OUT=file (perf record), RELAY_WRAP=command prefix (callgrind), LEGS="ceiling relaylab postfix" (a subset to run), NEW_CONNECTION=1, RELAYLAB=path
# Needs root (smtp-sink -u nobody, Postfix). Prints one "figure name value" line per result on
# stdout (for run-all.sh) after a human table on stderr.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/postfix-relay.sh"

messages=${1:-10000}
rounds=${2:-3}
sessions=${3:-20}
size=${4:-1000}
legs=${LEGS:-ceiling relaylab postfix}
# smtp-source -d: each of the 20 handset sessions sends its messages over one connection. Without
# it (NEW_CONNECTION=1) every message opens a connection, and on loopback the harness itself then
# stalls on TCP's delayed ACKs at QUIT (~700 msg/s here, whatever sits in the middle).
reuse=-d
[ "${NEW_CONNECTION:-0}" = 1 ] && reuse=""
[ -x "$RELAYLAB" ] || { echo "no relaylab binary at $RELAYLAB (set RELAYLAB=...)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

work=$(mktemp -d /tmp/relaylab-bench.XXXXXX)
chmod 755 "$work"  # Postfix's daemons run as postfix and must reach their directories
pids=()
postfix_dir=""
cleanup() {
    [ -n "$postfix_dir" ] && postfix_stop "$postfix_dir"
    [ ${#pids[@]} -gt 0 ] && stop_pids "${pids[@]}"
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

sink_port=$(free_port)
read -r -a sink_pids <<<"$(start_sink "$sink_port" "$work/sink.out")"
pids+=("${sink_pids[@]}")

# relaylab: sim-dns answers sink.example → mx.sink.example → 127.0.0.1; mx_port is the sink's.
dns_port=$(free_port)
cat > "$work/zones.json" <<JSON
{ "names": { "sink.example": { "mx": [ {"preference": 10, "host": "mx.sink.example"} ] },
             "mx.sink.example": { "a": ["127.0.0.1"] } } }
JSON
"$RELAYLAB" sim-dns --zones "$work/zones.json" --listen "127.0.0.1:$dns_port" >"$work/sim-dns.log" 2>&1 &
pids+=("$!")
relay_port=$(free_port)
mkdir -p "$work/mailboxes"
cat > "$work/relay.json" <<JSON
{ "intake": "127.0.0.1:$relay_port", "dns_servers": ["127.0.0.1:$dns_port"], "mx_port": $sink_port,
  "mailboxes": "$work/mailboxes", "spool": false, "log": "$work/relay.log" }
JSON
# RELAY_WRAP="valgrind --tool=callgrind --callgrind-out-file=F": profile the relay (same pid).
${RELAY_WRAP:-} "$RELAYLAB" serve --config "$work/relay.json" >"$work/serve.out" 2>&1 &
relay_pid=$!
pids+=("$relay_pid")
wait_tcp "$relay_port" 60

# The spool leg: the same relay with the durable queue on (issue 7: every message written and
# fdatasync'd before 250), in its own instance so the in-memory leg stays as it is. The spool
# lives under $work, on the same file system as Postfix's queue directory.
spool_port=$(free_port)
if [[ " $legs " == *" spool "* ]]; then
    mkdir -p "$work/spool-mailboxes"
    cat > "$work/relay-spool.json" <<JSON
{ "intake": "127.0.0.1:$spool_port", "dns_servers": ["127.0.0.1:$dns_port"], "mx_port": $sink_port,
  "mailboxes": "$work/spool-mailboxes", "log": "$work/relay-spool.log", "spool": "$work/spool" }
JSON
    "$RELAYLAB" serve --config "$work/relay-spool.json" >"$work/serve-spool.out" 2>&1 &
    spool_pid=$!
    pids+=("$spool_pid")
    wait_tcp "$spool_port" 60
fi

postfix_port=$(free_port)
if [[ " $legs " == *" postfix "* ]]; then
    postfix_dir="$work/postfix"
    postfix_start "$postfix_dir" "$postfix_port" "$sink_port"
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# leg NAME PORT: one smtp-source run into PORT; prints msg/s.
leg() {
    local name=$1 port=$2 before t0 t1 c0 c1
    before=$(sink_count "$work/sink.out"); before=${before:-0}
    [ "$name" = relaylab ] && c0=$(cpu_ticks "$relay_pid")
    t0=$(now_s)
    /usr/sbin/smtp-source $reuse -s "$sessions" -m "$messages" -l "$size" -M handset.example \
        -f handset@docomo.example -t user@sink.example "127.0.0.1:$port" >"$work/source-$name.log" 2>&1
    t1=$(wait_sink "$work/sink.out" $((before + messages)) 300)
    if [ "$name" = relaylab ]; then
        c1=$(cpu_ticks "$relay_pid")
        echo "$(( (c1 - c0) * 1000000 / hz / messages ))" >> "$work/relaylab-cpu-us"
    fi
    awk -v n="$messages" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f\n", n / (b - a)}'
}

port_of() {
    case $1 in
        ceiling) echo "$sink_port" ;; relaylab) echo "$relay_port" ;; spool) echo "$spool_port" ;;
        postfix) echo "$postfix_port" ;;
    esac
}

# PERF_OUT=file: perf record (call graphs) on relaylab serve for the whole run (profiling, not figures).
if [ -n "${PERF_OUT:-}" ]; then
    perf record -F 999 -g -p "$relay_pid" -o "$PERF_OUT" >"$work/perf.log" 2>&1 &
    perf_pid=$!
    sleep 0.5
fi
echo "load average before: $(load_average)" >&2
for r in $(seq 1 "$rounds"); do
    line="round $r:"
    for l in $legs; do
        v=$(leg "$l" "$(port_of "$l")")
        echo "$v" >> "$work/result-$l"
        line+=" $l $v msg/s"
    done
    echo "$line  (load $(load_average))" >&2
done

if [ -n "${perf_pid:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
printf '%-10s %10s   %s\n' leg "median msg/s" "all rounds" >&2
for l in $legs; do
    printf '%-10s %10s   %s\n' "$l" "$(median < "$work/result-$l")" "$(tr '\n' ' ' < "$work/result-$l")" >&2
done
for l in $legs; do echo "throughput_$l $(median < "$work/result-$l")"; done
# Side by side per round: each round's legs ran back to back under the same load, so the median
# of the per-round ratios is steadier than the ratio of the medians on a shared machine.
round_ratio() {  # round_ratio A B: median over rounds of A/B
    [ -f "$work/result-$1" ] && [ -f "$work/result-$2" ] || return 0
    paste "$work/result-$1" "$work/result-$2" | awk '{ if ($2 > 0) printf "%.4f\n", $1 / $2 }' | median
}
r=$(round_ratio relaylab ceiling); [ -n "$r" ] && echo "round_ratio_relaylab_ceiling $r"
r=$(round_ratio relaylab postfix); [ -n "$r" ] && echo "round_ratio_relaylab_postfix $r"
r=$(round_ratio spool postfix); [ -n "$r" ] && echo "round_ratio_spool_postfix $r"
[ -f "$work/relaylab-cpu-us" ] && echo "relaylab_cpu_us_per_msg $(median < "$work/relaylab-cpu-us")"
echo "relaylab_rss_kb $(awk '/VmHWM/{print $2}' "/proc/$relay_pid/status")"
echo "load_average $(load_average | tr ' ' '/')"
if [ -n "$postfix_dir" ]; then
    sent=$(grep -c 'status=sent' "$postfix_dir/maillog" || true)
    echo "postfix sent $sent of $((messages * rounds)) (maillog)" >&2
fi
if [[ " $legs " == *" relaylab "* ]]; then
    echo "relaylab sent $(grep -c 'status=sent' "$work/relay.log" || true) of $((messages * rounds)) (log)" >&2
fi
if [[ " $legs " == *" spool "* ]]; then
    echo "relaylab (spool) sent $(grep -c 'status=sent' "$work/relay-spool.log" || true) of $((messages * rounds)) (log)" >&2
fi
