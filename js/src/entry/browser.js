// Browsers, and any runtime with fetch: the .wasm is fetched from next to the package and
// compiled while it streams in. Bundlers that understand `new URL(..., import.meta.url)`
// (Vite, webpack 5, Parcel) copy the file and rewrite the URL.
import { initSync } from '../../wasm/sluice.js';

const url = new URL('../../wasm/sluice_bg.wasm', import.meta.url);

async function compile() {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`sluice: could not fetch ${url}: HTTP ${response.status}`);
  // Streaming compilation needs the application/wasm type; served as anything else, the bytes.
  return response.headers.get('content-type') === 'application/wasm'
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

initSync({ module: await compile() });

export * from '../index.js';
