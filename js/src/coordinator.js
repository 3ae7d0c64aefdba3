// The local side of account-wide limits: a limiter whose budget a SluiceCoordinator (a Durable
// Object, sluice/durable) leases to it. When to ask, for how much, and what to do while the
// coordinator does not answer is the core's (src/core/lease); here are only the trips.
// Every exchange starts from the limiter's own poll, which runs in a request's context (a
// job's submit, end, or its own timer): its answer comes back to that request. Loaded by the
// limiter on first use: only limiters given a coordinator carry it.

const GREW = 1;
const ASK = 2;

export class LeaseClient {
  #core;
  #lease;
  #stubOf;
  #config;
  #now;
  #pump;
  #stop;
  /** This limiter, to the coordinator: drawn at the first ask (never at import). */
  #isolate = 0;

  /**
   * @param core the limiter's core
   * @param lease its `Lease` (the core put on leases)
   * @param stubOf returns the coordinator's Durable Object stub (for the current request)
   * @param config what every limiter of this coordinator agrees on: `{ limits, burst }`
   * @param pump polls the limiter (after an answer)
   * @param stop stops the limiter with an error (the coordinator refused its limits)
   */
  constructor(core, lease, stubOf, config, now, pump, stop) {
    this.#core = core;
    this.#lease = lease;
    this.#stubOf = stubOf;
    this.#config = config;
    this.#now = now;
    this.#pump = pump;
    this.#stop = stop;
  }

  /** After a poll at `t` that will next wake at `wake` (-1: never): asks if due; returns when to wake. */
  after(t, wake) {
    const flags = this.#lease.tick(this.#core, t);
    if (flags & ASK) this.#ask(t);
    if (flags & GREW) return t; // the own share grew: poll again at once
    const own = this.#lease.nextWake(t);
    return own < 0 ? wake : wake < 0 ? own : Math.min(wake, own);
  }

  #ask(t) {
    const ask = Array.from(this.#lease.ask(t));
    const seq = this.#lease.seq();
    if (this.#isolate === 0) this.#isolate = 1 + Math.floor(Math.random() * (2 ** 53 - 1));
    const failed = () => {
      this.#lease.failed(this.#now(), seq);
      this.#pump();
    };
    let answer;
    try {
      // A stub made in this request: a stub serves only the request that made it.
      const stub = this.#stubOf();
      if (stub === null || typeof stub !== 'object' || typeof stub.exchange !== 'function') {
        return this.#stop(new TypeError(`Expected \`coordinator\` to return a Durable Object stub of SluiceCoordinator, got ${stub === null ? 'null' : typeof stub}`));
      }
      answer = stub.exchange({ isolate: this.#isolate, ask, config: this.#config });
    } catch {
      return queueMicrotask(failed);
    }
    Promise.resolve(answer).then((reply) => {
      if (typeof reply?.error === 'string') return this.#stop(new RangeError(reply.error));
      if (!Array.isArray(reply?.grant)) return failed();
      if (this.#lease.granted(this.#core, this.#now(), seq, new Float64Array(reply.grant))) this.#pump();
    }, failed);
  }
}
