// Renders the benchmark results (bench/results/*.json) as SVG charts beside them, by hand:
// horizontal bars, one panel per scenario or measure. No dependencies.
//
//   node bench/charts.js
// Writes bench/results/goodput.svg, latency.svg, overhead.svg and core.svg from whichever
// results files exist.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
const read = (name) => {
  const path = join(results, `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
};

const COLORS = {
  naive: '#8c8c8c',
  'p-limit': '#e08a2c',
  'p-queue': '#8e6bbf',
  bottleneck: '#a0522d',
  cookbook: '#2a9d8f',
  sluice: '#1f6fd1',
  'sluice-budgets': '#5b9bea',
  'sluice-uncapped': '#5b9bea',
  'sluice-plain': '#8fbcf0',
  'sluice-uncalibrated': '#b8c7d9',
};
const SHORT = { naive: 'naive + SDK retries', 'p-limit': 'p-limit + p-retry', 'p-queue': 'p-queue', bottleneck: 'Bottleneck', cookbook: 'cookbook (port)', sluice: 'sluice', 'sluice-uncapped': 'sluice, no cap', 'sluice-plain': 'sluice, no .withResponse()', 'sluice-uncalibrated': 'sluice, calibrate: false' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/**
 * Panels of horizontal bars.
 * @param {object} o
 * @param {string} o.title
 * @param {string} [o.note] a line under the title
 * @param {Array<{ title: string, bars: Array<{ label: string, value: number, text: string, color: string }>, ref?: number, refLabel?: string }>} o.panels
 * @param {'linear'|'log'} [o.scale]
 * @param {number} [o.max] values above are drawn clipped, with their text
 * @param {number} [o.min] the log scale's left end
 * @param {number} [o.columns]
 */
function barChart({ title, note, panels, scale = 'linear', max, min = 1, columns = 1 }) {
  const labelW = 150;
  const plotW = columns > 1 ? 250 : 420;
  const textW = columns > 1 ? 120 : 230;
  const panelW = labelW + plotW + textW;
  const barH = 16;
  const gap = 5;
  const headH = 22;
  const top = note ? 56 : 40;
  const rowsPerColumn = Math.ceil(panels.length / columns);
  const panelH = (p) => headH + p.bars.length * (barH + gap) + 18;
  const heights = panels.map(panelH);
  const colHeights = Array.from({ length: columns }, (_, c) => heights.slice(c * rowsPerColumn, (c + 1) * rowsPerColumn).reduce((a, b) => a + b, 0));
  const width = columns * panelW + (columns - 1) * 30 + 20;
  const height = top + Math.max(...colHeights) + 10;
  const allMax = max ?? Math.max(...panels.flatMap((p) => [...p.bars.map((b) => b.value), p.ref ?? 0]));
  const x = (v) => {
    if (scale === 'log') {
      const lo = Math.log10(min);
      const hi = Math.log10(allMax);
      return (Math.max(0, Math.log10(Math.max(v, min)) - lo) / (hi - lo)) * plotW;
    }
    return (Math.min(v, allMax) / allMax) * plotW;
  };
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="600">${esc(title)}</text>`,
  ];
  if (note) out.push(`<text x="10" y="40" fill="#555">${esc(note)}</text>`);
  panels.forEach((p, i) => {
    const col = Math.floor(i / rowsPerColumn);
    const ox = 10 + col * (panelW + 30);
    const oy = top + heights.slice(col * rowsPerColumn, i).reduce((a, b) => a + b, 0);
    out.push(`<text x="${ox}" y="${oy + 14}" font-weight="600">${esc(p.title)}</text>`);
    p.bars.forEach((b, j) => {
      const y = oy + headH + j * (barH + gap);
      const w = b.value > 0 ? Math.max(1, x(b.value)) : 0;
      out.push(`<text x="${ox + labelW - 6}" y="${y + barH - 4}" text-anchor="end">${esc(b.label)}</text>`);
      out.push(`<rect x="${ox + labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}"${b.value > allMax ? ' fill-opacity="0.6"' : ''}/>`);
      if (b.value > allMax) out.push(`<text x="${ox + labelW + w - 4}" y="${y + barH - 4}" text-anchor="end" fill="#fff">»</text>`);
      out.push(`<text x="${ox + labelW + Math.min(w, plotW) + 5}" y="${y + barH - 4}" fill="#222">${esc(b.text)}</text>`);
    });
    if (p.ref !== undefined) {
      const rx = ox + labelW + x(p.ref);
      const y0 = oy + headH - 3;
      const y1 = oy + headH + p.bars.length * (barH + gap);
      out.push(`<line x1="${rx.toFixed(1)}" y1="${y0}" x2="${rx.toFixed(1)}" y2="${y1}" stroke="#d33" stroke-dasharray="3,2"/>`);
      if (p.refLabel) out.push(`<text x="${(rx + 3).toFixed(1)}" y="${y1 + 9}" fill="#d33" font-size="10">${esc(p.refLabel)}</text>`);
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const f = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const written = [];
const write = (name, svg) => {
  writeFileSync(join(results, name), svg);
  written.push(name);
};

const goodput = read('goodput');
if (goodput) {
  const scenarios = Object.values(goodput.scenarios);
  write(
    'goodput.svg',
    barChart({
      title: `Makespan / ideal on virtual time (${f(goodput.jobs)}-job batches; lower is better, 1 = ideal)`,
      note: '✗ 1 % of the jobs or more failed: no bar; † a few failed. Beside each bar: 429s, provider attempts per job',
      columns: 2,
      max: 3,
      panels: scenarios.map((s) => ({
        title: s.title,
        ref: 1,
        refLabel: 'ideal',
        bars: s.runs.map((r) => {
          // A run that lost 1 % of its jobs or more has no makespan of the batch to show.
          const lost = r.failed / r.jobs >= 0.01;
          return {
            label: SHORT[r.strategy] ?? r.strategy,
            value: lost ? 0 : r.ratio,
            color: COLORS[r.strategy],
            text: lost
              ? `✗ ${f(r.failed)} of ${f(r.jobs)} jobs failed · ${f(r.rateLimited)} 429s`
              : `${f(r.ratio, 2)}${r.failed ? '†' : ''} · ${f(r.rateLimited)} 429s · ${f(r.attemptsPerJob, 2)}/job`,
          };
        }),
      })),
    }),
  );
  const lost = (r) => (r.failed / r.jobs >= 0.01 ? ` ✗ but ${f(r.failed)} of ${f(r.jobs)} jobs failed` : '');
  const d = goodput.scenarios.d;
  const e = goodput.scenarios.e;
  const panels = [];
  if (d) {
    panels.push({
      title: `${d.title}: interactive p99 wait`,
      ref: d.interactiveEstimateMax / (d.limits.tpm / 60_000),
      refLabel: 'target',
      bars: d.runs.map((r) => ({ label: SHORT[r.strategy], value: Math.max(1, r.perClass.interactive.waitP99), color: COLORS[r.strategy], text: `${f(r.perClass.interactive.waitP99)} ms${lost(r)}` })),
    });
  }
  if (e) {
    panels.push({
      title: `${e.title}: tenant b p99 wait with the flood`,
      bars: e.runs.map((r) => ({
        label: SHORT[r.strategy],
        value: Math.max(1, r.perClass['tenant b'].waitP99),
        color: COLORS[r.strategy],
        text: `${f(r.perClass['tenant b'].waitP99)} ms (alone ${f(r.alone?.perClass['tenant b'].waitP99 ?? NaN)} ms)${lost(r)}`,
      })),
    });
  }
  if (panels.length) {
    write('latency.svg', barChart({ title: 'Waits that matter: the interactive class and the small tenant (log scale, ms)', panels, scale: 'log', min: 1, max: 400_000 }));
  }
}

const overhead = read('overhead');
if (overhead) {
  const names = Object.keys(overhead.throughput.result);
  const label = (n) => overhead.throughput.result[n].label.replace(/ \(.*\)$/, n === 'sluice-budgets' ? ' +budgets' : '');
  write(
    'overhead.svg',
    barChart({
      title: `schedule() throughput on Node ${overhead.versions.node}, real time (higher is better)`,
      panels: [
        {
          title: `no-op tasks, ${overhead.concurrency} at a time: tasks per second (log scale)`,
          ref: overhead.throughput.result['p-queue'].perSecond,
          refLabel: "p-queue's",
          bars: names.map((n) => ({ label: label(n), value: overhead.throughput.result[n].perSecond, color: COLORS[n], text: f(overhead.throughput.result[n].perSecond) })),
        },
      ],
      scale: 'log',
      min: 100,
      max: 3_000_000,
    }),
  );
  // A second file for memory: linear bytes.
  write(
    'memory.svg',
    barChart({
      title: `Memory per queued job, ${f(overhead.queuedJobs)} queued (JS heap + external; fewer is better)`,
      panels: [
        {
          title: 'bytes per queued job',
          ref: overhead.heap['p-queue'].bytesPerJob,
          refLabel: "p-queue's",
          bars: names.map((n) => ({
            label: label(n),
            value: overhead.heap[n].bytesPerJob,
            color: COLORS[n],
            text: `${f(overhead.heap[n].bytesPerJob)}${overhead.heap[n].externalBytesPerJob > 1 ? ` (${f(overhead.heap[n].externalBytesPerJob)} wasm)` : ''}`,
          })),
        },
      ],
    }),
  );
}

const core = read('core');
if (core) {
  write(
    'core.svg',
    barChart({
      title: 'sluice core alone, native release build: decisions (job starts) per second',
      panels: [
        {
          title: 'decisions/s (each job submitted, started and finished)',
          bars: core.workloads.map((w) => ({ label: w.name, value: w.decisionsPerSecond, color: COLORS.sluice, text: `${f(w.decisionsPerSecond)} (${f(w.nsPerJob)} ns/job)` })),
        },
      ],
    }),
  );
}

console.log(written.length ? `wrote ${written.map((n) => `bench/results/${n}`).join(', ')}` : 'no results to chart yet');
