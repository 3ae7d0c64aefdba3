// The mock provider over real HTTP on 127.0.0.1, on a fake clock: `now` reads a variable the
// test advances and `sleep` resolves at once, so no test waits on the wall clock.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { goDuration } from '../../mock/formats.js';
import { startMockProvider } from '../../mock/provider.js';

/** A clock the test moves by hand, and a sleep that only records how long it was asked for. */
function fakeClock() {
  const clock = { t: 0, sleeps: [] };
  clock.now = () => clock.t;
  clock.sleep = async (ms) => {
    clock.sleeps.push(ms);
  };
  return clock;
}

/** Starts a provider on a fake clock; the test closes it when it ends, pass or fail. */
async function provider(t, options = {}) {
  const clock = fakeClock();
  const p = await startMockProvider({ now: clock.now, sleep: clock.sleep, ...options });
  t.after(() => p.close());
  return { p, clock };
}

async function post(p, path, body) {
  const res = await fetch(p.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() };
}

const chat = (p, content, extra = {}) => post(p, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content }], ...extra });
const messages = (p, content, extra = {}) => post(p, '/v1/messages', { model: 'm', messages: [{ role: 'user', content }], ...extra });

const GO_DURATION = /^((\d+h)?\d+m)?\d+(\.\d+)?s$|^\d+ms$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

test('an empty RPM bucket answers 429 with retry-after and retry-after-ms, charging nothing', async (t) => {
  const { p, clock } = await provider(t, { rpm: 2, tpm: 10_000 });
  assert.equal((await chat(p, 'one', { max_tokens: 10 })).status, 200);
  const second = await chat(p, 'two', { max_tokens: 10 });
  assert.equal(second.status, 200);

  const refused = await chat(p, 'three', { max_tokens: 10 });
  assert.equal(refused.status, 429);
  // One request every 30 s.
  assert.equal(refused.headers['retry-after'], '30');
  assert.equal(refused.headers['retry-after-ms'], '30000');
  assert.equal(refused.body.error.type, 'requests');
  assert.equal(refused.body.error.code, 'rate_limit_exceeded');
  assert.equal(refused.body.error.param, null);
  assert.match(refused.body.error.message, /^Rate limit reached for requests/);
  assert.equal(refused.headers['x-ratelimit-remaining-requests'], '0');
  assert.equal(refused.headers['x-ratelimit-remaining-tokens'], second.headers['x-ratelimit-remaining-tokens']);
  assert.ok(refused.headers['x-request-id']);

  clock.t = 10_000;
  const later = await chat(p, 'four', { max_tokens: 10 });
  assert.equal(later.status, 429);
  assert.equal(later.headers['retry-after'], '20');
  assert.equal(later.headers['retry-after-ms'], '20000');

  // Had either 429 taken a request, the bucket would still be short at 30 s.
  clock.t = 30_000;
  assert.equal((await chat(p, 'five', { max_tokens: 10 })).status, 200);
  const s = p.stats();
  assert.deepEqual([s.requests, s.ok, s.rateLimited], [5, 3, 2]);
});

test('a token charge that does not fit is a 429 of type tokens; one larger than the bucket has no Retry-After', async (t) => {
  const { p } = await provider(t, { tpm: 1000, outputTokens: () => 10_000 });
  // 400 characters are 100 tokens; with max_tokens 800 the charge is 900, all of it used.
  const first = await chat(p, 'x'.repeat(400), { max_tokens: 800 });
  assert.equal(first.status, 200);
  assert.equal(first.body.usage.completion_tokens, 800, 'outputTokens is capped at max_tokens');
  assert.equal(first.headers['x-ratelimit-remaining-tokens'], '100');
  assert.equal(first.headers['x-ratelimit-limit-requests'], undefined, 'no header for an unset limit');

  const refused = await chat(p, 'x'.repeat(400), { max_tokens: 100 });
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error.type, 'tokens');
  assert.match(refused.body.error.message, /^Rate limit reached for tokens/);
  // 100 tokens short at 1000 a minute: 6 s.
  assert.equal(refused.headers['retry-after-ms'], '6000');
  assert.equal(refused.headers['retry-after'], '6');
  assert.equal(refused.headers['x-ratelimit-remaining-tokens'], '100');

  const tooLarge = await chat(p, 'x', { max_tokens: 2000 });
  assert.equal(tooLarge.status, 429);
  assert.equal(tooLarge.headers['retry-after'], undefined);
  assert.match(tooLarge.body.error.message, /too large/);
});

test('OpenAI reset headers are Go durations of the time until the bucket is full', async (t) => {
  const { p, clock } = await provider(t, { rpm: 60, tpm: 60_000, outputTokens: () => 110 });
  // 40 characters (10 tokens) + max_tokens 110 = 120 tokens, at 1 token per ms.
  const first = await chat(p, 'a'.repeat(40), { max_tokens: 110 });
  assert.equal(first.headers['x-ratelimit-limit-requests'], '60');
  assert.equal(first.headers['x-ratelimit-limit-tokens'], '60000');
  assert.equal(first.headers['x-ratelimit-remaining-requests'], '59');
  assert.equal(first.headers['x-ratelimit-remaining-tokens'], '59880');
  assert.equal(first.headers['x-ratelimit-reset-requests'], '1s');
  assert.equal(first.headers['x-ratelimit-reset-tokens'], '120ms');

  clock.t = 500;
  const second = await chat(p, 'a'.repeat(40), { max_tokens: 110 });
  assert.equal(second.headers['x-ratelimit-reset-requests'], '1.5s');
  assert.equal(second.headers['x-ratelimit-reset-tokens'], '120ms');
  for (const h of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) assert.match(second.headers[h], GO_DURATION);
});

test('a bucket two requests from full resets in a minute: 1m0s', async (t) => {
  const { p } = await provider(t, { rpm: 2 });
  await chat(p, 'a');
  const res = await chat(p, 'b');
  assert.equal(res.headers['x-ratelimit-reset-requests'], '1m0s');
});

test('goDuration writes what Go prints', () => {
  const cases = [[0, '0s'], [0.2, '1ms'], [120, '120ms'], [1000, '1s'], [6500, '6.5s'], [90_500, '1m30.5s'], [360_000, '6m0s'], [3_723_004, '1h2m3.004s']];
  for (const [ms, text] of cases) {
    assert.equal(goDuration(ms), text);
    assert.match(text, GO_DURATION);
  }
});

test('Anthropic headers give RFC 3339 resets; system and text blocks count as input', async (t) => {
  const { p } = await provider(t, { rpm: 60, itpm: 1000, otpm: 600, outputTokens: () => 40 });
  const before = Date.now();
  // 4 + 36 characters: 10 input tokens.
  const res = await post(p, '/v1/messages', {
    model: 'claude-x',
    system: 'ssss',
    max_tokens: 100,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'b'.repeat(36) }] }],
  });
  const after = Date.now();
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    id: res.body.id,
    type: 'message',
    role: 'assistant',
    model: 'claude-x',
    content: [{ type: 'text', text: res.body.content[0].text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 40 },
  });
  assert.ok(res.headers['request-id']);
  const h = res.headers;
  assert.equal(h['anthropic-ratelimit-requests-limit'], '60');
  assert.equal(h['anthropic-ratelimit-requests-remaining'], '59');
  assert.equal(h['anthropic-ratelimit-input-tokens-remaining'], '990');
  // 100 reserved, 60 given back when the answer was produced.
  assert.equal(h['anthropic-ratelimit-output-tokens-remaining'], '560');
  assert.equal(h['anthropic-ratelimit-tokens-limit'], undefined, 'no tpm was set');
  // Time to full: 1 request at 1/s, 10 input tokens at 1000/min, 40 output tokens at 600/min.
  for (const [name, ms] of [['requests', 1000], ['input-tokens', 600], ['output-tokens', 4000]]) {
    const reset = h[`anthropic-ratelimit-${name}-reset`];
    assert.match(reset, RFC3339);
    const at = Date.parse(reset);
    assert.ok(at >= before + ms && at <= after + ms + 1, `${name} reset ${reset} is ${ms} ms after the answer`);
  }
});

test('an Anthropic 429 carries retry-after in seconds and a rate_limit_error body', async (t) => {
  const { p } = await provider(t, { otpm: 100, outputTokens: () => 80 });
  assert.equal((await messages(p, 'hi', { max_tokens: 80 })).status, 200);
  const refused = await messages(p, 'hi', { max_tokens: 80 });
  assert.equal(refused.status, 429);
  // 60 output tokens short at 100 a minute: 36 s.
  assert.equal(refused.headers['retry-after'], '36');
  assert.equal(refused.headers['retry-after-ms'], undefined);
  assert.equal(refused.body.type, 'error');
  assert.equal(refused.body.error.type, 'rate_limit_error');
  assert.equal(refused.headers['anthropic-ratelimit-output-tokens-remaining'], '20');
});

test('settle gives the unused max_tokens back when the answer is produced; settle: false does not', async (t) => {
  // 100 characters (25 tokens) + max_tokens 100 charged; 40 tokens of output.
  const charge = { content: 'c'.repeat(100), max_tokens: 100 };
  const { p: settled } = await provider(t, { tpm: 1000, otpm: 1000, outputTokens: () => 40 });
  const a = await chat(settled, charge.content, { max_tokens: charge.max_tokens });
  assert.deepEqual(a.body.usage, { prompt_tokens: 25, completion_tokens: 40, total_tokens: 65 });
  assert.equal(a.headers['x-ratelimit-remaining-tokens'], '935');
  const a2 = await messages(settled, charge.content, { max_tokens: charge.max_tokens });
  assert.equal(a2.headers['anthropic-ratelimit-output-tokens-remaining'], '920');

  const { p: unsettled } = await provider(t, { tpm: 1000, otpm: 1000, outputTokens: () => 40, settle: false });
  const b = await chat(unsettled, charge.content, { max_tokens: charge.max_tokens });
  assert.equal(b.headers['x-ratelimit-remaining-tokens'], '875');
  const b2 = await messages(unsettled, charge.content, { max_tokens: charge.max_tokens });
  assert.equal(b2.headers['anthropic-ratelimit-output-tokens-remaining'], '800');
});

test('during an outage every request is a 429 with the given Retry-After, and nothing is charged', async (t) => {
  // Two requests a minute: had the outage 429s taken any, the request at 5 s would not fit.
  const { p, clock } = await provider(t, { rpm: 2, outage: { fromMs: 1000, untilMs: 5000, retryAfterS: 7 } });
  assert.equal((await chat(p, 'a')).status, 200);
  clock.t = 1000;
  const openai = await chat(p, 'a');
  assert.equal(openai.status, 429);
  assert.equal(openai.headers['retry-after'], '7');
  assert.equal(openai.headers['retry-after-ms'], '7000');
  assert.equal(openai.headers['x-ratelimit-remaining-requests'], '1');
  clock.t = 4999;
  const anthropic = await messages(p, 'a', { max_tokens: 10 });
  assert.equal(anthropic.status, 429);
  assert.equal(anthropic.headers['retry-after'], '7');
  assert.equal(anthropic.body.error.type, 'rate_limit_error');
  clock.t = 5000;
  assert.equal((await chat(p, 'a')).status, 200);
  assert.deepEqual([p.stats().ok, p.stats().rateLimited], [2, 2]);
});

test('without retryAfterS an outage asks to wait until it ends', async (t) => {
  const { p, clock } = await provider(t, { outage: { fromMs: 0, untilMs: 5000 } });
  clock.t = 2500;
  assert.equal((await chat(p, 'a')).headers['retry-after'], '3');
});

test('Anthropic requires max_tokens: 400 with an Anthropic-shaped error, nothing charged', async (t) => {
  const { p } = await provider(t, { rpm: 10 });
  const res = await messages(p, 'hello');
  assert.equal(res.status, 400);
  assert.equal(res.body.type, 'error');
  assert.equal(res.body.error.type, 'invalid_request_error');
  assert.match(res.body.error.message, /max_tokens/);
  assert.equal(res.headers['anthropic-ratelimit-requests-remaining'], '10');
  const broken = await post(p, '/v1/chat/completions', '{not json');
  assert.equal(broken.status, 400);
  assert.equal(broken.body.error.type, 'invalid_request_error');
  assert.equal(p.stats().ok, 0);
});

test('overloaded requests get 529 from /v1/messages and 503 from /v1/chat/completions, uncharged', async (t) => {
  const { p } = await provider(t, { rpm: 10, overloaded: (n) => n === 2 || n === 3 });
  assert.equal((await messages(p, 'a', { max_tokens: 5 })).status, 200);
  const anthropic = await messages(p, 'a', { max_tokens: 5 });
  assert.equal(anthropic.status, 529);
  assert.deepEqual(anthropic.body, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  const openai = await chat(p, 'a');
  assert.equal(openai.status, 503);
  assert.equal(openai.body.error.type, 'server_error');
  const ok = await chat(p, 'a');
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-ratelimit-remaining-requests'], '8');
  assert.equal(p.stats().overloaded, 2);
});

test('latency is base + per output token; stats count requests in flight', async (t) => {
  const clock = fakeClock();
  const wakers = [];
  const p = await startMockProvider({
    now: clock.now,
    sleep: (ms) => new Promise((resolve) => wakers.push({ ms, resolve })),
    latency: { baseMs: 100, perOutputTokenMs: 2 },
    outputTokens: () => 30,
  });
  t.after(() => p.close());
  clock.t = 7;
  const pending = [chat(p, 'abcd'), chat(p, 'efgh')];
  while (wakers.length < 2) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(wakers.map((w) => w.ms), [160, 160]);
  assert.equal(p.stats().inFlight, 2);
  clock.t = 170;
  for (const w of wakers) w.resolve();
  const answers = await Promise.all(pending);
  assert.deepEqual(answers.map((a) => a.status), [200, 200]);
  assert.deepEqual(p.stats(), {
    requests: 2,
    ok: 2,
    rateLimited: 0,
    overloaded: 0,
    badRequests: 0,
    inFlight: 0,
    peakInFlight: 2,
    inputTokens: 2,
    outputTokens: 60,
    firstRequestAt: 7,
    lastResponseAt: 170,
  });
});

test('OpenAI bodies: max_completion_tokens wins, 256 by default, every message counts as input', async (t) => {
  const { p, clock } = await provider(t, { tpm: 10_000, outputTokens: () => 1e9 });
  const res = await post(p, '/v1/chat/completions', {
    model: 'gpt-x',
    messages: [{ role: 'system', content: 'abc' }, { role: 'user', content: [{ type: 'text', text: 'defgh' }] }],
    max_tokens: 500,
    max_completion_tokens: 50,
  });
  assert.equal(res.body.object, 'chat.completion');
  assert.equal(res.body.model, 'gpt-x');
  assert.deepEqual(res.body.choices[0].message.role, 'assistant');
  assert.equal(res.body.choices[0].finish_reason, 'stop');
  assert.deepEqual(res.body.usage, { prompt_tokens: 2, completion_tokens: 50, total_tokens: 52 });
  // The filler answer is about 4 characters a token.
  assert.ok(Math.abs(res.body.choices[0].message.content.length - 200) <= 4);
  assert.equal(clock.sleeps.length, 1);
  const byDefault = await chat(p, 'x');
  assert.equal(byDefault.body.usage.completion_tokens, 256);
});

test('by default the output is a fixed share of max_tokens between 20% and 100%', async (t) => {
  const { p } = await provider(t);
  const seen = new Set();
  for (let i = 0; i < 20; i++) {
    const { completion_tokens: n } = (await chat(p, `prompt number ${i}`, { max_tokens: 50 })).body.usage;
    assert.ok(n >= 10 && n <= 50, `${n} is within [10, 50]`);
    seen.add(n);
  }
  assert.ok(seen.size > 3, 'lengths vary with the prompt');
  const again = await Promise.all([chat(p, 'same', { max_tokens: 50 }), chat(p, 'same', { max_tokens: 50 })]);
  assert.equal(again[0].body.usage.completion_tokens, again[1].body.usage.completion_tokens);
});

test('other routes answer 404 JSON', async (t) => {
  const { p } = await provider(t);
  const res = await fetch(`${p.url}/v1/models`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.ok((await res.json()).error);
  assert.equal((await fetch(`${p.url}/v1/messages`)).status, 404);
  assert.equal(p.stats().requests, 0);
});

test('bad options are TypeErrors that name the option', async () => {
  const cases = [
    [{ rpm: -1 }, /`rpm`/],
    [{ tpm: 0 }, /`tpm`/],
    [{ itpm: '5' }, /`itpm`/],
    [{ latency: { baseMs: 'x' } }, /`latency.baseMs`/],
    [{ latency: { base: 1 } }, /`latency.base`/],
    [{ outage: { fromMs: 5, untilMs: 1 } }, /`outage`/],
    [{ now: 3 }, /`now`/],
    [{ settle: 'yes' }, /`settle`/],
    [{ port: 70_000 }, /`port`/],
    [{ rmp: 5 }, /`rmp`/],
  ];
  for (const [options, message] of cases) await assert.rejects(startMockProvider(options), { name: 'TypeError', message });
});

test('close() ends idle keep-alive sockets and requests still in flight', async () => {
  const p = await startMockProvider({ now: () => 0, sleep: (ms) => (ms > 0 ? new Promise(() => {}) : Promise.resolve()), latency: { baseMs: 1 } });
  const agent = new http.Agent({ keepAlive: true });
  const request = () =>
    new Promise((resolve, reject) => {
      const req = http.request(`${p.url}/v1/models`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket));
      });
      req.on('error', reject);
      req.end();
    });
  const idle = await request();
  const socketClosed = new Promise((resolve) => idle.once('close', resolve));
  // This one never gets its answer: the provider sleeps forever.
  const hanging = fetch(`${p.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) });
  while (p.stats().inFlight === 0) await new Promise((resolve) => setImmediate(resolve));
  await p.close();
  await socketClosed;
  await assert.rejects(hanging);
  agent.destroy();
});
