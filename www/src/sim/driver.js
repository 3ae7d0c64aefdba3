// Moves the simulated clock: it runs the due timers one at a time, letting every promise
// chain settle in between (a real task boundary, so all microtasks have run), and only then
// moves time to the next timer. At a finite speed, simulated time may not run ahead of the
// real time elapsed times the speed; at Infinity it jumps from timer to timer. Either way the
// same timers fire in the same order at the same simulated instants.

/** The real clock and a real task boundary, taken before the simulated clock is installed. */
export function realTime(scope) {
  const now = scope.performance.now.bind(scope.performance);
  const epoch = scope.Date.now.bind(scope.Date);
  const sleep = scope.setTimeout.bind(scope);
  const channel = new scope.MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()();
  // A MessageChannel round trip: a new task, without setTimeout's 4 ms clamp on nested timers.
  const nextTask = () =>
    new Promise((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
  return { now, epoch, sleep: (ms) => new Promise((resolve) => sleep(resolve, ms)), nextTask };
}

/** Real milliseconds the driver sleeps at most while it waits for simulated time to be allowed. */
const MAX_NAP_MS = 16;

/**
 * Runs until `isDone()`. `speed()` is read at every step (simulated ms per real ms, or Infinity);
 * `onStep()` is called whenever simulated time moved. Rejects when nothing is left to fire but
 * the simulation is not done: a promise waits on something no timer will ever settle.
 */
export async function drive(clock, real, { isDone, speed, onStep }) {
  let lastSpeed = speed();
  let anchorReal = real.now();
  let anchorSim = clock.now();
  while (!isDone()) {
    await real.nextTask();
    if (clock.fireDue()) continue;
    if (isDone()) break;
    const next = clock.nextAt();
    if (next === Infinity) throw new Error(`the simulation stalled at ${clock.now()} ms: work is left but no timer is set`);
    const s = speed();
    if (s !== lastSpeed) {
      lastSpeed = s;
      anchorReal = real.now();
      anchorSim = clock.now();
    }
    if (s === Infinity) {
      clock.advanceTo(next);
    } else {
      const allowed = anchorSim + (real.now() - anchorReal) * s;
      if (next <= allowed) {
        clock.advanceTo(next);
      } else {
        clock.advanceTo(Math.floor(allowed));
        await real.sleep(Math.min(MAX_NAP_MS, (next - allowed) / s));
      }
    }
    onStep();
  }
  onStep();
}
