#!/usr/bin/env bash
# Builds the wasm core and its JS glue into js/wasm/, then shrinks the .wasm with wasm-opt -Oz.
set -euo pipefail
cd "$(dirname "$0")/.."

# The codes and names JS shares with the core (js/src/codes.js, names.js), written from their
# one definition in src/wire/ (a native run; `cargo test` fails if the files in git are stale).
cargo run --quiet --example codes-js -- --write

cargo build --quiet --release --target wasm32-unknown-unknown
# --target web gives initSync/init that every entry (Node, Workers, browsers) can call;
# --omit-default-module-path keeps `new URL(..., import.meta.url)` out, which workerd rejects.
wasm-bindgen target/wasm32-unknown-unknown/release/sluice.wasm \
  --target web --omit-default-module-path --no-typescript \
  --out-dir js/wasm --out-name sluice
# --low-memory-unused: wasm-ld places data from 1 KB up and Rust's stack grows down from above
# it, so the low 1 KB is never used (it lets offsets fold into loads: 0.4 KB gzipped); the
# producers, debug and target-features sections are read by nobody after wasm-bindgen.
node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-producers --strip-debug --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  js/wasm/sluice_bg.wasm -o js/wasm/sluice_bg.wasm
# The glue makes a FinalizationRegistry for each class at import; marked pure, and without the
# `Symbol.dispose` line of `Lease` (internal: leases.js makes it, never users), a bundler drops
# the classes an entry never uses (the browser entry has no `Lease`: leases are for Workers).
sed -i 's/: new FinalizationRegistry(/: \/* @__PURE__ *\/ new FinalizationRegistry(/' js/wasm/sluice.js
sed -i '/^if (Symbol.dispose) Lease.prototype/d' js/wasm/sluice.js

# The coordinator's .wasm (sluice/durable): the lease authority alone, from the same core.
cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path durable/Cargo.toml
wasm-bindgen durable/target/wasm32-unknown-unknown/release/sluice_durable.wasm \
  --target web --omit-default-module-path --no-typescript \
  --out-dir js/wasm --out-name sluice_durable
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  js/wasm/sluice_durable_bg.wasm -o js/wasm/sluice_durable_bg.wasm

