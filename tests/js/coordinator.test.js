// A limiter on leases (`coordinator`), in Node: the coordinator's real authority (the
// sluice/durable .wasm) behind a stand-in for the Durable Object's RPC, answering at once.
// The option is checked at construction; limits that disagree stop the limiter at the first
// exchange; every job runs within what was granted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Limiter } from 'sluice';
import { Authority, initSync } from '../../js/wasm/sluice_durable.js';

initSync({ module: readFileSync(new URL('../../js/wasm/sluice_durable_bg.wasm', import.meta.url)) });

/** What SluiceCoordinator does with an exchange, without storage: the first config wins. */
function coordinator() {
  let authority = null;
  let config = null;
  const calls = [];
  const stub = {
    id: {},
    exchange(message) {
      calls.push(message);
      config ??= message.config;
      authority ??= new Authority(new Float64Array(config.limits), config.burst, Date.now());
      if (JSON.stringify(config) !== JSON.stringify(message.config)) return Promise.resolve({ error: 'limits disagree' });
      return Promise.resolve({ grant: Array.from(authority.exchange(Date.now(), message.isolate, new Float64Array(message.ask))) });
    },
  };
  return { stubOf: () => stub, calls, stub };
}

test('coordinator: a function returning the stub, with the account limits', () => {
  const { stub } = coordinator();
  assert.throws(() => new Limiter({ requestsPerMinute: 60, coordinator: stub }), {
    name: 'TypeError',
    message: 'Expected `coordinator` to be a function that returns a Durable Object stub of SluiceCoordinator (() => env.SLUICE.get(id)), got a stub (it would serve only the request that made it)',
  });
  assert.throws(() => new Limiter({ requestsPerMinute: 60, coordinator: 'SLUICE' }), {
    name: 'TypeError',
    message: 'Expected `coordinator` to be a function that returns a Durable Object stub of SluiceCoordinator (() => env.SLUICE.get(id)), got "SLUICE" (a string)',
  });
  assert.throws(() => new Limiter({ coordinator: () => stub }), {
    name: 'TypeError',
    message: "Expected `coordinator` to come with the account's limits (requestsPerMinute, tokensPerMinute, inputTokensPerMinute, outputTokensPerMinute, requestsPerDay, tokensPerDay), got none",
  });
});

test('jobs run on what the coordinator grants, a few asks for many jobs', async () => {
  const c = coordinator();
  const limiter = new Limiter({ requestsPerMinute: 600, tokensPerMinute: 60_000, coordinator: c.stubOf });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.schedule(() => i, { tokens: 100 })));
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
  assert.ok(c.calls.length >= 1 && c.calls.length <= 4, `${c.calls.length} asks for 20 jobs`);
  assert.deepEqual(c.calls[0].config, { limits: [600, 60_000, 0, 0, 0, 0], burst: 1 });
  // Every ask reports what the limiter held (never more than the account's burst) and wants.
  for (const { ask } of c.calls) assert.ok(ask[0] <= 600 && ask[6] <= 600 && ask[7] <= 60_000, JSON.stringify(ask));
});

test('limits that disagree with the coordinator stop the limiter at its first exchange', async () => {
  const c = coordinator();
  const first = new Limiter({ requestsPerMinute: 600, coordinator: c.stubOf });
  await first.schedule(() => 'ok');
  const second = new Limiter({ requestsPerMinute: 900, coordinator: c.stubOf });
  await assert.rejects(second.schedule(() => 'never'), { name: 'RangeError', message: 'limits disagree' });
  await assert.rejects(second.schedule(() => 'never'), { name: 'RangeError', message: 'limits disagree' });
});
