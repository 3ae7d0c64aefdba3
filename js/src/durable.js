// SluiceCoordinator: a Durable Object that holds one account's limits (per account and model:
// one object per name) and leases budget to the limiters of every isolate that shares them.
// The arithmetic is the core's (src/core/lease/authority.rs, in a .wasm of its own); here are
// storage and the calls.
//
// Restarts: the state that matters (the buckets, what is out on leases, a pause) is written
// after every exchange, with no await in between: the output gate holds the answer until the
// write is durable, so no grant that left the object can be forgotten by an object rebuilt
// from storage. Nothing needs doing later (every change is worked out from the time at the
// next exchange), so the object needs neither an alarm nor a timer.
import { DurableObject } from 'cloudflare:workers';
import { Authority } from '../wasm/sluice_durable.js';
import { LIMIT_NAMES } from './names.js';

const STATE = 'sluice:coordinator';

/** Why `theirs` disagrees with `ours`, or null. */
function disagreement(ours, theirs) {
  const named = (c) => LIMIT_NAMES.map((name, i) => (c.limits[i] > 0 ? `${name} ${c.limits[i]}` : null)).filter(Boolean).join(', ') + `, burst ${c.burst}`;
  const same = ours.burst === theirs.burst && ours.limits.every((l, i) => l === theirs.limits[i]);
  if (same) return null;
  return `This coordinator holds ${named(ours)}; this limiter was given ${named(theirs)}. Every limiter that shares a coordinator must be given the same limits and burst (the account's).`;
}

function checkConfig(config) {
  const ok =
    config !== null &&
    typeof config === 'object' &&
    Array.isArray(config.limits) &&
    config.limits.length === LIMIT_NAMES.length &&
    config.limits.every((l) => Number.isInteger(l) && l >= 0) &&
    typeof config.burst === 'number' &&
    config.burst > 0 &&
    config.burst <= 1;
  if (!ok) throw new TypeError('Expected the limiter to send `{ limits, burst }` (a sluice version mismatch?)');
}

export class SluiceCoordinator extends DurableObject {
  #authority = null;
  #config = null;

  constructor(ctx, env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.get(STATE);
      if (saved) this.#start(saved.config, saved.snapshot);
    });
  }

  #start(config, snapshot) {
    this.#config = config;
    this.#authority = new Authority(new Float64Array(config.limits), config.burst, Date.now());
    if (snapshot) this.#authority.restore(new Float64Array(snapshot));
  }

  /**
   * One exchange with a limiter (RPC): takes back what it reports, answers with its lease.
   * `{ isolate, ask, config }` → `{ grant }`, or `{ error }` when its limits disagree.
   */
  exchange({ isolate, ask, config }) {
    checkConfig(config);
    if (this.#config === null) this.#start(config, null);
    const error = disagreement(this.#config, config);
    if (error !== null) return { error };
    const t = Date.now();
    const grant = this.#authority.exchange(t, isolate, new Float64Array(ask));
    if (grant.length === 0) throw new TypeError('Expected the limiter to send an ask of 13 numbers (a sluice version mismatch?)');
    // No await: the answer waits for this write at the output gate.
    this.ctx.storage.put(STATE, { config: this.#config, snapshot: Array.from(this.#authority.snapshot(t)) });
    return { grant: Array.from(grant) };
  }

  /** For dashboards and tests: exchanges answered since the object (re)started, isolates heard from lately, what each bucket holds. */
  stats() {
    if (this.#authority === null) return { exchanges: 0, isolates: 0, available: {} };
    const available = this.#authority.available(Date.now());
    return {
      exchanges: this.#authority.exchanges(),
      isolates: this.#authority.isolates(),
      available: Object.fromEntries(LIMIT_NAMES.map((name, i) => [name, available[i]]).filter((_, i) => this.#config.limits[i] > 0)),
    };
  }
}
