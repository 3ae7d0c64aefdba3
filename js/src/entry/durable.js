// `sluice/durable`: the SluiceCoordinator Durable Object class, for Cloudflare Workers. Its
// .wasm (the lease authority alone) is a precompiled WebAssembly.Module there, as for the
// limiter's own (see workerd.js); instantiating it at module scope reads no clock.
import module from '../../wasm/sluice_durable_bg.wasm';
import { initSync } from '../../wasm/sluice_durable.js';

initSync({ module });

export { SluiceCoordinator } from '../durable.js';
