# Sourced by scripts/cross-check.sh and scripts/wine-tests.sh: installs, when missing,
# what building for Windows and macOS needs on this Debian machine, and names it.
#
# rustup cannot fetch other targets' standard libraries here (only package registries
# are reachable), but Debian's own Rust ships the standard library's source
# (rust-web-src), so cargo's -Zbuild-std builds it for any target. RUSTC_BOOTSTRAP=1
# allows that unstable flag on this stable compiler. Debian's cargo stays off PATH for
# everything else: it is called by full path, with /usr/bin first only for itself, so
# its own cargo-clippy and rustc are the ones it runs (rustup's are first on PATH).
# Cross builds go to target/cross, so the host build's cache is left alone.

cross_packages="rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 wine64 clang llvm"
cross_ready() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/cargo-clippy ] && [ -d /usr/lib/rustlib/src/rust/library ] &&
    command -v x86_64-w64-mingw32-gcc >/dev/null && [ -x /usr/lib/wine/wine64 ] &&
    command -v clang >/dev/null && command -v llvm-ar >/dev/null
}
if ! cross_ready; then
  # Another job of .ci/run may be installing packages too: wait for dpkg's lock.
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $cross_packages >/dev/null 2>&1 ||
    { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $cross_packages >/dev/null; }
  cross_ready || { echo "the cross toolchain is still incomplete after installing $cross_packages" >&2; exit 1; }
fi

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cross_target_dir="$repo_root/target/cross"
# Debian's cargo, with Debian's rustc, clippy-driver and rustdoc, building in
# target/cross. (Set for this command only: the host's cargo keeps target/.)
debian_cargo() {
  PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$cross_target_dir" /usr/bin/cargo "$@"
}

# There is no macOS SDK here, so ring's C sources (and any other build script's) cannot
# really be compiled for macOS. A type check needs only that they "compile": this
# stand-in compiler turns every compilation into an empty Mach-O object of the right
# architecture, through clang. It is never used for a build that is linked.
macos_stand_in_cc() {
  local arch=$1 script="$cross_target_dir/stand-in-cc-$1"
  mkdir -p "$cross_target_dir"
  cat >"$script" <<SCRIPT
#!/usr/bin/env bash
# Stand-in C compiler for a type check of the $arch-apple-darwin target (scripts/cross-env.sh).
set -euo pipefail
out=
while [ \$# -gt 0 ]; do
  case "\$1" in
    -o) out=\$2; shift ;;
    --version|-v) exec clang --version ;;
  esac
  shift
done
[ -n "\$out" ] || { echo "stand-in cc: no -o given" >&2; exit 1; }
exec clang --target=$arch-apple-macos11 -c -x c /dev/null -o "\$out"
SCRIPT
  chmod +x "$script"
  echo "$script"
}
