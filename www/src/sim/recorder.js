// What one strategy did, as it happens: counters for the figures, and per bucket of simulated
// time the rows the charts draw (aggregated here, so that the page draws a few hundred points
// whatever the number of jobs).

/** Tokens per minute are averaged over this much simulated time. */
export const RATE_WINDOW_MS = 10_000;

/** A bucket width that gives about `points` rows over `spanMs`: 100 ms, 200 ms, 500 ms, 1 s, 2 s… */
export function bucketWidth(spanMs, points = 300) {
  const raw = Math.max(100, spanMs / points);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= raw);
  return step * magnitude;
}

export class Recorder {
  /** @param {Array<{tenant: string}>} jobs @param {() => number} inFlight the provider's @param {number} bucketMs */
  constructor(jobs, inFlight, bucketMs, yourTenant) {
    this.total = jobs.length;
    this.yours = jobs.filter((j) => j.tenant === yourTenant).length;
    this.yourTenant = yourTenant;
    this.inFlight = inFlight;
    this.bucketMs = bucketMs;
    this.windowBuckets = Math.max(1, Math.round(RATE_WINDOW_MS / bucketMs));
    this.done = 0;
    this.failed = 0;
    this.yoursSettled = 0;
    this.yoursDone = 0;
    this.rateLimited = 0;
    this.requests = 0;
    this.finishedMs = null;
    this.yoursFinishedMs = null;
    /** Per bucket: tokens admitted (input + the output really produced) and 429s answered. */
    this.tokens = [];
    this.refusals = [];
  }

  #bucket(now) {
    return Math.floor(now / this.bucketMs);
  }

  admitted(now, inputTokens, outputTokens) {
    const b = this.#bucket(now);
    this.tokens[b] = (this.tokens[b] ?? 0) + inputTokens + outputTokens;
  }

  answered(now, status) {
    this.requests += 1;
    if (status !== 429) return;
    this.rateLimited += 1;
    const b = this.#bucket(now);
    this.refusals[b] = (this.refusals[b] ?? 0) + 1;
  }

  settled(now, job, ok) {
    if (ok) this.done += 1;
    else this.failed += 1;
    if (job.tenant === this.yourTenant) {
      if (ok) this.yoursDone += 1;
      if (++this.yoursSettled === this.yours) this.yoursFinishedMs = now;
    }
    if (this.done + this.failed === this.total) this.finishedMs = now;
  }

  get finished() {
    return this.finishedMs !== null;
  }

  /** The chart row of bucket `b`, taken at its end: done, in flight, queued, 429s a second, tokens a minute. */
  row(b) {
    const inFlight = this.inFlight();
    let tokens = 0;
    for (let i = Math.max(0, b - this.windowBuckets + 1); i <= b; i++) tokens += this.tokens[i] ?? 0;
    return [
      this.done,
      inFlight,
      Math.max(0, this.total - this.done - this.failed - inFlight),
      ((this.refusals[b] ?? 0) * 1000) / this.bucketMs,
      Math.round((tokens * 60_000) / (this.windowBuckets * this.bucketMs)),
    ];
  }

  figures() {
    return {
      done: this.done,
      failed: this.failed,
      rateLimited: this.rateLimited,
      requests: this.requests,
      inFlight: this.inFlight(),
      queued: Math.max(0, this.total - this.done - this.failed - this.inFlight()),
      finishedMs: this.finishedMs,
      yours: this.yours,
      yoursDone: this.yoursDone,
      yoursFinishedMs: this.yoursFinishedMs,
    };
  }
}
