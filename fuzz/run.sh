#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 5), without a sanitizer so
# it works on stable. Fails when a target crashes, cannot start, or runs no input; prints
# each target's executions. For a long run: fuzz/run.sh 3600. With AddressSanitizer:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>
# New inputs go to fuzz/corpus/ (ignored by git); fuzz/seeds/ holds the small committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
targets=$(cargo fuzz list)
echo "== building: $(echo $targets)"
cargo fuzz build -s none
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $targets; do
  seeds="fuzz/seeds/$target"
  if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
    echo "fuzz target $target has no seeds in $seeds" >&2
    exit 1
  fi
  mkdir -p "fuzz/corpus/$target"
  if ! cargo fuzz run -s none "$target" "fuzz/corpus/$target" "$seeds" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $target failed: see above and fuzz/artifacts/$target" >&2
    exit 1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ "${executions:-0}" -eq 0 ]; then
    tail -n 40 "$log" >&2
    echo "fuzz target $target ran no input" >&2
    exit 1
  fi
  new_units=$(sed -n 's/^stat::new_units_added: *//p' "$log")
  echo "$target: ${executions} executions in ${seconds}s, ${new_units:-0} new inputs"
done
