// A small seeded generator (mulberry32), so that every workload and every run repeats exactly.

/** Returns a function giving floats in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi], both included. */
export const intIn = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

/**
 * Runs `fn` with Math.random replaced by a seeded generator, so that the jitter of the SDK,
 * p-retry and anything else that draws from Math.random repeats from run to run.
 */
export async function withSeededMathRandom(seed, fn) {
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
