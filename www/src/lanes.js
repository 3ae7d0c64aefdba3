// What the page and the worker both need: the strategies side by side, in the order the page
// shows them, and the outage button's length. Free of imports, so that the page's bundle does
// not carry the simulation.
export const STRATEGIES = [
  { id: 'naive', label: 'Promise.all + SDK retries' },
  { id: 'plimit', label: 'p-limit + SDK retries' },
  { id: 'sluice', label: 'sluice' },
];

/** The outage button's length, in simulated time. */
export const OUTAGE_MS = 10_000;
