// A tiny upstream on 127.0.0.1 that answers every request after `delayMs`, with the `i` of
// its query string, and counts how many it served and how many it served at once.
import { createServer } from 'node:http';

export async function startUpstream({ delayMs = 50 } = {}) {
  const stats = { requests: 0, inFlight: 0, peakInFlight: 0, seen: [] };
  const timers = new Set();
  const server = createServer((req, res) => {
    const i = new URL(req.url, 'http://upstream').searchParams.get('i');
    stats.requests += 1;
    stats.inFlight += 1;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    stats.seen.push(i);
    const timer = setTimeout(() => {
      timers.delete(timer);
      stats.inFlight -= 1;
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
