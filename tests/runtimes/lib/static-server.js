// A static file server on 127.0.0.1 for the browser checks: serves the repo's files under a few
// prefixes (node_modules/sluice is the package, as an app would serve it), with the MIME types
// browsers insist on (application/wasm for streaming compilation), and can pass POSTs under a
// prefix on to another server, the way an app's backend proxies its LLM calls.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { root } from './paths.js';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
};

/**
 * @param {{ prefixes: string[], proxy?: { prefix: string, to: string } }} options
 *   `prefixes`: URL path prefixes served from the repo; `proxy`: POSTs under `prefix` go to `to`.
 */
export async function startStaticServer({ prefixes, proxy }) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://static');
    if (proxy && req.method === 'POST' && url.pathname.startsWith(proxy.prefix)) {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      // The answer passes through as it comes (a stream of server-sent events chunk by chunk);
      // a page that goes away closes the upstream request too.
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const upstream = await fetch(new URL(url.pathname + url.search, proxy.to), {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: Buffer.concat(chunks),
        signal: gone.signal,
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      try {
        for await (const chunk of upstream.body) res.write(chunk);
      } catch {
        // the page went away mid-answer
      }
      res.end();
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const file = path.join(root, decodeURIComponent(url.pathname));
    const allowed = prefixes.some((p) => url.pathname.startsWith(p)) && file.startsWith(root);
    let stat = null;
    try {
      stat = allowed ? statSync(file) : null;
    } catch {
      // not found
    }
    if (!stat?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': stat.size });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
