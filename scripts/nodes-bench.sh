#!/usr/bin/env bash
# Several nodes on one PostgreSQL, measured: starts a throwaway PostgreSQL cluster (initdb, fsync
# and synchronous_commit on, as the `postgres` user when run as root), then runs the release
# build's `psephos bench load` against it with 1, 2 and 3 nodes (HTTP, proofs verified, every
# acknowledgement durable), and `--sequence-only` (the database's own ceiling for ballots
# already verified) with 1 and 3 nodes. The cluster is removed at the end. BENCHMARKS.md
# ("Several nodes") quotes its output.
#
#   scripts/nodes-bench.sh                 # 3000 ballots per run
#   BALLOTS=10000 CLIENTS=64 scripts/nodes-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ballots="${BALLOTS:-3000}"
clients="${CLIENTS:-32}"
bin="${PSEPHOS:-target/release/psephos}"
[ -x "$bin" ] || cargo build --release --locked -p psephos-cli
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
export PATH="$pgbin:$PATH"
dir="$(mktemp -d /tmp/psephos-nodes-bench.XXXXXX)"
port="$((20000 + RANDOM % 20000))"
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as_pg=(runuser -u postgres --); fi
cleanup() { "${as_pg[@]}" pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as_pg[@]}" initdb -D "$dir/data" -U postgres -A trust >/dev/null
"${as_pg[@]}" pg_ctl -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200" \
  start >/dev/null
url() { echo "postgres://postgres@127.0.0.1:$port/$1"; }
n=0
run() {
  n=$((n + 1))
  "${as_pg[@]}" createdb -h 127.0.0.1 -p "$port" -U postgres "bench$n"
  "$bin" bench load --database "$(url "bench$n")" --ballots "$ballots" "$@" 2>/dev/null
}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run --clients "$clients" --nodes 1
run --clients "$clients" --nodes 1 --multi-node
run --clients "$clients" --nodes 2
run --clients "$clients" --nodes 3
run --clients 8 --nodes 1 --multi-node --sequence-only --batch 64
run --clients 8 --nodes 3 --sequence-only --batch 64
run --clients 8 --nodes 3 --sequence-only --batch 256
echo "machine after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
