// Node, Deno and Bun: the .wasm is read from disk and compiled at import.
import { readFileSync } from 'node:fs';
import { initSync } from '../../wasm/sluice.js';

/**
 * The bytes of sluice_bg.wasm: in the package, next to this module's folder; or, when a bundler
 * (esbuild, Rollup) has folded this module into a bundle, next to the bundle, where the app
 * copied it. The name is built at run time so that webpack does not try to resolve the second.
 */
function wasmBytes() {
  const tried = [];
  const name = 'sluice_bg.wasm';
  for (const url of [new URL('../../wasm/sluice_bg.wasm', import.meta.url), new URL(`./${name}`, import.meta.url)]) {
    try {
      return readFileSync(url);
    } catch (e) {
      if (e?.code !== 'ENOENT') throw e;
      tried.push(url.href);
    }
  }
  throw new Error(
    `sluice: cannot find ${name} (looked at ${tried.join(' and ')}). ` +
      `If you bundle for Node, copy node_modules/sluice/wasm/${name} next to the bundle, or keep sluice external.`,
  );
}

initSync({ module: wasmBytes() });

// Thrown errors are read at once here (the browser entry loads this at the first one).
import '../thrown.js';
// Leases from a coordinator (sluice/durable), which the browser entry does not carry.
import * as leases from '../leases.js';
import { useLeases } from '../limiter.js';

useLeases(leases);

export * from '../index.js';
