#!/usr/bin/env bash
# The README's second command: install what is missing, then run every test layer.
#   1. native: cargo test (unit, corpus, formats, loader errors, malformed/truncated/garbage
#      input, 100k-op chain on a small stack, CLI, doc tests)
#   2. lint: cargo fmt --check, cargo clippy -D warnings (native and wasm32)
#   3. wasm: wasm-bindgen tests in Node (tests/wasm_node.rs) and headless Chromium (tests/wasm_web.rs)
#   4. end to end: the built page in Chromium, driven by playwright-core (e2e/*.test.mjs)
# The coverage-guided fuzzer is not run here (it needs cargo-fuzz); see fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "native tests"
cargo test

step "format and lints"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --all-targets --quiet --target wasm32-unknown-unknown -- -D warnings

step "wasm tests (Node and headless Chromium)"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
export PATH="$PWD/.tools/bin:$PATH"
cargo test --target wasm32-unknown-unknown --test wasm_node
cargo test --target wasm32-unknown-unknown --test wasm_web

step "end-to-end browser tests"
bash scripts/build.sh
node --test e2e/

step "all tests passed"
