// What a Response's body says about usage. A task that returns a plain fetch Response (and the
// throttled fetch of sluice/fetch) settles its reservation from the body: read from a clone, so
// the caller's copy stays unread; the attempt holds its slot until the body has arrived.
import { readUsage } from './usage.js';

const isReadableResponse = (v) =>
  v !== null && typeof v === 'object' && typeof v.clone === 'function' && v.ok === true && v.bodyUsed === false && typeof v.headers?.get === 'function';

/**
 * A promise of the usage in a successful Response's body, or null when there is nothing to
 * read (not a Response, an error status, a body already read, a type without usage).
 */
export function bodyUsage(value) {
  if (!isReadableResponse(value)) return null;
  const type = value.headers.get('content-type') ?? '';
  if (type.includes('json')) return value.clone().json().then(readUsage, () => null);
  // A `text/event-stream` body never gets here: the stream module (stream.js) holds it first,
  // until the stream ends, and settles the usage its events report.
  return null;
}

/** Lets go of the body of a Response that will not reach the caller (its attempt is retried). */
export function discard(value) {
  if (value !== null && typeof value === 'object' && typeof value.clone === 'function' && value.bodyUsed === false) {
    value.body?.cancel().catch(() => {});
  }
}
