// What the charts are fed: bucket widths, and each bucket's row.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketWidth, RATE_WINDOW_MS, Recorder } from '../src/sim/recorder.js';

test('a bucket is 100 ms at least, else a round width giving about 300 rows', () => {
  assert.deepEqual([1_000, 30_000, 60_000, 171_000, 600_000, 3_600_000].map((ms) => bucketWidth(ms)), [100, 100, 200, 1_000, 2_000, 20_000]);
});

test('rows: jobs done, in flight, waiting, 429s a second, tokens a minute over the last 10 s', () => {
  const jobs = [{ tenant: 'you' }, { tenant: 'you' }, { tenant: 'flood' }, { tenant: 'flood' }];
  let inFlight = 0;
  const r = new Recorder(jobs, () => inFlight, 1_000, 'you');
  assert.equal(r.windowBuckets, RATE_WINDOW_MS / 1_000);
  r.admitted(100, 300, 200);
  r.answered(150, 429);
  r.answered(160, 429);
  r.answered(900, 200);
  inFlight = 1;
  assert.deepEqual(r.row(0), [0, 1, 3, 2, 3_000]); // 500 tokens in 10 s is 3 000 a minute
  r.settled(1_500, jobs[0], true);
  r.settled(1_600, jobs[2], false);
  r.admitted(11_200, 100, 0);
  inFlight = 0;
  // Bucket 0 has left the 10 s window of bucket 11.
  assert.deepEqual(r.row(11), [1, 0, 2, 0, 600]);
  r.settled(12_000, jobs[1], false);
  assert.equal(r.finished, false);
  r.settled(13_000, jobs[3], true);
  const f = r.figures();
  assert.equal(r.finished, true);
  assert.deepEqual([f.done, f.failed, f.rateLimited, f.requests, f.finishedMs, f.yoursDone, f.yoursFinishedMs], [2, 2, 2, 3, 13_000, 1, 12_000]);
});
