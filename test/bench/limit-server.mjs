// The limit the pool server is measured against: a minimal node:http server that reads and parses the same JSON
// body and answers a JSON of the same size as the pool server's answer (a lease, a heartbeat), or 204 for a
// release. Everything the pool server does beyond this (routing, validation, CORS, rate limits, logs, the store) is
// what the ratio measures. Run: PORT=… node test/bench/limit-server.mjs
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const LEASE = (session, target) => JSON.stringify({ session, numbers: { [target]: '+442079461234' }, ttl: 1800, heartbeat: 60 });

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method == 'DELETE') return res.writeHead(204).end();
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad_json"}');
    }
    const answer = req.url.endsWith('/heartbeat') ? JSON.stringify({ ttl: 1800 }) : LEASE(randomBytes(16).toString('base64url'), String(body?.targets?.[0]));
    res.writeHead(req.url.endsWith('/heartbeat') ? 200 : 201, { 'content-type': 'application/json; charset=utf-8' }).end(body && answer);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
