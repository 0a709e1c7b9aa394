#!/usr/bin/env bash
# `relaylab explain --jsonl` against Sisimai (Debian libsisimai-perl) over the same folder of bounces,
# side by side in one run. The folder is every .eml of the labelled corpus (tests/diagnosis/corpus),
# copied COPIES times under distinct names into one flat folder (Sisimai reads a folder as a Maildir:
# its files, not sub-folders). Each round times both, in alternating order; the verdict is on the
# median of the per-round ratios. Both write their whole result (JSON lines / Sisimai->dump JSON) to
# /dev/null; the record counts are printed so that a tool that skips messages cannot look fast.
#   bench/explain-vs-sisimai.sh [COPIES] [ROUNDS]      (default 10 copies, 5 rounds)
# Prints "key value" lines: messages, relaylab_records, sisimai_records, relaylab_s, sisimai_s (medians),
# ratio (median of per-round sisimai/relaylab), load_before.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
copies=${1:-10}
rounds=${2:-5}
[ -x "$RELAYLAB" ] || { echo "no $RELAYLAB (build relaylab; RELAYLAB=path overrides)" >&2; exit 2; }
perl -MSisimai -e 1 2>/dev/null || { echo "Sisimai is missing: apt-get install libsisimai-perl" >&2; exit 2; }

work=$(mktemp -d /tmp/relaylab-bench-sisimai.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bounces"
n=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    for i in $(seq 1 "$copies"); do cp "$f" "$work/bounces/$i-$n.eml"; done
done < <(find "$bench_root/tests/diagnosis/corpus" -name '*.eml' -print0 | sort -z)
messages=$(find "$work/bounces" -type f | wc -l)

run_relaylab() { "$RELAYLAB" explain --jsonl "$work/bounces" > "$work/relaylab.out" || [ $? -eq 1 ]; }
run_sisimai() { perl -MSisimai -e 'print Sisimai->dump($ARGV[0]) // "[]"' "$work/bounces" > "$work/sisimai.out"; }
timed() { local t0 t1; t0=$(now_s); "$@"; t1=$(now_s); awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b - a}'; }

echo "load_before $(load_average)"
run_relaylab; run_sisimai  # warm the page cache for both
echo "messages $messages"
echo "relaylab_records $(wc -l < "$work/relaylab.out")"
echo "sisimai_records $(perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); print scalar(@$j)' < "$work/sisimai.out")"
rl=() ss=() ratios=()
for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then a=$(timed run_relaylab); b=$(timed run_sisimai)
    else b=$(timed run_sisimai); a=$(timed run_relaylab); fi
    rl+=("$a") ss+=("$b") ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b / a}')")
    echo "round $r: relaylab ${a}s sisimai ${b}s ratio ${ratios[-1]}" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END{print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "relaylab_s $(median "${rl[@]}")"
echo "sisimai_s $(median "${ss[@]}")"
echo "ratio $(median "${ratios[@]}")"
