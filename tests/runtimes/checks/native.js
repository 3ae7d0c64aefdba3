// Node 20/22/24, Deno and Bun: each runs the smoke test against the package as it resolves it
// (`import`, and `require` where the runtime has CommonJS); and the package as npm packs it.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, runFixture } from '../lib/exec.js';
import { fixtures, outDir, pkgDir, root } from '../lib/paths.js';

function expectEntry(entry, file) {
  if (entry && !entry.endsWith(file)) throw new Error(`sluice resolved to ${entry}, not …${file}`);
}

/** A Node binary: the ES module entry and the CommonJS one. */
export async function nodeCheck(node) {
  const version = (await run(node, ['--version'])).stdout.trim();
  const esm = await runFixture(node, [path.join(fixtures, 'node.js')], { cwd: root });
  expectEntry(esm.entry, '/src/entry/node.js');
  const cjs = await runFixture(node, [path.join(fixtures, 'require.cjs')], { cwd: root });
  expectEntry(cjs.entry, '/src/entry/node.cjs');
  return `${version}; import and require, ${esm.checked.length} checks each`;
}

export async function denoCheck(deno) {
  const version = (await run(deno, ['--version'])).stdout.split('\n')[0];
  // Deno reads node_modules through the workspace's package.json; it only needs to read files.
  const esm = await runFixture(deno, ['run', '--allow-read', '--no-prompt', path.join(fixtures, 'node.js')], { cwd: root, env: { NO_COLOR: '1' } });
  expectEntry(esm.entry, '/src/entry/node.js');
  return `${version}; import, ${esm.checked.length} checks`;
}

export async function bunCheck(bun) {
  const version = `bun ${(await run(bun, ['--version'])).stdout.trim()}`;
  const esm = await runFixture(bun, [path.join(fixtures, 'node.js')], { cwd: root });
  expectEntry(esm.entry, '/src/entry/node.js');
  const cjs = await runFixture(bun, [path.join(fixtures, 'require.cjs')], { cwd: root });
  expectEntry(cjs.entry, '/src/entry/node.cjs');
  return `${version}; import and require, ${esm.checked.length} checks each`;
}

/**
 * The package as npm would publish it (`npm pack`: only the files package.json lists),
 * installed into a fresh project and run in this Node: import and require.
 */
export async function packedCheck() {
  const dir = path.join(outDir, 'packed');
  rmSync(dir, { recursive: true, force: true });
  const installed = path.join(dir, 'node_modules/sluice');
  mkdirSync(installed, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: pkgDir });
  const [{ filename, files }] = JSON.parse(stdout);
  await run('tar', ['-xzf', path.join(dir, filename), '-C', installed, '--strip-components=1']);
  writeFileSync(path.join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  for (const f of ['node.js', 'require.cjs', 'smoke.js']) copyFileSync(path.join(fixtures, f), path.join(dir, f));
  const esm = await runFixture(process.execPath, [path.join(dir, 'node.js')], { cwd: dir });
  expectEntry(esm.entry, 'packed/node_modules/sluice/src/entry/node.js');
  await runFixture(process.execPath, [path.join(dir, 'require.cjs')], { cwd: dir });
  // The optional entries resolve from the installed package too, and the docs are in it.
  const entries = "const f = await import('sluice/fetch'); const e = await import('sluice/estimate'); if (typeof f.createFetch !== 'function' || typeof e.estimateGemini !== 'function') throw new Error('missing exports');";
  await run(process.execPath, ['--input-type=module', '-e', entries], { cwd: dir });
  const paths = files.map((f) => f.path);
  const missing = ['README.md', 'LICENSE'].filter((name) => !paths.includes(name));
  if (missing.length > 0) throw new Error(`the tarball lacks ${missing.join(' and ')}`);
  return `${files.length} files, ${filename} (README and LICENSE included); import and require from a fresh project, ${esm.checked.length} checks each; sluice/fetch and sluice/estimate resolve`;
}
