// Reading what the core writes: its output lies in place in the module's memory, as f64s
// (src/wire/rows.rs). The limiter reads it through these functions and never indexes it.
import { statsLayout, wasmMemory } from '../wasm/sluice.js';
import * as code from './codes.js';
import { DeadlineError, EstimateTooLargeError, QueueFullError, QueueTimeoutError } from './errors.js';
import { LIMIT_NAMES } from './names.js';

export { SLOTS } from './codes.js';


/**
 * The module's memory as f64s. When the memory grows, its old buffer is detached and the view
 * reads as empty: then it is made anew.
 */
let heap = new Float64Array(0);
function index(pointer) {
  if (heap.length === 0) heap = new Float64Array(wasmMemory().buffer);
  return pointer / 8;
}

/** The job option behind an estimate that a limit could not hold, when the estimate is split. */
const SPLIT_OPTION = { inputTokensPerMinute: 'inputTokens', outputTokensPerMinute: 'maxOutputTokens' };
const estimateOption = (limit, split) => (split ? (SPLIT_OPTION[limit] ?? 'inputTokens + maxOutputTokens') : 'tokens');

/** Turns a core rejection `[kind, a, b, c]` of a job with options `o` into its error. */
export function rejectionError(kind, a, b, c, o) {
  if (kind === code.QUEUE_TIMEOUT) return new QueueTimeoutError(a, b);
  if (kind === code.DEADLINE) return new DeadlineError(a, b, c);
  if (kind === code.TOO_LARGE) return new EstimateTooLargeError(estimateOption(LIMIT_NAMES[a], o.inputTokens >= 0), b, LIMIT_NAMES[a], c);
  return new QueueFullError(a);
}

/** The error of the rejection (or the late verdict) the core wrote at `pointer` (`Core.rejection`), for a job with options `o`. */
export function readRejection(pointer, o) {
  const i = index(pointer);
  return rejectionError(heap[i], heap[i + 1], heap[i + 2], heap[i + 3], o);
}

/**
 * Reads a poll's output at `pointer` (`[rows, next wake, verdict]`, then rows of five numbers:
 * the decisions, then the events) and hands each row to `sink`, all before anything can call
 * into the core again (the memory could grow and move). `sink.start(id, attempt)` for a job
 * to start, `sink.reject(id, error)` for a job the core gave up on (`jobOf(id)` gives its
 * options), `sink.event(row)` for an event row (a copy). Returns the next wake-up: the
 * core's time at which something can change, or -1 for none.
 */
export function readPoll(pointer, sink, jobOf) {
  let i = index(pointer);
  const end = i + code.POLL_HEADER + heap[i] * code.ROW_LENGTH;
  const wake = heap[i + 1];
  for (i += code.POLL_HEADER; i < end; i += code.ROW_LENGTH) {
    const kind = heap[i];
    if (kind >= code.FIRST_EVENT) sink.event(heap.slice(i, i + code.ROW_LENGTH));
    else if (kind === code.START) sink.start(heap[i + 1], heap[i + 2] | 0);
    else {
      const id = heap[i + 1];
      sink.reject(id, rejectionError(kind, heap[i + 2], heap[i + 3], heap[i + 4], jobOf(id).o));
    }
  }
  return wake;
}

/** The verdict of `Core.finish` in its output at `pointer` (codes.js: DONE, FAILED, RETRY, or EXHAUSTED and above). */
export function readVerdict(pointer) {
  // index() first, on its own: it may replace `heap` (the memory grew), and `heap[index(...)]`
  // would read the old, detached view it had already fetched.
  const i = index(pointer);
  return heap[i + 2];
}

/** The layout of a stats snapshot, as the core names it (read once, at the first stats()). */
let layout = null;

/**
 * The core's stats snapshot (`Core.stats`) as an object: its fields by the names the core gives
 * (a dot nests), NaN as null (and an object of nothing but NaN as null), then `budgets` by limit
 * name.
 */
export function readStats(core) {
  if (layout === null) {
    const [fields, limits] = statsLayout().split('\n\n');
    const [row, ...names] = fields.split('\n');
    layout = { row: Number(row), fields: names.map((f) => f.split('.')), limits: limits.split('\n') };
  }
  let k = index(core.stats());
  const end = k + 1 + heap[k];
  k += 1;
  const s = {};
  for (const [name, inner] of layout.fields) {
    const v = heap[k++];
    if (inner === undefined) s[name] = Number.isNaN(v) ? null : v;
    else (s[name] ??= {})[inner] = v;
  }
  for (const name in s) {
    const o = s[name];
    if (o !== null && typeof o === 'object' && Object.values(o).every(Number.isNaN)) s[name] = null;
  }
  const budgets = {};
  for (; k < end; k += layout.row) {
    budgets[layout.limits[heap[k]]] = { limit: heap[k + 1], windowMs: heap[k + 2], capacity: heap[k + 3], available: heap[k + 4], learned: heap[k + 5] === 1 };
  }
  s.budgets = budgets;
  return s;
}
