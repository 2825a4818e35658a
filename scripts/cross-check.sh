#!/usr/bin/env bash
# Builds every crate of the workspace, tests and examples included, for Windows and both
# macOS architectures: `cargo check --workspace --all-targets` for
# x86_64-pc-windows-gnu, aarch64-apple-darwin and x86_64-apple-darwin, and clippy with
# -D warnings for Windows (the target with its own code paths: ACLs, reparse points,
# the Credential Manager). Installs the toolchain when missing (scripts/cross-env.sh).
# Nothing here is run: see scripts/wine-tests.sh for Windows, README for macOS.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
source scripts/cross-env.sh
echo "cross toolchain: $(debian_cargo --version), $(/usr/bin/rustc --version) ($((SECONDS - started)) s)"

windows=x86_64-pc-windows-gnu
# clippy is cargo check plus the lints: one pass does both.
echo "== cargo clippy --workspace --all-targets --target $windows -- -D warnings (at $((SECONDS - started)) s)"
debian_cargo clippy -q -Zbuild-std --target "$windows" --workspace --all-targets -- -D warnings

for arch in aarch64 x86_64; do
  target=$arch-apple-darwin
  echo "== cargo check --workspace --all-targets --target $target (at $((SECONDS - started)) s)"
  cc=$(macos_stand_in_cc "$arch")
  (
    export "CC_${target//-/_}=$cc" "AR_${target//-/_}=llvm-ar"
    debian_cargo check -q -Zbuild-std --target "$target" --workspace --all-targets
  )
done
echo "== cross check done ($((SECONDS - started)) s)"
