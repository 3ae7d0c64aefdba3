// Where things are, from any check.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const pkgDir = path.join(root, 'js');
export const fixtures = path.join(root, 'tests/runtimes/fixtures');
/** Scratch output (bundles, browser profiles): under target/, which git ignores. */
export const outDir = path.join(root, 'target/runtimes');
/** Node 22 and 24, Deno and Bun, each installed by scripts/runtimes.sh in its own prefix. */
export const runtimesDir = path.join(root, '.runtimes');
export const bin = {
  node22: path.join(runtimesDir, 'node22/node_modules/.bin/node'),
  node24: path.join(runtimesDir, 'node24/node_modules/.bin/node'),
  deno: path.join(runtimesDir, 'deno/node_modules/.bin/deno'),
  bun: path.join(runtimesDir, 'bun/node_modules/.bin/bun'),
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
};
