// The form: what a run is asked for, each number clamped to its input's own min and max.

const NUMBERS = ['rpm', 'tpm', 'jobs', 'concurrency'];
const FLAGS = ['limitsUnknown', 'flood', 'streaming'];

/** The speed select's value: simulated ms per real ms, Infinity for as fast as it goes. */
export const speedOf = (form) => (form.elements.speed.value === 'max' ? Infinity : Number(form.elements.speed.value));

export function readConfig(form) {
  const config = {};
  for (const name of NUMBERS) {
    const input = form.elements[name];
    const value = Math.round(Number(input.value));
    const clamped = Math.min(Number(input.max), Math.max(Number(input.min), Number.isFinite(value) ? value : Number(input.defaultValue)));
    input.value = String(clamped);
    config[name] = clamped;
  }
  for (const name of FLAGS) config[name] = form.elements[name].checked;
  return config;
}
