// Virtual time for the JS tests: fake timers and a fake performance.now(), so that nothing
// waits on the wall clock. `tickAsync` runs timers and the promise jobs between them.
import FakeTimers from '@sinonjs/fake-timers';

export function useFakeClock(t) {
  const clock = FakeTimers.install({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    now: 0,
    loopLimit: 1_000_000, // runAllAsync over thousands of jobs' timers
  });
  t.after(() => clock.uninstall());
  return clock;
}

/** A promise with its resolve and reject in hand. */
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Records when each promise settled, on the fake clock. */
export function settleTimes(clock, promises) {
  return promises.map((p) =>
    p.then(
      (value) => ({ at: clock.now, value }),
      (error) => ({ at: clock.now, error }),
    ),
  );
}
