// Node, Deno and Bun: the .wasm is read from disk next to this package and compiled at import.
import { readFileSync } from 'node:fs';
import { initSync } from '../../wasm/sluice.js';

initSync({ module: readFileSync(new URL('../../wasm/sluice_bg.wasm', import.meta.url)) });

export * from '../index.js';
