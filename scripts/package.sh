#!/usr/bin/env bash
# Checks that every library crate can be published: packaged as crates.io would receive it,
# a publish dry run of those packages, every target (examples, tests, benches) and the
# README doctests built from the unpacked packages (each sibling taken from its own
# package, not from this checkout), and the docs with warnings as errors, as on docs.rs too
# (--cfg docsrs, all features). Reads the crates.io index; uploads nothing. Run from
# anywhere; uncommitted changes are refused by cargo unless ALLOW_DIRTY=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS
stage() { echo "== $1 (at $((SECONDS - started)) s)"; }

crates=(skytells-auth skytells-auth-tls skytells-auth-store skytells-auth-blocking skytells-auth-tokio)
selected=()
for crate in "${crates[@]}"; do selected+=(-p "$crate"); done
dirty=()
if [ "${ALLOW_DIRTY:-0}" = 1 ]; then dirty=(--allow-dirty); fi

# Packaged without cargo's own build of each package: the build from the unpacked packages
# below is that build and more (every target, all features, the doctests), with each
# sibling taken from its package the same way. Building both cost about 80 s more.
stage "cargo package --no-verify"
cargo package --no-verify "${dirty[@]}" "${selected[@]}"

stage "cargo publish --dry-run --no-verify (crates.io's checks of the manifests and the index; nothing is uploaded)"
cargo publish --dry-run --no-verify "${dirty[@]}" "${selected[@]}"

stage "every target and the README doctests, from the unpacked packages (the verification build)"
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
version=$(cargo metadata --format-version 1 --no-deps |
  grep -o '"name":"skytells-auth","version":"[^"]*"' | sed 's/.*"version":"\([^"]*\)"/\1/')
members=() patches=()
for crate in "${crates[@]}"; do
  # -m: the files get the time of extraction, not the fixed one cargo packages with, or
  # cargo would take the previous run's build of these paths for up to date.
  tar -xzmf "target/package/$crate-$version.crate" -C "$unpacked"
  members+=("\"$crate-$version\"")
  patches+=("$crate = { path = \"$crate-$version\" }")
done
# A workspace of the unpacked crates alone, whose dependencies on each other resolve to
# the unpacked siblings (they are not on crates.io yet), at the versions this checkout's
# lock file tested.
{
  echo '[workspace]'
  echo 'resolver = "2"'
  echo "members = [$(IFS=,; echo "${members[*]}")]"
  echo '[patch.crates-io]'
  printf '%s\n' "${patches[@]}"
} >"$unpacked/Cargo.toml"
cp Cargo.lock "$unpacked/"
# This checkout's target folder: the registry dependencies are already built there.
export CARGO_TARGET_DIR="$root/target"
(cd "$unpacked" && cargo build --workspace --all-targets --all-features)
(cd "$unpacked" && cargo test --workspace --doc --all-features)

stage "cargo doc --workspace --no-deps, warnings as errors"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

stage "the library crates' docs as docs.rs builds them (--cfg docsrs, all features; nightly features on stable via RUSTC_BOOTSTRAP)"
RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="--cfg docsrs -D warnings" cargo doc --no-deps --all-features "${selected[@]}"

stage "done"
