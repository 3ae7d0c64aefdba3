// What the official SDKs do on their own when a call fails (openai-node's client.js, mirrored
// here so that the page needs no SDK): up to `maxRetries` (2) more attempts on 408, 409, 429
// and 5xx, unless `x-should-retry` says otherwise; each waits `retry-after-ms`, else
// `retry-after` (seconds or an HTTP date), else min(0.5 × 2^n, 8) s less up to 25 % jitter.
// Every call does this on its own: that is the thundering herd.

export const SDK_MAX_RETRIES = 2;

function shouldRetry(response) {
  const header = response.headers.get('x-should-retry');
  if (header === 'true') return true;
  if (header === 'false') return false;
  return response.status === 408 || response.status === 409 || response.status === 429 || response.status >= 500;
}

/** The wait before retry number `retry` (0-based) after `response`, as openai-node computes it. */
export function sdkRetryDelayMs(response, retry, random) {
  let ms;
  const msHeader = response.headers.get('retry-after-ms');
  if (msHeader && !Number.isNaN(parseFloat(msHeader))) ms = parseFloat(msHeader);
  const header = response.headers.get('retry-after');
  if (header && !ms) {
    const seconds = parseFloat(header);
    ms = Number.isNaN(seconds) ? Date.parse(header) - Date.now() : seconds * 1000;
  }
  return ms ?? Math.min(0.5 * 2 ** retry, 8) * (1 - random() * 0.25) * 1000;
}

/** Sends with `send()` until it succeeds, cannot be retried, or the retries are spent; returns the last response. */
export async function withSdkRetries(send, random) {
  for (let retry = 0; ; retry++) {
    const response = await send();
    if (response.ok || retry === SDK_MAX_RETRIES || !shouldRetry(response)) return response;
    await new Promise((resolve) => setTimeout(resolve, sdkRetryDelayMs(response, retry, random)));
  }
}
