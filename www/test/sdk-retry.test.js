// The page's SDK-style retries against the real openai-node client: for the same answers, the
// same number of attempts at the same instants (fake timers; Math.random fixed for both).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import OpenAI from 'openai';
import { withSdkRetries } from '../src/sim/sdk-retry.js';

const RANDOM = 0.37;

/** Scripts of answers: status and headers, one per attempt (the last one repeats). */
const SCRIPTS = {
  'retry-after-ms, then none (backoff), then success': [[429, { 'retry-after-ms': '1234' }], [429, {}], [200, {}]],
  'retry-after in seconds, three times: the retries run out': [[429, { 'retry-after': '2' }]],
  'retry-after as an HTTP date': [[429, { 'retry-after': new Date(Date.UTC(2030, 0, 1, 0, 0, 3)).toUTCString() }], [200, {}]],
  'retry-after-ms of 0 falls back to retry-after': [[429, { 'retry-after-ms': '0', 'retry-after': '1' }], [200, {}]],
  '503 with no header: exponential backoff': [[503, {}]],
  'x-should-retry: false stops at once': [[429, { 'x-should-retry': 'false', 'retry-after': '1' }]],
  '400 is not retried': [[400, {}]],
  'x-should-retry: true retries a 400': [[400, { 'x-should-retry': 'true' }], [200, {}]],
};

const body = (status) => JSON.stringify(status === 200 ? { id: 'x', object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } : { error: { message: 'no', type: 'x', code: null } });

/** Runs `call(answer)` on fake time from 2030-01-01 and returns the instants (ms) of its attempts. */
async function attemptTimes(script, call) {
  const clock = FakeTimers.install({ now: Date.UTC(2030, 0, 1), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const random = Math.random;
  Math.random = () => RANDOM;
  try {
    const times = [];
    const answer = () => {
      times.push(Date.now() - Date.UTC(2030, 0, 1));
      const [status, headers] = script[Math.min(times.length, script.length) - 1];
      return new Response(body(status), { status, headers: { 'content-type': 'application/json', ...headers } });
    };
    const done = call(answer).catch(() => {});
    await clock.runAllAsync();
    await done;
    return times;
  } finally {
    Math.random = random;
    clock.uninstall();
  }
}

for (const [name, script] of Object.entries(SCRIPTS)) {
  test(`as openai-node: ${name}`, async () => {
    const sdk = await attemptTimes(script, (answer) => {
      const client = new OpenAI({ apiKey: 'test', baseURL: 'http://sim.invalid/v1', maxRetries: 2, fetch: async () => answer() });
      return client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    });
    const page = await attemptTimes(script, (answer) => withSdkRetries(async () => answer(), () => RANDOM));
    assert.deepEqual(page, sdk);
    assert.ok(sdk.length >= 1);
  });
}
