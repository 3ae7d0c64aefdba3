// Figures per key (tenant) for `stats().byKey`: counted as attempts end, for at most MAX_KEYS
// keys; any further key is counted under OTHER_KEYS, so that a flood of distinct keys cannot
// grow memory. Jobs without a key are not counted here (the limiter's own totals have them).
import { DONE, RETRY } from './codes.js';

export const MAX_KEYS = 100;
export const OTHER_KEYS = '(other keys)';

const blank = () => ({ waiting: 0, running: 0, completed: 0, failed: 0, retried: 0, inputTokens: 0, outputTokens: 0 });

export class KeyFigures {
  #byKey = new Map();

  /** The entry of `key`, made if there is room (else the one of OTHER_KEYS). */
  #entry(map, key) {
    let figures = map.get(key);
    if (figures === undefined) {
      if (map.size >= MAX_KEYS && key !== OTHER_KEYS) return this.#entry(map, OTHER_KEYS);
      map.set(key, (figures = blank()));
    }
    return figures;
  }

  /** An attempt of a job of `key` ended with the core's `verdict` (codes.js), having used `usage`. */
  ended(key, verdict, usage) {
    const figures = this.#entry(this.#byKey, key);
    if (verdict === DONE) figures.completed += 1;
    else if (verdict === RETRY) figures.retried += 1;
    else figures.failed += 1;
    if (usage !== null) {
      figures.inputTokens += usage.inputTokens;
      figures.outputTokens += usage.outputTokens;
    }
  }

  /** The figures by key, with `waiting` and `running` counted now from `jobs` (the live ones). */
  snapshot(jobs) {
    const out = new Map();
    for (const [key, figures] of this.#byKey) out.set(key, { ...figures });
    for (const job of jobs) {
      if (job === undefined || job.o.key === '') continue;
      const figures = this.#entry(out, job.o.key);
      if (job.resolve === null) figures.running += 1;
      else figures.waiting += 1;
    }
    return Object.fromEntries(out);
  }
}
