#!/usr/bin/env bash
# MX lookups per second through dns::Resolver against unbound on loopback, many in flight.
# unbound serves a static zone "bench." (d0..d999.bench MX 10 mxN.bench, mxN.bench A 127.0.0.1).
# Usage: bench/dns-mx-rate.sh [LOOKUPS=20000] [IN_FLIGHT=200] [ROUNDS=3]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
lookups=${1:-20000}
in_flight=${2:-200}
rounds=${3:-3}
names=1000
bin="$bench_root/build-perf/bench/bench-dns-mx-rate"
[ -x "$bin" ] || { echo "run bench/build.sh first" >&2; exit 2; }

work=$(mktemp -d /tmp/relaylab-dns-bench.XXXXXX)
chmod 755 "$work"
pid=""
cleanup() { [ -n "$pid" ] && stop_pids "$pid"; rm -rf "$work"; }
trap cleanup EXIT

port=$(free_port)
{
    echo "server:"
    echo "  interface: 127.0.0.1"
    echo "  port: $port"
    echo "  do-daemonize: no"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  directory: \"$work\""
    echo "  pidfile: \"\""
    echo "  use-syslog: no"
    echo "  logfile: \"\""
    echo "  verbosity: 0"
    echo "  num-threads: 1"
    echo "  so-reuseport: no"
    echo "  do-ip6: no"
    echo "  access-control: 127.0.0.0/8 allow"
    echo "  local-zone: \"bench.\" static"
    for i in $(seq 0 $((names - 1))); do
        echo "  local-data: \"d$i.bench. 300 IN MX 10 mx$i.bench.\""
        echo "  local-data: \"mx$i.bench. 300 IN A 127.0.0.1\""
    done
} > "$work/unbound.conf"
/usr/sbin/unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
pid=$!
# unbound answers once it has read its config: ask until it does
for i in $(seq 1 100); do
    "$bin" "127.0.0.1:$port" 1 1 1 >/dev/null 2>&1 && break
    sleep 0.1
done
echo "load average before: $(load_average)" >&2
for r in $(seq 1 "$rounds"); do
    out=$("$bin" "127.0.0.1:$port" "$lookups" "$in_flight" "$names")
    v=$(awk '/^mx_lookups_per_s/{print $2}' <<<"$out")
    ok=$(awk '/^found_with_address/{print $2}' <<<"$out")
    echo "round $r: $v MX lookups/s ($ok of $lookups found with an address; load $(load_average))" >&2
    echo "$v" >> "$work/rates"
done
echo "dns_mx_lookups_per_s $(median < "$work/rates")"
echo "dns_in_flight $in_flight"
