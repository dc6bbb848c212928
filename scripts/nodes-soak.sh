#!/usr/bin/env bash
# Several nodes on one PostgreSQL, many rounds: three real `psephos serve --multi-node` processes,
# concurrent clients casting through all three, the sealing node killed with SIGKILL each round
# (then frozen with SIGSTOP once), every acknowledged ballot checked on the board, one history
# checked by an observer of every node, `psephos verify` at the end. The test is
# crates/psephos-cli/tests/integration/nodes.rs (`make test` runs 3 rounds of it with a 1.5 s
# lease); this runs ROUNDS (default 20) with the default sealer lease (3 s) and prints each
# round's failover time and the median and maximum that BENCHMARKS.md quotes.
#
#   scripts/nodes-soak.sh
#   ROUNDS=50 LEASE=1s scripts/nodes-soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-20}"
PSEPHOS_NODES_ROUNDS="$rounds" PSEPHOS_NODES_LEASE="${LEASE:-3s}" "${CARGO:-cargo}" test --locked \
  -p psephos-cli --test integration -- nodes:: --nocapture --test-threads 1 2>&1 \
  | grep -E '^(round |three nodes|test |test result)'
