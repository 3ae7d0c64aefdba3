// The README's tables, from the results files: prints them as Markdown, or with --write puts
// them into bench/README.md between its `<!-- table:NAME -->` and `<!-- /table -->` markers.
//
//   node bench/tables.js            # print
//   node bench/tables.js --write    # refresh bench/README.md after a rerun

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, fmt } from './lib/table.js';
import { scenarioTable, targets as goodputTargets } from './goodput/report.js';
import { memoryTable, overheadTargets, throughputTable } from './overhead/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const read = (name) => {
  const path = join(here, 'results', `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
};

const tables = {};
const md = (t) => `${t.title ? `**${t.title}**\n\n` : ''}${markdownTable(t.header, t.rows)}${t.note ? `\n\n${t.note}` : ''}`;
const targetRows = (list) => list.map((t) => [t.id, t.target, t.figure, t.met ? '**met**' : '**missed**']);

const goodput = read('goodput');
if (goodput) {
  for (const [name, s] of Object.entries(goodput.scenarios)) tables[`goodput-${name}`] = md({ ...scenarioTable(name, s), title: '' });
  tables['goodput-meta'] = `Run: ${fmt(goodput.jobs)} jobs, seed ${goodput.seed}; ${goodput.versions.node}, sluice from ${goodput.sluice} at ${goodput.commit}; ${Object.entries(goodput.versions).filter(([k]) => k !== 'node').map(([k, v]) => `${k} ${v}`).join(', ')}; ${fmt(goodput.wallMs / 1_000)} s of wall time.`;
}
const noSettle = read('goodput-no-settle');
if (noSettle) {
  for (const [name, s] of Object.entries(noSettle.scenarios)) tables[`no-settle-${name}`] = md({ ...scenarioTable(name, s), title: '' });
}
const overhead = read('overhead');
if (overhead) {
  tables['overhead-throughput'] = md({ ...throughputTable(overhead), title: '' });
  tables['overhead-memory'] = md({ ...memoryTable(overhead), title: '' });
  tables['overhead-meta'] = `Run: ${overhead.versions.node} on ${overhead.machine?.cpus ?? '?'} cores (${overhead.machine?.cpu ?? 'unknown CPU'}), load average ${overhead.machine ? overhead.machine.loadavgAtEnd.map((x) => x.toFixed(2)).join(' / ') : '?'} at the end; sluice from ${overhead.sluice} at ${overhead.commit}; ${Object.entries(overhead.versions).filter(([k]) => k !== 'node').map(([k, v]) => `${k} ${v}`).join(', ')}.`;
}
const core = read('core');
if (core) {
  tables.core = markdownTable(
    ['workload', 'decisions/s', 'ns/job', 'what'],
    core.workloads.map((w) => [w.name, fmt(w.decisionsPerSecond), fmt(w.nsPerJob), w.what]),
  );
}
const all = [...(goodput ? goodputTargets(goodput.scenarios) : []), ...(overhead ? overheadTargets(overhead) : [])];
if (all.length) tables.targets = markdownTable(['', 'target', 'figure', ''], targetRows(all));

if (process.argv.includes('--write')) {
  const path = join(here, 'README.md');
  let text = readFileSync(path, 'utf8');
  for (const [name, body] of Object.entries(tables)) {
    const re = new RegExp(`(<!-- table:${name} -->)[\\s\\S]*?(<!-- /table -->)`);
    if (re.test(text)) text = text.replace(re, (_, open, close) => `${open}\n${body}\n${close}`);
  }
  writeFileSync(path, text);
  console.log(`refreshed ${Object.keys(tables).length} tables in bench/README.md`);
} else {
  for (const [name, body] of Object.entries(tables)) console.log(`<!-- table:${name} -->\n${body}\n<!-- /table -->\n`);
}
