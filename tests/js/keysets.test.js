// What js/index.d.ts declares is what the limiter hands out: the exact keys of `stats()` (and of
// its nested figures), and of every event's `detail`, read from the declarations with the
// TypeScript checker. Every event the d.ts declares is provoked through the public API, and
// every event the limiter dispatches must be declared, so a new event cannot go untested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import * as sluice from 'sluice';
import { Limiter, EstimateTooLargeError, QueueFullError } from 'sluice';
import { useFakeClock } from './support/clock.js';
import { checker, declared, keysOf, member, program, propertiesOf } from './support/dts.js';

const apiError = (status, headers = {}) => Object.assign(new Error(`${status}`), { status, headers: new Headers(headers) });

// ---- The declarations, through the checker ----

const isOptional = (prop) => (prop.flags & ts.SymbolFlags.Optional) !== 0;
const sortedKeys = (object) => Object.keys(object).sort();
const show = (value) => (typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? value.constructor?.name ?? 'object' : String(value));

/**
 * What is wrong with `value` as a `type` of the d.ts (empty when nothing): its kind (a number
 * for `number`, undefined for `| undefined`, an instance of the class named), literal values,
 * and for an object type, exactly its keys (an optional one may be absent), recursively.
 */
function mismatches(value, type, path) {
  const F = ts.TypeFlags;
  const wrong = () => [`${path}: ${show(value)} is not ${checker.typeToString(type)}`];
  if (type.flags & (F.Any | F.Unknown)) return [];
  if (type.isUnion()) {
    const each = type.types.map((t) => mismatches(value, t, path));
    if (each.some((m) => m.length === 0)) return [];
    // An object that fits none: what is wrong with it as the object member(s), if any.
    const objects = type.types.map((t, i) => (t.flags & (F.Object | F.Intersection) ? each[i] : null)).filter(Boolean);
    return value !== null && typeof value === 'object' && objects.length === 1 ? objects[0] : wrong();
  }
  if (value === undefined) return type.flags & (F.Undefined | F.Void) ? [] : wrong();
  if (value === null) return type.flags & F.Null ? [] : wrong();
  switch (typeof value) {
    case 'number':
      if (type.isNumberLiteral()) return type.value === value ? [] : wrong();
      return type.flags & F.Number ? [] : wrong();
    case 'string':
      if (type.isStringLiteral()) return type.value === value ? [] : wrong();
      return type.flags & (F.String | F.TemplateLiteral) ? [] : wrong();
    case 'boolean':
      if (type.flags & F.BooleanLiteral) return checker.typeToString(type) === String(value) ? [] : wrong();
      return type.flags & F.Boolean ? [] : wrong();
    case 'object':
      break;
    default:
      return wrong();
  }
  if (!(type.flags & (F.Object | F.Intersection | F.NonPrimitive))) return wrong();
  const symbol = type.getSymbol();
  if (symbol && symbol.flags & ts.SymbolFlags.Class) {
    // A class of the package: the value is an instance of the class the package exports.
    const Class = sluice[symbol.name] ?? globalThis[symbol.name];
    assert.equal(typeof Class, 'function', `no class ${symbol.name} to check ${path} against`);
    return value instanceof Class ? [] : wrong();
  }
  const props = propertiesOf(type);
  const index = checker.getIndexInfosOfType(type).find((info) => info.keyType.flags & F.String);
  const out = [];
  const names = new Set(props.map((p) => p.name));
  for (const key of Object.keys(value)) {
    if (!names.has(key) && !index) out.push(`${path}.${key}: not declared in ${checker.typeToString(type)}`);
  }
  for (const prop of props) {
    if (!(prop.name in value)) {
      if (!isOptional(prop)) out.push(`${path}.${prop.name}: declared but missing`);
      continue;
    }
    out.push(...mismatches(value[prop.name], checker.getTypeOfSymbol(prop), `${path}.${prop.name}`));
  }
  if (index) for (const key of Object.keys(value)) if (!names.has(key)) out.push(...mismatches(value[key], index.type, `${path}[${JSON.stringify(key)}]`));
  return out;
}

// ---- stats() ----

test('the checker reads the declarations (a sanity check of this test itself)', () => {
  assert.deepEqual(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
  assert.deepEqual(keysOf(declared('Usage')), ['inputTokens', 'outputTokens']);
  assert.deepEqual(mismatches({ inputTokens: 1, outputTokens: 2 }, declared('Usage'), 'usage'), []);
  assert.equal(mismatches({ inputTokens: 1 }, declared('Usage'), 'usage').length, 1);
  assert.equal(mismatches({ inputTokens: 1, outputTokens: '2' }, declared('Usage'), 'usage').length, 1);
  assert.equal(mismatches({ inputTokens: 1, outputTokens: 2, extra: 0 }, declared('Usage'), 'usage').length, 1);
});

/** Checks one snapshot of stats(): every level's exact keys, and each value's kind. */
function checkStats(s, label) {
  const Stats = declared('LimiterStats');
  assert.deepEqual(sortedKeys(s), keysOf(Stats), `${label}: the keys of stats()`);
  assert.deepEqual(sortedKeys(s.tokens), keysOf(member(Stats, 'tokens')), `${label}: the keys of stats().tokens`);
  // Also the named interfaces: LimiterStats's fields are typed with them.
  assert.deepEqual(keysOf(member(Stats, 'tokens')), keysOf(declared('TokenStats')));
  const budgets = member(Stats, 'budgets');
  for (const name of Object.keys(s.budgets)) {
    assert.ok(keysOf(budgets).includes(name), `${label}: stats().budgets.${name} is not declared`);
    assert.deepEqual(sortedKeys(s.budgets[name]), keysOf(member(budgets, name)), `${label}: the keys of stats().budgets.${name}`);
    assert.deepEqual(keysOf(member(budgets, name)), keysOf(declared('BudgetStats')));
  }
  const [byKeyIndex] = checker.getIndexInfosOfType(member(Stats, 'byKey'));
  assert.ok(byKeyIndex, 'byKey is declared as a record');
  for (const key of Object.keys(s.byKey)) {
    assert.deepEqual(sortedKeys(s.byKey[key]), keysOf(byKeyIndex.type), `${label}: the keys of stats().byKey[${JSON.stringify(key)}]`);
  }
  assert.deepEqual(keysOf(byKeyIndex.type), keysOf(declared('KeyStats')));
  if (s.calibration !== null) {
    assert.deepEqual(sortedKeys(s.calibration), keysOf(member(Stats, 'calibration')), `${label}: the keys of stats().calibration`);
    assert.deepEqual(keysOf(member(Stats, 'calibration')), keysOf(declared('CalibrationStats')));
  }
  assert.deepEqual(mismatches(s, Stats, 'stats()'), [], label);
}

test('stats() has exactly the keys LimiterStats, TokenStats, BudgetStats, KeyStats and CalibrationStats declare', async (t) => {
  const clock = useFakeClock(t);
  const limits = { requestsPerMinute: 600, tokensPerMinute: 60_000, inputTokensPerMinute: 50_000, outputTokensPerMinute: 20_000, requestsPerDay: 10_000, tokensPerDay: 1_000_000 };
  const limiter = new Limiter({ ...limits, maxConcurrent: 2, gate: 'key' });
  checkStats(limiter.stats(), 'a fresh limiter');
  // Every budget the d.ts names, given: stats() has one entry for each.
  assert.deepEqual(Object.keys(limiter.stats().budgets).sort(), keysOf(member(declared('LimiterStats'), 'budgets')));

  // Busy: keyed jobs with usage, one running, one waiting, a key's gate closed, and calibration learned.
  let calls = 0;
  const usage = { usage: { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50 } };
  const retried = limiter.schedule(() => (calls++ === 0 ? Promise.reject(apiError(429, { 'retry-after': '1' })) : usage), { key: 'tenant-a', inputTokens: 50, maxOutputTokens: 20 });
  await clock.tickAsync(0);
  let release;
  const running = limiter.schedule(() => new Promise((resolve) => (release = resolve)), { key: 'tenant-b', tokens: 10 });
  const waiting = limiter.schedule(() => 'later', { key: 'tenant-c' });
  await clock.tickAsync(0);
  const busy = limiter.stats();
  assert.deepEqual(Object.keys(busy.byKey).sort(), ['tenant-a', 'tenant-b', 'tenant-c']);
  checkStats(busy, 'a busy limiter');
  release(usage);
  await clock.tickAsync(2_000);
  assert.deepEqual(await Promise.all([retried, running, waiting]), [usage, usage, 'later']);
  const after = limiter.stats();
  assert.ok(after.calibration.samples >= 1, 'calibration learned');
  checkStats(after, 'after the jobs');

  // With calibrate: false, calibration is null, as declared.
  const plain = new Limiter({ calibrate: false });
  await plain.schedule(() => 'x', { key: 'k' });
  assert.equal(plain.stats().calibration, null);
  checkStats(plain.stats(), 'calibrate: false');
});

// ---- events ----

/**
 * Records every event `limiter` dispatches, declared or not, and listens to each declared
 * type (the per-job events are dispatched only while someone listens).
 */
function record(limiter, types, seen) {
  const dispatch = limiter.dispatchEvent.bind(limiter);
  limiter.dispatchEvent = (event) => {
    seen.push([event.type, event.detail]);
    return dispatch(event);
  };
  for (const type of types) limiter.addEventListener(type, () => {});
}

test('every event LimiterEventMap declares is dispatched, each detail with exactly the declared keys', async (t) => {
  const clock = useFakeClock(t);
  const EventMap = declared('LimiterEventMap');
  const declaredTypes = keysOf(EventMap);
  const seen = [];

  // A 429 with Retry-After and rate-limit headers, retried: ratelimited, limitchanged,
  // gateclosed, retry, gateopened, concurrencychanged (adaptive), queued, started, settled.
  const limiter = new Limiter({ maxConcurrent: 8, retry: { baseMs: 1 }, seed: 1 });
  record(limiter, declaredTypes, seen);
  for (const key of [undefined, 'tenant-a']) {
    let calls = 0;
    const job = limiter.schedule(() => (calls++ === 0 ? Promise.reject(apiError(429, { 'retry-after': '1', 'x-ratelimit-limit-requests': '30' })) : 'ok'), { key });
    await clock.tickAsync(2_000);
    assert.equal(await job, 'ok');
  }
  // A fatal error: settled, rejected.
  const fatal = apiError(400);
  const failed = limiter.schedule(() => Promise.reject(fatal), { key: 'tenant-a' }).catch((e) => e);
  await clock.tickAsync(60_000); // the 429 left the learned requests budget empty: it waits for a refill
  assert.equal(await failed, fatal);

  // Dropped: an estimate too large (thrown), a full queue, retries run out, maxWaitMs passed.
  const small = new Limiter({ tokensPerMinute: 1_000, maxQueue: 1, retry: { maxAttempts: 2, baseMs: 1 }, seed: 1 });
  record(small, declaredTypes, seen);
  assert.throws(() => small.schedule(() => 'never', { tokens: 5_000 }), EstimateTooLargeError);
  small.pause();
  const queued = small.schedule(() => 'queued', { key: 'tenant-b' });
  await assert.rejects(small.schedule(() => 'never', { key: 'tenant-b' }), QueueFullError);
  small.resume();
  assert.equal(await queued, 'queued');
  const exhausted = small.schedule(() => Promise.reject(apiError(503)));
  const settled = exhausted.catch((e) => e);
  await clock.tickAsync(120_000); // waits for the tokens budget to refill, twice
  assert.equal((await settled).code, 'RETRIES_EXHAUSTED');
  small.pause();
  const late = small.schedule(() => 'never', { maxWaitMs: 10 }).catch((e) => e);
  await clock.tickAsync(100);
  assert.equal((await late).code, 'QUEUE_TIMEOUT');

  // Every type the limiters dispatched is declared, and every declared type was dispatched.
  assert.deepEqual([...new Set(seen.map(([type]) => type))].sort(), declaredTypes);

  // Each detail: exactly the keys (and kinds) its LimiterEventMap entry declares; a union
  // (JobSettled) must have each of its members met at least once (both outcomes of settled).
  const met = new Map();
  for (const [type, detail] of seen) {
    const declaredType = member(EventMap, type);
    const members = declaredType.isUnion() ? declaredType.types : [declaredType];
    const fits = members.filter((m) => mismatches(detail, m, type).length === 0);
    if (fits.length === 0) {
      const nearest = members.find((m) => sortedKeys(detail).join() === keysOf(m).join()) ?? members[0];
      assert.deepEqual(sortedKeys(detail), keysOf(nearest), `the keys of a ${type} detail`);
      assert.deepEqual(mismatches(detail, nearest, type), [], `a ${type} detail`);
    }
    for (const m of fits) met.set(m, true);
  }
  for (const type of declaredTypes) {
    const declaredType = member(EventMap, type);
    for (const m of declaredType.isUnion() ? declaredType.types : [declaredType]) {
      assert.ok(met.has(m), `no ${type} detail of the form ${checker.typeToString(m)} was seen`);
    }
  }

  // The provoking really happened as described (so the checks above were not vacuous).
  const details = (type) => seen.filter(([x]) => x === type).map(([, d]) => d);
  assert.deepEqual(details('settled').map((d) => d.outcome).sort(), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
  assert.deepEqual(details('dropped').map((d) => [d.key, d.error.code]), [[undefined, 'ESTIMATE_TOO_LARGE'], ['tenant-b', 'QUEUE_FULL'], [undefined, 'RETRIES_EXHAUSTED'], [undefined, 'QUEUE_TIMEOUT']]);
  assert.deepEqual(details('limitchanged')[0], { limit: 'requestsPerMinute', value: 30, capacity: 30, windowMs: 60_000 });
  // Two 429s (one keyless, one keyed), then the two attempts of the 503.
  assert.deepEqual(details('ratelimited').map((d) => [d.key, d.overloaded, d.retryAfterMs]), [[undefined, false, 1_000], ['tenant-a', false, 1_000], [undefined, true, undefined], [undefined, true, undefined]]);
});
