#!/usr/bin/env bash
# A CI-sized suite: 1,000 variations of the library's scenarios (bench/gen_suite.py), run by one
# `relaylab run --quiet` with --jobs 1 and with --jobs 2. Target: --jobs 2 at least 1.7× faster on a
# 2-core machine. The run must pass, or its speed means nothing. Prints the load average before
# and after: on a shared machine other work takes cores, and the ratio then means little.
# Wall figures are hyperfine medians (or the median of ROUNDS timed runs without hyperfine).
# The ceiling: the same suite as two processes at once, one shard each with --jobs 1 — what the
# machine gives two independent workers right now; --jobs 2 cannot do better than that.
# Usage: bench/run-suite.sh [N=1000] [ROUNDS=5]     RELAYLAB=path/to/relaylab overrides the binary
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=${1:-1000}
rounds=${2:-5}
[ -x "$RELAYLAB" ] || { echo "no relaylab binary at $RELAYLAB" >&2; exit 2; }
RELAYLAB=$(realpath "$RELAYLAB")  # hyperfine -N runs it by path
work=$(mktemp -d /tmp/relaylab-suite-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$bench_root/bench/gen_suite.py" "$bench_root/scenarios/library" "$work/suite" "$n"
"$RELAYLAB" run --quiet --jobs 2 "$work/suite" >"$work/check.txt" || {
    echo "the generated suite failed:" >&2; grep -v '^PASS' "$work/check.txt" >&2; exit 1; }
echo "suite: $n scenarios, $(tail -1 "$work/check.txt")"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

median_s() {  # median wall seconds of ROUNDS runs of "$@"
    local i t times=()
    for ((i = 0; i < rounds; i++)); do
        t=$( { /usr/bin/time -f %e "$@" >/dev/null 2>/dev/null; } 2>&1 )
        times+=("$t")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}

if command -v hyperfine >/dev/null; then
    two="$RELAYLAB run --quiet --jobs 1 --shard 1/2 $work/suite >/dev/null & $RELAYLAB run --quiet --jobs 1 --shard 2/2 $work/suite >/dev/null; wait"
    hyperfine --style none --warmup 1 --runs "$rounds" --export-json "$work/h.json" \
        "$RELAYLAB run --quiet --jobs 1 $work/suite" "$RELAYLAB run --quiet --jobs 2 $work/suite" "$two" >"$work/h.txt" 2>&1 ||
        { cat "$work/h.txt" >&2; echo "hyperfine failed" >&2; exit 1; }
    read -r j1 j2 j1cpu j2cpu ceiling <<<"$(python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["median"], r[1]["median"], f'{r[0]["user"] + r[0]["system"]:.2f}', f'{r[1]["user"] + r[1]["system"]:.2f}', r[2]["median"])
PY
)"
else
    j1=$(median_s "$RELAYLAB" run --quiet --jobs 1 "$work/suite")
    j2=$(median_s "$RELAYLAB" run --quiet --jobs 2 "$work/suite")
    j1cpu='?' j2cpu='?'
    ceiling=$(median_s bash -c "$RELAYLAB run --quiet --jobs 1 --shard 1/2 $work/suite >/dev/null & $RELAYLAB run --quiet --jobs 1 --shard 2/2 $work/suite >/dev/null; wait")
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$j1" -v b="$j2" -v ca="$j1cpu" -v cb="$j2cpu" -v c="$ceiling" -v n="$n" 'BEGIN {
    printf "--jobs 1: %.2f s wall (median), %s s CPU, %.0f scenarios/s\n", a, ca, n / a
    printf "--jobs 2: %.2f s wall (median), %s s CPU, %.0f scenarios/s\n", b, cb, n / b
    printf "ceiling, two processes with one shard each: %.2f s wall (median), %.2fx\n", c, a / c
    printf "speed-up: %.2fx (target >= 1.7x)\n", a / b }'
