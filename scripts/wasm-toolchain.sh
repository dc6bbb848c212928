#!/usr/bin/env bash
# Installs (idempotently) the toolchain that builds Rust for wasm32-unknown-unknown on these
# machines, and prints the environment to use it:
#   eval "$(scripts/wasm-toolchain.sh)"          # rustc for wasm32 (make wasm-check)
#   eval "$(scripts/wasm-toolchain.sh --web)"    # also wasm-bindgen and wasm-opt (make web)
#
# - Debian's rustc-web with the standard library sources (build-std), since rustup cannot add
#   the wasm32 target here, at the exact Debian versions below (the reproducible build, README
#   "Reproducible booth": the same commit and these versions give the same web/dist, byte for
#   byte). Debian's security archive keeps only its newest version, so when the pinned one cannot
#   be installed the newest is used with a warning: the build is still reproducible with itself
#   (`make repro-web`) but will not match a reference build of the pinned version.
#   PSEPHOS_STRICT_TOOLCHAIN=1 (for release builds) refuses any other version instead;
# - with --web: wasm-bindgen-cli at exactly the version of the `wasm-bindgen` crate in
#   Cargo.lock (the two must match), built with cargo install; and wasm-opt from the npm package
#   `binaryen` (Debian's older binaryen produces broken output). Both go under
#   $PSEPHOS_TOOLS (default ~/.cache/psephos/tools), one directory per version.
set -euo pipefail
web=0
[ "${1:-}" = "--web" ] && web=1
root="$(cd "$(dirname "$0")/.." && pwd)"

# The pinned toolchain: Debian package = version.
rust_web=1.96.0+dfsg1-1~deb12u2
pins=(rustc-web="$rust_web" cargo-web="$rust_web" rust-web-src="$rust_web"
  rust-web-llvm="$rust_web" lld-22=1:22.1.8-1~deb12u1)
missing=()
unpinned() {
  if [ "${PSEPHOS_STRICT_TOOLCHAIN:-0}" = 1 ]; then
    echo "$1; refused (PSEPHOS_STRICT_TOOLCHAIN=1): install the pinned version" >&2
    exit 1
  fi
  echo "WARNING: $1; this web build will not match a reference build of the pinned toolchain" >&2
}
for pin in "${pins[@]}"; do
  p="${pin%%=*}" want="${pin#*=}"
  have="$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)"
  case "$have" in
    "install ok installed $want") ;;
    "install ok installed "*) unpinned "$p ${have##* } is installed, the pin is $want" ;;
    *) missing+=("$pin") ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; then
    unpinned "the pinned ${missing[*]} cannot be installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]%%=*}" >&2
  fi
fi
# Debian's cargo must come before rustup's proxies; build-std needs RUSTC_BOOTSTRAP.
path="/usr/bin:$PATH"

if [ "$web" = 1 ]; then
  tools="${PSEPHOS_TOOLS:-$HOME/.cache/psephos/tools}"
  # The wasm-bindgen version the crate is locked to.
  wb_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"
  [ -n "$wb_version" ] || { echo "no wasm-bindgen in Cargo.lock" >&2; exit 1; }
  wb_root="$tools/wasm-bindgen-$wb_version"
  if ! "$wb_root/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $wb_version"; then
    echo "installing wasm-bindgen-cli $wb_version (a few minutes, once)" >&2
    # rustup's stable cargo builds the host tool; no --locked (its lockfile pins old crates).
    cargo install wasm-bindgen-cli --version "$wb_version" --no-default-features \
      --bin wasm-bindgen --root "$wb_root" >&2
  fi
  binaryen_version=132.0.0
  bn_root="$tools/binaryen-$binaryen_version"
  if ! "$bn_root/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1; then
    command -v npm >/dev/null 2>&1 || {
      echo "installing npm" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
    }
    echo "installing binaryen $binaryen_version from npm" >&2
    mkdir -p "$bn_root"
    npm install --prefix "$bn_root" --no-save --no-audit --no-fund --loglevel=error \
      "binaryen@$binaryen_version" >&2
  fi
  path="$path:$wb_root/bin:$bn_root/node_modules/.bin"
fi
printf 'export PATH=%q RUSTC_BOOTSTRAP=1\n' "$path"
