// The simulation, in a Web Worker so that the page's main thread only draws: a provider per
// strategy (the same rules, limits and workload), the three strategies, all on one simulated
// clock. Messages in: start { config }, speed { speed }, outage. Out: ready, started, progress
// { rows, figures }, done, failed { error }.
import { VirtualClock } from './clock.js';
import { drive, realTime } from './driver.js';
import { simulatedProvider } from './provider.js';
import { bucketWidth, Recorder } from './recorder.js';
import { RUNNERS } from './strategies.js';
import { STRATEGIES } from '../lanes.js';
import { idealOf, LATENCY, TENANTS, workload } from './workload.js';
import { mulberry32 } from '../../../bench/lib/rng.js';

/** The outage button's length, in simulated time. */
export const OUTAGE_MS = 10_000;
/** Real milliseconds between progress messages: about 8 chart updates a second. */
const PROGRESS_EVERY_MS = 120;
const SEED = 1;

const real = realTime(self);
const clock = new VirtualClock();
clock.install(self, Date.now());

let speed = 1;
let providers = [];

async function run(config) {
  const jobs = workload({ jobs: config.jobs, flood: config.flood, seed: SEED });
  const best = idealOf(jobs, config);
  const bucketMs = bucketWidth(best.idealMs);
  const limits = { rpm: config.rpm, tpm: config.tpm };
  const lanes = STRATEGIES.map(({ id }, index) => {
    let recorder = null;
    const provider = simulatedProvider(
      { ...limits, latency: LATENCY },
      { admitted: (i, o) => recorder.admitted(clock.now(), i, o), answered: (status) => recorder.answered(clock.now(), status) },
    );
    recorder = new Recorder(jobs, provider.inFlight, bucketMs, TENANTS.you);
    return { id, provider, recorder, seed: SEED + index };
  });
  providers = lanes.map((l) => l.provider);
  self.postMessage({ type: 'started', idealMs: best.idealMs, binding: best.binding, bucketMs, total: jobs.length, strategies: STRATEGIES });

  for (const lane of lanes) {
    const outcomes = RUNNERS[lane.id]({
      jobs,
      provider: lane.provider,
      streaming: config.streaming,
      concurrency: config.concurrency,
      limits,
      limitsUnknown: config.limitsUnknown,
      random: mulberry32(lane.seed),
      seed: lane.seed,
    });
    outcomes.forEach((outcome, i) => outcome.then((ok) => lane.recorder.settled(clock.now(), jobs[i], ok)));
  }

  let closed = 0; // buckets whose rows were made
  let rows = [];
  let lastPost = real.now();
  const post = (type) => {
    self.postMessage({ type, now: clock.now(), rows, figures: Object.fromEntries(lanes.map((l) => [l.id, l.recorder.figures()])) });
    rows = [];
    lastPost = real.now();
  };
  const closeBuckets = (until) => {
    for (; (closed + 1) * bucketMs <= until; closed++) rows.push([((closed + 1) * bucketMs) / 1000, ...lanes.map((l) => l.recorder.row(closed))]);
  };
  await drive(clock, real, {
    isDone: () => lanes.every((l) => l.recorder.finished),
    speed: () => speed,
    onStep: () => {
      closeBuckets(clock.now());
      if (real.now() - lastPost >= PROGRESS_EVERY_MS) post('progress');
    },
  });
  // The last, partial bucket, so that the charts end where the run did.
  closeBuckets(Math.ceil(clock.now() / bucketMs) * bucketMs);
  post('done');
}

self.onmessage = ({ data }) => {
  if (data.type === 'speed') speed = data.speed;
  else if (data.type === 'outage') for (const p of providers) p.outage(OUTAGE_MS);
  else if (data.type === 'start') {
    speed = data.speed;
    run(data.config).catch((e) => self.postMessage({ type: 'failed', error: String(e?.stack ?? e) }));
  }
};
self.postMessage({ type: 'ready' });
