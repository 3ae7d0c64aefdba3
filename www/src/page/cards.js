// A card per strategy with its live figures. The figures are also data attributes of the card
// (data-done, data-rate-limited, data-makespan-ms…), for a test to read.
import { LOOK } from './charts.js';

const n = (v) => v.toLocaleString('en-US');
const s1 = (ms) => `${(ms / 1000).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} s`;

const ROWS = [
  ['done', 'done'],
  ['failed', 'failed'],
  ['rateLimited', '429s'],
  ['requests', 'requests sent'],
  ['inFlight', 'in flight'],
  ['queued', 'waiting'],
  ['makespan', 'makespan'],
];

export function createCards(container, strategies) {
  container.replaceChildren();
  const cards = new Map();
  for (const s of strategies) {
    const card = document.createElement('article');
    card.className = 'card';
    card.dataset.strategy = s.id;
    card.style.setProperty('--accent', LOOK[s.id].stroke);
    const title = document.createElement('h3');
    title.textContent = s.label;
    const list = document.createElement('dl');
    const cells = {};
    for (const [key, label] of ROWS) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.figure = key;
      dd.textContent = '–';
      list.append(dt, dd);
      cells[key] = dd;
    }
    const note = document.createElement('p');
    note.className = 'note';
    card.append(title, list, note);
    container.append(card);
    cards.set(s.id, { card, cells, note });
  }

  let run = null;
  return {
    reset(started, config) {
      run = { ...started, config };
      for (const { card, cells, note } of cards.values()) {
        for (const k of Object.keys(card.dataset)) if (k !== 'strategy') delete card.dataset[k];
        for (const dd of Object.values(cells)) dd.textContent = '–';
        note.textContent = '';
        card.dataset.finished = 'false';
      }
    },
    update(figures) {
      if (!run) return;
      for (const [id, f] of Object.entries(figures)) {
        const { card, cells, note } = cards.get(id);
        cells.done.textContent = `${n(f.done)} / ${n(run.total)}`;
        cells.failed.textContent = n(f.failed);
        cells.rateLimited.textContent = n(f.rateLimited);
        cells.requests.textContent = n(f.requests);
        cells.inFlight.textContent = n(f.inFlight);
        cells.queued.textContent = n(f.queued);
        Object.assign(card.dataset, { done: f.done, failed: f.failed, rateLimited: f.rateLimited, requests: f.requests });
        if (f.finishedMs !== null) {
          const ratio = f.finishedMs / run.idealMs;
          // With jobs given up, the batch is not done: no ratio to the ideal then.
          cells.makespan.textContent = f.failed > 0 ? `${s1(f.finishedMs)}, not all done` : `${s1(f.finishedMs)}, ${ratio.toFixed(2)} × ideal`;
          Object.assign(card.dataset, { finished: 'true', makespanMs: f.finishedMs, ratio: ratio.toFixed(4) });
        }
        const notes = [];
        if (f.failed > 0) notes.push(`${n(f.failed)} jobs gave up after their retries`);
        if (run.config.flood && f.yoursFinishedMs !== null) {
          notes.push(`your batch: ${n(f.yoursDone)} of ${n(f.yours)} done, over at ${s1(f.yoursFinishedMs)}`);
          card.dataset.yoursFinishedMs = f.yoursFinishedMs;
        }
        if (f.limits?.learned) {
          notes.push(`limits learned from the headers: ${f.limits.rpm === null ? '?' : n(f.limits.rpm)} RPM, ${f.limits.tpm === null ? '?' : n(f.limits.tpm)} TPM`);
          Object.assign(card.dataset, { learnedRpm: f.limits.rpm ?? '', learnedTpm: f.limits.tpm ?? '' });
        }
        note.textContent = notes.join('; ');
      }
    },
  };
}
