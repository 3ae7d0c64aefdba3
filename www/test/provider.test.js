// The provider simulated in the page: the mock's rules behind a fetch-shaped function, on fake time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { simulatedProvider } from '../src/sim/provider.js';

const LATENCY = { baseMs: 300, perOutputTokenMs: 10 };
const post = (provider, body) => provider.fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', body: JSON.stringify(body) });
const chat = (content, extra = {}) => ({ model: 'm', messages: [{ role: 'user', content }], max_tokens: 64, ...extra });

function fakeTime(t) {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  t.after(() => clock.uninstall());
  return clock;
}

test('an admitted call answers after its latency with its usage; a call that does not fit gets a 429 at once', async (t) => {
  const clock = fakeTime(t);
  const seen = { admitted: [], answered: [] };
  const provider = simulatedProvider({ rpm: 2, tpm: 100_000, latency: LATENCY }, { admitted: (i, o) => seen.admitted.push([i, o]), answered: (s) => seen.answered.push(s) });
  const first = post(provider, chat('one'));
  const second = post(provider, chat('two'));
  const third = await post(provider, chat('three'));
  assert.equal(third.status, 429);
  assert.equal(third.ok, false);
  assert.equal(third.headers.get('retry-after-ms'), '30000');
  assert.equal(third.headers.get('retry-after'), '30');
  assert.equal(third.headers.get('x-ratelimit-remaining-requests'), '0');
  assert.equal((await third.json()).error.code, 'rate_limit_exceeded');
  assert.equal(provider.inFlight(), 2);

  await clock.tickAsync(10_000);
  const answer = await first;
  const data = await answer.json();
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('x-ratelimit-limit-tokens'), '100000');
  const { prompt_tokens: input, completion_tokens: output } = data.usage;
  assert.deepEqual(seen.admitted[0], [input, output]);
  assert.equal((await second).status, 200);
  assert.deepEqual(seen.answered, [429, 200, 200]);
  assert.equal(provider.inFlight(), 0);
});

test('the answer takes base + per output token', async (t) => {
  const clock = fakeTime(t);
  const provider = simulatedProvider({ rpm: 100, tpm: 100_000, latency: LATENCY });
  let answered = false;
  const pending = post(provider, chat('how long?')).then((r) => ((answered = true), r));
  await clock.tickAsync(LATENCY.baseMs);
  assert.equal(answered, false);
  await clock.tickAsync(10_000);
  const { usage } = await (await pending).json();
  assert.ok(usage.completion_tokens > 0);
  // The answer came exactly when its latency was over.
  assert.equal(provider.counts.lastResponseAt, LATENCY.baseMs + LATENCY.perOutputTokenMs * usage.completion_tokens);
});

test('a stream starts with the headers, sends its chunks as the tokens come, and the usage last', async (t) => {
  const clock = fakeTime(t);
  const provider = simulatedProvider({ rpm: 100, tpm: 100_000, latency: LATENCY });
  const pending = post(provider, chat('stream me', { stream: true, stream_options: { include_usage: true } }));
  await clock.tickAsync(0);
  const response = await pending;
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-ratelimit-limit-requests'), '100');
  const chunks = [];
  const reading = (async () => {
    for await (const chunk of response.body) chunks.push([performance.now(), chunk]);
  })();
  await clock.tickAsync(10_000);
  await reading;
  const last = chunks.at(-1)[1];
  assert.deepEqual(last.choices, []);
  const output = last.usage.completion_tokens;
  const content = chunks.slice(0, -1).map(([, c]) => c.choices[0].delta.content).join('');
  assert.equal(content.split(' tok').length - 1, output);
  assert.equal(chunks.length - 1, Math.ceil(output / 32));
  assert.equal(chunks.at(-1)[0], LATENCY.baseMs + LATENCY.perOutputTokenMs * output);
  assert.ok(chunks[0][0] > LATENCY.baseMs && chunks[0][0] < chunks.at(-1)[0]);
});

test('an outage answers 429 with the time left as Retry-After, then the provider is back', async (t) => {
  const clock = fakeTime(t);
  const provider = simulatedProvider({ rpm: 100, tpm: 100_000, latency: LATENCY });
  await clock.tickAsync(1_000);
  provider.outage(10_000);
  await clock.tickAsync(2_500);
  const refused = await post(provider, chat('now?'));
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '8');
  await clock.tickAsync(7_500);
  const pending = post(provider, chat('and now?'));
  await clock.tickAsync(10_000);
  assert.equal((await pending).status, 200);
});
