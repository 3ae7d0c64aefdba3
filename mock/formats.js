// How the providers write times in their rate-limit headers.

/**
 * A duration the way Go's time.Duration prints it, as OpenAI's x-ratelimit-reset-* do:
 * `0s`, `120ms`, `1s`, `6.5s`, `1m30.5s`, `6m0s`, `1h0m0s`. Rounded up to the millisecond,
 * so a client never reads a wait shorter than the real one.
 */
export function goDuration(ms) {
  const total = Math.ceil(ms);
  if (total <= 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  // Seconds with up to three decimals and no trailing zeros: 30500 -> "30.5", 0 -> "0".
  const seconds = `${Math.floor(millis / 1000)}${millis % 1000 ? `.${String(millis % 1000).padStart(3, '0')}`.replace(/0+$/, '') : ''}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** An RFC 3339 UTC timestamp with milliseconds, as Anthropic's anthropic-ratelimit-*-reset. */
export function rfc3339(epochMs) {
  return new Date(Math.ceil(epochMs)).toISOString();
}
