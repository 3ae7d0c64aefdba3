// package.json `exports` resolution, for the checks that load the package without a bundler
// (workerd from a module list, the browser from an import map): the first key that is one of
// the runtime's conditions wins, in the order the package lists them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pkgDir } from './paths.js';

function pick(target, conditions) {
  if (typeof target === 'string') return target;
  if (target === null || typeof target !== 'object') return null;
  for (const [key, value] of Object.entries(target)) {
    if (key === 'default' || conditions.includes(key)) {
      const found = pick(value, conditions);
      if (found !== null) return found;
    }
  }
  return null;
}

/** The file (relative to js/, like "./src/entry/workerd.js") that `sluice` + `subpath` is for `conditions`. */
export function resolveExport(subpath, conditions) {
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const found = pick(pkg.exports[subpath], conditions);
  if (found === null) throw new Error(`sluice exports no ${subpath} for the conditions ${conditions.join(', ')}`);
  return found;
}
