// The wasm boundary's codes and names are defined once, in Rust (src/wire/), and written into
// js/src/codes.js and names.js at build time (`cargo test` fails when those files are stale).
// These tests tie the other end: every code the core can send is read by the JS wrapper, every
// name it shares is the one index.d.ts and the README give, and every setting is written by
// options.js. A fact added on the Rust side only appears in the generated files and fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as code from '../../js/src/codes.js';
import * as names from '../../js/src/names.js';
import { decodeEvent } from '../../js/src/events.js';
import { rejectionError } from '../../js/src/wire.js';
import { parseLimiterOptions, checkClass } from '../../js/src/options.js';
import { pickHeaders } from '../../js/src/outcome.js';
import { DeadlineError } from '../../js/src/errors.js';
import { declared, keysOf, literals, member, objectPart } from './support/dts.js';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

const dts = { typeOf: declared, propertyType: member, literals, keys: keysOf };

const rows = Object.entries(code).filter(([name]) => /^[A-Z_]+$/.test(name) && !/^(SET_|SETTINGS_|EXHAUSTED|DONE|FAILED|RETRY$|LATE$|UNKNOWN|CLASSIFY|NO_RETRY|SLOTS|FIRST_EVENT|POLL_HEADER|ROW_LENGTH)/.test(name));

test('the row codes are distinct, decisions below FIRST_EVENT and events from it', () => {
  assert.ok(rows.length >= 12, rows.map(([n]) => n).join(', '));
  assert.equal(new Set(rows.map(([, v]) => v)).size, rows.length);
  assert.equal(code.START < code.FIRST_EVENT, true);
});

test('every event code is decoded into an event index.d.ts declares, or reported as `dropped`', () => {
  const declared = dts.keys(dts.typeOf('LimiterEventMap'));
  const job = { o: { key: 'k' } };
  for (const [name, value] of rows.filter(([, v]) => v >= code.FIRST_EVENT)) {
    const event = decodeEvent([value, 1, 1, 1, 1], () => job, (n) => 'x'.repeat(n), 0);
    if (name === 'RETRIES_EXHAUSTED') {
      // Reported with its error as `dropped`, from finish's EXHAUSTED verdict (limiter.js).
      assert.equal(event, null);
      assert.ok(declared.includes('dropped'));
      continue;
    }
    assert.ok(event, `events.js does not decode ${name} (${value})`);
    assert.ok(declared.includes(event[0]), `${name} decodes as '${event[0]}', which LimiterEventMap does not declare`);
    assert.deepEqual(Object.keys(event[1]).sort(), dts.keys(dts.propertyType(dts.typeOf('LimiterEventMap'), event[0])), `${event[0]}'s detail`);
  }
});

test('every rejection code becomes its own error, with the code the README lists', () => {
  const expected = { QUEUE_TIMEOUT: 'QUEUE_TIMEOUT', TOO_LARGE: 'ESTIMATE_TOO_LARGE', QUEUE_FULL: 'QUEUE_FULL', DEADLINE: 'DEADLINE' };
  const rejections = rows.filter(([, v]) => v < code.FIRST_EVENT && v !== code.START);
  assert.deepEqual(rejections.map(([n]) => n).sort(), Object.keys(expected).sort(), 'a rejection the wrapper does not turn into its error');
  for (const [name, value] of rejections) {
    const error = rejectionError(value, 0, 1, 2, { inputTokens: -1 });
    assert.equal(error.code, expected[name], name);
    assert.match(readme, new RegExp(`\\| \`${error.constructor.name}\`[^|]*\\| \`${error.code}\` \\|`), `README's error table lists ${error.constructor.name}`);
  }
});

test('the outcome kinds, deadline reasons, limits and header names are the ones index.d.ts and the README give', () => {
  const classes = dts.literals(dts.typeOf('OutcomeClass'));
  assert.ok(classes.length >= 5);
  assert.deepEqual([...names.CLASSES].sort(), [...classes].sort(), 'what classify may return');
  for (const c of classes) {
    assert.ok(c in names.OUTCOME, `the core has no outcome kind '${c}'`);
    assert.equal(checkClass(c), c);
  }
  // Kinds only the wrapper reports (a caller's abort, a timeout), never a classify result.
  assert.deepEqual(Object.keys(names.OUTCOME).filter((k) => !classes.includes(k)), ['aborted', 'timed-out']);
  assert.deepEqual(Object.values(names.OUTCOME), Object.keys(names.OUTCOME).map((_, i) => i));

  assert.deepEqual(dts.literals(dts.typeOf('DeadlineReason')).sort(), [...names.LATE_REASONS].sort());
  names.LATE_REASONS.forEach((why, i) => assert.equal(new DeadlineError(1, 2, i).why, why));

  assert.deepEqual(dts.keys(dts.typeOf('RateLimits')).sort(), [...names.LIMIT_NAMES].sort());

  const headers = Object.fromEntries([...names.READ_HEADERS, ...names.READ_HEADER_PREFIXES.map((p) => `${p}x`), 'content-type', 'x-request-id'].map((h) => [h, '1']));
  assert.deepEqual(Object.keys(pickHeaders(headers)).sort(), [...names.READ_HEADERS, ...names.READ_HEADER_PREFIXES.map((p) => `${p}x`)].sort());
});

/** A value for `option` other than its default, and the number the core should get for it. */
const OTHER = {
  maxConcurrent: [3, 3],
  maxQueue: [7, 7],
  burst: [0.5, 0.5],
  adaptiveConcurrency: [false, 0],
  gate: ['key', 1],
  'retry.maxAttempts': [2, 2],
  'retry.baseMs': [100, 100],
  'retry.maxDelayMs': [900, 900],
  'retry.maxRetryAfterMs': [5, 5],
  'retry.budget': [false, 0],
  'retry.budget.ttlMs': [2_000, 2_000],
  'retry.budget.minPerSec': [1, 1],
  'retry.budget.percent': [5, 5],
  seed: [42, 42],
  attemptLeaseMs: [Infinity, Infinity],
  calibrate: [false, 0],
};

/** `{ a: { b: value } }` for 'a.b'. */
const nested = (path, value) => path.split('.').reduceRight((inner, key) => ({ [key]: inner }), value);

test('every setting of the core is written by options.js from its documented, declared option', () => {
  const options = dts.typeOf('LimiterOptions');
  const defaults = parseLimiterOptions({}).settings;
  assert.equal(defaults.length, code.SETTINGS_LENGTH);
  const seen = new Set();
  for (const [option, index] of Object.entries(names.SETTING_OPTIONS)) {
    seen.add(index);
    const limit = names.LIMIT_NAMES.includes(option);
    const [value, number] = limit ? [1234, 1234] : (OTHER[option] ?? assert.fail(`no test value for the setting ${option}: add it to OTHER`));
    const settings = parseLimiterOptions(nested(option, value)).settings;
    assert.equal(settings[index], number, `${option} is not written where the core reads it (${index})`);
    assert.notEqual(settings[index], defaults[index], option);
    // Declared in index.d.ts, through the nesting (retry → RetryOptions → budget → ...).
    let type = options;
    for (const part of option.split('.')) type = objectPart(dts.propertyType(type, part));
    // Documented: the README's options table names the top-level option.
    assert.match(readme, new RegExp(`^\\| [^|]*\`${option.split('.')[0]}\``, 'm'), `the README's options table does not list ${option}`);
  }
  assert.equal(seen.size, code.SETTINGS_LENGTH, 'every number of the settings has its option');
});
