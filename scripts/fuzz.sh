#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and prints how many inputs each
# executed (`make fuzz`: 10 minutes a target; `make fuzz-smoke`, run by `make test`: 10 s).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 0 ballot   # until 10^7 inputs (0: no time limit)
# The corpus (fuzz/corpus/, not committed) is seeded from a real election record made by
# `psephos demo` and grows from run to run. A crash stops the run with a non-zero status and
# leaves the input in fuzz/artifacts/<target>/; make it a regression test, then fix it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ballot challenge payload json_bodies board_entry record note manifest credential_code verify_record)

# cargo-fuzz wants nightly for its sanitizer flags; without a nightly toolchain, stable's own
# compiler is allowed them (RUSTC_BOOTSTRAP) and the address sanitizer is left out.
if cargo +nightly --version >/dev/null 2>&1; then
  toolchain=(+nightly); sanitizer=address
else
  echo "fuzz: no nightly toolchain; fuzzing with stable and no sanitizer" >&2
  toolchain=(); sanitizer=none; export RUSTC_BOOTSTRAP=1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (once)" >&2
  cargo install cargo-fuzz --locked --version 0.13.2 >&2
fi

# Seeds: a small real election (ceremony, ballots, challenges, tally, shares, result).
corpus=fuzz/corpus
if [ ! -f "$corpus/.seeded" ]; then
  cargo build --locked -q -p psephos-cli --bin psephos
  seed="$(mktemp -d)"
  target/debug/psephos demo --voters 6 --record "$seed/seed.record" >/dev/null
  cargo "${toolchain[@]}" fuzz build -O --sanitizer "$sanitizer" --fuzz-dir fuzz >&2
  fuzz/target/x86_64-unknown-linux-gnu/release/seed-corpus "$seed/seed.record" election-config "$corpus"
  rm -rf "$seed"
  touch "$corpus/.seeded"
fi

summary=()
for t in "${targets[@]}"; do
  mkdir -p "$corpus/$t"
  log="$(mktemp)"
  # The verifier verifies real proofs: keep its inputs near the seed record's size.
  extra=()
  [ "$t" = verify_record ] && extra=(-max_len=131072 -timeout=60)
  [ -n "${FUZZ_RUNS:-}" ] && extra+=(-runs="$FUZZ_RUNS")
  if ! cargo "${toolchain[@]}" fuzz run -O --sanitizer "$sanitizer" --fuzz-dir fuzz "$t" "$corpus/$t" -- \
      -max_total_time="$seconds" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  runs="$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")"
  rm -f "$log"
  summary+=("$t $runs")
  echo "fuzz: $t: ${runs:-?} inputs"
done
printf 'fuzz: %s\n' "${summary[@]}" > fuzz/last-run.txt
