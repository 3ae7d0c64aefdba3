// The facts the wasm boundary carries are defined in Rust (src/wasm/mod.rs, the core's
// vocabulary) and read in JS (js/src/codes.js, events.js): this test fails when one is added,
// changed or dropped on one side only. (The stats layout needs no such test: JS reads it from
// the core; the types check ties it to index.d.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as code from '../../js/src/codes.js';

const source = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const binding = source('src/wasm/mod.rs');
const vocabulary = source('src/core/scheduler/vocabulary.rs');
const events = source('js/src/events.js');

/** The `const NAME: f64 = N.0;` rows of the binding: decisions and events. */
const rowCodes = Object.fromEntries([...binding.matchAll(/^const ([A-Z_]+): f64 = (\d+)\.0;$/gm)].map((m) => [m[1], Number(m[2])]));

/** The variants of a Rust enum in `text`, in order. */
function variants(text, name) {
  const body = text.slice(text.indexOf(`pub enum ${name} {`));
  const inner = body.slice(body.indexOf('{') + 1, body.indexOf('\n}'));
  return [...inner.matchAll(/^\s{4}([A-Z][A-Za-z]+)\b/gm)].map((m) => m[1]);
}

/** The items of a Rust array constant `NAME: [...; n] = [A::X, ...]` of the binding, in order. */
function arrayItems(name) {
  const at = binding.indexOf(`const ${name}:`);
  const open = binding.slice(at).search(/=\s*\[/);
  const start = binding.indexOf('[', at + open) + 1;
  const list = binding.slice(start, binding.indexOf('];', start));
  return list.split(',').map((s) => s.trim()).filter(Boolean);
}

test('every decision and event code of the binding has its JS constant, with the same number, and no more', () => {
  assert.ok(Object.keys(rowCodes).length >= 12, `found ${Object.keys(rowCodes).length} codes in src/wasm/mod.rs`);
  for (const [name, value] of Object.entries(rowCodes)) assert.equal(code[name], value, `codes.js ${name}`);
  const jsRowCodes = Object.entries(code).filter(([name, v]) => typeof v === 'number' && v >= 1 && v < 100 && name === name.toUpperCase() && !['DONE', 'FAILED', 'RETRY', 'EXHAUSTED', 'LATE'].includes(name));
  for (const [name] of jsRowCodes) assert.ok(name in rowCodes, `codes.js ${name} is not a code of src/wasm/mod.rs`);
});

test('every event of the core is encoded by the binding and decoded (or reported) by events.js', () => {
  const names = variants(vocabulary, 'Event');
  assert.ok(names.length >= 7, names.join(', '));
  const constant = (variant) => variant.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  for (const variant of names) {
    const c = constant(variant);
    assert.ok(binding.includes(`Event::${variant} {`), `src/wasm/mod.rs does not encode Event::${variant}`);
    assert.ok(c in rowCodes || (variant === 'RetryScheduled' && 'RETRY_SCHEDULED' in rowCodes), `no row code for Event::${variant} (${c})`);
    // RETRIES_EXHAUSTED is reported as `dropped`, with the error (events.js says so).
    if (c !== 'RETRIES_EXHAUSTED') assert.match(events, new RegExp(`case code\\.${c}:`), `events.js does not decode ${c}`);
  }
});

test('outcome kinds, hints and named limits are in the same order on both sides', () => {
  const outcome = { Success: 'success', RateLimited: 'rate-limited', Overloaded: 'overloaded', Retryable: 'retryable', Failure: 'fatal', Aborted: 'aborted', TimedOut: 'timed-out' };
  const rust = arrayItems('OUTCOMES').map((s) => s.replace('OutcomeKind::', ''));
  assert.deepEqual(rust.map((k) => outcome[k]), Object.keys(code.OUTCOME));
  assert.deepEqual(Object.values(code.OUTCOME), rust.map((_, i) => i));
  const hint = { None: 'none', Network: 'network', RateLimit: 'rateLimit', Overloaded: 'overloaded', QuotaExhausted: 'quotaExhausted' };
  assert.deepEqual(arrayItems('HINTS').map((s) => hint[s.replace('Hint::', '')]), Object.keys(code.HINT));
  assert.deepEqual(Object.values(code.HINT), arrayItems('HINTS').map((_, i) => i));
  const named = { None: 'none', 'Some(Resource::Requests)': 'requests', 'Some(Resource::Tokens)': 'tokens', 'Some(Resource::InputTokens)': 'inputTokens', 'Some(Resource::OutputTokens)': 'outputTokens' };
  assert.deepEqual(arrayItems('NAMED_LIMITS').map((s) => named[s]), Object.keys(code.NAMED));
  assert.equal(Number(/const NO_RETRY: u32 = (\d+);/.exec(binding)[1]), code.NO_RETRY);
});

test("the verdicts of finish are the numbers codes.js gives them", () => {
  const verdict = (name) => Number(new RegExp(`Verdict::${name}\\b[^=]*=> (\\d+)\\.0`).exec(binding)?.[1]);
  assert.equal(verdict('Done'), code.DONE);
  assert.equal(verdict('Failed'), code.FAILED);
  assert.equal(verdict('Retry'), code.RETRY);
  assert.equal(verdict('Exhausted'), code.EXHAUSTED);
  assert.match(binding, new RegExp(`Verdict::Late[\\s\\S]{0,200}${code.LATE}\\.0`), 'Verdict::Late encodes as codes.js LATE');
  const covered = ['Done', 'Failed', 'Retry', 'Exhausted', 'Late', 'Unknown'];
  assert.deepEqual(variants(vocabulary, 'Verdict'), covered, 'a verdict the binding does not encode');
});
