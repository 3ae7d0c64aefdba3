// Simulated time for the worker: setTimeout, clearTimeout, performance.now and Date.now read a
// clock that moves only when the driver (driver.js) moves it. Everything in the simulation, the
// real sluice package included, then runs on the same time, and a run gives the same figures
// at any speed, on any machine, however loaded.

/** A timer queue on simulated milliseconds: a binary heap ordered by due time, then by creation. */
export class VirtualClock {
  #now = 0;
  #seq = 0;
  #heap = [];
  #live = new Map();
  #epochMs = 0;

  now() {
    return this.#now;
  }

  /** As the browser's: a delay truncated to whole milliseconds, negative or NaN as 0. */
  setTimeout(fn, ms, ...args) {
    const delay = Math.max(0, Math.trunc(Number(ms)) || 0);
    const timer = { id: ++this.#seq, at: this.#now + delay, fn, args };
    this.#live.set(timer.id, timer);
    this.#push(timer);
    return timer.id;
  }

  clearTimeout(id) {
    const timer = this.#live.get(id);
    if (!timer) return;
    this.#live.delete(id);
    timer.fn = null;
  }

  /** When the next live timer is due; Infinity when none is set. */
  nextAt() {
    while (this.#heap.length > 0 && this.#heap[0].fn === null) this.#pop();
    return this.#heap.length > 0 ? this.#heap[0].at : Infinity;
  }

  /** Runs the earliest timer due by now, if any: one timer per call, as a browser runs one per task. */
  fireDue() {
    if (this.nextAt() > this.#now) return false;
    const timer = this.#pop();
    this.#live.delete(timer.id);
    const { fn, args } = timer;
    timer.fn = null;
    fn(...args);
    return true;
  }

  /** Moves time forward (never back). */
  advanceTo(t) {
    if (t > this.#now) this.#now = t;
  }

  /** Back to 0, every timer dropped: what waited on them never resumes. `epochMs`: what Date.now() reads at 0. */
  reset(epochMs) {
    this.#now = 0;
    this.#heap = [];
    this.#live.clear();
    this.#epochMs = epochMs;
  }

  /** Makes the worker's own timers and clocks read this one. */
  install(scope, epochMs) {
    this.#epochMs = epochMs;
    scope.setTimeout = (fn, ms, ...args) => this.setTimeout(fn, ms, ...args);
    scope.clearTimeout = (id) => this.clearTimeout(id);
    Object.defineProperty(scope.performance, 'now', { value: () => this.#now, configurable: true });
    Date.now = () => this.#epochMs + this.#now;
  }

  #before(a, b) {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  #push(timer) {
    const h = this.#heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  #pop() {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#before(h[l], h[m])) m = l;
        if (r < h.length && this.#before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
