// The Limiter: the JS side of sluice. It owns the promises, the timers and the AbortSignals;
// the wasm core decides what starts when, what an outcome means, and whether to retry.
// Each task is called from its own caller's continuation (`await admitted; task()`), never from
// the code path that freed a slot for it: in Workers, a task started from another request's
// context never gets its I/O back.
import { Core } from '../wasm/sluice.js';
import { AttemptContext, watchAttempt } from './attempt.js';
import * as code from './codes.js';
import { OUTCOME } from './names.js';
import { bodyUsage, discard } from './body.js';
import { AbortError, ClearedError, ClosedError, DeadlineError, EstimateTooLargeError, RetryError, SluiceError, SluiceInternalError, TimeoutError } from './errors.js';
import { decodeEvent } from './events.js';
import { KeyFigures } from './keyfigures.js';
import { JOB_EVENTS, JobListeners, Trace } from './lifecycle.js';
import { checkClass, parseJobOptions, parseLimiterOptions, parseUpdate } from './options.js';
import { headerLines, readOutcome, responseOf, thrownReadingLoaded } from './outcome.js';
import { streamKind } from './stream-kind.js';
import { readUsage } from './usage.js';
import * as check from './validate.js';
import { readPoll, readRejection, readStats, readVerdict, SLOTS } from './wire.js';

const inWorkers = () => globalThis.navigator?.userAgent === 'Cloudflare-Workers';
/** The lease side of a limiter given no coordinator: its wake-ups stay as they are. */
const NO_LEASE = { after: (t, wake) => wake };
/** Why a limiter in Workers, or given a coordinator, cannot be built from this entry. */
const WORKERD_ENTRY = 'sluice: use the `workerd` entry (wrangler does; esbuild: --conditions=workerd)';
/** Leases from a coordinator (leases.js), installed by the entries of runtimes with Durable Objects. */
let leases = null;
/** Installs leases.js (`import * as leases`): the workerd, init and node entries call it. */
export function useLeases(module) {
  leases = module;
}
/** How jobs wait in Workers (workers.js), installed by the workerd entry. */
let makeWorkersWaiting = null;
/** Installs the Workers waiting (`(host) => new WorkersWaiting(host)`): the workerd entry calls it. */
export function useWorkersWaiting(make) {
  makeWorkersWaiting = make;
}

// setTimeout's longest delay; longer waits re-arm when it fires.
const MAX_DELAY = 2 ** 31 - 1;

/** stream.js, which holds the streams tasks return: loaded when the first one comes. */
let streams = null;

/** The host clock: monotonic milliseconds. Read when needed, never at import. */
const now = () => Math.floor(performance.now());

const idOf = (job) => job.generation * SLOTS + job.slot;

/** How a closed limiter treats its waiting jobs (`close({ drain })`). */
const DRAIN = 1;
const REJECT = 2;
const CLOSE_OPTIONS = new Set(['drain']);
/** Whether an event row names a key (a key's gate closing or opening: its length + 1, 0 for none). */
const namesKey = (row) => (row[0] === code.GATE_CLOSED || row[0] === code.GATE_OPENED) && row[1] > 0;

/**
 * A scheduled job: its task and options, and while it waits, how to wake it. Its id is kept as
 * two small integers (its slot in the core, the slot's generation): an id above 2^31 would be
 * stored boxed, and the fields of every job would change shape as ids grow.
 */
class Job {
  constructor(id, task, o, due) {
    /** When the whole job must be done by, on the host clock (`now()`), or Infinity. */
    this.due = due;
    this.slot = id % SLOTS | 0;
    this.generation = ((id - this.slot) / SLOTS) | 0;
    this.task = task;
    this.o = o;
    /** The attempt the core started last. */
    this.attempt = 0;
    /** While the job waits: how to wake it, and its abort listener. */
    this.resolve = null;
    this.onAbort = null;
    /** What woke it, for its own continuation to act on: the attempt to start, or an error. */
    this.decision = 0;
    /** Workers (workers.js): the timer of the job's own request context, kept while asleep. */
    this.timer = null;
    /** Workers: from the start of a wait until the job's own continuation has run. */
    this.asleep = false;
    /** Its times and usage, while someone listens to `started` or `settled` (lifecycle.js). */
    this.trace = null;
  }
}

export class Limiter extends EventTarget {
  #core;
  #classify;
  /** Whether the jitter still needs a random seed (drawn at first use, never at import). */
  #unseeded;
  /**
   * Jobs scheduled and not yet ended, by the slot the core keeps them in (the low bits of
   * their id): denser than a Map, and the core reuses slots as jobs end.
   */
  #jobs = [];
  #active = 0;
  /**
   * Decisions for jobs not waiting yet (just submitted, or between two attempts): id → the
   * attempt to start, or the error to reject with.
   */
  #ready = new Map();
  #idle = [];
  #timer = null;
  #timerAt = Infinity;
  /** The clock as last read: queuing a job without a deadline needs no fresher time. */
  #lastReading = 0;
  /** Workers: how a waiting job keeps its request alive (workers.js); null elsewhere. */
  #waiting = null;
  /** Listeners of the per-job events, made when the first one comes. */
  #jobEvents = null;
  /** Producers waiting for the queue to shrink: `{ limit, resolve }` (onQueueBelow). */
  #below = [];
  #paused = false;
  /** 0 open; closed: DRAIN lets waiting jobs run, REJECT drops them. */
  #closed = 0;
  /** Per-key figures, made when the first keyed attempt ends. */
  #keyFigures = null;
  /** What reading the last attempt's outcome threw (see #finish). */
  #unreadable = undefined;
  /** The SluiceInternalError of a core that trapped: the limiter has stopped. */
  #dead = null;
  /** Leases from a coordinator (the `coordinator` option): when they move its next wake-up. */
  #lease = NO_LEASE;

  /** @param {import('../index.js').LimiterOptions} [options] */
  constructor(options) {
    super();
    const { settings, seeded, classify, latencyQuantile, coordinator } = parseLimiterOptions(options);
    // No clock is read here: a limiter may be built at a Worker's module scope, where the
    // clock reads 0. The core counts time from its first real reading on.
    try {
      this.#core = new Core(settings);
    } catch (e) {
      throw new RangeError(e.message); // a value the core refused (`retry.maxDelayMs` below `retry.baseMs`)
    }
    if (latencyQuantile !== undefined) this.#core.setLatencyQuantile(latencyQuantile);
    if (inWorkers()) {
      if (makeWorkersWaiting === null) {
        throw new Error(WORKERD_ENTRY);
      }
      this.#waiting = makeWorkersWaiting({
        // The limiter's own next wake: the core's, or sooner on leases (when to ask again).
        nextWake: () => (this.#timerAt === Infinity ? -1 : this.#timerAt),
        pumpIfStale: () => {
          const t = now();
          if (t !== this.#lastReading) this.#pump(t);
        },
        safely: (fn) => this.#safely(fn),
        dropLost: (job, t, decision) => {
          const id = idOf(job);
          job.decision = decision;
          this.#carryOut(this.#core.finish(t, id, OUTCOME.aborted, 0, 0, -1, -1), t);
          this.#forget(id);
        },
      });
    }
    this.#classify = classify;
    this.#unseeded = !seeded;
    if (coordinator !== null) {
      if (leases === null) throw new Error(WORKERD_ENTRY);
      leases.startLeases(this.#core, coordinator, settings[2], {
        now,
        pump: () => this.#safely(() => this.#pump()),
        crash: (e) => this.#crash(e),
        use: (lease) => (this.#lease = lease),
      });
    }
  }

  /**
   * Runs `task` when the limits allow, and settles with its result.
   * @template T
   * @param {(ctx: AttemptContext) => T | PromiseLike<T>} task
   * @param {import('../index.js').ScheduleOptions} [opts]
   * @returns {Promise<Awaited<T>>}
   */
  schedule(task, opts) {
    check.func('task', task);
    const o = parseJobOptions(opts);
    if (o.signal?.aborted) return Promise.reject(new AbortError(o.signal.reason));
    if (this.#closed !== 0) return Promise.reject(new ClosedError());
    if (this.#dead !== null) return Promise.reject(this.#dead);
    try {
      return this.#submit(task, o);
    } catch (e) {
      const dead = this.#trapped(e);
      if (dead) return Promise.reject(dead);
      throw e;
    }
  }

  #submit(task, o) {
    if (this.#unseeded) {
      this.#unseeded = false;
      this.#core.reseed(Math.floor(Math.random() * 2 ** 53));
    }
    const maxWait = o.maxWaitMs === Infinity ? -1 : o.maxWaitMs;
    const timed = maxWait >= 0 || o.deadline !== Infinity;
    // Queuing a job needs the time only for its deadlines; the core reads time as monotonic, so
    // the last reading serves (and a poll, if one follows, reads the clock afresh).
    const t = timed ? now() : this.#lastReading;
    // The deadline is wall-clock time (Date.now()); the core counts on the monotonic clock, so
    // it is converted once, here: later steps of the wall clock do not move it.
    const due = o.deadline === Infinity ? -1 : t + Math.max(0, Math.ceil(o.deadline - Date.now()));
    const submitted = o.key
      ? this.#core.submitKeyed(t, o.key, o.priority, o.tokens, o.inputTokens, o.maxOutputTokens, maxWait, due)
      : this.#core.submit(t, o.priority, o.tokens, o.inputTokens, o.maxOutputTokens, maxWait, due);
    if (submitted === 0) {
      const error = readRejection(this.#core.rejection(), o);
      this.#emit('dropped', { key: o.key || undefined, error });
      // An estimate no budget can hold is a bad argument: thrown, like the others.
      if (error instanceof EstimateTooLargeError) throw error;
      return Promise.reject(error);
    }
    const id = Math.abs(submitted); // negative: every slot is taken, no poll can start it now
    const job = new Job(id, task, o, due < 0 ? Infinity : due);
    // A job still in the slot is one the core has given up for lost (its attempt outlived
    // `attemptLeaseMs`): it no longer counts as active, and its late end is ignored.
    if (this.#jobs[id % SLOTS] !== undefined) this.#active -= 1;
    this.#jobs[id % SLOTS] = job;
    this.#active += 1;
    const events = this.#jobEvents;
    if (events !== null) {
      if (events.tracing) job.trace = new Trace(now());
      if (events.queued) events.emit(this, 'queued', { id, key: o.key || undefined, priority: o.priority });
    }
    // The task runs in this caller's own continuation: right now, or in a reaction to its own
    // admission. (No async function and no closure wait here: a suspended function would cost
    // each queued job a generator and its registers; the reaction is one function for all.)
    const admitted = submitted > 0 ? this.#admit(job, timed ? t : now()) : this.#admission(id, job);
    return admitted === job ? this.#attempts(job) : admitted.then(this.#admitted);
  }

  /** Tells the `settled` listeners how a traced job ended (its promise settles right after). */
  #settled(job, outcome, result) {
    const events = this.#jobEvents;
    if (!events.settled) return;
    const { trace } = job;
    const key = job.o.key || undefined;
    const latencyMs = now() - trace.queuedAt;
    const detail = { id: idOf(job), key, outcome, [outcome === 'fulfilled' ? 'value' : 'error']: result, attempts: job.attempt, latencyMs, usage: trace.usage };
    events.emit(this, 'settled', detail);
  }

  /** The reaction to any job's admission, in the job's own continuation. */
  #admitted = (job) => {
    if (job.trace !== null && job.decision instanceof Error) this.#settled(job, 'rejected', job.decision);
    return this.#attempts(this.#woken(job));
  };

  /**
   * `fn` as a function that goes through the limiter. `opts` may be a function of the
   * arguments, to estimate each call's tokens. `fn` is called with the attempt's context as
   * `this` (its `signal`, `attempt`, `reportUsage`), which an arrow function simply ignores.
   */
  wrap(fn, opts) {
    check.func('fn', fn);
    if (typeof opts !== 'function') parseJobOptions(opts);
    return (...args) => this.schedule((ctx) => fn.apply(ctx, args), typeof opts === 'function' ? opts(...args) : opts);
  }

  /** Calls `listener(detail)` on each event of `type`; returns a function that stops it. */
  on(type, listener) {
    check.func('listener', listener);
    if (JOB_EVENTS.includes(type)) return (this.#jobEvents ??= new JobListeners()).on(type, listener);
    const handler = (event) => listener(event.detail);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  // The per-job events are dispatched only while someone listens: the limiter counts their listeners.
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (JOB_EVENTS.includes(type)) (this.#jobEvents ??= new JobListeners()).added(type, listener);
  }

  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options);
    if (JOB_EVENTS.includes(type)) this.#jobEvents?.removed(type, listener);
  }

  /** Nothing starts until `resume()`: running attempts go on, new jobs queue. */
  pause() {
    this.#core.setPaused((this.#paused = true));
  }

  resume() {
    this.#core.setPaused((this.#paused = false));
    this.#pump();
  }

  /** Rejects every job waiting to start (or backing off to retry) with ClearedError; returns how many. */
  clear() {
    return this.#dropWaiting(ClearedError);
  }

  /**
   * Takes no new job (they reject with ClosedError) and resolves when the limiter is idle.
   * `drain: true` (the default) lets the waiting jobs run; `false` rejects them with ClosedError.
   */
  close(options) {
    const o = check.options('options', options, CLOSE_OPTIONS);
    const drain = o.drain === undefined || check.boolean('drain', o.drain);
    if (this.#closed !== REJECT) this.#closed = drain ? DRAIN : REJECT;
    if (!drain) this.#dropWaiting(ClosedError);
    return this.onIdle();
  }

  /**
   * Changes limits at run time (an account moved to another tier): `maxConcurrent`, `maxQueue`
   * and the rate limits, checked as the constructor checks them. A lower limit rejects the waiting
   * jobs it can never hold.
   */
  update(options) {
    const settings = parseUpdate(options);
    const t = now();
    this.#core.reconfigure(t, settings);
    this.#pump(t);
  }

  /** Resolves when fewer than `limit` jobs wait to start: a producer awaits it before adding more. */
  onQueueBelow(limit) {
    check.integer('limit', limit);
    if (this.#core.queued() < limit) return Promise.resolve();
    return new Promise((resolve) => this.#below.push({ limit, resolve }));
  }

  /** Rejects the jobs waiting to start or to retry with a new `ErrorClass`; returns how many. */
  #dropWaiting(ErrorClass) {
    const t = now();
    let dropped = 0;
    for (const job of this.#jobs) {
      if (job === undefined || job.resolve === null) continue;
      const id = idOf(job);
      if (!this.#core.cancel(t, id)) continue;
      this.#wake(job, new ErrorClass());
      this.#forget(id);
      dropped += 1;
    }
    this.#pump(t);
    return dropped;
  }

  /** Resolves when no job is queued, backing off or running. */
  onIdle() {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** A snapshot of the limiter: gauges, counters since it was built, and each budget's level. */
  stats() {
    if (this.#dead !== null) throw this.#dead;
    let s;
    try {
      s = readStats(this.#core);
    } catch (e) {
      throw this.#trapped(e) ?? e;
    }
    s.tokens.used = s.tokens.input + s.tokens.output;
    s.paused = this.#paused;
    s.byKey = this.#keyFigures === null && this.#active === 0 ? {} : (this.#keyFigures ?? new KeyFigures()).snapshot(this.#jobs);
    return s;
  }

  /**
   * `job` itself if it starts now (with `job.attempt` set); else a promise that resolves with
   * it when it does, or rejects if it never will.
   */
  #admit(job, t) {
    const id = idOf(job);
    this.#pump(t);
    const decided = this.#ready.get(id);
    if (decided === undefined) return this.#admission(id, job);
    this.#ready.delete(id);
    if (decided instanceof Error) {
      this.#forget(id);
      if (job.trace !== null && job.attempt === 0) this.#settled(job, 'rejected', decided);
      return Promise.reject(decided);
    }
    job.attempt = decided | 0;
    return job;
  }

  /** Attempts until the core says done, each in the caller's own continuation. */
  async #attempts(job) {
    const { task, o } = job;
    const id = idOf(job);
    let streaming = false;
    try {
      for (;;) {
        const ctx = new AttemptContext(job.attempt);
        const { trace } = job;
        if (trace !== null) this.#started(job, trace);
        const watch = watchAttempt(ctx, o, job.due);
        let value;
        let threw = false;
        let held = null;
        let stopped;
        try {
          const pending = task(ctx);
          value = await (watch ? Promise.race([pending, watch.promise]) : pending);
          // A stream holds the attempt until it ends (stream.js); its first chunk is read here.
          const result = value;
          if (o.stream && streamKind(result) !== null) {
            streams ??= await import('./stream.js');
            held = streams.holdStream(result, o, (error, usage, cancelled) => this.#streamEnded(job, ctx, result, error, usage, cancelled));
          }
          if (held) value = await (watch ? Promise.race([held.ready, watch.promise]) : held.ready);
          // Another returned Response settles from its body (a clone's): the attempt lasts until it has arrived.
          const reading = held === null && ctx.usage === null ? bodyUsage(value) : null;
          if (reading !== null) ctx.usage = await (watch ? Promise.race([reading, watch.promise]) : reading);
        } catch (e) {
          held?.cancel(e);
          // Once the limiter aborted the attempt, its own error stands, whatever the task threw.
          value = watch?.error ?? e;
          stopped = watch?.error ?? (held && e instanceof SluiceError ? e : undefined);
          threw = true;
        } finally {
          watch?.dispose();
        }
        // With the browser entry, what a thrown error says is read by a module loaded at the first one.
        if (threw && !thrownReadingLoaded()) await import('./thrown.js');
        if (held && !threw) {
          streaming = true;
          return value;
        }
        const verdict = this.#finish(id, ctx, value, threw, stopped);
        this.#ended(job, verdict, ctx.usage);
        if (this.#unreadable !== undefined) {
          const error = this.#unreadable;
          this.#unreadable = undefined;
          throw error;
        }
        if (verdict === code.LATE) throw this.#late(value, threw, o);
        if (verdict >= code.EXHAUSTED) throw this.#exhausted(verdict, value, threw, o);
        if (verdict !== code.RETRY) {
          if (threw) throw value;
          if (trace !== null) this.#settled(job, 'fulfilled', value);
          return value;
        }
        if (!threw) discard(value);
        // Closed without draining: the retry never goes out.
        if (this.#closed === REJECT && this.#core.cancel(now(), id)) throw new ClosedError();
        try {
          const next = this.#admit(job, now());
          if (next !== job) this.#woken(await next);
        } catch (e) {
          // The deadline came while the retry waited: the last attempt's error is the cause.
          if (e instanceof DeadlineError && threw) e.cause = value;
          throw e;
        }
      }
    } catch (e) {
      const error = this.#trapped(e) ?? e;
      if (job.trace !== null) this.#settled(job, 'rejected', error);
      throw error;
    } finally {
      if (!streaming) this.#forget(id);
    }
  }

  /** Tells the `started` listeners that an attempt of `job` begins. */
  #started(job, trace) {
    if (this.#jobEvents.started) {
      this.#jobEvents.emit(this, 'started', { id: idOf(job), key: job.o.key || undefined, attempt: job.attempt, waitMs: now() - trace.since });
    }
  }

  /** What an ended attempt adds to its key's figures and its job's trace. */
  #ended(job, verdict, usage) {
    if (job.o.key !== '') (this.#keyFigures ??= new KeyFigures()).ended(job.o.key, verdict, usage);
    const { trace } = job;
    if (trace !== null) {
      if (this.#jobEvents.started) trace.since = now();
      trace.add(usage);
    }
  }

  /**
   * A held stream has ended: its attempt ends with it, never retried (the caller has read it).
   * The job settles then, for its listeners: with the stream's usage.
   */
  #streamEnded(job, ctx, value, error, usage, cancelled) {
    if (error !== undefined || cancelled) ctx.abort(error); // the request behind it, if still open
    if (ctx.usage === null) ctx.usage = usage;
    const stopped = error instanceof AbortError || error instanceof TimeoutError ? error : undefined;
    const id = idOf(job);
    try {
      const verdict = this.#finish(id, ctx, error ?? value, error !== undefined, stopped, code.NO_RETRY);
      this.#unreadable = undefined; // the caller has its stream: nothing to fail with now
      this.#ended(job, verdict, ctx.usage);
      if (job.trace !== null) this.#settled(job, error === undefined ? 'fulfilled' : 'rejected', error ?? value);
    } catch (e) {
      if (this.#trapped(e) === null) throw e;
    } finally {
      this.#forget(id);
    }
  }

  /** Drops an ended job (once or more: it is idempotent). */
  #forget(id) {
    if (this.#job(id) === undefined) return;
    this.#jobs[id % SLOTS] = undefined;
    if (this.#ready.size !== 0) this.#ready.delete(id);
    this.#active -= 1;
    if (this.#active === 0) this.#resolveIdle();
  }

  /** The live job of id `id`, if any. */
  #job(id) {
    const job = this.#jobs[id % SLOTS];
    return job !== undefined && idOf(job) === id ? job : undefined;
  }

  /**
   * Waits until the core decides on job `id`; resolves with the job, its `decision` set (the
   * attempt to start, or the error to fail with), for `#woken` to act on in its continuation.
   */
  #admission(id, job) {
    const { signal } = job.o;
    return new Promise((resolve) => {
      if (signal?.aborted && this.#core.cancel(now(), id)) {
        // Aborted between two attempts: the retry never goes out.
        this.#forget(id);
        job.decision = new AbortError(signal.reason);
        resolve(job);
        this.#pump();
        return;
      }
      job.resolve = resolve;
      if (signal) {
        job.onAbort = () =>
          this.#safely(() => {
            if (!this.#core.cancel(now(), id)) return;
            this.#wake(job, new AbortError(signal.reason));
            this.#forget(id);
            this.#pump(); // the job may have held up the head of the queue
          });
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#waiting?.sleep(job);
    });
  }

  /**
   * Wakes a waiting job with its decision. This may run in another request's context (the pump
   * that freed the slot, another job's timer): in Workers its own timer stays pending until its
   * continuation has run (`#woken`), or the runtime cancels its request as hung (workers.js).
   */
  #wake(job, decision) {
    if (job.onAbort) job.o.signal.removeEventListener('abort', job.onAbort);
    const { resolve } = job;
    job.resolve = job.onAbort = null;
    job.decision = decision;
    this.#waiting?.woken(job, decision);
    resolve(job);
  }

  /** In the woken job's own continuation: ends its wait and returns it, or throws its error. */
  #woken(job) {
    this.#waiting?.confirmed(job);
    if (job.decision instanceof Error) throw job.decision;
    job.attempt = job.decision;
    return job;
  }

  /**
   * Reports how an attempt ended and returns the core's verdict (codes.js). A value returned
   * without a Response (an SDK's parsed body) is a success with nothing more to read. When
   * reading the outcome throws (a `classify` that throws or returns no class, a throwing getter
   * or `headers.forEach`), the attempt ends as fatal and that error is left in `#unreadable`
   * for the job to fail with, so that its slot is freed at once.
   */
  #finish(id, ctx, value, threw, stopped, final = 0) {
    if (this.#dead !== null) throw this.#dead;
    let kind, status, hint, usage;
    try {
      [kind, status, hint] = this.#classifyOutcome(value, threw, stopped);
      usage = ctx.usage ?? (threw ? null : readUsage(value));
      ctx.usage = usage;
    } catch (e) {
      this.#unreadable = e;
      [kind, status, hint, usage] = [OUTCOME.fatal, 0, 0, null];
    }
    const t = now();
    const out = this.#core.finish(t, id, kind, status, hint | final, usage ? usage.inputTokens : -1, usage ? usage.outputTokens : -1);
    const verdict = readVerdict(out);
    this.#carryOut(out, t); // finish polled too
    return verdict;
  }

  /** `[kind, status, hint]` of an attempt's end, for `Core.finish`; gives the core the headers. */
  #classifyOutcome(value, threw, stopped) {
    let kind = stopped instanceof AbortError ? OUTCOME.aborted : code.CLASSIFY;
    let status = 0;
    let hint = 0;
    if (kind === code.CLASSIFY && (threw || this.#classify || responseOf(value))) {
      const seen = readOutcome(value, threw);
      status = seen.status;
      hint = seen.hint;
      if (this.#classify) {
        const result = threw ? undefined : value;
        const verdict = checkClass(this.#classify({ result, error: threw ? value : undefined, status: status || undefined, headers: seen.headers }));
        if (verdict !== undefined) kind = OUTCOME[verdict];
      }
      const lines = headerLines(seen.headers);
      if (lines || seen.retryDelay || seen.named) this.#core.feedback(Date.now(), lines, seen.retryDelay, seen.named);
    }
    if (kind === code.CLASSIFY && stopped) kind = OUTCOME['timed-out'];
    if (kind === code.CLASSIFY && !threw && status === 0) kind = OUTCOME.success;
    return [kind, status, hint];
  }

  /** The error of a job whose retries ran out; `verdict` encodes the attempts and why. */
  #exhausted(verdict, value, threw, o) {
    let seen;
    try {
      seen = readOutcome(value, threw);
    } catch {
      seen = { status: 0, headers: {} }; // read once already in #finish; a getter may throw once
    }
    const error = new RetryError({
      attempts: Math.floor(verdict / code.EXHAUSTED_PER_ATTEMPT),
      budget: (verdict & code.EXHAUSTED_BUDGET) !== 0,
      status: seen.status,
      headers: seen.headers,
      cause: threw ? value : undefined,
      response: threw ? undefined : (responseOf(value) ?? undefined),
    });
    this.#emit('dropped', { key: o.key || undefined, error });
    return error;
  }

  /** The DeadlineError of a job for which no retry fits before its deadline (the core says why). */
  #late(value, threw, o) {
    const error = readRejection(this.#core.rejection(), o);
    if (threw) error.cause = value;
    this.#emit('dropped', { key: o.key || undefined, error });
    return error;
  }

  /** Asks the core what to do now, carries it out, tells listeners, and sleeps until the next change. */
  #pump(t = now()) {
    if (this.#dead !== null) throw this.#dead;
    this.#waiting?.sweep(t);
    this.#carryOut(this.#core.poll(t), t);
  }

  /** Carries out the core's output at `pointer`: starts and rejections, then events. */
  #carryOut(pointer, t) {
    this.#lastReading = t;
    this.#events = null;
    this.#dropped = null;
    const wake = readPoll(pointer, this.#sink, this.#jobOf);
    const events = this.#events;
    const dropped = this.#dropped;
    // The key names of this output's events, read before any listener can call into the core
    // (a schedule() from a listener would replace them).
    const keys = events !== null && events.some(namesKey) ? this.#core.eventKeys() : null;
    this.#arm(this.#lease.after(t, wake));
    if (this.#below.length !== 0) this.#resolveBelow();
    if (dropped) for (const detail of dropped) this.#emit('dropped', detail);
    if (events) {
      let at = 0;
      const nextKey = (length) => keys.slice(at, (at += length));
      for (const row of events) {
        const event = decodeEvent(row, this.#jobOf, nextKey, t);
        if (event) this.#emit(event[0], event[1]);
      }
    }
  }

  /** Where `readPoll` hands each row: nothing here may call into the core. */
  #events = null;
  #dropped = null;
  #jobOf = (id) => this.#job(id);
  #sink = {
    start: (id, attempt) => this.#decided(id, attempt),
    reject: (id, error) => {
      (this.#dropped ??= []).push({ key: this.#job(id).o.key || undefined, error });
      this.#decided(id, error);
    },
    event: (row) => (this.#events ??= []).push(row),
  };

  /** The core's decision on job `id`: the attempt to start, or the error it failed with. */
  #decided(id, decision) {
    const job = this.#job(id);
    if (job.resolve === null) {
      this.#ready.set(id, decision); // its own code will look here before it waits
      return;
    }
    this.#wake(job, decision);
    if (decision instanceof Error) this.#forget(id);
  }

  /**
   * Runs `fn` for a timer or a listener, where a trap must not become an uncaught exception: the
   * limiter stops instead (#crash), and every job settles with its SluiceInternalError.
   */
  #safely(fn) {
    if (this.#dead !== null) return;
    try {
      fn();
    } catch (e) {
      if (this.#trapped(e) === null) throw e;
    }
  }

  /** The SluiceInternalError for `e` if it is a trap of the core (stopping the limiter), else null. */
  #trapped(e) {
    if (e instanceof SluiceInternalError) return e;
    if (!(e instanceof WebAssembly.RuntimeError)) return null;
    if (this.#dead === null) this.#crash(new SluiceInternalError(e));
    return this.#dead;
  }

  /**
   * The core trapped: its state is lost, so the limiter stops (a new core would forget the
   * reservations of the attempts in flight and could send more than the limits allow). Every
   * waiting job rejects with `error` now; running ones when their task ends; new work is
   * refused with it; no timer of this limiter fires again.
   */
  #crash(error) {
    this.#dead = error;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#ready.clear();
    this.#waiting?.clear();
    for (const job of this.#jobs) {
      if (job === undefined) continue;
      if (job.resolve !== null) this.#wake(job, error);
      this.#forget(idOf(job));
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Keeps one timer, for the earliest instant at which the core has something to do. */
  #arm(wake) {
    if (wake < 0) {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== null && this.#timerAt <= wake) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = wake;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#safely(() => this.#pump());
    }, Math.min(Math.max(0, wake - now()), MAX_DELAY));
  }

  /** Resolves the producers waiting for the queue to shrink below their limit. */
  #resolveBelow() {
    const queued = this.#core.queued();
    const still = [];
    for (const waiter of this.#below) {
      if (queued < waiter.limit) waiter.resolve();
      else still.push(waiter);
    }
    this.#below = still;
  }

  #resolveIdle() {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
