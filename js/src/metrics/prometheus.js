// sluice/prometheus: the same metrics as sluice/otel, as Prometheus text exposition (format
// 0.0.4) for a `/metrics` endpoint, with no dependency. Names follow OpenTelemetry's mapping to
// Prometheus: dots become underscores, seconds get `_seconds`, ratios `_ratio`, counters `_total`.
//
//   import { prometheus } from 'sluice/prometheus';
//   const metrics = prometheus();
//   metrics.add(limiter, { labels: { provider: 'openai' } });
//   // in the /metrics handler: reply with metrics.text(), content type metrics.contentType
import {
  ATTEMPT,
  attributesOf,
  BUDGET_ATTRIBUTE,
  BUDGET_FILL,
  BUDGETS,
  checkLimiter,
  CONGESTION,
  COUNTERS,
  followInto,
  GATE_CLOSED_TIME,
  GAUGES,
  GEN_AI_TOKENS,
  isTokenLimit,
  SECONDS_BUCKETS,
  TOKEN_BUCKETS,
  WAIT,
} from './catalog.js';
import * as check from '../validate.js';

const OPTIONS = new Set(['labels', 'maxKeys', 'genAi']);

/** The Prometheus name of a metric of ours. */
export function promName(metric, counter = false) {
  let name = metric.name.replace(/\./g, '_');
  if (metric.unit === 's') name += '_seconds';
  else if (metric.unit === '1' && metric.name !== 'sluice.gate.closed') name += '_ratio';
  return counter ? `${name}_total` : name;
}
const labelName = (name) => name.replace(/[^a-zA-Z0-9_]/g, '_');
const escape = (value) => String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
function labelText(labels) {
  const parts = Object.entries(labels).map(([k, v]) => `${labelName(k)}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
const number = (n) => (Number.isNaN(n) ? 'NaN' : n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n));

/** A histogram's buckets, sum and count per label set. */
class Histogram {
  constructor(bounds) {
    this.bounds = bounds;
    this.series = new Map();
  }

  /** `labels` is one of the reused attribute sets (catalog.js `attributeSets`): series are kept by it. */
  record(value, labels) {
    let s = this.series.get(labels);
    if (!s) this.series.set(labels, (s = { labels, counts: new Array(this.bounds.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]) s.counts[i] += 1;
    s.sum += value;
    s.count += 1;
  }

  lines(name) {
    const out = [];
    for (const s of this.series.values()) {
      this.bounds.forEach((le, i) => out.push(`${name}_bucket${labelText({ ...s.labels, le: number(le) })} ${s.counts[i]}`));
      out.push(`${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${name}_sum${labelText(s.labels)} ${s.sum}`);
      out.push(`${name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** A registry of limiters whose metrics `text()` writes out. */
export function prometheus() {
  const sources = [];
  const wait = new Histogram(SECONDS_BUCKETS);
  const attempt = new Histogram(SECONDS_BUCKETS);
  const tokens = new Histogram(TOKEN_BUCKETS);
  const congestion = new Map(); // attribute set → count
  return {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',

    /**
     * Adds `limiter`, its points labelled with `labels` (tell limiters apart with them). Keys
     * past `maxKeys` (20) are folded into `_other`; `genAi: true` adds `gen_ai_client_token_usage`.
     * Returns a function that removes it.
     */
    add(limiter, opts) {
      const o = check.options('prometheus options', opts, OPTIONS);
      checkLimiter(limiter);
      const base = attributesOf('labels', o.labels);
      const { followed } = followInto(limiter, o, base, {
        congestion: (labels) => congestion.set(labels, (congestion.get(labels) ?? 0) + 1),
        wait: (s, labels) => wait.record(s, labels),
        attempt: (s, labels) => attempt.record(s, labels),
        tokens: (n, labels) => tokens.record(n, labels),
      });
      const source = { limiter, base, followed };
      sources.push(source);
      return () => {
        followed.stop();
        sources.splice(sources.indexOf(source), 1);
      };
    },

    /** The exposition text: every metric once, a point per limiter (and attribute value). */
    text() {
      const families = new Map(); // name → { type, help, lines }
      const family = (name, type, help) => {
        if (!families.has(name)) families.set(name, { type, help, lines: [] });
        return families.get(name).lines;
      };
      for (const { limiter, base, followed } of sources) {
        const s = limiter.stats();
        for (const g of GAUGES) {
          const value = g.read(s);
          if (value !== undefined) family(promName(g), 'gauge', g.description).push(`${promName(g)}${labelText(base)} ${number(value)}`);
        }
        for (const c of COUNTERS) {
          const name = promName(c, true);
          const lines = family(name, 'counter', c.description);
          if (c.values) for (const [value, read] of Object.entries(c.values)) lines.push(`${name}${labelText({ ...base, [c.attribute]: value })} ${read(s)}`);
          else lines.push(`${name}${labelText(base)} ${c.read(s)}`);
        }
        for (const [limit, level] of Object.entries(s.budgets)) {
          const labels = labelText({ ...base, [BUDGET_ATTRIBUTE]: limit });
          for (const b of BUDGETS) if (b.tokens === isTokenLimit(limit)) family(promName(b), 'gauge', b.description).push(`${promName(b)}${labels} ${b.read(level)}`);
          if (level.capacity > 0) family(promName(BUDGET_FILL), 'gauge', BUDGET_FILL.description).push(`${promName(BUDGET_FILL)}${labels} ${level.available / level.capacity}`);
        }
        family(promName(GATE_CLOSED_TIME, true), 'counter', GATE_CLOSED_TIME.description).push(`${promName(GATE_CLOSED_TIME, true)}${labelText(base)} ${followed.gateClosedSeconds()}`);
      }
      const congestionName = promName(CONGESTION, true);
      const congestionLines = family(congestionName, 'counter', CONGESTION.description);
      for (const [labels, n] of congestion) congestionLines.push(`${congestionName}${labelText(labels)} ${n}`);
      for (const [metric, histogram] of [[WAIT, wait], [ATTEMPT, attempt], [GEN_AI_TOKENS, tokens]]) {
        if (histogram.series.size) family(promName(metric), 'histogram', metric.description).push(...histogram.lines(promName(metric)));
      }
      let out = '';
      for (const [name, { type, help, lines }] of families) {
        if (lines.length === 0) continue;
        out += `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
      }
      return out;
    },
  };
}
