// The simulated clock: timers in due order, ties in creation order, cleared ones never fire,
// and the globals it installs read it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../src/sim/clock.js';

/** Fires every due timer, moving time to each next one, and returns what ran, with when. */
function runAll(clock) {
  for (;;) {
    if (clock.fireDue()) continue;
    const next = clock.nextAt();
    if (next === Infinity) return;
    clock.advanceTo(next);
  }
}

test('timers fire by due time, then in the order they were set', () => {
  const clock = new VirtualClock();
  const seen = [];
  clock.setTimeout(() => seen.push(['b', clock.now()]), 20);
  clock.setTimeout(() => seen.push(['a', clock.now()]), 10);
  clock.setTimeout(() => seen.push(['c', clock.now()]), 20);
  clock.setTimeout((x, y) => seen.push([x + y, clock.now()]), 5, 'd', '!');
  runAll(clock);
  assert.deepEqual(seen, [['d!', 5], ['a', 10], ['b', 20], ['c', 20]]);
});

test('a cleared timer never fires and does not count as the next one', () => {
  const clock = new VirtualClock();
  let fired = false;
  const id = clock.setTimeout(() => (fired = true), 10);
  clock.setTimeout(() => {}, 30);
  clock.clearTimeout(id);
  clock.clearTimeout(12345); // unknown ids are ignored, as browsers do
  assert.equal(clock.nextAt(), 30);
  runAll(clock);
  assert.equal(fired, false);
});

test('delays are whole milliseconds; negative, NaN and missing ones are 0', () => {
  const clock = new VirtualClock();
  clock.advanceTo(100);
  const at = [];
  for (const ms of [2.9, -5, Number.NaN, undefined, '7']) clock.setTimeout(() => at.push(clock.now()), ms);
  runAll(clock);
  assert.deepEqual(at, [100, 100, 100, 102, 107]);
});

test('fireDue runs one timer at a time, and only a due one; time never steps back', () => {
  const clock = new VirtualClock();
  clock.setTimeout(() => {}, 0);
  clock.setTimeout(() => {}, 0);
  clock.setTimeout(() => {}, 50);
  assert.equal(clock.fireDue(), true);
  assert.equal(clock.fireDue(), true);
  assert.equal(clock.fireDue(), false);
  clock.advanceTo(40);
  clock.advanceTo(10);
  assert.equal(clock.now(), 40);
  assert.equal(clock.fireDue(), false);
});

test('installed, setTimeout, clearTimeout, performance.now and Date.now read it; reset starts again from 0', () => {
  const scope = { performance: { now: () => -1 } };
  const saved = Date.now;
  try {
    const clock = new VirtualClock();
    clock.install(scope, 1_000_000);
    let fired = 0;
    scope.setTimeout(() => fired++, 25);
    scope.clearTimeout(scope.setTimeout(() => fired++, 5));
    runAll(clock);
    assert.equal(fired, 1);
    assert.equal(scope.performance.now(), 25);
    assert.equal(Date.now(), 1_000_025);
    scope.setTimeout(() => fired++, 10);
    clock.reset(2_000_000);
    runAll(clock);
    assert.equal(fired, 1, 'a timer of the dropped run fired');
    assert.equal(scope.performance.now(), 0);
    assert.equal(Date.now(), 2_000_000);
  } finally {
    Date.now = saved;
  }
});
