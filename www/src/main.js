// The page: the form, a worker per run (the simulation, sluice included, runs there), the
// cards and the charts. The page's state is in <main data-state>: loading, ready, running,
// done or failed; the ideal makespan in data-ideal-ms.
import './style.css';
import { STRATEGIES } from './lanes.js';
import { createCards } from './page/cards.js';
import { createCharts } from './page/charts.js';
import { readConfig, speedOf } from './page/controls.js';

const app = document.getElementById('app');
const form = document.getElementById('controls');
const statusLine = document.getElementById('status');
const clockLine = document.getElementById('clock');
const outageButton = document.getElementById('outage');
const cards = createCards(document.getElementById('cards'), STRATEGIES);
const charts = createCharts(document.getElementById('charts'), STRATEGIES);

const labels = Object.fromEntries(STRATEGIES.map((s) => [s.id, s.label]));
const n = (v) => v.toLocaleString('en-US');
const seconds = (ms) => `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;

let worker = null;
let run = null;

function setState(state, message) {
  app.dataset.state = state;
  if (message !== undefined) statusLine.textContent = message;
  outageButton.disabled = state !== 'running';
}

function summary(figures) {
  return STRATEGIES.map(({ id }) => {
    const f = figures[id];
    const parts = [`${n(f.rateLimited)} 429s`];
    parts.push(f.failed > 0 ? `${n(f.failed)} jobs failed` : `${(f.finishedMs / run.idealMs).toFixed(2)} × ideal`);
    return `${labels[id]}: ${parts.join(', ')}`;
  }).join('; ');
}

function onMessage({ data }) {
  switch (data.type) {
    case 'ready':
      worker.postMessage({ type: 'start', config: run.config, speed: speedOf(form) });
      break;
    case 'started':
      run.idealMs = data.idealMs;
      run.total = data.total;
      app.dataset.idealMs = String(data.idealMs);
      cards.reset(data, run.config);
      charts.reset({ idealMs: data.idealMs, tpmLimit: run.config.tpm });
      setState('running', `Running ${n(data.total)} jobs through each strategy. Ideal: ${seconds(data.idealMs)} (${data.binding} bind).`);
      break;
    case 'progress':
    case 'done':
      charts.append(data.rows);
      cards.update(data.figures);
      clockLine.textContent = `simulated time ${seconds(data.now)}`;
      if (data.type === 'done') {
        setState('done', `Done. ${summary(data.figures)}.`);
        worker.terminate();
        worker = null;
      }
      break;
    case 'failed':
      console.error(`the simulation failed: ${data.error}`);
      setState('failed', 'The simulation failed; the browser console says why.');
      break;
    default:
      break;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  worker?.terminate();
  run = { config: readConfig(form) };
  setState('starting', 'Starting…');
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = onMessage;
  worker.onerror = (e) => {
    console.error(`the simulation's worker failed: ${e.message}`);
    setState('failed', 'The simulation failed; the browser console says why.');
  };
});

form.elements.speed.addEventListener('change', () => worker?.postMessage({ type: 'speed', speed: speedOf(form) }));

outageButton.addEventListener('click', () => {
  worker?.postMessage({ type: 'outage' });
  statusLine.textContent = 'Outage: for 10 simulated seconds the provider answers every request with a 429.';
});

setState('ready', 'Ready: press Run all three.');
