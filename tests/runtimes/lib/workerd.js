// Running Workers in workerd through miniflare, on this machine only.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { root, pkgDir } from './paths.js';
import { resolveExport } from './resolve.js';

// Miniflare must not try to download its `cf` object: there is no network here.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

/** The date the Workers run at; workerd refuses dates later than its own build. */
export const COMPATIBILITY_DATE = '2026-04-01';

/** The conditions wrangler resolves packages with (plus `import`). */
export const WORKERD_CONDITIONS = ['workerd', 'worker', 'browser', 'import'];

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? d.path, d.name));
}

/**
 * The modules of the unbundled package, as workerd loads them without a bundler: every file of
 * js/src and js/wasm, the .wasm as a compiled module, plus a module named `sluice` next to the
 * Worker (workerd looks a bare name up in the importer's folder) that stands for
 * `node_modules/sluice` and re-exports the entry the package's `exports` give for workerd.
 */
export function packageModules(workerDir) {
  const entry = resolveExport('.', WORKERD_CONDITIONS);
  const target = path.relative(workerDir, path.join(pkgDir, entry));
  const modules = [{ type: 'ESModule', path: path.join(workerDir, 'sluice'), contents: `export * from './${target}';\n` }];
  for (const file of [...filesUnder(path.join(pkgDir, 'src')), ...filesUnder(path.join(pkgDir, 'wasm'))]) {
    if (file.endsWith('.js')) modules.push({ type: 'ESModule', path: file });
    else if (file.endsWith('.wasm')) modules.push({ type: 'CompiledWasm', path: file });
  }
  return { entry, modules };
}

/** A Miniflare running one Worker from `modules` (the first is the main one). */
export async function startWorker({ modules, bindings = {}, modulesRoot = root, compatibilityFlags = [], handleRuntimeStdio, durableObjects }) {
  const mf = new Miniflare({
    modules,
    modulesRoot,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags,
    bindings,
    ...(durableObjects ? { durableObjects } : {}),
    host: '127.0.0.1',
    ...(handleRuntimeStdio ? { handleRuntimeStdio } : {}),
  });
  await mf.ready;
  return mf;
}
