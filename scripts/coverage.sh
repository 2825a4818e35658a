#!/usr/bin/env bash
# Line and branch coverage of the core (skytells-auth) over its own tests and doctests,
# failing below MIN_LINES percent of lines (default 95). Installs llvm-22 (Debian) and
# cargo-llvm-cov (crates.io) when missing. --branch and --doctests are unstable options,
# hence RUSTC_BOOTSTRAP=1 on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
min_lines="${1:-95}"
if [ ! -x /usr/bin/llvm-cov-22 ] || [ ! -x /usr/bin/llvm-profdata-22 ]; then
  echo "== installing llvm-22"
  apt-get update -qq && apt-get install -y -qq llvm-22 >/dev/null
fi
if ! cargo llvm-cov --version >/dev/null 2>&1; then
  echo "== installing cargo-llvm-cov"
  cargo install --locked cargo-llvm-cov
fi
RUSTC_BOOTSTRAP=1 LLVM_COV=/usr/bin/llvm-cov-22 LLVM_PROFDATA=/usr/bin/llvm-profdata-22 \
  cargo llvm-cov -p skytells-auth --branch --doctests --summary-only --fail-under-lines "$min_lines" 2>&1 \
  | grep -E '^(Filename|TOTAL|error)|\.rs ' || true
RUSTC_BOOTSTRAP=1 LLVM_COV=/usr/bin/llvm-cov-22 LLVM_PROFDATA=/usr/bin/llvm-profdata-22 \
  cargo llvm-cov report -p skytells-auth --summary-only --fail-under-lines "$min_lines" >/dev/null
echo "core line coverage is at least ${min_lines}%"
