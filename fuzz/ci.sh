#!/bin/sh
# Builds the fuzzers with clang (libFuzzer + ASan + UBSan) and runs each for SECONDS (default 20),
# after checking that every committed seed still passes. Exits non-zero on the first failure.
#   fuzz/ci.sh [SECONDS] [BUILD_DIR]
set -eu
seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${2:-$root/build-fuzz}
jobs=${JOBS:-2}
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DRELAYLAB_FUZZ=ON -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cd "$here/corpus" && ls)
for t in $targets; do
    cmake --build "$build" -j"$jobs" --target "fuzz_$t"
done
(cd "$build" && ctest -L unit -R '^fuzz_' --output-on-failure)
mkdir -p "$build/fuzz-work"
for t in $targets; do
    log=$build/fuzz-work/$t.log
    echo "== fuzz_$t: $seconds s"
    if ! "$here/run.sh" "$t" "$seconds" "$build" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz_$t failed (full output: $log)" >&2
        exit 1
    fi
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
