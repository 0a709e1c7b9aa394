#!/usr/bin/env bash
# Every benchmark of issue 6 with one command, then one table of the figures against their targets.
#   bench/run-all.sh            (root; ~3-4 minutes on an idle 2-core machine)
#   QUICK=1 bench/run-all.sh    (smaller counts: a smoke run)
# Uses build-perf (RelWithDebInfo): cmake -S . -B build-perf -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
# cmake --build build-perf -j2 --target relaylab; the bench programs are built by bench/build.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
[ -x "$RELAYLAB" ] || { echo "build relaylab first: cmake --build build-perf -j2 --target relaylab" >&2; exit 2; }
"$here/build.sh"

if [ "${QUICK:-0}" = 1 ]; then
    msgs=2000 rounds=1 sessions=2000 tarpit_s=10 queue_n=100000 lookups=5000 generated=40
else
    msgs=10000 rounds=5 sessions=10000 tarpit_s=20 queue_n=1000000 lookups=20000 generated=200
fi
out=$(mktemp /tmp/relaylab-bench-figures.XXXXXX)
trap 'rm -f "$out"' EXIT
start_load=$(load_average)
bin="$bench_root/build-perf/bench"

echo "== relay throughput ($msgs messages x $rounds rounds, 20 sessions; in memory and with the spool)" >&2
LEGS="ceiling relaylab spool postfix" "$here/relay-throughput.sh" "$msgs" "$rounds" >> "$out"
echo "== $sessions sessions held by a tarpit" >&2
"$here/tarpit-sessions.sh" "$sessions" "$tarpit_s" >> "$out"
echo "== $queue_n queued recipients waiting for retry" >&2
"$bin/bench-queue-memory" "$queue_n" 1 0 | sed 's/^/queue1_/' >> "$out"
"$bin/bench-queue-memory" "$queue_n" 10 0 | sed 's/^/queue10_/' >> "$out"
echo "== MX lookups through the resolver against unbound" >&2
"$here/dns-mx-rate.sh" "$lookups" 200 3 >> "$out"
echo "== scenario speed" >&2
"$here/scenario-speed.sh" "$generated" >> "$out"

fig() { awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? "n/a" : v}' "$out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print "n/a"; else printf "%.0f%%", 100 * a / b }'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ v += 0; ok = (op == "<" ? v < t : v >= t); print ok ? "ok" : "MISSED" }'; }
exact() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print 0; else printf "%.6f", a / b }'; }  # verdicts on unrounded ratios

relay=$(fig throughput_relaylab); postfix=$(fig throughput_postfix); ceiling=$(fig throughput_ceiling)
spool=$(fig throughput_spool)
rss_mb=$(awk -v k="$(fig tarpit_rss_kb_waiting)" 'BEGIN{printf "%.1f", k / 1024}')
{
printf '\n%-48s %-22s %-12s %s\n' "figure" "value" "target" "verdict"
printf '%-48s %-22s %-12s %s\n' "relaylab msg/s (median)" "$relay" "" ""
printf '%-48s %-22s %-12s %s\n' "Postfix 3.7 msg/s (median)" "$postfix" "" ""
printf '%-48s %-22s %-12s %s\n' "ceiling smtp-source->smtp-sink msg/s" "$ceiling" "" ""
printf '%-48s %-22s %-12s %s\n' "relaylab / Postfix" "$(ratio "$relay" "$postfix")x" ">= 4x" "$(verdict "$(exact "$relay" "$postfix")" ">=" 4)"
printf '%-48s %-22s %-12s %s\n' "relaylab / ceiling, ratio of the medians" "$(pct "$relay" "$ceiling")" ">= 50%" "$(verdict "$(exact "$relay" "$ceiling")" ">=" 0.5)"
rr=$(fig round_ratio_relaylab_ceiling)
printf '%-48s %-22s %-12s %s\n' "relaylab / ceiling, median of per-round ratios" "$(pct "$rr" 1)" ">= 50%" "$(verdict "$rr" ">=" 0.5)"
printf '%-48s %-22s %-12s %s\n' "relaylab with the durable spool msg/s (median)" "$spool" "" ""
printf '%-48s %-22s %-12s %s\n' "relaylab spool / Postfix (issue 7)" "$(ratio "$spool" "$postfix")x" ">= 1.5x" "$(verdict "$(exact "$spool" "$postfix")" ">=" 1.5)"
printf '%-48s %-22s %-12s %s\n' "relaylab CPU per message (us)" "$(fig relaylab_cpu_us_per_msg)" "" ""
printf '%-48s %-22s %-12s %s\n' "tarpit: sessions open at once" "$(fig tarpit_open_at_sample)" "$sessions" ""
printf '%-48s %-22s %-12s %s\n' "tarpit: RSS while waiting (MB)" "$rss_mb" "< 100" "$(verdict "$rss_mb" "<" 100)"
printf '%-48s %-22s %-12s %s\n' "tarpit: bytes per session" "$(fig tarpit_bytes_per_session)" "" ""
printf '%-48s %-22s %-12s %s\n' "tarpit: CPU while waiting" "$(fig tarpit_cpu_percent_while_waiting)%" "near 0" "$(verdict "$(fig tarpit_cpu_percent_while_waiting)" "<" 1)"
printf '%-48s %-22s %-12s %s\n' "tarpit: timed out at greeting" "$(fig tarpit_timed_out_at_greeting)" "$sessions" "$(verdict "$(fig tarpit_timed_out_at_greeting)" ">=" "$sessions")"
printf '%-48s %-22s %-12s %s\n' "tarpit: deadline lateness median/p99/max (ms)" "$(fig tarpit_lateness_ms_median)/$(fig tarpit_lateness_ms_p99)/$(fig tarpit_lateness_ms_max)" "" ""
printf '%-48s %-22s %-12s %s\n' "queue: bytes per recipient (1 rcpt/message)" "$(fig queue1_bytes_per_recipient)" "reported" ""
printf '%-48s %-22s %-12s %s\n' "queue: bytes per recipient (10 rcpts/message)" "$(fig queue10_bytes_per_recipient)" "reported" ""
printf '%-48s %-22s %-12s %s\n' "queue: one wake with all waiting (ms)" "$(fig queue1_wake_ms)" "O(log n)" ""
printf '%-48s %-22s %-12s %s\n' "queue: wake, busy destination, 10k waiting (us)" "$(fig queue1_busy_destination_wake_us)" "O(log n)" ""
printf '%-48s %-22s %-12s %s\n' "DNS: MX lookups/s (200 in flight, unbound)" "$(fig dns_mx_lookups_per_s)" "reported" ""
printf '%-48s %-22s %-12s %s\n' "scenario: 2009 5-day, wall ms (CPU ms)" "$(fig scenario_five_day_ms) ($(fig scenario_five_day_cpu_ms))" "< 50" "$(verdict "$(fig scenario_five_day_ms)" "<" 50)"
printf '%-48s %-22s %-12s %s\n' "scenario: library of $(fig scenario_library_count), wall ms (CPU ms)" "$(fig scenario_library_ms) ($(fig scenario_library_cpu_ms))" "< 2000" "$(verdict "$(fig scenario_library_ms)" "<" 2000)"
printf '%-48s %-22s %-12s %s\n' "scenario: generated per second (wall)" "$(fig scenario_generated_per_s)" "reported" ""
printf '\nload average at start %s, at end %s; %s cores; %s\n' "$start_load" "$(load_average)" "$(nproc)" "$(uname -r)"
}
