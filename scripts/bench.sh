#!/usr/bin/env bash
# Runs the benchmarks and prints their tables; each writes bench/results/<name>.json, then the
# charts (bench/results/*.svg) are drawn from them. See bench/README.md.
#
#   bash scripts/bench.sh                  # everything: goodput, overhead, core, charts
#   bash scripts/bench.sh goodput core     # some of them (charts are redrawn after any)
#
# Installs what is missing first, skipping what is there: the project's own set-up and build
# (scripts/setup.sh, scripts/build.sh) and the peers the benchmarks compare against, which are
# bench/package.json's own dependencies (never the root package's).
# SLUICE=/path/to/js/src/entry/node.js benchmarks another build of sluice with the same programs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m== %s\033[0m\n' "$*"; }

bash scripts/setup.sh
bash scripts/build.sh

# npm ci in bench/ only when its lockfile changed since the last install there.
stamp=bench/node_modules/.sluice-bench-lock
if [ ! -f "$stamp" ] || ! cmp -s bench/package-lock.json "$stamp"; then
  step "installing the benchmarks' own packages (bench/package.json)"
  npm ci --prefix bench --no-audit --no-fund
  cp bench/package-lock.json "$stamp"
fi

which=("$@")
[ ${#which[@]} -eq 0 ] && which=(goodput overhead core)

for name in "${which[@]}"; do
  case "$name" in
    goodput)
      step "goodput on virtual time: 6 strategies x 5 scenarios, and (a) and (c) with wrong estimates and bare 429s (a few minutes)"
      node bench/goodput/run.js
      step "goodput, (a) and (c) again with a provider that keeps the whole max_tokens"
      node bench/goodput/run.js --scenarios a,c --no-settle --out bench/results/goodput-no-settle.json
      step "goodput, (f) streamed chats against a cap on open streams"
      node bench/goodput/stream.js
      step "goodput, agent requests of 3-8 sub-calls with a 10 s budget each"
      node bench/goodput/agents/run.js
      ;;
    overhead)
      step "overhead on Node, real time: schedule() throughput and memory per queued job"
      node bench/overhead/run.js
      ;;
    core)
      step "the Rust core alone, native release build"
      cargo build --quiet --release --manifest-path bench/core/Cargo.toml
      bench/core/target/release/sluice-core-bench --out bench/results/core.json
      ;;
    charts) ;;
    *)
      echo "unknown benchmark '$name' (goodput, overhead, core, charts)" >&2
      exit 2
      ;;
  esac
done

step "charts"
node bench/charts.js
node bench/tables.js --write
