#!/usr/bin/env bash
# Measures what BENCHMARKS.md reports under "Round trips": the wall time of `whoami` (a
# stored token and access key) and `login --token` against the emulator with LATENCY ms
# added to every answer (default 200), and each as a multiple of that latency.
# Usage: bench/round_trips.sh [runs] [latency_ms]   (default 20 runs, 200 ms)
#        BIN=/path/to/another/skytells bench/round_trips.sh   (to compare builds)
# Needs hyperfine (Debian package `hyperfine`); installs it if it can.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
latency="${2:-200}"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null

cargo build --release -q --bins
bin="${BIN:-target/release/skytells}"
emulator=target/release/skytells-emulator
token="sk_pat_$(printf 'ab%.0s' $(seq 32))"
key="sk_proj_bench"
work=$(mktemp -d)
log="$work/emulator.log"
"$emulator" --port 0 --delay-ms "$latency" --token "$token" --access-key "$key=Bench" >"$log" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q listening "$log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
export SKYTELLS_API_URL="$url" SKYTELLS_CONFIG_DIR="$work/config"
printf '%s\n' "$token" >"$work/token"
"$bin" login --token <"$work/token" >/dev/null
"$bin" link "$key" >/dev/null

echo "== $bin against the emulator with ${latency} ms added to every answer, $runs runs each"
results="$work/results.json"
hyperfine --warmup 2 --runs "$runs" --style none --export-json "$results" \
  "$bin whoami" "$bin login --token < $work/token" >/dev/null
python3 - "$results" "$latency" "$bin" <<'PY'
import json, sys
latency = float(sys.argv[2]) / 1000
for result in json.load(open(sys.argv[1]))["results"]:
    command = result["command"][len(sys.argv[3]) + 1:].split(" <")[0]
    median = result["median"]
    print(f"{command}: median {median * 1000:.0f} ms = {median / latency:.2f} x the added latency (min {result['min'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms)")
PY
