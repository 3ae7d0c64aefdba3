// sluice as the README's first example uses it: the task returns the SDK's parsed answer, not
// its `.withResponse()`, so sluice sees the usage of successes but never their headers (only
// those of the 429s). Run in the scenarios where estimates are wrong or 429s say little.

import { create as createSluice } from './sluice.js';

export const name = 'sluice-plain';
export const label = 'sluice, no .withResponse()';
export const scenarios = ['a-low', 'a-high', 'c-bare'];

export function create(ctx) {
  return createSluice(ctx, { withResponse: false });
}
