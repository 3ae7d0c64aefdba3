// The simulation, in a Web Worker so that the page's main thread only draws: a provider per
// strategy (the same rules, limits and workload), the three strategies, all on one simulated
// clock. One worker serves every run of the page (nothing is fetched after the first load): a
// new start drops the run going on. Messages in: start { run, config, speed }, speed { speed },
// outage. Out: ready, then for each run (tagged with its number): started, progress
// { rows, figures }, done, failed { error }.
import { VirtualClock } from './clock.js';
import { drive, realTime } from './driver.js';
import { simulatedProvider } from './provider.js';
import { bucketWidth, Recorder } from './recorder.js';
import { RUNNERS } from './strategies.js';
import { OUTAGE_MS, STRATEGIES } from '../lanes.js';
import { idealOf, LATENCY, TENANTS, workload } from './workload.js';
import { mulberry32 } from '../../../bench/lib/rng.js';

/** Real milliseconds between progress messages: about 8 chart updates a second. */
const PROGRESS_EVERY_MS = 120;
const SEED = 1;

const real = realTime(self);
const clock = new VirtualClock();
clock.install(self, real.epoch());

let speed = 1;
let providers = [];
/** The run going on: { id, dropped }. */
let current = null;

async function run(config, thisRun) {
  const post = (message) => self.postMessage({ ...message, run: thisRun.id });
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
  post({ type: 'started', idealMs: best.idealMs, binding: best.binding, bucketMs, total: jobs.length });

  for (const lane of lanes) {
    const { outcomes, limits: believed } = RUNNERS[lane.id]({
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
    lane.limits = believed;
  }

  let closed = 0; // buckets whose rows were made
  let rows = [];
  let lastPost = real.now();
  const report = (type) => {
    post({ type, now: clock.now(), rows, figures: Object.fromEntries(lanes.map((l) => [l.id, { ...l.recorder.figures(), limits: l.limits() }])) });
    rows = [];
    lastPost = real.now();
  };
  const closeBuckets = (until) => {
    for (; (closed + 1) * bucketMs <= until; closed++) rows.push([((closed + 1) * bucketMs) / 1000, ...lanes.map((l) => l.recorder.row(closed))]);
  };
  await drive(clock, real, {
    isDone: () => thisRun.dropped || lanes.every((l) => l.recorder.finished),
    speed: () => speed,
    onStep: () => {
      if (thisRun.dropped) return;
      closeBuckets(clock.now());
      if (real.now() - lastPost >= PROGRESS_EVERY_MS) report('progress');
    },
  });
  if (thisRun.dropped) return;
  // The last, partial bucket, so that the charts end where the run did.
  closeBuckets(Math.ceil(clock.now() / bucketMs) * bucketMs);
  report('done');
}

self.onmessage = ({ data }) => {
  if (data.type === 'speed') speed = data.speed;
  else if (data.type === 'outage') for (const p of providers) p.outage(OUTAGE_MS);
  else if (data.type === 'start') {
    if (current) current.dropped = true;
    // The dropped run's timers go with the old time: its promises never resume.
    clock.reset(real.epoch());
    current = { id: data.run, dropped: false };
    speed = data.speed;
    const mine = current;
    run(data.config, mine).catch((e) => self.postMessage({ type: 'failed', run: mine.id, error: String(e?.stack ?? e) }));
  }
};
self.postMessage({ type: 'ready' });
