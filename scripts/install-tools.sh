#!/usr/bin/env bash
# Installs what the fuzz smoke and the coverage gate need, skipping whatever this machine
# already has: llvm-22 from Debian (llvm-cov and llvm-profdata matching rustc's LLVM, no
# recommended -dev packages), cargo-fuzz and cargo-llvm-cov from crates.io (built once,
# kept in ~/.cargo/bin).
set -euo pipefail
started=$SECONDS
if [ ! -x /usr/bin/llvm-cov-22 ] || [ ! -x /usr/bin/llvm-profdata-22 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends llvm-22 >/dev/null
  echo "installed llvm-22 ($((SECONDS - started)) s)"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked --quiet cargo-fuzz
  echo "installed cargo-fuzz ($((SECONDS - started)) s)"
fi
if ! cargo llvm-cov --version >/dev/null 2>&1; then
  cargo install --locked --quiet cargo-llvm-cov
  echo "installed cargo-llvm-cov ($((SECONDS - started)) s)"
fi
echo "tools ready: $(cargo fuzz --version), $(cargo llvm-cov --version), $(/usr/bin/llvm-cov-22 --version | sed -n 's/.*LLVM version /LLVM /p')"
