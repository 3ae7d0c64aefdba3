// Argument checks with exact messages: each names the option and the value it got.

/** A short, unambiguous rendering of any value for an error message. */
export function describe(value) {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}… (a string)` : `${JSON.stringify(value)} (a string)`;
    case 'bigint':
      return `${value}n (a bigint)`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}

function fail(name, expected, value, ErrorClass = TypeError) {
  return new ErrorClass(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);
}

/** A number of the wrong size is a RangeError; anything else that is not a number, a TypeError. */
const numberError = (value) => (typeof value === 'number' ? RangeError : TypeError);

/** A whole number ≥ `min` (Infinity allowed when `infinite`). */
export function integer(name, value, { min = 1, infinite = false } = {}) {
  if (typeof value === 'number' && infinite && value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw fail(name, infinite ? `${what} or Infinity` : what, value, numberError(value));
  }
  return value;
}

/** A number for which `ok` holds, finite unless `infinite` (Infinity allowed); `expected` says what it must be. */
export function number(name, value, expected, ok = () => true, infinite = false) {
  if (typeof value === 'number' && (Number.isFinite(value) || (infinite && value === Infinity)) && ok(value)) return value;
  throw fail(name, expected, value, numberError(value));
}

export function string(name, value) {
  if (typeof value !== 'string') throw fail(name, 'a string', value);
  return value;
}

export function func(name, value) {
  if (typeof value !== 'function') throw fail(name, 'a function', value);
  return value;
}

export function boolean(name, value) {
  if (typeof value !== 'boolean') throw fail(name, 'a boolean', value);
  return value;
}

export function signal(name, value) {
  const ok =
    value !== null &&
    typeof value === 'object' &&
    typeof value.aborted === 'boolean' &&
    typeof value.addEventListener === 'function' &&
    typeof value.removeEventListener === 'function';
  if (!ok) throw fail(name, 'an AbortSignal', value);
  return value;
}

/** A plain options object (or undefined), with no key outside `known`. */
export function options(name, value, known) {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail(name, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new TypeError(`Unknown option \`${key}\` in \`${name}\`; known options: ${[...known].join(', ')}`);
    }
  }
  return value;
}
