// What an attempt's result or error says: HTTP status and the rate-limit headers of a returned
// fetch Response (or `.withResponse()`); what a thrown error says (the openai and
// @anthropic-ai/sdk errors carry `status` and `headers`, and a body) is read by thrown.js.
import { HINT, NAMED, READ_HEADER_PREFIXES, READ_HEADERS } from './names.js';

/** Header names the core reads; the others never cross into wasm. */
const wanted = (name) => READ_HEADERS.includes(name) || READ_HEADER_PREFIXES.some((p) => name.startsWith(p));

/**
 * The longest header value that crosses into wasm: rate-limit values are a few dozen characters,
 * and a hostile one of megabytes would otherwise be copied whole into the module's memory.
 */
const MAX_VALUE_LENGTH = 1024;

/** The relevant headers as a plain object with lowercase names, from a Headers or a plain object. */
export function pickHeaders(headers) {
  const picked = {};
  if (headers === null || typeof headers !== 'object') return picked;
  const add = (value, name) => {
    const lower = String(name).toLowerCase();
    if (!wanted(lower) || (typeof value !== 'string' && typeof value !== 'number')) return;
    const text = String(value);
    if (text.length <= MAX_VALUE_LENGTH) picked[lower] = text;
  };
  if (typeof headers.forEach === 'function' && typeof headers.get === 'function') headers.forEach(add);
  else for (const name of Object.keys(headers)) add(headers[name], name);
  return picked;
}

/** Names and values on alternate lines, the form Core.finish takes. */
export function headerLines(picked) {
  let out = '';
  for (const name in picked) out += `${out ? '\n' : ''}${name}\n${picked[name].replace(/[\r\n]/g, ' ')}`;
  return out;
}

const isResponse = (v) =>
  v !== null && typeof v === 'object' && typeof v.status === 'number' && typeof v.ok === 'boolean' && typeof v.headers?.get === 'function';

/** The Response behind a returned value: itself, or the `response` of an SDK's `.withResponse()`. */
export function responseOf(value) {
  if (isResponse(value)) return value;
  return value !== null && typeof value === 'object' && isResponse(value.response) ? value.response : null;
}

/**
 * Reads an attempt's outcome. `threw` tells whether `value` was thrown. A returned value
 * without a Response has no status (0): it is a success.
 * `named` is the limit a 429's body names (codes.js NAMED).
 * @returns {{ status: number, hint: number, headers: Record<string, string>, retryDelay: string, named: number }}
 */
export function readOutcome(value, threw) {
  if (!threw) {
    const response = responseOf(value);
    return response
      ? { status: response.status, hint: HINT.none, headers: pickHeaders(response.headers), retryDelay: '', named: NAMED.none }
      : { status: 0, hint: HINT.none, headers: {}, retryDelay: '', named: NAMED.none };
  }
  if (value === null || typeof value !== 'object') return { status: 0, hint: HINT.none, headers: {}, retryDelay: '', named: NAMED.none };
  return readThrown(value); // loaded before any attempt's end is read (limiter.js, stream.js)
}

/**
 * What a thrown error says (thrown.js): the Node, Workers and init entries load it with the
 * package; with the browser entry, the limiter loads it when an attempt first throws, so that
 * pages whose calls never fail never fetch it.
 */
let readThrown = null;

/** Installs the reading of thrown errors (thrown.js calls it). */
export function useThrownReading(read) {
  readThrown = read;
}

/** Whether thrown errors can be read now; if not, `import('./thrown.js')` loads the reading. */
export const thrownReadingLoaded = () => readThrown !== null;
