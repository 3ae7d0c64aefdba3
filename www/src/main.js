// The page: the form, the worker (the simulation, sluice included, runs there), the cards and
// the charts. The page's state is in <main data-state>: loading, ready, running,
// done or failed; the ideal makespan in data-ideal-ms.
import './style.css';
import { OUTAGE_MS, STRATEGIES } from './lanes.js';
import { createCards } from './page/cards.js';
import { createCharts } from './page/charts.js';
import { readConfig, speedOf } from './page/controls.js';

const app = document.getElementById('app');
const form = document.getElementById('controls');
const statusLine = document.getElementById('status');
const clockLine = document.getElementById('clock');
const outageButton = document.getElementById('outage');
const runButton = document.getElementById('run');
outageButton.textContent = `Provider outage for ${OUTAGE_MS / 1000} s`;
const cards = createCards(document.getElementById('cards'), STRATEGIES);
const charts = createCharts(document.getElementById('charts'), document.getElementById('key'), STRATEGIES);

const labels = Object.fromEntries(STRATEGIES.map((s) => [s.id, s.label]));
const n = (v) => v.toLocaleString('en-US');
const seconds = (ms) => `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;

// One worker for the page's life: after the first load, a run fetches nothing.
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let run = null;
let runs = 0;

function setState(state, message) {
  app.dataset.state = state;
  if (message !== undefined) statusLine.textContent = message;
  outageButton.disabled = state !== 'running';
  runButton.disabled = state === 'loading';
}

function summary(figures) {
  return STRATEGIES.map(({ id }) => {
    const f = figures[id];
    const parts = [`${n(f.rateLimited)} 429s`];
    parts.push(f.failed > 0 ? `${n(f.failed)} jobs failed` : `${(f.finishedMs / run.idealMs).toFixed(2)} × ideal`);
    return `${labels[id]}: ${parts.join(', ')}`;
  }).join('; ');
}

function failed(message) {
  console.error(message);
  setState('failed', 'The simulation failed; the browser console says why.');
}

worker.onmessage = ({ data }) => {
  if (data.type === 'ready') {
    setState('ready', 'Ready: press Run all three.');
    return;
  }
  // What a dropped run sent before it was dropped.
  if (data.run !== run?.id) return;
  switch (data.type) {
    case 'started':
      run.idealMs = data.idealMs;
      app.dataset.idealMs = String(data.idealMs);
      cards.reset(data, run.config);
      charts.reset({ idealMs: data.idealMs, tpmLimit: run.config.tpm });
      setState('running', `Running ${n(data.total)} jobs through each strategy. Ideal: ${seconds(data.idealMs)} (${data.binding} bind).`);
      break;
    case 'progress':
    case 'done':
      charts.append(data.rows);
      cards.update(data.figures);
      clockLine.textContent = `simulated time ${seconds(data.now)} · ideal ${seconds(run.idealMs)}`;
      if (data.type === 'done') setState('done', `Done. ${summary(data.figures)}.`);
      break;
    case 'failed':
      failed(`the simulation failed: ${data.error}`);
      break;
    default:
      break;
  }
};
worker.onerror = (e) => failed(`the simulation's worker failed: ${e.message}`);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (app.dataset.state === 'loading') return;
  run = { id: ++runs, config: readConfig(form) };
  setState('starting', 'Starting…');
  worker.postMessage({ type: 'start', run: run.id, config: run.config, speed: speedOf(form) });
});

form.elements.speed.addEventListener('change', () => worker.postMessage({ type: 'speed', speed: speedOf(form) }));

outageButton.addEventListener('click', () => {
  worker.postMessage({ type: 'outage' });
  statusLine.textContent = `Outage: for ${OUTAGE_MS / 1000} simulated seconds the provider answers every request with a 429.`;
});
