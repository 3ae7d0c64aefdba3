// The charts, drawn by uPlot: one per measure, a line per strategy, fed rows of simulated
// time buckets. Redrawn at most once per animation frame, whatever the rate of rows.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Colours with at least 4.5:1 contrast on white, and a dash each, so that colour is not the only cue. */
export const LOOK = {
  naive: { stroke: '#c92a2a', dash: [8, 4] },
  plimit: { stroke: '#a15000', dash: [2, 3] },
  sluice: { stroke: '#1c5fa8', dash: undefined },
};

/** What each chart shows: its title, the row field, how to print a value. */
const MEASURES = [
  { key: 'done', title: 'Jobs done', field: 0, fmt: (v) => v.toLocaleString('en-US') },
  { key: 'tpm', title: 'Tokens per minute admitted, against the limit', field: 4, fmt: (v) => `${Math.round(v / 1000).toLocaleString('en-US')} k` },
  { key: 'rateLimited', title: '429s per second', field: 3, fmt: (v) => v.toLocaleString('en-US', { maximumFractionDigits: 1 }) },
  { key: 'inFlight', title: 'Requests in flight at the provider', field: 1, fmt: (v) => v.toLocaleString('en-US') },
  { key: 'queued', title: 'Jobs waiting: queued or backing off', field: 2, fmt: (v) => v.toLocaleString('en-US') },
];

const HEIGHT = 190;

function axisValues(fmt) {
  return (_u, ticks) => ticks.map((v) => (v == null ? '' : fmt(v)));
}

const GUIDE = { stroke: '#495057', dash: [10, 6] };

/** A line sample for the key: the colour and the dash a series is drawn with. */
function sample({ stroke, dash }) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  for (const [k, v] of Object.entries({ x1: 0, y1: 5, x2: 28, y2: 5, stroke, 'stroke-width': 2.5 })) line.setAttribute(k, String(v));
  if (dash) line.setAttribute('stroke-dasharray', dash.join(' '));
  svg.append(line);
  return svg;
}

/** One key for every chart (instead of a legend under each): the strategies, the limit, the ideal. */
function fillKey(list, strategies) {
  const entries = [...strategies.map((s) => [LOOK[s.id], s.label]), [GUIDE, 'the limit (tokens chart), the ideal finish (jobs chart)']];
  list.replaceChildren(
    ...entries.map(([look, label]) => {
      const item = document.createElement('li');
      item.append(sample(look), ` ${label}`);
      return item;
    }),
  );
}

/** The charts in `container` and their key in `keyList`, for `strategies` ({ id, label }). */
export function createCharts(container, keyList, strategies) {
  container.replaceChildren();
  fillKey(keyList, strategies);
  let state = null;
  const charts = MEASURES.map((m) => {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.measure = m.key;
    const caption = document.createElement('figcaption');
    caption.textContent = m.title;
    figure.append(caption);
    // The canvas says nothing to a screen reader; the cards above carry the same figures as text.
    figure.setAttribute('aria-label', `${m.title}, a line per strategy; the cards above give the figures`);
    container.append(figure);
    const series = [
      { label: 'time (s)', value: (_u, v) => (v == null ? '' : `${v.toFixed(1)} s`) },
      ...strategies.map((s) => ({ label: s.label, stroke: LOOK[s.id].stroke, dash: LOOK[s.id].dash, width: s.id === 'sluice' ? 2.5 : 1.75, value: (_u, v) => (v == null ? '' : m.fmt(v)) })),
    ];
    if (m.key === 'tpm') series.push({ label: 'the limit', stroke: GUIDE.stroke, dash: GUIDE.dash, width: 1.25, value: (_u, v) => (v == null ? '' : m.fmt(v)) });
    const opts = {
      width: Math.max(280, figure.clientWidth),
      height: HEIGHT,
      series,
      scales: { x: { time: false, range: (_u, min, max) => [0, Math.max(max, state?.expectedS ?? 1)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.05] } },
      axes: [
        { values: axisValues((v) => `${v} s`), stroke: '#343a40', grid: { stroke: '#e9ecef' } },
        { values: axisValues(m.fmt), stroke: '#343a40', grid: { stroke: '#e9ecef' }, size: 56 },
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { show: false },
      hooks: m.key === 'done' ? { draw: [(u) => drawIdeal(u)] } : {},
    };
    const plot = new uPlot(opts, [[], ...series.slice(1).map(() => [])], figure);
    return { m, plot, figure };
  });

  /** The ideal finish as a dashed vertical line on the jobs chart: what a perfect client would reach. */
  function drawIdeal(u) {
    if (!state?.idealS) return;
    const x = u.valToPos(state.idealS, 'x', true);
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = GUIDE.stroke;
    ctx.setLineDash(GUIDE.dash);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  const resize = new ResizeObserver(() => {
    for (const c of charts) c.plot.setSize({ width: Math.max(280, c.figure.clientWidth), height: HEIGHT });
  });
  resize.observe(container);

  let frame = 0;
  let redraws = 0;
  const draw = () => {
    frame = 0;
    if (!state) return;
    for (const c of charts) {
      const data = [state.x, ...state.lanes.map((lane) => lane[c.m.field])];
      if (c.m.key === 'tpm') data.push(state.x.map(() => state.tpmLimit));
      c.plot.setData(data);
    }
    redraws += 1;
    container.dataset.redraws = String(redraws);
  };

  return {
    /** A new run: empties the charts. */
    reset({ idealMs, tpmLimit }) {
      state = { x: [], lanes: strategies.map(() => MEASURES.map(() => [])), idealS: idealMs / 1000, expectedS: (idealMs / 1000) * 1.25, tpmLimit };
      draw();
    },
    /** Rows from the worker: [t (s), [done, inFlight, queued, 429/s, tokens/min] per strategy]. */
    append(rows) {
      if (!state || rows.length === 0) return;
      for (const [t, ...perLane] of rows) {
        state.x.push(t);
        perLane.forEach((values, i) => values.forEach((v, f) => state.lanes[i][f].push(v)));
      }
      frame ||= requestAnimationFrame(draw);
    },
  };
}
