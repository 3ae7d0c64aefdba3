// The page's script: sends a batch of chat completions through one sluice Limiter and shows
// each call's state. `?auto=1` (with `n`, `concurrent`, `rpm`) starts a batch on load; the
// outcome is also left in `window.batchResult`, for a test to read.
import { Limiter } from 'sluice';
import { estimateOpenAI } from 'sluice/estimate';

const form = document.getElementById('form');
const list = document.getElementById('calls');
const statsBox = document.getElementById('stats');

/**
 * One call. It returns { data, response }: sluice reads the status (a 429 or 5xx is retried)
 * and whatever rate-limit headers CORS lets through from the response, and the real token
 * usage from the data, to settle the estimate.
 */
async function chat(body, signal) {
  const response = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  return { data: await response.json(), response };
}

function showStats(limiter, started) {
  const s = limiter.stats();
  const rpm = s.budgets.requestsPerMinute;
  statsBox.textContent =
    `${((performance.now() - started) / 1000).toFixed(1)} s · running ${s.inFlight} · waiting ${s.queued + s.backingOff} · ` +
    `done ${s.completed} · failed ${s.failed} · retried ${s.retried} · requests left this minute ${rpm ? Math.floor(rpm.available) : '∞'}`;
}

async function runBatch({ n, concurrent, rpm }) {
  const limiter = new Limiter({ maxConcurrent: concurrent, requestsPerMinute: rpm });
  const started = performance.now();
  // Shown as it happens: a 429 pauses the whole limiter once, for the Retry-After.
  limiter.on('gateclosed', ({ delayMs }) => (statsBox.textContent = `rate limited: waiting ${delayMs} ms`));
  let running = 0;
  let peak = 0;
  list.replaceChildren();
  const jobs = Array.from({ length: n }, (_, i) => {
    const item = document.createElement('li');
    item.textContent = `#${i + 1} waiting`;
    list.append(item);
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `Give me fact number ${i + 1} about rivers.` }],
      max_tokens: 64,
    };
    return limiter
      .schedule(
        async ({ signal }) => {
          running += 1;
          peak = Math.max(peak, running);
          item.className = 'running';
          item.textContent = `#${i + 1} running`;
          try {
            return await chat(body, signal);
          } finally {
            running -= 1;
          }
        },
        estimateOpenAI(body),
      )
      .then(
        ({ data, response }) => {
          if (!response.ok) throw new Error(`${response.status}: ${data.error?.message ?? 'failed'}`);
          item.className = 'done';
          item.textContent = `#${i + 1} ${data.usage.completion_tokens} tokens`;
          return { ok: true, tokens: data.usage.completion_tokens };
        },
      )
      .catch((error) => {
        item.className = 'failed';
        item.textContent = `#${i + 1} ${error.message}`;
        return { ok: false, error: error.message };
      })
      .finally(() => showStats(limiter, started));
  });
  showStats(limiter, started);
  const results = await Promise.all(jobs);
  return { results, peak, stats: limiter.stats() };
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const options = Object.fromEntries(['n', 'concurrent', 'rpm'].map((k) => [k, Number(data.get(k))]));
  form.querySelector('button').disabled = true;
  try {
    window.batchResult = await runBatch(options);
  } catch (e) {
    window.batchResult = { error: String(e) };
    statsBox.textContent = String(e);
  } finally {
    form.querySelector('button').disabled = false;
  }
});

const params = new URLSearchParams(location.search);
for (const name of ['n', 'concurrent', 'rpm']) if (params.has(name)) form.elements[name].value = params.get(name);
if (params.get('auto') === '1') form.requestSubmit();
