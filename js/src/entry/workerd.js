// Cloudflare Workers (workerd): a `.wasm` import is a precompiled WebAssembly.Module there
// (wrangler's default rule; miniflare's CompiledWasm), since Workers may not compile wasm from
// bytes. Instantiating it at module scope reads no clock and starts no timer.
// Bundlers that load the `.wasm` as bytes instead (esbuild --loader:.wasm=binary) work too.
import module from '../../wasm/sluice_bg.wasm';
import { initSync } from '../../wasm/sluice.js';
import { useLeases, useWorkersWaiting } from '../limiter.js';
import { WorkersWaiting } from '../workers.js';

initSync({ module });
// Waiting jobs keep their requests alive (workers.js).
useWorkersWaiting((host) => new WorkersWaiting(host));

// Thrown errors are read at once here (the browser entry loads this at the first one).
import '../thrown.js';
// Leases from a coordinator (sluice/durable), which the browser entry does not carry.
import * as leases from '../leases.js';

useLeases(leases);

export * from '../index.js';
