#!/usr/bin/env bash
# The live page (www/): builds it with esbuild into www/dist/, prints the size of every file,
# then serves it on 127.0.0.1 and prints the URL. Sets up and builds the package first if needed.
#   bash scripts/www.sh            build, then serve on port 8080 (PORT=… to change it)
#   bash scripts/www.sh --build    only build
set -euo pipefail
cd "$(dirname "$0")/.."

# The npm packages (esbuild, uplot, p-limit) and the wasm toolchain: setup.sh skips what is there.
bash scripts/setup.sh
# The package must be built, and not older than the Rust sources.
wasm=js/wasm/sluice_bg.wasm
if [ ! -f "$wasm" ] || [ -n "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ]; then
  bash scripts/build.sh
fi
node www/build.js
if [ "${1:-}" = "--build" ]; then exit 0; fi
exec node www/serve.js "${PORT:-8080}"
