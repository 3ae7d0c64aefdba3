// Serves www/dist/ on 127.0.0.1 as any static file server would (the page needs nothing more),
// with the types browsers insist on: application/wasm for streaming compilation.
//   node www/serve.js [port]    (default 8080, else any free port; 0 for any free port)
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('./dist/', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.md': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

export function serve(port) {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://www');
    const file = path.join(dist, decodeURIComponent(pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    let stat = null;
    try {
      stat = file.startsWith(dist) ? statSync(file) : null;
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
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  // A port already taken: any free one, and the URL says which.
  const server = await serve(port).catch((e) => (e.code === 'EADDRINUSE' ? serve(0) : Promise.reject(e)));
  console.log(`serving www/dist/ at http://127.0.0.1:${server.address().port}/  (Ctrl-C stops)`);
}
