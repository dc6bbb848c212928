#!/usr/bin/env bash
# Builds the browser front end into web/dist (not committed): the psephos-wasm crate compiled
# to wasm32 from source, bound with wasm-bindgen, optimized with wasm-opt, next to the pages
# from web/src, sealed for Subresource Integrity (scripts/seal-web.mjs). `psephos serve` serves
# web/dist (`--web`). Reproducible: the same commit and the pinned toolchain
# (scripts/wasm-toolchain.sh) give the same bytes in any directory and under any HOME
# (scripts/repro-web.sh checks it). Called by `make web`.
#
# WASM_TARGET_DIR: cargo target directory for the wasm32 build (default target/wasm32).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/wasm-toolchain.sh --web)"
target_dir="${WASM_TARGET_DIR:-target/wasm32}"
out=web/dist

# Debug info is of no use in the browser and makes linking slow. trim-paths (cargo's
# reproducible-build option) rewrites every source path rustc embeds (panic locations): the
# workspace's to relative paths, the registry's under CARGO_HOME and the standard library's to
# fixed prefixes, so that neither the checkout's directory nor HOME reaches the output.
CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_TRIM_PATHS=all \
  cargo build --locked -p psephos-wasm -Ztrim-paths \
  --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --release \
  --target-dir "$target_dir"

rm -rf "$out.tmp"
mkdir -p "$out.tmp/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$out.tmp/pkg" \
  "$target_dir/wasm32-unknown-unknown/release/psephos_wasm.wasm"
# rustc's wasm32 target enables these features; tell wasm-opt so it keeps them.
wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-multivalue --enable-reference-types \
  -o "$out.tmp/pkg/psephos_wasm_bg.wasm" "$out.tmp/pkg/psephos_wasm_bg.wasm"
cp -R web/src/. "$out.tmp/"
# Subresource Integrity: the wasm's hash into integrity.js, the scripts' and stylesheet's into
# the pages (scripts/seal-web.mjs).
node scripts/seal-web.mjs "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "web front end built in $out ($(du -h "$out/pkg/psephos_wasm_bg.wasm" | cut -f1) wasm)" >&2
