#!/usr/bin/env bash
# Installs what building and testing sluice needs, skipping what is already there:
# the wasm target, the wasm-bindgen-cli that matches Cargo.lock, and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m== %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must be the very version of the wasm-bindgen crate in Cargo.lock.
pinned=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$pinned" ]; then
  step "installing wasm-bindgen-cli $pinned (about two minutes)"
  # No --locked: the registry reachable here lacks some of the newest transitive versions.
  # --force: a binary deleted by hand still counts as installed for cargo.
  cargo install --force wasm-bindgen-cli --version "=$pinned"
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.sluice-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  step "installing npm packages"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
