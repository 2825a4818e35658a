#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 5), without a sanitizer so
# it works on stable. For a long run: fuzz/run.sh 3600. With AddressSanitizer:
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
for target in $targets; do
  mkdir -p "fuzz/corpus/$target"
  echo "== fuzzing $target for ${seconds}s"
  cargo fuzz run -s none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 2>&1 | grep -E '^(stat::number_of_executed_units|stat::new_units_added|==|SUMMARY|INFO: Running with entropic|.*panicked)' || true
  if ls fuzz/artifacts/"$target" 2>/dev/null | grep -qE '^(crash|leak|timeout|oom)-'; then
    echo "fuzz target $target found a problem: see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
