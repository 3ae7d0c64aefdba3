#!/usr/bin/env bash
# The main demo: builds sluice, then runs a batch of calls through it against the mock
# provider (demo/run.js). Arguments go to the demo, e.g. `bash scripts/demo.sh --jobs 100`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
node demo/run.js "$@"
