#!/bin/sh
# Runs one fuzzer for SECONDS on a copy of its committed seed corpus (new inputs stay out of the
# repository), and prints libFuzzer's final figures. A crash leaves crash-* in WORK and exits non-zero.
#   fuzz/run.sh TARGET SECONDS [BUILD_DIR]     e.g. fuzz/run.sh reply_parser 600
# TARGET is a name under fuzz/corpus/ (reply_parser, intake_session, address, dns_query, dns_answer,
# policy, zone, mta_script, json_source, explain, scenario). BUILD_DIR defaults to build-fuzz (see fuzz/ci.sh).
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [BUILD_DIR]" >&2
    exit 2
fi
target=$1
seconds=$2
case $seconds in
    ''|*[!0-9]*|0) echo "$0: SECONDS must be a positive number (libFuzzer reads 0 as no limit)" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${3:-$here/../build-fuzz}" 2>/dev/null && pwd) || { echo "$0: no build directory ${3:-$here/../build-fuzz}" >&2; exit 2; }
binary=$build/fuzz/fuzz_$target
seeds=$here/corpus/$target
[ -x "$binary" ] || { echo "$0: no $binary (build with fuzz/ci.sh first)" >&2; exit 2; }
[ -d "$seeds" ] || { echo "$0: no seed corpus $seeds" >&2; exit 2; }
work=${FUZZ_WORK:-$build/fuzz-work/$target}
mkdir -p "$work/corpus"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
cd "$work"
# -max_len: inputs of every target are small files or single protocol exchanges.
# -rss_limit_mb: a parser that buffers what it should bound shows up as an out-of-memory crash.
exec "$binary" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=1024 -timeout=10 \
    -print_final_stats=1 "$work/corpus"
