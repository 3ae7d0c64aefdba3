// The three ways to send the batch (lanes.js names them), each against its own copy of the
// provider. Each returns { outcomes, limits }: a promise per job that resolves true when the
// job succeeded, false when it was given up; and what the client believes the limits are.
import pLimit from 'p-limit';
import { Limiter } from 'sluice';
import { estimateOpenAI } from 'sluice/estimate';
import { withSdkRetries } from './sdk-retry.js';

const ENDPOINT = 'https://api.openai.com/v1/chat/completions';

/** One attempt: a POST of the job's body, streamed when asked. */
function send(provider, job, streaming, signal) {
  const body = streaming ? { ...job.body, stream: true, stream_options: { include_usage: true } } : job.body;
  return provider.fetch(ENDPOINT, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

/** Reads an answer: the JSON body, or the whole stream (the usage comes in its last chunk). */
async function read(response) {
  if (!response.ok || !response.body) return { response, usage: (await response.json())?.usage ?? null };
  let usage = null;
  for await (const chunk of response.body) if (chunk.usage) usage = chunk.usage;
  return { response, usage };
}

/** Every job at once, each retrying on its own as the SDK does. */
function naive({ jobs, provider, streaming, random }) {
  const outcomes = jobs.map(async (job) => (await withSdkRetries(() => send(provider, job, streaming), random).then(read)).response.ok);
  return { outcomes, limits: () => null };
}

/** At most `concurrency` jobs at once (the real p-limit), each retrying on its own as the SDK does. */
function plimit({ jobs, provider, streaming, random, concurrency }) {
  const limit = pLimit(concurrency);
  const outcomes = jobs.map((job) => limit(async () => (await withSdkRetries(() => send(provider, job, streaming), random).then(read)).response.ok));
  return { outcomes, limits: () => null };
}

/**
 * The real sluice package: given the concurrency guess and the limits (or, limits unknown, the
 * guess alone: it learns the limits from the x-ratelimit-* headers), with the SDK's retries off.
 */
function sluice({ jobs, provider, streaming, concurrency, limits, limitsUnknown, seed }) {
  const limiter = new Limiter({
    maxConcurrent: concurrency,
    ...(limitsUnknown ? {} : { requestsPerMinute: limits.rpm, tokensPerMinute: limits.tpm }),
    seed,
  });
  const outcomes = jobs.map((job) =>
    limiter
      .schedule(
        async (ctx) => {
          const response = await send(provider, job, streaming, ctx.signal);
          if (!streaming || !response.ok) return { data: await response.json(), response };
          const { usage } = await read(response);
          // A method of ctx: called on it, not destructured.
          ctx.reportUsage({ inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });
          return { response };
        },
        { ...estimateOpenAI(job.body), key: job.tenant },
      )
      .then(({ response }) => response.ok, () => false),
  );
  const believed = () => {
    const { budgets } = limiter.stats();
    const rpm = budgets.requestsPerMinute;
    const tpm = budgets.tokensPerMinute;
    return { rpm: rpm?.limit ?? null, tpm: tpm?.limit ?? null, learned: Boolean(rpm?.learned || tpm?.learned) };
  };
  return { outcomes, limits: believed };
}

export const RUNNERS = { naive, plimit, sluice };
