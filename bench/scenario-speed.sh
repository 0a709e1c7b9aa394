#!/usr/bin/env bash
# Scenario mode speed: the 2009 5-day scenario (target < 50 ms wall), the whole library in one
# process (target < 2 s), and scenarios per second for a batch of generated ones (one process).
# Wall figures are hyperfine medians; CPU (user+sys) is what the run itself costs.
# Usage: bench/scenario-speed.sh [GENERATED=200]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
generated=${1:-200}
[ -x "$RELAYLAB" ] || { echo "no relaylab binary at $RELAYLAB" >&2; exit 2; }
work=$(mktemp -d /tmp/relaylab-scn-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
lib="$bench_root/scenarios/library"
python3 "$bench_root/bench/gen_scenarios.py" "$work" "$generated"
mkdir -p "$work/json"

# hyperfine's median in ms, and the mean user+sys CPU in ms.
hf() {
    local name=$1 runs=$2; shift 2
    hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$work/json/$name.json" "$@" >/dev/null 2>&1
    python3 - "$work/json/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f'{r["median"] * 1000:.1f} {(r["user"] + r["system"]) * 1000:.1f}')
PY
}
echo "load average before: $(load_average)" >&2
# The run must pass, or its speed means nothing.
"$RELAYLAB" run --quiet "$lib/2009-five-day-lifetime.json" >/dev/null
"$RELAYLAB" run --quiet "$work"/generated-*.json >/dev/null || { echo "generated scenarios failed" >&2; exit 1; }
read -r five_ms five_cpu <<<"$(hf five-day 30 "$RELAYLAB run --quiet $lib/2009-five-day-lifetime.json")"
read -r lib_ms lib_cpu <<<"$(hf library 8 "$RELAYLAB run --quiet $(ls "$lib"/*.json | tr '\n' ' ')")"
read -r gen_ms gen_cpu <<<"$(hf generated 5 "$RELAYLAB run --quiet $(ls "$work"/generated-*.json | tr '\n' ' ')")"
nlib=$(ls "$lib"/*.json | wc -l)
echo "scenario_five_day_ms $five_ms"
echo "scenario_five_day_cpu_ms $five_cpu"
echo "scenario_library_ms $lib_ms"
echo "scenario_library_cpu_ms $lib_cpu"
echo "scenario_library_count $nlib"
echo "scenario_generated_count $generated"
echo "scenario_generated_per_s $(awk -v n="$generated" -v t="$gen_ms" 'BEGIN{printf "%.0f", n / (t / 1000)}')"
echo "scenario_generated_cpu_ms $gen_cpu"
echo "load_average $(load_average | tr ' ' '/')"
