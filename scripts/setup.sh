#!/usr/bin/env bash
# Installs everything llbsim's build and tests need, and nothing twice.
# Idempotent: a second run takes a few seconds. Used by scripts/serve.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Debian's Chromium and ChromeDriver (browser tests; never a downloaded browser).
if [ "${LLBSIM_SKIP_BROWSER:-0}" != 1 ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  say "installing chromium + chromium-driver from apt"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi

# 2. The wasm target (RUSTUP_AUTO_INSTALL=0 here, so ask for it explicitly).
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown

# 3. wasm-bindgen-cli pinned to the version in Cargo.lock, in a repo-local .tools/.
#    No --locked: its own lockfile pins a crate newer than this registry has.
WB_VERSION=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(.tools/bin/wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION into .tools/ (a few minutes, once)"
  cargo install --quiet --root .tools wasm-bindgen-cli --version "=$WB_VERSION"
fi

# 4. npm packages for the end-to-end test (playwright-core drives /usr/bin/chromium).
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "ready"
