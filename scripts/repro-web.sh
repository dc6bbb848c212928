#!/usr/bin/env bash
# The reproducible-build check of the web booth (`make repro-web`, part of `make test`): builds
# web/dist from the committed tree (HEAD) in a fresh directory under another HOME and CARGO_HOME
# and compares every file's SHA-256 with the working tree's own web/dist (which `make web` built
# just before, in `make test`). Any difference (a timestamp, an absolute path, a toolchain that is
# not the pinned one) fails it. When the working tree is not HEAD (uncommitted changes) or has no
# web/dist, or with `--twice`, the first build is a second fresh one instead.
#
# Offline: the other CARGO_HOME reuses the downloaded registry (a link), and every build uses the
# installed pinned toolchain (scripts/wasm-toolchain.sh). One cold wasm build: about 15 minutes on
# a loaded 2-core machine; `--twice` doubles it (README, "Reproducible booth").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/psephos-repro.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export PSEPHOS_TOOLS="${PSEPHOS_TOOLS:-$HOME/.cache/psephos/tools}" CARGO_NET_OFFLINE=true

a="$root"
if [ "${1:-}" = "--twice" ] || [ ! -d "$root/web/dist" ] \
  || [ -n "$(git -C "$root" status --porcelain --untracked-files=normal -- . ':!web/dist' ':!target' ':!fuzz/target' ':!fuzz/corpus' ':!fuzz/artifacts')" ]; then
  a="$work/a"
  mkdir -p "$a"
  git -C "$root" archive HEAD | tar -x -C "$a"
  echo "== build 1 of 2 ($a)" >&2
  (cd "$a" && WASM_TARGET_DIR=target/wasm32 scripts/build-web.sh)
else
  echo "== build 1 of 2: this working tree's web/dist (it is HEAD)" >&2
fi
b="$work/b/another/checkout-of-psephos"
mkdir -p "$b" "$work/home-b" "$work/cargo-b"
ln -s "$cargo_home/registry" "$work/cargo-b/registry"
git -C "$root" archive HEAD | tar -x -C "$b"
echo "== build 2 of 2 ($b, another HOME and CARGO_HOME)" >&2
(cd "$b" && HOME="$work/home-b" CARGO_HOME="$work/cargo-b" WASM_TARGET_DIR=target/wasm32 \
  scripts/build-web.sh)

sums() { (cd "$1/web/dist" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
if ! diff <(sums "$a") <(sums "$b"); then
  echo "the two builds of web/dist differ (above: < build 1, > build 2)" >&2
  exit 1
fi
echo "web/dist is reproducible: $(sums "$a" | wc -l) files, identical in both builds" >&2
