// An esbuild bundle of the smoke test, run in Node and in workerd, the package resolved by
// esbuild through its `exports`.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { runFixture } from '../lib/exec.js';
import { fixtures, outDir, pkgDir, root } from '../lib/paths.js';
import { startWorker, WORKERD_CONDITIONS } from '../lib/workerd.js';

function freshDir(name) {
  const dir = path.join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const build = (options) => esbuild.build({ bundle: true, format: 'esm', logLevel: 'silent', absWorkingDir: root, ...options });

/**
 * Node: (1) the `node` entry bundled, with sluice_bg.wasm copied beside the bundle, and the
 * clear error when it is missing; (2) `sluice/init` with the wasm embedded (binary loader).
 */
export async function esbuildNode() {
  const dir = freshDir('esbuild-node');
  const outfile = path.join(dir, 'smoke.mjs');
  // The target matters: for a newer one, esbuild embeds binary files with Uint8Array.fromBase64,
  // which Node 20 lacks.
  await build({ entryPoints: [path.join(fixtures, 'node.js')], platform: 'node', target: 'node20', outfile });
  const bare = freshDir('esbuild-node-no-wasm');
  copyFileSync(outfile, path.join(bare, 'smoke.mjs'));
  try {
    await runFixture(process.execPath, [path.join(bare, 'smoke.mjs')]);
    throw new Error('the bundle ran without sluice_bg.wasm beside it');
  } catch (e) {
    if (!/cannot find sluice_bg\.wasm/.test(e.message)) throw new Error(`without the .wasm, not the expected error: ${e.message}`);
  }
  copyFileSync(path.join(pkgDir, 'wasm/sluice_bg.wasm'), path.join(dir, 'sluice_bg.wasm'));
  const bundled = await runFixture(process.execPath, [outfile]);

  // Named imports only: a bundler that took the package for free of side effects would drop
  // the entry that loads the wasm, and `new Limiter()` would fail.
  const named = freshDir('esbuild-node-named');
  await build({
    stdin: { contents: "import { Limiter } from 'sluice';\nconsole.log(JSON.stringify({ ok: new Limiter({ maxConcurrent: 1 }).stats().concurrencyLimit === 1 }));\n", resolveDir: root },
    platform: 'node',
    target: 'node20',
    outfile: path.join(named, 'named.mjs'),
  });
  copyFileSync(path.join(pkgDir, 'wasm/sluice_bg.wasm'), path.join(named, 'sluice_bg.wasm'));
  await runFixture(process.execPath, [path.join(named, 'named.mjs')]);

  const single = path.join(freshDir('esbuild-node-init'), 'smoke.mjs');
  await build({ entryPoints: [path.join(fixtures, 'node-init.js')], platform: 'node', target: 'node20', outfile: single, loader: { '.wasm': 'binary' } });
  const embedded = await runFixture(process.execPath, [single]);
  return `node entry + .wasm beside the bundle (${bundled.checked.length} checks; named imports keep the entry); sluice/init with the .wasm embedded (${embedded.checked.length} checks)`;
}

/** workerd: bundled the way wrangler does (its conditions; the .wasm kept as a module of its own). */
export async function esbuildWorkerd() {
  const dir = freshDir('esbuild-workerd');
  const result = await build({
    entryPoints: [path.join(fixtures, 'worker-smoke.js')],
    platform: 'neutral',
    conditions: WORKERD_CONDITIONS.filter((c) => c !== 'import'),
    loader: { '.wasm': 'copy' },
    outdir: dir,
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  if (!inputs.some((f) => f.endsWith('src/entry/workerd.js'))) throw new Error(`esbuild did not pick the workerd entry: ${inputs.join(', ')}`);
  const files = readdirSync(dir);
  const modules = [
    { type: 'ESModule', path: path.join(dir, 'worker-smoke.js') },
    ...files.filter((f) => f.endsWith('.wasm')).map((f) => ({ type: 'CompiledWasm', path: path.join(dir, f) })),
  ];
  const mf = await startWorker({ modules, modulesRoot: dir });
  try {
    const response = await mf.dispatchFetch('http://worker/');
    const report = JSON.parse(await response.text());
    if (!report.ok) throw new Error(report.error);
    if (report.moduleScopeCalls.length > 0) throw new Error(`timers or clock reads at module scope: ${report.moduleScopeCalls.join(', ')}`);
    return `workerd entry, .wasm as a CompiledWasm module; ${report.checked.length} checks`;
  } finally {
    await mf.dispose();
  }
}
