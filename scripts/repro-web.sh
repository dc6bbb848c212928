#!/usr/bin/env bash
# The reproducible-build check of the web booth (`make repro-web`, part of `make test`): builds
# web/dist twice from the committed tree (HEAD) in two fresh directories of different depths, the
# second under another HOME and CARGO_HOME, and compares every file's SHA-256. Any difference
# (a timestamp, an absolute path, a toolchain that is not the pinned one) fails it.
#
# Offline: the second CARGO_HOME reuses the first one's downloaded registry (a link), and both
# builds use the installed pinned toolchain (scripts/wasm-toolchain.sh). Two cold wasm builds:
# about 30 minutes on a loaded 2-core machine (README, "Reproducible booth").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/psephos-repro.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export PSEPHOS_TOOLS="${PSEPHOS_TOOLS:-$HOME/.cache/psephos/tools}" CARGO_NET_OFFLINE=true

a="$work/a"
b="$work/b/another/checkout-of-psephos"
mkdir -p "$a" "$b" "$work/home-b" "$work/cargo-b"
ln -s "$cargo_home/registry" "$work/cargo-b/registry"
for d in "$a" "$b"; do git -C "$root" archive HEAD | tar -x -C "$d"; done

echo "== build 1 of 2 ($a)" >&2
(cd "$a" && WASM_TARGET_DIR=target/wasm32 scripts/build-web.sh)
echo "== build 2 of 2 ($b, another HOME and CARGO_HOME)" >&2
(cd "$b" && HOME="$work/home-b" CARGO_HOME="$work/cargo-b" WASM_TARGET_DIR=target/wasm32 \
  scripts/build-web.sh)

sums() { (cd "$1/web/dist" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
if ! diff <(sums "$a") <(sums "$b"); then
  echo "the two builds of web/dist differ (above: < build 1, > build 2)" >&2
  exit 1
fi
echo "web/dist is reproducible: $(sums "$a" | wc -l) files, identical in both builds" >&2
