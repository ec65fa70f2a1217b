// The demo's files (the example site, dist/), served only when asked for (DEMO=1 or STATIC): the production server
// serves the API and nothing else.
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { isLoopback } from '../net.js';

export interface DemoOptions {
  /** URL prefix → directory. */
  statics: [prefix: string, dir: string][];
  /**
   * Hands the admin token to the demo's own pages (`npm start` on this machine), so nobody types it. Only when the
   * server listens on loopback (main.ts), and only to loopback clients.
   */
  shareToken?: boolean;
}

export default async function demo(fastify: FastifyInstance, { statics, shareToken }: DemoOptions): Promise<void> {
  // Directories under one prefix are tried in order (the demo site, then the repository behind it).
  const byPrefix = new Map<string, string[]>();
  for (const [prefix, dir] of statics) byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), resolve(dir)]);
  [...byPrefix].forEach(([prefix, roots], i) =>
    fastify.register(fastifyStatic, {
      root: roots.length == 1 ? roots[0]! : roots,
      prefix,
      decorateReply: i == 0,
      cacheControl: false,
      etag: false,
      lastModified: false,
      setHeaders: (res) => {
        res.setHeader('cache-control', 'no-store');
      },
    }),
  );
  // Browsers ask for one; the demo has none.
  fastify.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  if (shareToken) {
    // Only to the demo's own pages on this machine: the connection's own address is loopback (never a forwarded
    // one), a page elsewhere cannot read it (no CORS), and the fetch metadata a browser sends says it is same-origin.
    fastify.get('/demo/token', async (request, reply) =>
      isLoopback(request.socket.remoteAddress) && request.headers['sec-fetch-site'] == 'same-origin' ? { token: fastify.adminToken } : reply.code(403).send({ error: 'forbidden' }),
    );
  }
}
