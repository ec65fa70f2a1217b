// /dashboard: the operator's dashboard, static files (dashboard/) and the charting library (uPlot, from the
// package), all from this origin. The page holds no data: it asks the operator API with the admin token.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const here = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

/** Nothing from another origin, no inline script, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

export default async function dashboard(fastify: FastifyInstance): Promise<void> {
  fastify.get('/dashboard', (_request, reply) => reply.redirect('/dashboard/'));
  await fastify.register(fastifyStatic, {
    root: [here, uplot],
    prefix: '/dashboard/',
    decorateReply: false,
    cacheControl: false,
    setHeaders: (res) => {
      res.header('content-security-policy', CSP);
      res.header('cache-control', 'no-cache');
      res.header('x-content-type-options', 'nosniff');
    },
  });
}
