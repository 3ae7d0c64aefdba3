// The limiters compared for overhead, each set up alike: 16 at a time, a no-op task, and a
// way to schedule it. sluice runs twice: with a concurrency cap only, and with requests and
// tokens per minute as well (limits far above what the benchmark uses, so that the budgets are
// checked on every job but never hold one back).

import pLimit from 'p-limit';
import PQueue from 'p-queue';
import Bottleneck from 'bottleneck';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Limiter, instrument } from '../lib/sluice.js';
import { useWorkersWaiting } from '../../js/src/limiter.js';
import { WorkersWaiting } from '../../js/src/workers.js';

/** A reader that never collects on its own: the cost measured is recording, not exporting. */
class ManualReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

export const CONCURRENCY = 16;

/**
 * Runs `make` with navigator.userAgent saying Cloudflare Workers, the Workers waiting installed
 * as the workerd entry installs it (the repository's build: the same modules as `sluice`).
 */
function asInWorkers(make) {
  useWorkersWaiting((host) => new WorkersWaiting(host));
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Cloudflare-Workers' }, configurable: true });
  try {
    return make();
  } finally {
    if (had) Object.defineProperty(globalThis, 'navigator', had);
    else delete globalThis.navigator;
  }
}

export const LIBRARIES = [
  {
    name: 'sluice',
    label: 'sluice (maxConcurrent)',
    make: () => new Limiter({ maxConcurrent: CONCURRENCY, seed: 1 }),
    schedule: (l, task) => l.schedule(task),
  },
  {
    name: 'sluice-budgets',
    label: 'sluice (maxConcurrent + RPM/TPM, token estimate)',
    make: () => new Limiter({ maxConcurrent: CONCURRENCY, requestsPerMinute: 1e12, tokensPerMinute: 1e15, seed: 1 }),
    schedule: (l, task) => l.schedule(task, { inputTokens: 100, maxOutputTokens: 200 }),
  },
  {
    name: 'sluice-settled',
    label: 'sluice (maxConcurrent, a `settled` listener attached)',
    // The per-job events cost only while someone listens: this is what one listener costs.
    make: () => {
      const limiter = new Limiter({ maxConcurrent: CONCURRENCY, seed: 1 });
      let settled = 0;
      limiter.on('settled', () => settled++);
      return limiter;
    },
    schedule: (l, task) => l.schedule(task),
  },
  {
    name: 'sluice-otel',
    label: 'sluice (maxConcurrent, sluice/otel on a real OpenTelemetry SDK meter)',
    make: () => {
      const limiter = new Limiter({ maxConcurrent: CONCURRENCY, seed: 1 });
      const provider = new MeterProvider({ readers: [new ManualReader()] });
      instrument(limiter, { meter: provider.getMeter('bench') });
      return limiter;
    },
    schedule: (l, task) => l.schedule(task),
  },
  {
    name: 'sluice-workers',
    label: 'sluice (maxConcurrent, Workers mode: a timer per waiting job)',
    // The limiter keeps a timer per waiting job only where it runs in Cloudflare Workers, which
    // it tells from navigator.userAgent at construction: here it is made to believe so.
    make: () => asInWorkers(() => new Limiter({ maxConcurrent: CONCURRENCY, seed: 1 })),
    schedule: (l, task) => l.schedule(task),
  },
  {
    name: 'p-limit',
    label: 'p-limit',
    make: () => pLimit(CONCURRENCY),
    schedule: (l, task) => l(task),
  },
  {
    name: 'p-queue',
    label: 'p-queue',
    make: () => new PQueue({ concurrency: CONCURRENCY }),
    schedule: (l, task) => l.add(task),
  },
  {
    name: 'bottleneck',
    label: 'Bottleneck',
    make: () => new Bottleneck({ maxConcurrent: CONCURRENCY }),
    schedule: (l, task) => l.schedule(task),
    // Bottleneck starts about one job per millisecond of timers, whatever the batch: a smaller
    // batch gives the same rate in a tenth of the time.
    batch: 100,
  },
];

export const byName = Object.fromEntries(LIBRARIES.map((l) => [l.name, l]));
