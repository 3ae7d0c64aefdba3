// Browsers, and any runtime with fetch: the .wasm is fetched from next to the package and
// compiled while it streams in. Bundlers that understand `new URL(..., import.meta.url)`
// (Vite, webpack 5, Parcel) copy the file and rewrite the URL.
import init from '../../wasm/sluice.js';

await init({ module_or_path: new URL('../../wasm/sluice_bg.wasm', import.meta.url) });

export * from '../index.js';
