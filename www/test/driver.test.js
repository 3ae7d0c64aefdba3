// The driver: promise chains settle between timers, the same events happen at the same
// simulated instants at every speed, a finite speed never runs ahead of real time, and a
// simulation left waiting on nothing fails loudly. Real time here is a fake: its sleep only
// adds to its clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../src/sim/clock.js';
import { drive } from '../src/sim/driver.js';
import { mulberry32 } from '../../bench/lib/rng.js';

function fakeReal() {
  let t = 0;
  return { now: () => t, epoch: () => 0, sleep: async (ms) => void (t += ms), nextTask: () => new Promise((resolve) => setImmediate(resolve)) };
}

/** Jobs that wait, chain promises and start each other: the log of what happened when. */
function simulation(clock) {
  const log = [];
  const rand = mulberry32(7);
  const wait = (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms));
  let left = 30;
  const job = async (id) => {
    for (let step = 0; step < 4; step++) {
      await wait(Math.floor(rand() * 200));
      await Promise.resolve(); // more microtasks between the timers
      log.push(`${id}.${step}@${clock.now()}`);
    }
    left -= 1;
    if (id < 10) job(id + 20); // a job that starts another when it ends
  };
  for (let id = 0; id < 20; id++) job(id);
  return { log, done: () => left === 0 };
}

async function run(speed) {
  const clock = new VirtualClock();
  const real = fakeReal();
  const sim = simulation(clock);
  let ahead = 0;
  await drive(clock, real, {
    isDone: sim.done,
    speed: () => speed,
    onStep: () => {
      if (clock.now() > real.now() * speed) ahead += 1;
    },
  });
  return { log: sim.log, ahead, end: clock.now(), realMs: real.now() };
}

test('the same events at the same instants, as fast as it goes and paced', async () => {
  const fast = await run(Infinity);
  assert.equal(fast.log.length, 30 * 4);
  for (const speed of [1, 7, 250]) {
    const paced = await run(speed);
    assert.deepEqual(paced.log, fast.log, `at ${speed} ×`);
    assert.equal(paced.ahead, 0, `at ${speed} ×, simulated time ran ahead of real time`);
    assert.ok(paced.realMs >= fast.end / speed, `at ${speed} ×, ${paced.realMs} ms of real time for ${fast.end} simulated`);
  }
});

test('a simulation waiting on a promise no timer will settle fails, naming the instant', async () => {
  const clock = new VirtualClock();
  clock.setTimeout(() => {}, 40);
  await assert.rejects(
    drive(clock, fakeReal(), { isDone: () => false, speed: () => Infinity, onStep: () => {} }),
    /the simulation stalled at 40 ms: work is left but no timer is set/,
  );
});
