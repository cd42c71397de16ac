# faceid-edge: every target runs `setup` first, which installs what is missing.
#   make test    every test (Rust host, wasm in Node and Chromium, the packed npm package in Node, workerd, Chromium,
#                and through publint, attw, tsc, wrangler, Vite and esbuild)
#   make test-docs  the repository checks alone (words, Markdown links, error codes); no build needed
#   make pkg     the npm package in pkg/ (with the signing-only entry faceid-edge/sign in pkg/sign/), and the
#                simulator's (npx faceid-edge-simulator) in pkg-simulator/
#   make simulator  the simulator's package alone (no build needed)
#   make demo    the demo page and worker
#   make bench   speed and size, side by side with plain JavaScript
#   make soak    100 000 requests through the edge handler in workerd (figures for RELIABILITY.md)
#   make fuzz    every cargo-fuzz target of fuzz/ for FUZZ_SECONDS (default 60) each, at low priority
#                (nightly; not part of `make test`, which replays the fuzz corpus on the host)
SHELL := /bin/bash
WASM := target/wasm/wasm32-unknown-unknown/release/faceid_edge.wasm
FUZZ_SECONDS ?= 60

.PHONY: setup build pkg simulator test test-docs test-rust test-wasm test-js demo bench soak fuzz clean

setup:
	@scripts/setup

build: setup
	scripts/wasm-cargo build --release --lib

pkg: build
	node scripts/build-pkg.mjs $(WASM)
	node scripts/build-sign.mjs
	node scripts/build-simulator.mjs

# The companion package faceid-edge-simulator: packages/simulator/ and tests/sim/ (milliseconds).
simulator:
	node scripts/build-simulator.mjs

test: setup test-docs test-rust test-wasm test-js

test-docs:
	node --test tests/js/docs.test.mjs

test-rust: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	scripts/wasm-cargo clippy --workspace --lib --tests -- -D warnings
	scripts/wasm-cargo clippy --lib --no-default-features --features small-alloc -- -D warnings
	cargo test --workspace

test-wasm: setup
	scripts/test-wasm

test-js: pkg
	node --test --test-concurrency=1 tests/js/

demo: pkg
	node www/demo.mjs

bench: pkg
	node bench/run.mjs

# The long soak: 100 000 requests through the edge handler in workerd (see RELIABILITY.md).
soak: pkg
	node tests/soak.mjs

fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf target pkg pkg-simulator
