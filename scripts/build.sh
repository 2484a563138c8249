#!/usr/bin/env bash
# Builds the wasm core into pkg/ (wasm-bindgen --target web) for the page in www/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --lib --target wasm32-unknown-unknown
.tools/bin/wasm-bindgen --target web --out-dir pkg target/wasm32-unknown-unknown/release/llbsim.wasm
# Graphviz (wasm) for the page's layout worker, loaded without a bundler: @viz-js/viz's
# self-contained ES module build (wasm inlined), from node_modules (npm ci).
if [ ! -f node_modules/@viz-js/viz/dist/viz.js ]; then
  echo "build.sh: node_modules/@viz-js/viz is missing: run npm ci (or scripts/setup.sh)" >&2
  exit 1
fi
mkdir -p www/vendor
cp node_modules/@viz-js/viz/dist/viz.js www/vendor/viz-standalone.mjs
