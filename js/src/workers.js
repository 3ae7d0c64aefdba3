// Cloudflare Workers: how a waiting job keeps its request alive. workerd cancels a request as
// hung when it waits on a promise that only another request resolves and has nothing of its own
// pending; so each waiting job holds a timer of its own request context from the moment it
// waits until its own continuation has run (see shared/edge-runtimes.md, "Request contexts").
// The workerd entry installs this into the limiter (`useWorkersWaiting`); other runtimes never
// load it.

/** A waiting job's timer fires at the core's next wake-up, or at least this often. */
const KEEP_AWAKE_MS = 1_000;
// A job woken whose own continuation has not run this long after is taken to be gone with its
// request (the client left and the runtime dropped the request's pending work): its attempt ends
// as aborted, so that its slot is not held for `attemptLeaseMs`. The clock only moves across I/O
// in production, so this is time the isolate spent serving other requests.
const WAKE_GRACE_MS = 2_000;

import { AbortError } from './errors.js';

const now = () => Math.floor(performance.now());

/**
 * The waiting of one limiter's jobs. `host` is the limiter's side: `nextWake()` (the core's,
 * -1 for none), `pumpIfStale()` (polls unless it already did at this instant), `safely(fn)`
 * (runs a timer's work, a trap stopping the limiter rather than escaping) and `dropLost(job, t,
 * error)` (ends the attempt of a job woken but never continued; the job fails with `error`).
 */
export class WorkersWaiting {
  #host;
  /** Jobs woken to start whose own continuation has not run yet, with when. */
  #unconfirmed = new Map();

  constructor(host) {
    this.#host = host;
  }

  /**
   * `job` starts waiting: a timer in its own request context, pending until its continuation
   * has run (`confirmed`). It fires at the next wake-up (or within a second) and pumps: these
   * timers are what wakes the queue in Workers, since the limiter's single timer may belong to
   * a request that has ended (and then never fires). Timers firing at the same instant poll once.
   */
  sleep(job) {
    job.asleep = true;
    this.#arm(job);
  }

  #arm(job) {
    const t = now();
    const wake = this.#host.nextWake();
    const at = wake < 0 ? t + KEEP_AWAKE_MS : Math.min(wake, t + KEEP_AWAKE_MS);
    job.timer = setTimeout(() => {
      job.timer = null;
      this.#host.safely(() => {
        this.#host.pumpIfStale();
        // Re-armed even when the job was just woken: workerd runs a continuation resolved from
        // another request's context only while this request still has something pending.
        if (job.asleep) this.#arm(job);
      });
    }, Math.max(0, at - t));
  }

  /**
   * `job` was woken with `decision`, perhaps from another request's context: its own timer
   * stays pending (clearing it here, before its continuation has run, gets the request
   * cancelled as hung). A job woken to start is watched until its continuation comes.
   */
  woken(job, decision) {
    if (typeof decision === 'number') this.#unconfirmed.set(job, now());
  }

  /** In the job's own continuation: its wait is over. */
  confirmed(job) {
    job.asleep = false;
    if (this.#unconfirmed.size !== 0) this.#unconfirmed.delete(job);
    if (job.timer !== null) clearTimeout(job.timer);
    job.timer = null;
  }

  /** Ends the attempts of woken jobs whose continuation never came (WAKE_GRACE_MS). */
  sweep(t) {
    if (this.#unconfirmed.size === 0) return;
    for (const [job, woken] of this.#unconfirmed) {
      if (t - woken < WAKE_GRACE_MS) continue;
      this.#unconfirmed.delete(job);
      this.#host.dropLost(job, t, new AbortError(new Error('The request that scheduled this job ended before the job could start')));
    }
  }

  clear() {
    this.#unconfirmed.clear();
  }
}
