#!/usr/bin/env bash
# Prints the size of what the package ships: the .wasm raw and gzipped, and the JS wrapper
# gzipped (the browser entry with js/src and wasm-bindgen's glue; as shipped, and minified the
# way an app's bundler ships it). Targets: .wasm ≤ 60 KB gzipped, JS ≤ 8 KB gzipped (1 KB =
# 1000 bytes; gzip -9). `--check` exits 1 when a target is missed. Run scripts/build.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

wasm=js/wasm/sluice_bg.wasm
glue=js/wasm/sluice.js
if [ ! -f "$wasm" ] || [ ! -f "$glue" ]; then
  echo "no build in js/wasm: run bash scripts/build.sh first" >&2
  exit 2
fi

gz() { gzip -9 -n -c | wc -c; }
raw=$(wc -c < "$wasm")
wasm_gz=$(gz < "$wasm")
# Every module the browser entry loads: the API (js/src, entries excepted), the glue, the entry.
shipped_gz=$(cat $(find js/src -maxdepth 1 -name '*.js' | sort) "$glue" js/src/entry/browser.js | gz)
min_gz=$(node_modules/.bin/esbuild js/src/entry/browser.js --bundle --minify --format=esm \
  --external:'*.wasm' --log-level=error | gz)

verdict() { if [ "$1" -le "$2" ]; then echo "ok"; else echo "OVER"; fi; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }

printf '%-36s %9s raw  %9s gzipped  (target ≤ 60 KB: %s)\n' ".wasm ($wasm)" "$(kb "$raw")" "$(kb "$wasm_gz")" "$(verdict "$wasm_gz" 60000)"
printf '%-36s %9s      %9s gzipped  (target ≤ 8 KB: %s)\n' "JS wrapper, minified bundle" "" "$(kb "$min_gz")" "$(verdict "$min_gz" 8000)"
printf '%-36s %9s      %9s gzipped  (unminified, as in the package)\n' "JS wrapper, as shipped" "" "$(kb "$shipped_gz")"

if [ "${1:-}" = "--check" ] && { [ "$wasm_gz" -gt 60000 ] || [ "$min_gz" -gt 8000 ]; }; then exit 1; fi
