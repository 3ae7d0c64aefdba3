// The package is js/, the README and LICENSE are the repository's: `npm pack` (and publish) copy
// them in before packing (prepack) and take them out after (postpack), so that one copy is kept.
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = ['README.md', 'LICENSE'];
for (const name of FILES) {
  const into = path.join(root, 'js', name);
  if (process.argv[2] === 'copy') copyFileSync(path.join(root, name), into);
  else rmSync(into, { force: true });
}
