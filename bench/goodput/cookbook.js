// The OpenAI cookbook's parallel request processor, ported to JavaScript from its description
// (providers.md) and its published algorithm, in this project's own words.
//
// How it works:
// - It keeps two continuous capacities, requests and tokens, each starting at its per-minute
//   limit, refilled in proportion to the time elapsed since the last look and capped at the
//   limit. It never reads the provider's headers and never gives back an over-estimate.
// - One loop holds at most one request ready to go: a request waiting in the retry queue if
//   there is one, else the next unread request. It goes out as soon as there is at least one
//   request of capacity and as many tokens as its estimate (prompt tokens + max_tokens × n); its
//   estimate comes off the token capacity, one off the request capacity, one off its attempts.
// - A failed call goes to the back of the retry queue while it has attempts left (5 in all),
//   whatever the error. A call whose error message says "rate limit" stamps the time of the
//   last rate-limit error; after each turn of the loop, if that stamp is less than 15 s old,
//   the loop sleeps what is left of those 15 s: nothing at all goes out meanwhile.
// - The loop ends when no request is in progress (here: when the input is closed too, since
//   jobs may arrive while it runs).
//
// The original sleeps 1 ms per turn of the loop. On virtual time that is 1 000 timer firings per
// simulated second; by default this port sleeps instead until the next instant something can
// change (the capacity the held request needs, a new or retried request, a finished call),
// which decides the same things within that millisecond. `poll: 1` restores the 1 ms loop.

const PAUSE_AFTER_RATE_LIMIT_MS = 15_000;
const MAX_ATTEMPTS = 5;

export class ParallelProcessor {
  #rpm;
  #tpm;
  #requestCapacity;
  #tokenCapacity;
  #lastUpdate;
  #lastRateLimitError = -Infinity;
  #unread = [];
  #retries = [];
  #inProgress = 0;
  #closed = false;
  #wake = null;
  #poll;
  #running;
  stats = { rateLimitErrors: 0, otherErrors: 0, failed: 0, succeeded: 0 };

  /**
   * @param {object} o
   * @param {number} o.maxRequestsPerMinute @param {number} o.maxTokensPerMinute
   * @param {(request: any) => Promise<any>} o.call makes the API call for a request
   * @param {number} [o.poll] ms per turn of the loop; 0 (default): sleep until something can change
   */
  constructor({ maxRequestsPerMinute, maxTokensPerMinute, call, poll = 0 }) {
    this.#rpm = maxRequestsPerMinute;
    this.#tpm = maxTokensPerMinute;
    this.#requestCapacity = maxRequestsPerMinute;
    this.#tokenCapacity = maxTokensPerMinute;
    this.#lastUpdate = Date.now();
    this.call = call;
    this.#poll = poll;
    this.#running = this.#loop();
  }

  /** Adds a request (a line of the input file); resolves or rejects with its final outcome. */
  add(request, tokenConsumption) {
    return new Promise((resolve, reject) => {
      this.#unread.push({ request, tokenConsumption, attemptsLeft: MAX_ATTEMPTS, resolve, reject });
      this.#inProgress++;
      this.#poke();
    });
  }

  /** No more requests will come: the loop ends once the last one is done. */
  close() {
    this.#closed = true;
    this.#poke();
  }

  /** Resolves when the loop has ended (after `close()`, once nothing is in progress). */
  ended() {
    return this.#running;
  }

  #poke() {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #loop() {
    let next = null;
    for (;;) {
      if (next === null) {
        if (this.#retries.length > 0) next = this.#retries.shift();
        else if (this.#unread.length > 0) next = this.#unread.shift();
      }
      const now = Date.now();
      const elapsed = now - this.#lastUpdate;
      this.#requestCapacity = Math.min(this.#requestCapacity + (this.#rpm * elapsed) / 60_000, this.#rpm);
      this.#tokenCapacity = Math.min(this.#tokenCapacity + (this.#tpm * elapsed) / 60_000, this.#tpm);
      this.#lastUpdate = now;
      if (next !== null && this.#requestCapacity >= 1 && this.#tokenCapacity >= next.tokenConsumption) {
        this.#requestCapacity -= 1;
        this.#tokenCapacity -= next.tokenConsumption;
        next.attemptsLeft -= 1;
        this.#send(next);
        next = null;
      }
      if (this.#inProgress === 0 && this.#closed) return;
      await this.#sleep(next);
      const sinceRateLimit = Date.now() - this.#lastRateLimitError;
      if (sinceRateLimit < PAUSE_AFTER_RATE_LIMIT_MS) await delay(PAUSE_AFTER_RATE_LIMIT_MS - sinceRateLimit);
    }
  }

  /** One turn's sleep: 1 ms in the original; here, until the held request could go or something new comes. */
  #sleep(held) {
    if (this.#poll > 0) return delay(this.#poll);
    // One request at most per turn, and a turn takes at least 1 ms, as in the original.
    if (held === null && (this.#retries.length > 0 || this.#unread.length > 0)) return delay(1);
    let ms = Infinity;
    if (held !== null) {
      const needRequests = ((1 - this.#requestCapacity) * 60_000) / this.#rpm;
      const needTokens = ((held.tokenConsumption - this.#tokenCapacity) * 60_000) / this.#tpm;
      ms = Math.max(1, Math.ceil(Math.max(needRequests, needTokens)));
    }
    return new Promise((resolve) => {
      // A new or retried request matters only when none is held; a finished call, for the end.
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : null;
      function done() {
        if (timer !== null) clearTimeout(timer);
        resolve();
      }
      this.#wake = held === null ? done : null;
    });
  }

  async #send(item) {
    let error = null;
    let result;
    try {
      result = await this.call(item.request);
    } catch (e) {
      error = e;
      if (/rate limit/i.test(String(e?.message))) {
        this.#lastRateLimitError = Date.now();
        this.stats.rateLimitErrors++;
      } else {
        this.stats.otherErrors++;
      }
    }
    if (error === null) {
      this.#inProgress--;
      this.stats.succeeded++;
      item.resolve(result);
    } else if (item.attemptsLeft > 0) {
      this.#retries.push(item);
    } else {
      this.#inProgress--;
      this.stats.failed++;
      item.reject(error);
    }
    this.#poke();
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
