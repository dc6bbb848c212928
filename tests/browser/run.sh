#!/usr/bin/env bash
# The browser tests: builds the `psephos` binary, installs the test's npm packages (lockfile),
# and runs the tests in Debian's headless Chromium. Needs `make web` first (web/dist).
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
[ -x /usr/bin/chromium ] || { echo "Debian's chromium is missing: apt-get install chromium" >&2; exit 1; }
[ -f "$root/web/dist/pkg/psephos_wasm_bg.wasm" ] || { echo "web/dist is not built: run make web" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
(cd "$root" && cargo build --locked -p psephos-cli --bin psephos)
export PSEPHOS_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/psephos"
node --test --test-concurrency=1 --test-timeout=900000 "$@" booth.test.js console.test.js ranked.test.js writein.test.js
