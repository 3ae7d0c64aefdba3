// sluice with nothing to go on at all: no limits and no concurrency cap, so its first burst
// is every job at once, and it learns the limits from the answers (the 429s included). Run in
// scenario (b) only, beside sluice given the same concurrency guess as the peers.

import { create as createSluice } from './sluice.js';

export const name = 'sluice-uncapped';
export const label = 'sluice, no maxConcurrent';
export const scenarios = ['b'];

export function create(ctx) {
  return createSluice({ ...ctx, guess: undefined });
}
