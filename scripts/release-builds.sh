#!/usr/bin/env bash
# Release builds of `skytells` for Linux, Windows and macOS, as a maintainer makes them,
# with each binary's size. Linux with the host toolchain; Windows with Debian's Rust
# (the standard library built from source, linked by mingw-w64; scripts/cross-env.sh
# installs it); macOS only on a Mac (or with a macOS SDK and its linker configured):
# there is no SDK on Linux, so here it is type-checked only (scripts/cross-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cross-env.sh
size() { printf '%-28s %10d bytes (%s)\n' "$1" "$(stat -c %s "$2")" "$2"; }

cargo build -q --release --locked -p skytells-cli
size x86_64-unknown-linux-gnu target/release/skytells

windows=x86_64-pc-windows-gnu
# The release profile aborts on panic, so the standard library is built with panic_abort.
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
  debian_cargo build -q --release --locked -Zbuild-std=std,panic_abort --target "$windows" -p skytells-cli
size "$windows" "$cross_target_dir/$windows/release/skytells.exe"

if [ "$(uname -s)" = Darwin ]; then
  for target in aarch64-apple-darwin x86_64-apple-darwin; do
    cargo build -q --release --locked --target "$target" -p skytells-cli
    size "$target" "target/$target/release/skytells"
  done
else
  echo "aarch64-apple-darwin, x86_64-apple-darwin: not built here (no macOS SDK on Linux); run this script on a Mac"
fi
