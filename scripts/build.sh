#!/usr/bin/env bash
# Builds the wasm core into pkg/ (wasm-bindgen --target web) for the page in www/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --lib --target wasm32-unknown-unknown
.tools/bin/wasm-bindgen --target web --out-dir pkg target/wasm32-unknown-unknown/release/llbsim.wasm
