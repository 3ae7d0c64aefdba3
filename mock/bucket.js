// A continuously refilled token bucket, the way OpenAI and Anthropic describe their limits:
// it holds at most one minute's limit (or a share of it: `burst`) and regains limit/60000 per
// millisecond. Floats are
// fine for a mock; EPSILON keeps rounding noise (0.9999999 of a request) from refusing a
// request that an exact integer limiter, such as sluice, rightly considers fitting.

const MINUTE_MS = 60_000;
const EPSILON = 1e-6;

export class Bucket {
  /**
   * @param {number} limit per minute @param {number} now ms on the provider's clock
   * @param {number} [burst] the share of the limit the bucket holds (1: a minute's worth)
   */
  constructor(limit, now, burst = 1) {
    this.limit = limit;
    this.capacity = limit * burst;
    this.perMs = limit / MINUTE_MS;
    this.level = limit;
    this.at = now;
  }

  /** Adds what accrued since the last reading; a clock that steps back adds nothing. */
  refill(now) {
    if (now <= this.at) return;
    this.level = Math.min(this.capacity, this.level + (now - this.at) * this.perMs);
    this.at = now;
  }

  /** Milliseconds until `amount` fits: 0 when it does now, Infinity when it never can. */
  msUntil(amount) {
    if (amount > this.capacity + EPSILON) return Infinity;
    const deficit = amount - this.level;
    return deficit <= EPSILON ? 0 : deficit / this.perMs;
  }

  take(amount) {
    this.level -= amount;
  }

  /** Returns reserved tokens that were not used; never above the capacity. */
  giveBack(amount) {
    this.level = Math.min(this.capacity, this.level + amount);
  }

  /** Whole units left now, never negative (what the remaining-* headers report). */
  remaining() {
    return Math.max(0, Math.floor(this.level + EPSILON));
  }

  /** Milliseconds until the bucket is full again (what the reset-* headers report). */
  msUntilFull() {
    return Math.max(0, (this.capacity - this.level) / this.perMs);
  }
}
