// The strategies side by side, in the order the page shows them. Shared by the page and the
// worker, and free of imports, so that the page's bundle does not carry the simulation.
export const STRATEGIES = [
  { id: 'naive', label: 'Promise.all + SDK retries' },
  { id: 'plimit', label: 'p-limit + SDK retries' },
  { id: 'sluice', label: 'sluice' },
];
