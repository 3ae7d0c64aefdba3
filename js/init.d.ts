// `sluice/init`: the whole API of `sluice`, without loading the wasm. Call `init` or
// `initSync` once, before the first `new Limiter()`.
export * from './index.js';

/** The compiled wasm, or the bytes of `sluice_bg.wasm`. */
export type WasmModuleSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView;

/** Where `init` can load the wasm from. */
export type WasmSource = WasmModuleSource | string | URL | Response | PromiseLike<Response>;

/** Compiles (or takes) the wasm at once. Workers need a `WebAssembly.Module`. */
export function initSync(module: WasmModuleSource): void;

/** Loads the wasm from a URL, a `Response` (or a promise of one), a `WebAssembly.Module` or its bytes. */
export function init(source: WasmSource): Promise<void>;
