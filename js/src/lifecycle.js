// Per-job events: `queued` (the job entered the limiter), `started` (an attempt begins),
// `settled` (the job's promise settled). They cost nothing while nobody listens: the limiter
// asks `tracing()` once per job, and only then reads the clock or keeps a record. Listeners
// given to `on()` are called directly (a CustomEvent dispatched per job would cost more than
// the job itself); those given to `addEventListener` get a CustomEvent, as for every event.
//
//   queued   { id, key, priority }
//   started  { id, key, attempt, waitMs }     waitMs: since it was queued, or since its last attempt ended
//   settled  { id, key, outcome, value | error, attempts, latencyMs, usage }
//            outcome 'fulfilled' or 'rejected'; latencyMs: from schedule() to the end; usage:
//            tokens used over its attempts, null when none said
export const JOB_EVENTS = ['queued', 'started', 'settled'];

/** What the limiter keeps of a job while someone listens: times and usage so far. */
export class Trace {
  constructor(t) {
    this.queuedAt = t;
    /** When the job last waited from: its queuing, or its last attempt's end. */
    this.since = t;
    /** @type {{inputTokens: number, outputTokens: number} | null} */
    this.usage = null;
  }

  add(usage) {
    if (usage === null) return;
    if (this.usage === null) this.usage = { inputTokens: 0, outputTokens: 0 };
    this.usage.inputTokens += usage.inputTokens;
    this.usage.outputTokens += usage.outputTokens;
  }
}

/** The listeners of the job events of one limiter. */
export class JobListeners {
  /** `on()` listeners by type, and addEventListener ones (by identity, to count them once). */
  #direct = { queued: [], started: [], settled: [] };
  #dom = { queued: new Set(), started: new Set(), settled: new Set() };
  /** Whether anyone listens, by type, kept up to date as listeners come and go (read per job; a `once` listener counts until removed). */
  queued = false;
  started = false;
  settled = false;
  /** Whether a job needs a trace: someone listens to `started` or `settled`. */
  tracing = false;

  #count(type) {
    this[type] = this.#direct[type].length !== 0 || this.#dom[type].size !== 0;
    this.tracing = this.started || this.settled;
  }

  on(type, listener) {
    const list = this.#direct[type];
    list.push(listener);
    this.#count(type);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
      this.#count(type);
    };
  }

  added(type, listener) {
    if (listener) this.#dom[type].add(listener);
    this.#count(type);
  }

  removed(type, listener) {
    this.#dom[type].delete(listener);
    this.#count(type);
  }

  /** Calls the `on()` listeners, then dispatches to the others. A listener's error is reported apart. */
  emit(target, type, detail) {
    for (const listener of this.#direct[type]) {
      try {
        listener(detail);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    if (this.#dom[type].size !== 0) target.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
