#!/usr/bin/env bash
# The 2009 incident, live: a scripted DNS and a remote MTA that answers like Exchange 5.5 did
# ("553 malformed address" to a MAIL FROM whose local part ends with a dot), and two relaylab
# gateways in front of it, one with the 2009 relay's words (legacy-2009) and one truthful
# (accurate). A handset q.@docomo.ne.jp sends one message through each; the notices are shown.
set -euo pipefail
bin=${1:-build/relaylab}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/relaylab-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dns_port=$(port); mx_port=$(port)
"$bin" sim-dns --zones "$here/examples/incident-2009/zones.json" --listen "127.0.0.1:$dns_port" >"$work/dns.log" 2>&1 &
pids+=($!)
"$bin" sim-smtp --script "$here/examples/incident-2009/exchange-2009.json" --listen "127.0.0.31:$mx_port" >"$work/mx.log" 2>&1 &
pids+=($!)

for policy in legacy-2009 accurate; do
    intake=$(port)
    cat >"$work/$policy.json" <<JSON
{ "hostname": "relay.docomo.example", "intake": "127.0.0.1:$intake",
  "dns_servers": ["127.0.0.1:$dns_port"], "mx_port": $mx_port,
  "policy": "$policy", "local_part": "pass", "notice_charset": "UTF-8",
  "mailboxes": "$work/$policy-mailboxes", "spool": "$work/$policy-spool", "log": "$work/$policy.log" }
JSON
    "$bin" serve --config "$work/$policy.json" 2>>"$work/serve.err" &
    pids+=($!)
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$intake") 2>/dev/null && break; sleep 0.05; done
    "$bin" probe smtp "127.0.0.1:$intake" --from 'q.@docomo.ne.jp' --to 'user@isp.example' >/dev/null
done

for _ in $(seq 100); do
    n=$(find "$work" -path '*/new/*' -type f | wc -l)
    [ "$n" -ge 2 ] && break
    sleep 0.05
done

echo "== What the remote MTA said (mail.isp.example, as Exchange 5.5 did in 2009) =="
grep -E 'MAIL FROM|553' "$work/mx.log" | head -2
echo
echo "== The relay's log =="
grep 'relaylab/smtp' "$work/legacy-2009.log"
for policy in legacy-2009 accurate; do
    f=$(find "$work/$policy-mailboxes" -path '*/new/*' -type f | head -1)
    echo
    echo "== The handset's notice under policy $policy =="
    python3 - "$f" <<'PY'
import email, sys
from email.header import decode_header, make_header
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
print("Subject:", str(make_header(decode_header(m['Subject']))))
human, dsn = m.get_payload(0), m.get_payload(1)
print(human.get_payload(decode=True).decode(human.get_content_charset()))
print("-- delivery-status (the truth, whatever the policy says) --")
for block in dsn.get_payload()[1:]:
    for k in ("Action", "Status", "Remote-MTA", "Diagnostic-Code"):
        if block[k]: print(f"{k}: {block[k]}")
PY
done
