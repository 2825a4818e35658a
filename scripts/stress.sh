#!/usr/bin/env bash
# Runs the whole test suite RUNS times (default 10) in a row with every core kept busy
# by other work, and prints how many runs passed. The tests wait on events, never on
# sleeps, so a saturated machine must make them slower, never different.
#   scripts/stress.sh 10
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
cargo test --workspace --no-run -q >/dev/null 2>&1 || { echo "the tests do not build" >&2; exit 1; }
busy=()
for _ in $(seq "$(nproc)"); do
  yes >/dev/null &
  busy+=("$!")
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT
log=$(mktemp)
passed=0
for run in $(seq "$runs"); do
  started=$SECONDS
  if cargo test --workspace >"$log" 2>&1; then
    passed=$((passed + 1))
    outcome=ok
  else
    outcome=FAILED
  fi
  tests=$(grep -h '^test result' "$log" | awk '{p += $4; f += $6} END {print p " passed, " f " failed"}')
  echo "run $run: $outcome in $((SECONDS - started)) s ($tests)"
  [ "$outcome" = FAILED ] && grep -E '^test .* FAILED|panicked at' "$log" | head -5
done
rm -f "$log"
echo "$passed of $runs runs passed with $(nproc) cores saturated"
[ "$passed" -eq "$runs" ]
