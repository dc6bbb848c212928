#!/usr/bin/env bash
# kill -9 under load, many rounds: a real `psephos serve` is killed with SIGKILL while concurrent
# clients cast ballots, restarted on the same database, and every acknowledged ballot must be on
# the board — on SQLite and on PostgreSQL. The test is crates/psephos-cli/tests/integration/kill9.rs
# (`make test` runs 3 rounds of it); this runs ROUNDS (default 30) and prints the figures that
# SECURITY.md quotes.
#
#   scripts/kill9.sh              # 30 rounds on each backend
#   ROUNDS=100 scripts/kill9.sh
#   RELEASE=1 scripts/kill9.sh    # a release build (server and clients faster)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-30}"
profile=()
if [ -n "${RELEASE:-}" ]; then profile=(--release); fi
PSEPHOS_KILL9_ROUNDS="$rounds" "${CARGO:-cargo}" test "${profile[@]}" --locked -p psephos-cli \
  --test integration -- kill9:: --nocapture --test-threads 1 2>&1 \
  | grep -E '^(kill -9 loop|test |test result)'
