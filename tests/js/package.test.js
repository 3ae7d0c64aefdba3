// What `npm pack` puts in the tarball: the entries, their types, the README and LICENSE (copied
// in from the repository by the prepack script, and taken out again after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('../../js/', import.meta.url));

test('the tarball carries README.md, LICENSE, every entry and its types', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: pkgDir, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  const files = JSON.parse(out)[0].files.map((f) => f.path);
  for (const name of ['README.md', 'LICENSE', 'index.d.ts', 'estimate.d.ts', 'fetch.d.ts', 'init.d.ts', 'src/fetch.js', 'src/entry/node.js', 'wasm/sluice_bg.wasm']) {
    assert.ok(files.includes(name), `${name} is not in the tarball: ${files.join(', ')}`);
  }
  assert.ok(!existsSync(new URL('README.md', `file://${pkgDir}`)), 'the copied README is taken out after packing');
});
