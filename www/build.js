// Builds the page into www/dist/: the page's bundle (main.js, main.css), the simulation's
// worker bundle (worker.js, with sluice, p-limit and the mock's rules), sluice_bg.wasm beside
// it, index.html and the guide (README.md). Prints every file's size, raw and gzipped.
//   node www/build.js
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const distDir = path.join(here, 'dist');

/**
 * esbuild keeps `new URL('x.wasm', import.meta.url)` as it is but does not copy the file (Vite
 * and webpack do). This copies each such .wasm next to the bundles and points the URL there,
 * so the sluice package's browser entry finds its .wasm wherever the site is served from.
 */
const wasmBesideBundle = {
  name: 'wasm-beside-bundle',
  setup(build) {
    const pattern = () => /new URL\((['"])([^'"]+\.wasm)\1,\s*import\.meta\.url\)/g;
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!pattern().test(source)) return undefined;
      const contents = source.replace(pattern(), (_all, _q, relative) => {
        const file = path.resolve(path.dirname(args.path), relative);
        copyFileSync(file, path.join(distDir, path.basename(file)));
        return `new URL(${JSON.stringify(`./${path.basename(file)}`)}, import.meta.url)`;
      });
      return { contents, loader: 'js' };
    });
  },
};

export async function buildSite() {
  rmSync(distDir, { recursive: true, force: true });
  mkdirSync(distDir, { recursive: true });
  await esbuild.build({
    entryPoints: { main: path.join(here, 'src/main.js'), worker: path.join(here, 'src/sim/worker.js') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outdir: distDir,
    plugins: [wasmBesideBundle],
    logLevel: 'warning',
  });
  copyFileSync(path.join(here, 'index.html'), path.join(distDir, 'index.html'));
  copyFileSync(path.join(here, '../README.md'), path.join(distDir, 'README.md'));
  return sizes();
}

/** Each file of the site with its size raw and gzipped (level 9), in bytes, and the totals. */
export function sizes() {
  const files = ['index.html', 'main.js', 'main.css', 'worker.js', 'sluice_bg.wasm'].map((name) => {
    const bytes = readFileSync(path.join(distDir, name));
    return { name, raw: statSync(path.join(distDir, name)).size, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip }), { raw: 0, gzip: 0 });
  return { files, total };
}

const kb = (b) => `${(b / 1000).toFixed(1)} KB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, total } = await buildSite();
  console.log(`built ${path.relative(process.cwd(), distDir) || distDir}/ (the guide README.md copied beside it, not counted):`);
  for (const f of files) console.log(`  ${f.name.padEnd(16)} ${kb(f.raw).padStart(9)} raw ${kb(f.gzip).padStart(9)} gzipped`);
  console.log(`  ${'total'.padEnd(16)} ${kb(total.raw).padStart(9)} raw ${kb(total.gzip).padStart(9)} gzipped`);
}
