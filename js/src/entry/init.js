// `sluice/init`: the API without loading the wasm, for hosts that bring the .wasm their own way
// (a bundler's asset import, a CDN URL, bytes embedded in a bundle). Call `init` or `initSync`
// once, before the first `new Limiter()`; calling either again does nothing.
import load, { initSync as loadSync } from '../../wasm/sluice.js';
import { useLeases, useWorkersWaiting } from '../limiter.js';
import { WorkersWaiting } from '../workers.js';

// Any host may be Cloudflare Workers here: waiting jobs keep their requests alive there (workers.js).
useWorkersWaiting((host) => new WorkersWaiting(host));

const isModule = (x) => x instanceof WebAssembly.Module;
const isBytes = (x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x);

/** Compiles (or takes) the wasm at once: a `WebAssembly.Module`, or its bytes. */
export function initSync(module) {
  if (!isModule(module) && !isBytes(module)) {
    throw new TypeError('Expected `initSync` to get a WebAssembly.Module or the bytes of sluice_bg.wasm');
  }
  loadSync({ module });
}

/**
 * Loads the wasm from a URL (string or URL), a Response (or a promise of one), a
 * `WebAssembly.Module`, or its bytes.
 */
export async function init(source) {
  if (source === undefined || source === null) {
    throw new TypeError('Expected `init` to get the URL, a Response, a WebAssembly.Module or the bytes of sluice_bg.wasm');
  }
  await load({ module_or_path: source });
}

// Thrown errors are read at once here (the browser entry loads this at the first one).
import '../thrown.js';
// Leases from a coordinator (sluice/durable), which the browser entry does not carry.
import * as leases from '../leases.js';

useLeases(leases);

export * from '../index.js';
