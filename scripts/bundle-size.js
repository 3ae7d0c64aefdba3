// The gzipped size of what an app ships for one of the package's entries, minified as a bundler
// ships it: the entry's own chunk and every chunk it imports statically. With `--split`, code the
// package loads with import() (stream.js, when the first stream comes) is a chunk of its own, as
// bundlers that split code (Vite, webpack) ship it, and is reported on its own.
//   node scripts/bundle-size.js ENTRY [--split]   prints: <main bytes> [<lazy bytes>]
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const [entry, split] = [process.argv[2], process.argv.includes('--split')];
const outdir = mkdtempSync(path.join(tmpdir(), 'sluice-size-'));
try {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    splitting: split,
    outdir,
    external: ['*.wasm'],
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const files = new Map(result.outputFiles.map((f) => [path.relative(process.cwd(), f.path), gzipSync(f.contents, { level: 9 }).length]));
  const outputs = result.metafile.outputs;
  const main = Object.keys(outputs).find((o) => outputs[o].entryPoint !== undefined);
  // The entry's chunk and what it imports statically, transitively.
  const statics = new Set();
  const visit = (o) => {
    if (statics.has(o)) return;
    statics.add(o);
    for (const i of outputs[o].imports) if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(main);
  const sum = (names) => names.reduce((n, o) => n + (files.get(o) ?? 0), 0);
  const lazy = Object.keys(outputs).filter((o) => !statics.has(o) && o.endsWith('.js'));
  console.log(split ? `${sum([...statics])} ${sum(lazy)}` : `${sum([...statics])}`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
