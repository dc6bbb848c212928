# psephos — the two commands a user needs are `make demo` and `make test`.
# `.ci/run` calls `make test`, so CI runs exactly what a developer runs.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all demo test lint fmt unit vectors wasm-check bench bench-quick regenerate-vectors

all: test

## Run a whole election in process on the sample municipal config and print the verified result.
demo:
	$(CARGO) run --release -p psephos-cli --bin psephos -- demo --config election-config/municipal-2026.toml --voters 200

## Everything CI runs: formatting, lints, every test, the committed test vectors, and the
## core's wasm32 build (the browser runs the same code).
test: lint unit vectors wasm-check

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --locked

vectors:
	$(CARGO) run --locked -p psephos-cli --bin psephos -- vectors check

WASM_TARGET_DIR ?= target/wasm32
wasm-check:
	eval "$$(scripts/wasm-toolchain.sh)" && cargo build --locked -p psephos-core --no-default-features \
	  --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --release --target-dir $(WASM_TARGET_DIR)

fmt:
	$(CARGO) fmt --all

## Regenerate tests/vectors/ after a deliberate protocol change (then review the diff).
regenerate-vectors:
	$(CARGO) run -p psephos-cli --bin psephos -- vectors generate
	$(CARGO) run -p psephos-board --example gen_vectors

## Benchmarks (not part of `make test`): criterion, and the one-command overview.
bench:
	$(CARGO) bench -p psephos-benches --bench core

bench-quick:
	$(CARGO) run --release -p psephos-cli --bin psephos -- bench
