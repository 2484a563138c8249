#!/usr/bin/env bash
# The README's first command: install what is missing, build, and serve the page.
# Opens on the embedded default demo at http://127.0.0.1:${PORT:-8000}/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
echo "llbsim: serving on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C to stop)"
exec node e2e/serve.mjs . "${PORT:-8000}"
