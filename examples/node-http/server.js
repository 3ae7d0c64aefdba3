// A node:http server that answers through one shared limiter, and cancels a request's job when
// its client goes away: a queued job leaves the queue, a running call is aborted (its upstream
// request too), so a client that hung up costs nothing more.
import { createServer } from 'node:http';

/** The server: each request's body is sent on to `upstream` (a URL) through `limiter`. */
export function limitedServer(limiter, upstream) {
  return createServer(async (req, res) => {
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('the client went away'));
    });
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const answer = await limiter.schedule(
        ({ signal }) => fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal }),
        { signal: gone.signal },
      );
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    } catch (error) {
      if (gone.signal.aborted) return; // nobody to answer
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    }
  });
}
