// Account-wide limits through a coordinator (the `coordinator` option; sluice/durable): what a
// limiter needs to go on leases. Installed by the entries of the runtimes that have Durable
// Objects (workerd, and `sluice/init`), and by Node's (whose tests drive the coordinator's real
// authority); the browser entry carries none of it. The trips themselves (coordinator.js) load
// on first use.
import { Lease } from '../wasm/sluice.js';
import { LIMIT_NAMES } from './names.js';
import * as check from './validate.js';

/**
 * The `coordinator` option: a function that returns a Durable Object stub of SluiceCoordinator
 * (sluice/durable), called for each exchange in the request that makes it (a stub serves only
 * the request that made it), with what every limiter sharing it must agree on: the account's
 * limits (`o`, the limiter's options) and the burst (`burst`, its setting).
 */
function coordinatorOf(o, burst) {
  if (typeof o.coordinator !== 'function') {
    const stub = o.coordinator !== null && typeof o.coordinator === 'object' && typeof o.coordinator.id === 'object';
    throw new TypeError(
      `Expected \`coordinator\` to be a function that returns a Durable Object stub of SluiceCoordinator (() => env.SLUICE.get(id)), got ${stub ? 'a stub (it would serve only the request that made it)' : check.describe(o.coordinator)}`,
    );
  }
  const limits = LIMIT_NAMES.map((name) => (o[name] === undefined || o[name] === Infinity ? 0 : o[name]));
  if (limits.every((l) => l === 0)) {
    throw new TypeError(`Expected \`coordinator\` to come with the account's limits (${LIMIT_NAMES.join(', ')}), got none`);
  }
  return { stubOf: o.coordinator, config: { limits, burst } };
}

/**
 * Puts `core` on leases for the limiter whose options are `o` (checked here) and whose burst
 * setting is `burst`. `use(lease)` hands the limiter its lease side (`{ after(t, wake) }`): at
 * once one that keeps its wake-ups as they are, then the client once its trips have loaded.
 * `now`, `pump` and `crash` are the limiter's.
 */
export function startLeases(core, o, burst, { now, pump, crash, use }) {
  const { stubOf, config } = coordinatorOf(o, burst);
  // On leases from now on (time 0: no clock is read here).
  const lease = new Lease(core, 0);
  use({ after: (t, wake) => wake });
  import('./coordinator.js').then(({ LeaseClient }) => {
    use(new LeaseClient(core, lease, stubOf, config, now, pump, crash));
    pump();
  });
}
