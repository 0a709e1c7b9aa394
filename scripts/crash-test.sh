#!/usr/bin/env bash
# Crash test for the durable spool (issue 7): submit mail with swaks into `relaylab serve` (spool on),
# which relays to Postfix's smtp-sink through a scripted DNS (`relaylab sim-dns`); kill -9 the daemon
# at random moments, restart it; at the end every message that got a 250 must have reached the sink
# (recipient domain sink.test) or produced a bounce notice in the handset's Maildir (nx.test, which
# is NXDOMAIN). A duplicate is allowed and counted; a loss exits 1.
#
#   scripts/crash-test.sh [--kills N] [--submitters N] [--binary PATH] [--keep]
set -euo pipefail

kills=20
submitters=6
binary=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --submitters) submitters="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "crash-test: unknown option $1" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"
[[ -n "$binary" ]] || binary="$here/build/relaylab"
[[ -x "$binary" ]] || { echo "crash-test: $binary not found (build relaylab first)" >&2; exit 2; }
# A missing tool skips the test visibly (77, CTest's SKIP_RETURN_CODE), except under CI=true.
# scripts/check-test-programs.sh reads these lines: ./dev.sh test must install each package.
require_program() {  # require_program PROGRAM DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [[ ${CI:-} == true || ${CI:-} == 1 ]]; then
    echo "crash-test: $1 is not installed (Debian package $2); CI=true needs every tool" >&2; exit 2
  fi
  echo "SKIPPED: crash-test: $1 is not installed (Debian package $2)" >&2; exit 77
}
require_program /usr/sbin/smtp-sink postfix
require_program swaks swaks

work="$(mktemp -d /tmp/relaylab-crash.XXXXXX)"
pids=()
daemon=""
cleanup() {
  [[ -n "$daemon" ]] && kill -9 "$daemon" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ $keep == 1 ]] && echo "crash-test: kept $work" || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # ip port seconds
  local end=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    (( SECONDS < end )) || return 1
    sleep 0.05
  done
}

dns_port=$(free_port); mx_port=$(free_port); intake_port=$(free_port)
mkdir -p "$work/sink" "$work/accepted" "$work/spool"
chmod 755 "$work"; chmod 777 "$work/sink"  # smtp-sink writes as nobody
cat > "$work/zones.json" <<EOF
{ "names": {
  "sink.test":    { "mx": [ {"preference": 10, "host": "mx.sink.test"} ] },
  "mx.sink.test": { "a": ["127.0.0.61"] },
  "nx.test":      { "behaviour": "nxdomain" }
} }
EOF
cat > "$work/gateway.json" <<EOF
{ "hostname": "relay.crash.test", "intake": "127.0.0.1:$intake_port",
  "dns_servers": ["127.0.0.1:$dns_port"], "dns_timeout_ms": 500, "mx_port": $mx_port,
  "policy": "accurate", "mailboxes": "$work/mailboxes", "spool": "$work/spool", "log": "$work/relay.log",
  "retry": {"min_backoff": "1s", "max_backoff": "2s", "lifetime": "1h"} }
EOF

"$binary" sim-dns --zones "$work/zones.json" --listen "127.0.0.1:$dns_port" > "$work/dns.log" 2>&1 &
pids+=($!)
/usr/sbin/smtp-sink -u nobody -d "$work/sink/%H%M%S." "127.0.0.61:$mx_port" 256 > "$work/sink.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.61 "$mx_port" 5 || { echo "crash-test: smtp-sink did not start" >&2; exit 2; }

start_daemon() {
  "$binary" serve --config "$work/gateway.json" >> "$work/serve.out" 2>&1 &
  daemon=$!
  wait_port 127.0.0.1 "$intake_port" 10 || { echo "crash-test: relaylab serve did not start" >&2; cat "$work/serve.out" >&2; exit 2; }
}

# One submitter: numbered messages until told to stop; a message counts as accepted only when the
# 250 after DATA was seen (swaks prints it as "<-  250 2.0.0 Ok: queued as N").
submitter() {
  local s=$1 n=0 token to
  while [[ ! -e "$work/stop" ]]; do
    n=$((n + 1)); token="crash-$s-$n"
    if (( n % 5 == 0 )); then to="nobody@nx.test"; else to="rcpt$s@sink.test"; fi
    if swaks --server 127.0.0.1 --port "$intake_port" --from "handset$s@docomo.ne.jp" --to "$to" \
         --header "Subject: $token" --body "$token" --timeout 10 --hide-informational 2>&1 |
         grep -Eq "^<[-~] +250 2.0.0 Ok: queued as"; then
      echo "$token $to" >> "$work/accepted/$s"
    fi
  done
}

start_daemon
for s in $(seq 1 "$submitters"); do submitter "$s" & pids+=($!); done

for k in $(seq 1 "$kills"); do
  sleep "$(( RANDOM % 2 )).$(( RANDOM % 9 + 1 ))"  # 0.1 s to 1.9 s of load between kills
  kill -9 "$daemon"; wait "$daemon" 2>/dev/null || true
  start_daemon
done
touch "$work/stop"
for p in "${pids[@]:2}"; do wait "$p" 2>/dev/null || true; done

# Let the last daemon drain the queue, then stop it cleanly.
end=$((SECONDS + 60))
until "$binary" queue --spool "$work/spool" | grep -q "Mail queue is empty"; do
  (( SECONDS < end )) || { echo "crash-test: queue did not drain in 60 s" >&2; "$binary" queue --spool "$work/spool" >&2; break; }
  sleep 0.2
done
kill -TERM "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=""

cat "$work"/accepted/* > "$work/accepted.all" 2>/dev/null || : > "$work/accepted.all"
accepted=0; delivered=0; bounced=0; duplicates=0; lost=0
# One index of the sink's and the Maildirs' contents: token -> count.
grep -rhoa "^Subject: crash-[0-9]*-[0-9]*" "$work/sink" 2>/dev/null | sed 's/^Subject: //' | sort | uniq -c > "$work/sink.idx" || true
grep -rhoa "^Subject: crash-[0-9]*-[0-9]*" "$work/mailboxes" 2>/dev/null | sed 's/^Subject: //' | sort | uniq -c > "$work/notice.idx" || true
declare -A at_sink at_notice
while read -r c t; do at_sink[$t]=$c; done < "$work/sink.idx"
while read -r c t; do at_notice[$t]=$c; done < "$work/notice.idx"
while read -r token to; do
  accepted=$((accepted + 1))
  if [[ "$to" == *@sink.test ]]; then c=${at_sink[$token]:-0}; else c=${at_notice[$token]:-0}; fi
  if (( c == 0 )); then lost=$((lost + 1)); echo "LOST: $token to $to" >&2
  else
    [[ "$to" == *@sink.test ]] && delivered=$((delivered + 1)) || bounced=$((bounced + 1))
    (( c > 1 )) && duplicates=$((duplicates + c - 1))
  fi
done < "$work/accepted.all"
recovered=$(grep -o "[0-9]* messages recovered" "$work/serve.out" | awk "{s+=\$1} END {print s+0}" || true)
interrupted=$(grep -o "[0-9]* attempts cut short" "$work/serve.out" | awk "{s+=\$1} END {print s+0}" || true)
echo "crash-test: kills=$kills accepted=$accepted delivered=$delivered bounced=$bounced duplicates=$duplicates lost=$lost" \
     "recovered-at-restart=$recovered interrupted-attempts=$interrupted"
(( accepted > 0 )) || { echo "crash-test: nothing was accepted" >&2; exit 1; }
(( lost == 0 ))
