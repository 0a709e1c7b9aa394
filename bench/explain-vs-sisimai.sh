#!/usr/bin/env bash
# `relaylab explain --jsonl` against Sisimai (Debian libsisimai-perl) over the same folder of bounces,
# side by side in one run. The folder is every .eml of the labelled corpus (tests/diagnosis/corpus),
# copied COPIES times under distinct names into one flat folder (Sisimai reads a folder as a Maildir:
# its files, not sub-folders). Each round times both, in alternating order; the verdict is on the
# median of the per-round ratios. Both write their whole result (JSON lines / Sisimai->dump JSON) to
# /dev/null; the record counts are printed so that a tool that skips messages cannot look fast.
# Sisimai reads the folder its fastest documented way: Sisimai->dump(DIR), one call for the whole folder
# (Sisimai::Mail::Maildir), which is also the only way it prints JSON like ours.
#   bench/explain-vs-sisimai.sh [COPIES] [ROUNDS]      (default 10 copies, 5 rounds)
#   RELAYLAB_BEFORE=path/to/older/relaylab bench/explain-vs-sisimai.sh …   also times an older build in
#   the same rounds (before/after figures from one run, on the same load).
# Prints "key value" lines: messages, relaylab_records, sisimai_records, relaylab_s, sisimai_s (medians),
# ratio (median of per-round sisimai/relaylab), cpu_relaylab_s / cpu_sisimai_s (median user+sys CPU
# seconds: steadier than wall time when other work shares the cores), cpu_ratio, load_before; with
# RELAYLAB_BEFORE also before_s, before_ratio, cpu_before_s.
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

before=${RELAYLAB_BEFORE:-}
[ -z "$before" ] || [ -x "$before" ] || { echo "RELAYLAB_BEFORE=$before is not executable" >&2; exit 2; }
run_relaylab() { "$RELAYLAB" explain --jsonl "$work/bounces" > "$work/relaylab.out" || [ $? -eq 1 ]; }
run_before() { "$before" explain --jsonl "$work/bounces" > "$work/before.out" || [ $? -eq 1 ]; }
run_sisimai() { perl -MSisimai -e 'print Sisimai->dump($ARGV[0]) // "[]"' "$work/bounces" > "$work/sisimai.out"; }
# timed CMD: prints "WALL CPU" in seconds (CPU: user + sys of CMD's children, from bash's times).
timed() {
    local t0 t1
    times > "$work/times.0"; t0=$(now_s); "$@"; t1=$(now_s); times > "$work/times.1"
    awk -v a="$t0" -v b="$t1" -v c="$(cpu_children_s "$work/times.0")" -v d="$(cpu_children_s "$work/times.1")" \
        'BEGIN{printf "%.4f %.4f", b - a, d - c}'
}
# User + sys CPU seconds of finished children, from the output of bash's `times` in FILE (`times`
# runs in the shell that ran the command: a $(…) around it would count its own children, none).
cpu_children_s() { awk 'NR == 2 {for (i = 1; i <= 2; i++) {split($i, t, "m"); sub("s", "", t[2]); s += t[1] * 60 + t[2]} print s}' "$1"; }

echo "load_before $(load_average)"
run_relaylab; run_sisimai  # warm the page cache for both
[ -z "$before" ] || run_before
echo "messages $messages"
echo "relaylab_records $(wc -l < "$work/relaylab.out")"
echo "sisimai_records $(perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); print scalar(@$j)' < "$work/sisimai.out")"
[ -z "$before" ] || { cmp -s "$work/before.out" "$work/relaylab.out" && echo "before_output identical" || echo "before_output differs"; }
rl=() ss=() bf=() ratios=() bratios=() crl=() css=() cbf=() cratios=()
for r in $(seq 1 "$rounds"); do
    bt="0 0"
    if [ $((r % 2)) -eq 1 ]; then
        a=$(timed run_relaylab); b=$(timed run_sisimai); [ -z "$before" ] || bt=$(timed run_before)
    else
        [ -z "$before" ] || bt=$(timed run_before); b=$(timed run_sisimai); a=$(timed run_relaylab)
    fi
    read -r aw ac <<< "$a"; read -r bw bc <<< "$b"; read -r fw fc <<< "$bt"
    rl+=("$aw") ss+=("$bw") crl+=("$ac") css+=("$bc") ratios+=("$(awk -v a="$aw" -v b="$bw" 'BEGIN{printf "%.3f", b / a}')")
    cratios+=("$(awk -v a="$ac" -v b="$bc" 'BEGIN{printf "%.3f", (a > 0 ? b / a : 0)}')")
    line="round $r: relaylab ${aw}s (cpu ${ac}s) sisimai ${bw}s (cpu ${bc}s) ratio ${ratios[-1]} cpu_ratio ${cratios[-1]}"
    if [ -n "$before" ]; then
        bf+=("$fw") cbf+=("$fc") bratios+=("$(awk -v a="$fw" -v b="$bw" 'BEGIN{printf "%.3f", b / a}')")
        line+=" before ${fw}s (cpu ${fc}s) before_ratio ${bratios[-1]}"
    fi
    echo "$line" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END{print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "relaylab_s $(median "${rl[@]}")"
echo "sisimai_s $(median "${ss[@]}")"
echo "ratio $(median "${ratios[@]}")"
echo "cpu_relaylab_s $(median "${crl[@]}")"
echo "cpu_sisimai_s $(median "${css[@]}")"
echo "cpu_ratio $(median "${cratios[@]}")"
if [ -n "$before" ]; then
    echo "before_s $(median "${bf[@]}")"
    echo "before_ratio $(median "${bratios[@]}")"
    echo "cpu_before_s $(median "${cbf[@]}")"
fi
