#!/usr/bin/env bash
# The long runs, outside the test command: the JS soak (a million jobs through one limiter on a
# fake clock, every job settled once, memory flat) and the core's stateful property test for
# many steps. Arguments go to the JS soak (e.g. --jobs 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
printf '\033[1m== JS soak\033[0m\n'
node --expose-gc tests/soak/run.js "$@"
