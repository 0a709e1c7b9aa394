#!/usr/bin/env bash
# 10,000 concurrent outbound SMTP sessions held open by a tarpit: relaylab sim-smtp with a greeting
# that never comes ("greeting": {"action": "silent"}). The bench program opens every session with
# smtp::Client and reports RSS, CPU while waiting, and how punctually each greeting deadline fired.
# Usage: bench/tarpit-sessions.sh [SESSIONS=10000] [GREETING_TIMEOUT_S=20]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
sessions=${1:-10000}
timeout_s=${2:-20}
bin="$bench_root/build-perf/bench/bench-tarpit-sessions"
[ -x "$bin" ] || { echo "run bench/build.sh first" >&2; exit 2; }
# Each side (the bench and the tarpit) holds one descriptor per session.
want=$((sessions + 1024)); hard=$(ulimit -Hn)
[ "$hard" != unlimited ] && [ "$hard" -lt "$want" ] && { echo "ulimit -Hn is $hard: too few for $sessions sessions" >&2; exit 2; }
ulimit -n "$want"

work=$(mktemp -d /tmp/relaylab-tarpit.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && stop_pids "$pid"; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/tarpit.json" <<'JSON'
{ "hostname": "tarpit.example", "greeting": {"action": "silent"}, "idle_timeout": "1h" }
JSON
port=$(free_port)
"$RELAYLAB" sim-smtp --script "$work/tarpit.json" --listen "127.0.0.1:$port" >"$work/tarpit.log" 2>&1 &
pid=$!
wait_tcp "$port" 10
echo "load average before: $(load_average)" >&2
"$bin" 127.0.0.1 "$port" "$sessions" "$timeout_s" 2 | tee "$work/out" >&2
echo "tarpit_rss_kb $(awk '/VmRSS/{print $2}' "/proc/$pid/status")" >&2
awk '{print "tarpit_" $1, $2}' "$work/out"
