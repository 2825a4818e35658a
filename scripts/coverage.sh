#!/usr/bin/env bash
# Line and branch coverage of the core (skytells-auth) over its own tests and doctests,
# failing below MIN_LINES percent of lines (default 95). Prints the per-file table and the
# total; the figures in RELIABILITY.md come from this script. Needs llvm-22 and
# cargo-llvm-cov (scripts/install-tools.sh). --branch and --doctests are unstable options,
# hence RUSTC_BOOTSTRAP=1 on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
min_lines="${1:-95}"
if ! cargo llvm-cov --version >/dev/null 2>&1 || [ ! -x /usr/bin/llvm-cov-22 ]; then
  scripts/install-tools.sh
fi
export RUSTC_BOOTSTRAP=1 LLVM_COV=/usr/bin/llvm-cov-22 LLVM_PROFDATA=/usr/bin/llvm-profdata-22
report=$(mktemp)
trap 'rm -f "$report"' EXIT
cargo llvm-cov -p skytells-auth --branch --doctests --summary-only >"$report" 2>&1 || { cat "$report" >&2; exit 1; }
grep -E '^(Filename|TOTAL)|^[a-z_/]+\.rs +[0-9]' "$report"
# The gate reads the same measure the table shows: the tests and the doctests.
cargo llvm-cov report -p skytells-auth --branch --doctests --summary-only --fail-under-lines "$min_lines" >/dev/null
echo "core line coverage is at least ${min_lines}%"
