// A tiny upstream on 127.0.0.1 that answers every request after `delayMs`, with the `i` of
// its query string, and counts how many it served and how many it served at once.
// `respond(i, nth)` may turn the nth request (0-based, over all) into an error: it returns
// `{ status, headers }`, or nothing for the usual 200.
import { createServer } from 'node:http';

export async function startUpstream({ delayMs = 50, respond = () => null } = {}) {
  const stats = { requests: 0, inFlight: 0, peakInFlight: 0, seen: [], times: [], closedEarly: 0 };
  const timers = new Set();
  const server = createServer((req, res) => {
    const i = new URL(req.url, 'http://upstream').searchParams.get('i');
    const nth = stats.requests;
    stats.requests += 1;
    stats.inFlight += 1;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    stats.seen.push(i);
    stats.times.push(performance.now());
    let done = false;
    res.on('close', () => {
      if (!done) {
        stats.closedEarly += 1;
        stats.inFlight -= 1;
        done = true;
      }
    });
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (done) return;
      done = true;
      stats.inFlight -= 1;
      const error = respond(i, nth);
      if (error) {
        res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
        res.end(JSON.stringify({ error: { message: 'upstream said no' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`answer-${i}`);
    }, delayMs);
    timers.add(timer);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
