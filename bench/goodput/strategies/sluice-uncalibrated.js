// The README's first example (no `.withResponse()`) with calibration off: every attempt
// reserves its estimate as given, as sluice did before it calibrated. Run where the estimates
// are wrong, to show what calibration is for.

import { create as createSluice } from './sluice.js';

export const name = 'sluice-uncalibrated';
export const label = 'sluice, no .withResponse(), calibrate: false';
export const scenarios = ['a-low', 'a-high'];

export function create(ctx) {
  return createSluice(ctx, { withResponse: false, calibrate: false });
}
