// The versions of what a benchmark ran, for its results file.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

/** `{ name: version }` of packages resolved from bench/ (its own node_modules, then the root's). */
export function versions(names) {
  const out = { node: process.version };
  for (const name of names) {
    try {
      const path = require.resolve(`${name}/package.json`);
      out[name] = JSON.parse(readFileSync(path, 'utf8')).version;
    } catch {
      // Packages whose exports hide package.json: find it beside the entry point.
      try {
        let dir = require.resolve(name);
        for (let i = 0; i < 6; i++) {
          dir = dir.slice(0, dir.lastIndexOf('/'));
          try {
            const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
            if (pkg.name === name) {
              out[name] = pkg.version;
              break;
            }
          } catch {}
        }
      } catch {
        out[name] = null;
      }
    }
  }
  return out;
}
