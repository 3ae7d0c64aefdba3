// The runtime matrix: the real package in each runtime, one line each, then a count.
// Run it through scripts/runtimes.sh, which installs the runtimes first; or directly:
//   node tests/runtimes/run.js [--only name,name]   (names as printed, e.g. deno,chromium)
import { existsSync, mkdirSync } from 'node:fs';
import { bunCheck, denoCheck, nodeCheck, packedCheck } from './checks/native.js';
import { chromiumSmoke, chromiumStream } from './checks/chromium.js';
import { esbuildNode, esbuildWorkerd } from './checks/esbuild.js';
import { exampleBrowser, exampleWorker } from './checks/examples.js';
import { typesCheck } from './checks/types.js';
import { workerdFetch, workerdSharedUnbundled, workerdSmoke } from './checks/workerd.js';
import { workerdWaits } from './checks/workerd-waits.js';
import { metricsChromium, metricsWorkerd } from './checks/metrics.js';
import { wwwPage } from './checks/www.js';
import { workerdStream } from './checks/workerd-stream.js';
import { workerdDurable } from './checks/workerd-durable.js';
import { bin, outDir } from './lib/paths.js';

/** Fails at once, with the fix, when a runtime binary is not installed. */
function needs(file, fn) {
  return () => {
    if (!existsSync(file)) throw new Error(`${file} is missing: run bash scripts/runtimes.sh, which installs it`);
    return fn(file);
  };
}

const checks = [
  [`node${process.versions.node.split('.')[0]}`, () => nodeCheck(process.execPath)],
  ['node22', needs(bin.node22, nodeCheck)],
  ['node24', needs(bin.node24, nodeCheck)],
  ['deno', needs(bin.deno, denoCheck)],
  ['bun', needs(bin.bun, bunCheck)],
  ['workerd', workerdSmoke],
  ['workerd-shared', workerdSharedUnbundled],
  ['workerd-waits', workerdWaits],
  ['workerd-stream', workerdStream],
  ['workerd-fetch', workerdFetch],
  ['workerd-durable', workerdDurable],
  ['chromium', needs(bin.chromium, chromiumSmoke)],
  ['metrics-workerd', metricsWorkerd],
  ['metrics-chromium', needs(bin.chromium, metricsChromium)],
  ['chromium-stream', needs(bin.chromium, chromiumStream)],
  ['npm-pack', packedCheck],
  ['esbuild-node', esbuildNode],
  ['esbuild-workerd', esbuildWorkerd],
  ['types', typesCheck],
  ['example-worker', exampleWorker],
  ['example-browser', needs(bin.chromium, exampleBrowser)],
  ['www', needs(bin.chromium, wwwPage)],
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
const unknown = only?.filter((name) => !checks.some(([n]) => n === name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown check ${unknown.join(', ')}; the checks: ${checks.map(([n]) => n).join(', ')}`);
  process.exit(2);
}

mkdirSync(outDir, { recursive: true });
const width = Math.max(...checks.map(([n]) => n.length));
let passed = 0;
let failed = 0;
for (const [name, check] of checks) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  let line;
  let detail = '';
  try {
    line = `pass  ${name.padEnd(width)}`;
    detail = await check();
    passed += 1;
  } catch (e) {
    line = `FAIL  ${name.padEnd(width)}`;
    detail = String(e?.stack ?? e);
    failed += 1;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  const [first, ...rest] = detail.split('\n');
  console.log(`${line} ${seconds}s  ${first.length > 300 ? `${first.slice(0, 300)}…` : first}`);
  // The rest of what a check reports (a failure's details, a pass's lines per case), each line
  // cut short (a bundle's line can be a whole .wasm in base64).
  for (const l of rest) console.log(`      ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`);
}
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
