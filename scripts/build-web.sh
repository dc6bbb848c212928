#!/usr/bin/env bash
# Builds the browser front end into web/dist (not committed): the psephos-wasm crate compiled
# to wasm32 from source, bound with wasm-bindgen, optimized with wasm-opt, next to the pages
# from web/src. `psephos serve` serves web/dist at / by default. Called by `make web`.
#
# WASM_TARGET_DIR: cargo target directory for the wasm32 build (default target/wasm32).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/wasm-toolchain.sh --web)"
target_dir="${WASM_TARGET_DIR:-target/wasm32}"
out=web/dist

# Debug info is of no use in the browser and makes linking slow.
CARGO_PROFILE_RELEASE_DEBUG=false cargo build --locked -p psephos-wasm \
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
rm -rf "$out"
mv "$out.tmp" "$out"
echo "web front end built in $out ($(du -h "$out/pkg/psephos_wasm_bg.wasm" | cut -f1) wasm)" >&2
