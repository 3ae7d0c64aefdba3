// Tokens per minute achieved over a sliding window: a rate since the start would be skewed by
// the first burst, which spends the full buckets at once.

export class Throughput {
  #events = [];
  #sum = 0;

  constructor(windowMs, now = () => performance.now()) {
    this.windowMs = windowMs;
    this.now = now;
    this.startedAt = now();
  }

  add(tokens) {
    this.#events.push({ at: this.now(), tokens });
    this.#sum += tokens;
  }

  perMinute() {
    const now = this.now();
    while (this.#events.length && this.#events[0].at < now - this.windowMs) this.#sum -= this.#events.shift().tokens;
    const span = Math.min(this.windowMs, now - this.startedAt);
    return span > 0 ? (this.#sum / span) * 60_000 : 0;
  }
}
