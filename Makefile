# psephos — the two commands a user needs are `make demo` and `make test`.
# `.ci/run` calls `make test`, so CI runs exactly what a developer runs.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all demo demo-offline demo-ranked test lint fmt unit vectors wasm-check web repro-web browser-test bench bench-quick regenerate-vectors fuzz fuzz-smoke

all: test

## Serve three sample elections (municipal, referendum, and the ranked one: IRV, STV and a
## referendum) from one service, open for voting, on http://127.0.0.1:8080 (the list at /, each
## election's pages at /e/<id>/): builds the booth, runs each election's 3-trustee ceremony over
## HTTP, publishes credentials, runs a witness that cosigns each board, and prints the booth and
## observer URLs, credential codes to vote with, the keys to pin, and the commands (naming the
## built binary) that close, mix (the ranked election), tally, decrypt, export and verify.
demo: web
	RUST_LOG=$${RUST_LOG:-warn} $(CARGO) run --locked -p psephos-cli --bin psephos -- demo-serve \
	  --config election-config/municipal-2026.toml --config election-config/referendum.toml \
	  --config election-config/ranked-2026.toml --web web/dist

## A whole election in process (ceremony, 1,000 voters with revotes and challenges, tally with a
## trustee absent) written to a record and verified: no server, no browser.
demo-offline:
	$(CARGO) run --release --locked -p psephos-cli --bin psephos -- demo --config election-config/municipal-2026.toml --record demo.record

## The sample ranked election (election-config/ranked-2026.toml: IRV, STV of two seats and a
## referendum) in process: ceremony, 1,000 voters casting ranked ballots, the ranked contests
## mixed by the three trustees, decrypted, counted round by round, and the record verified
## (check 28 recounts every ranked contest).
demo-ranked:
	$(CARGO) run --release --locked -p psephos-cli --bin psephos -- demo --config election-config/ranked-2026.toml --record demo-ranked.record

## Everything CI runs: formatting, lints, every test, the committed test vectors, the browser
## front end built from source (the core compiled to wasm32: the browser runs the same code)
## and the browser tests in headless Chromium, the reproducible-build check of the web front end,
## and every fuzz target briefly.
test: lint unit vectors web browser-test repro-web fuzz-smoke

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

## The browser front end (web/dist): psephos-wasm built for wasm32, bound and optimized, with
## the pages of web/src. Installs its toolchain on first use (scripts/wasm-toolchain.sh).
web:
	WASM_TARGET_DIR=$(WASM_TARGET_DIR) scripts/build-web.sh

## The web front end built again from the committed tree (HEAD) in another directory under
## another HOME and CARGO_HOME, and every file's SHA-256 compared with this tree's web/dist
## (scripts/repro-web.sh; one cold wasm build, about 15 minutes on a loaded 2-core machine;
## `scripts/repro-web.sh --twice` builds both sides fresh).
repro-web: web
	scripts/repro-web.sh

## Voting, challenging, revoting and verifying in headless Chromium against a real server.
browser-test: web
	tests/browser/run.sh

fmt:
	$(CARGO) fmt --all

## Every cargo-fuzz target (fuzz/) for FUZZ_SECONDS each (default 10 minutes); prints the
## inputs each executed. A crash stops it and leaves the input in fuzz/artifacts/.
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

## What `make test` runs: each fuzz target for 10 seconds from the seeded corpus.
fuzz-smoke:
	scripts/fuzz.sh 10

## Regenerate every committed vector file after a deliberate protocol change (then review the
## diff): the core's tests/vectors/*.json and the board's Merkle vectors (docs/protocol.md §14).
regenerate-vectors:
	$(CARGO) run -p psephos-cli --bin psephos -- vectors generate
	$(CARGO) run -p psephos-board --example gen_vectors

## Benchmarks (not part of `make test`): criterion, and the one-command overview.
bench:
	$(CARGO) bench -p psephos-benches --bench core

bench-quick:
	$(CARGO) run --release -p psephos-cli --bin psephos -- bench
