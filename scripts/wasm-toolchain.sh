#!/usr/bin/env bash
# Installs (idempotently) the toolchain that builds Rust for wasm32-unknown-unknown on these
# machines — Debian's rustc-web with the standard library sources, since rustup cannot add the
# wasm32 target here — and prints the environment to use it:
#   eval "$(scripts/wasm-toolchain.sh)"
set -euo pipefail
pkgs=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
# Debian's cargo must come before rustup's proxies; build-std needs RUSTC_BOOTSTRAP.
echo "export PATH=/usr/bin:\$PATH RUSTC_BOOTSTRAP=1"
