#!/usr/bin/env bash
# Measures what BENCHMARKS.md reports: release binary size, startup time and peak memory of
# the local and networked commands, and login efficiency read from the emulator's log.
# Needs hyperfine and GNU time (Debian packages `hyperfine` and `time`); installs them if
# it can. Usage: bench/startup.sh [runs]   (default 200 hyperfine runs per command)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200}"
for tool in hyperfine:hyperfine /usr/bin/time:time; do
  command -v "${tool%%:*}" >/dev/null || apt-get install -y -qq "${tool##*:}" >/dev/null
done

cargo build --release -q --bins
bin=target/release/skytells
emulator=target/release/skytells-emulator
echo "== binary: $(stat -c %s "$bin") bytes ($(numfmt --to=iec-i --suffix=B "$(stat -c %s "$bin")")), $(rustc --version)"

token="sk_pat_$(printf 'ab%.0s' $(seq 32))"
log=$(mktemp)
"$emulator" --port 0 --interval 1 --auto-approve-after 3.3 --token "$token" >"$log" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
export SKYTELLS_API_URL="$url" SKYTELLS_CONFIG_DIR
SKYTELLS_CONFIG_DIR=$(mktemp -d)

echo "== startup: wall time over $runs runs each (hyperfine -N: no shell in between)"
results=$(mktemp)
SKYTELLS_TOKEN="$token" hyperfine -N --warmup 20 --runs "$runs" --style none --export-json "$results" \
  "$bin --version" "$bin whoami --offline" "$bin whoami"
python3 - "$results" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    ms = lambda seconds: f"{seconds * 1000:.2f} ms"
    print(f"{result['command']}: median {ms(result['median'])} (min {ms(result['min'])}, max {ms(result['max'])})")
PY

echo "== a hostile folder: 5 000 other APIs' logins (~1 MB) and deep nesting, whoami --offline for the last one"
hostile=$(mktemp -d)
python3 - "$hostile" <<'PY'
import json, sys
folder = sys.argv[1]
logins = {f"https://api{i}.example.com": {"token": f"sk_pat_{i:064x}", "scopes": ["inference"], "created_at": 1776076200000, "note": "x" * 60} for i in range(5000)}
open(f"{folder}/origins.json", "w").write(json.dumps(logins))
open(f"{folder}/credentials.json", "w").write('{"api_key":"legacy","deep":' + "[" * 5000 + "1" + "]" * 5000 + "}")
PY
chmod 700 "$hostile"; chmod 600 "$hostile"/*.json
echo "files: $(cat "$hostile"/*.json | wc -c) bytes"
SKYTELLS_CONFIG_DIR="$hostile" SKYTELLS_API_URL=https://api4999.example.com hyperfine -N --warmup 5 --runs 50 --style none \
  --export-json "$results" "$bin whoami --offline"
python3 - "$results" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))["results"][0]
print(f"whoami --offline, 5 000 origins: median {result['median'] * 1000:.2f} ms (max {result['max'] * 1000:.2f} ms)")
PY

echo "== peak RSS (GNU time, max resident set, median of 21 runs)"
for args in "--version" "whoami --offline" "whoami"; do
  kb=$(for _ in $(seq 21); do SKYTELLS_TOKEN="$token" /usr/bin/time -f %M "$bin" $args 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 11p)
  echo "skytells $args: ${kb} KiB"
done

echo "== login efficiency (interval 1 s, approved 3.3 s after the code is issued)"
"$bin" login --no-browser >/dev/null 2>&1
curl -s "$url/_emulator/log" | python3 -c '
import json, math, sys
log = json.load(sys.stdin)
issued = next(e["at_ms"] for e in log if e["path"] == "/api/oauth/device")
polls = [e for e in log if e["path"] == "/api/oauth/token"]
granted = next(e["at_ms"] for e in polls if e["status"] == 200)
approved = issued + 3300
minimum = math.ceil(3.3 / 1)
print(f"polls: {len(polls)} (protocol minimum {minimum}); approval noticed {granted - approved:.0f} ms after it happened (bound: 1000 ms interval + 50 ms)")
'
