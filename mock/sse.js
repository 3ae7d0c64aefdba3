// Answering a request as a stream of server-sent events (`stream: true`), in either dialect:
// the rate-limit headers first, the events one at a time with the answer's latency spread over
// them, and on request a fault mid-stream (an overload error event, a stall, a reset). It
// counts the streams open at once and the ones the client closed before their end.

/** One SSE event: an optional `event:` line, a `data:` line, a blank line. */
export function sseFrame([name, data]) {
  return `${name ? `event: ${name}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/**
 * Writes `events` to `res` as SSE. Waits `firstMs` before the first event and `perEventMs`
 * before each of the others (on the injected `sleep`). `fault`, when given, is
 * `{ after, kind }`: after `after` events, `'overloaded'` sends the dialect's error event and
 * ends, `'stall'` sends nothing more until the client goes, `'reset'` destroys the connection.
 * Resolves with the output tokens sent (the third item of each event) and whether the client
 * closed the stream early.
 */
export async function writeStream(res, { headers, events, end, error, fault, sleep, firstMs, perEventMs, counts }) {
  let clientGone = false;
  let onGone;
  const gone = new Promise((resolve) => (onGone = resolve));
  // A stream is open from its headers until its connection closes, however that happens (the
  // client may go while the mock waits between two events: counted then, not when it wakes).
  let open = true;
  const close = () => {
    if (open) counts.open -= 1;
    open = false;
  };
  res.on('close', () => {
    if (!res.writableFinished) clientGone = true;
    close();
    onGone();
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  res.flushHeaders();
  counts.open += 1;
  counts.peakOpen = Math.max(counts.peakOpen, counts.open);
  let tokens = 0;
  try {
    for (let i = 0; i <= events.length; i++) {
      if (fault && fault.after === i) {
        if (fault.kind === 'overloaded') res.write(sseFrame(error));
        if (fault.kind === 'stall') await gone;
        if (fault.kind === 'reset') res.destroy();
        break;
      }
      if (i === events.length) {
        if (end) res.write(sseFrame(end));
        break;
      }
      await sleep(i === 0 ? firstMs : perEventMs);
      if (clientGone || res.destroyed) break;
      res.write(sseFrame(events[i]));
      tokens += events[i][2] ?? 0;
    }
    if (!res.destroyed) res.end();
  } finally {
    close();
    if (clientGone) counts.closedByClient += 1;
  }
  return { tokens, clientGone };
}
