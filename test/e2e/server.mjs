// Static server for the end-to-end tests: serves the repository (dist/, test/fixtures/, test/e2e/pages/) on
// loopback. `/concat/NAME.js?after=a.js,b.js` serves files concatenated, as a site's asset pipeline would.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.map': 'application/json' };
const port = Number(process.env.E2E_PORT || 4173);

const file = (path) => {
  const clean = normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, '');
  return readFile(root + clean.replace(/^\//, ''));
};

export const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (url.pathname == '/health') return res.end('ok');
    if (url.pathname == '/favicon.ico') return res.writeHead(204).end();
    let body;
    if (url.pathname.startsWith('/concat/')) {
      const parts = (url.searchParams.get('files') || '').split(',');
      body = Buffer.concat(await Promise.all(parts.map(file)));
    } else {
      body = await file(url.pathname == '/' ? '/test/e2e/pages/index.html' : url.pathname);
    }
    res.writeHead(200, { 'content-type': TYPES[extname(url.pathname)] || 'text/plain', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});

if (import.meta.url == `file://${process.argv[1]}`) server.listen(port, '127.0.0.1');
