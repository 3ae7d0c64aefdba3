#!/usr/bin/env bash
# Every test: the Rust core on virtual time, then the JS package against the built wasm.
# Installs what is missing first (scripts/setup.sh), so it runs on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh

printf '\033[1m== cargo test\033[0m\n'
cargo test --quiet

printf '\033[1m== node --test\033[0m\n'
node --test tests/js/ www/test/

printf '\033[1m== runtimes\033[0m\n'
bash scripts/runtimes.sh

printf '\033[1m== size\033[0m\n'
bash scripts/size.sh --check
