#!/usr/bin/env bash
# The long run of the core's stateful property test (tests/state_machine.rs): random sequences
# of every Scheduler call, the invariants checked after each step. Release build, with overflow
# checks and debug assertions on, so that any overflow still fails. Prints the steps run and
# the time taken; a failure prints the smallest sequence that breaks an invariant.
#
#   bash scripts/soak-core.sh                          # 10 million steps
#   SLUICE_SOAK_STEPS=1000000 bash scripts/soak-core.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export SLUICE_SOAK_STEPS="${SLUICE_SOAK_STEPS:-10000000}"
# A target directory of its own: other flags than the wasm and test builds, no rebuild of theirs.
CARGO_TARGET_DIR=target/soak RUSTFLAGS="-C overflow-checks=on -C debug-assertions=on" \
  cargo test --quiet --release --test state_machine soak -- --ignored --nocapture
