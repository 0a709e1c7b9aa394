#!/usr/bin/env bash
# The long run issue 7 asks for: every target for SECONDS (default 600), PARALLEL at a time
# (default 2), each on a copy of its seed corpus (fuzz/run.sh), niced so that other work goes
# first. Ends with one line per target: executions, exec/s, coverage, features, corpus, peak RSS,
# crashes. Build the fuzzers first (fuzz/ci.sh). Exits non-zero if any target found a crash.
#   fuzz/campaign.sh [SECONDS] [PARALLEL] [BUILD_DIR]     env TARGETS="a b": only these
set -eu
seconds=${1:-600}
parallel=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${3:-$here/../build-fuzz}" && pwd)
logs=$build/fuzz-campaign
mkdir -p "$logs"
targets=${TARGETS:-$(cd "$here/corpus" && ls)}  # TARGETS="zone explain": a subset
echo "fuzz campaign: $seconds s per target, $parallel at a time, logs in $logs ($(date -u +%FT%TZ))"
running=0
for t in $targets; do
    FUZZ_WORK=$logs/work-$t nice -n 19 "$here/run.sh" "$t" "$seconds" "$build" >"$logs/$t.log" 2>&1 &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
        wait -n || true  # a crash shows in the summary below
        running=$((running - 1))
    fi
done
wait || true
failed=0
printf '%-16s %12s %8s %8s %9s %7s %8s %s\n' target runs exec/s cov ft corpus rss_mb result
for t in $targets; do
    log=$logs/$t.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    result=ok
    if grep -qE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal|crash-' "$log"; then result=CRASH; failed=1; fi
    printf '%-16s %12s %8s %8s %9s %7s %8s %s\n' "$t" "${runs:-?}" "${secs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result"
done
exit "$failed"
