#!/usr/bin/env bash
# Prints the size of what the package ships: the .wasm raw and gzipped, and the JS wrapper
# gzipped (the browser entry with js/src and wasm-bindgen's glue; as shipped, and minified the
# way an app's bundler ships it), then each optional entry minified on a line of its own.
# Targets: .wasm ≤ 60 KB gzipped, the main entry's JS ≤ 12 KB gzipped, each optional entry its
# own (1 KB = 1000 bytes; gzip -9). `--check` exits 1 when a target is missed. Run
# scripts/build.sh first.
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
# The modules the browser entry loads, as shipped (unminified): the entry's import graph.
graph=$(node_modules/.bin/esbuild js/src/entry/browser.js --bundle --format=esm --external:'*.wasm' \
  --metafile=/dev/stdout --outfile=/dev/null --log-level=error | node -e \
  'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(Object.keys(JSON.parse(s).inputs).join("\n")))')
shipped_gz=$(cat $graph | gz)
minified() { node_modules/.bin/esbuild "$1" --bundle --minify --format=esm --external:'*.wasm' --log-level=error | gz; }
# The main entry as a bundler that splits code ships it: its own chunks, and apart the modules
# it loads with import() when first needed (streams; what a thrown error says).
read -r min_gz lazy_gz <<< "$(node scripts/bundle-size.js js/src/entry/browser.js --split)"

verdict() { if [ "$1" -le "$2" ]; then echo "ok"; else echo "OVER"; fi; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
over=0
line() { # label bytes target
  printf '%-36s %9s      %9s gzipped  (target ≤ %s: %s)\n' "$1" "" "$(kb "$2")" "$(kb "$3")" "$(verdict "$2" "$3")"
  [ "$2" -le "$3" ] || over=1
}

printf '%-36s %9s raw  %9s gzipped  (target ≤ 60 KB: %s)\n' ".wasm ($wasm)" "$(kb "$raw")" "$(kb "$wasm_gz")" "$(verdict "$wasm_gz" 60000)"
[ "$wasm_gz" -le 60000 ] || over=1
line "JS wrapper (sluice), minified" "$min_gz" 12000
printf '%-36s %9s      %9s gzipped  (loaded on first use: streams, thrown errors)\n' "  + chunks it loads when needed" "" "$(kb "$lazy_gz")"
printf '%-36s %9s      %9s gzipped  (unminified, as in the package)\n' "JS wrapper, as shipped" "" "$(kb "$shipped_gz")"
# Optional entries: what an app pays only when it imports them (the main entry excluded).
line "sluice/estimate, minified" "$(minified js/src/estimate.js)" 2000
line "sluice/fetch, minified" "$(minified js/src/fetch.js)" 4000
line "sluice/otel, minified" "$(minified js/src/metrics/otel.js)" 4000
line "sluice/prometheus, minified" "$(minified js/src/metrics/prometheus.js)" 4000
# sluice/durable: the coordinator's Durable Object, its glue, and its own .wasm (only the object loads it).
durable_wasm=js/wasm/sluice_durable_bg.wasm
if [ -f "$durable_wasm" ]; then
  line "sluice/durable, minified (JS)" "$(node_modules/.bin/esbuild js/src/entry/durable.js --bundle --minify --format=esm --external:'*.wasm' --external:'cloudflare:*' --log-level=error | gz)" 4000
  line "sluice/durable .wasm" "$(gz < "$durable_wasm")" 20000
fi

if [ "${1:-}" = "--check" ] && [ "$over" -ne 0 ]; then exit 1; fi
