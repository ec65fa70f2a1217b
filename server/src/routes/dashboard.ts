// /dashboard: the operator's dashboard, static files (dashboard/), the charting library (uPlot) and the phone number
// formatter (libphonenumber-js) from their packages, all from this origin. The page holds no data: it asks the operator API with the admin token.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const here = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const require = createRequire(import.meta.url);
const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
// Numbers in each country's own format (libphonenumber-js): its browser bundle is not in the package's exports.
const phones = join(dirname(require.resolve('libphonenumber-js/package.json')), 'bundle');

/** Nothing from another origin, no inline script, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const HEADERS = { 'content-security-policy': CSP, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };

export default async function dashboard(fastify: FastifyInstance, { demo = false }: { demo?: boolean }): Promise<void> {
  // The page asks the demo for its admin token only where the demo hands it out: a production dashboard makes no
  // request that fails.
  const page = readFileSync(`${here}index.html`, 'utf8').replace('<html lang="en">', demo ? '<html lang="en" data-demo>' : '<html lang="en">');
  fastify.get('/dashboard', (_request, reply) => reply.redirect('/dashboard/'));
  fastify.get('/dashboard/', (_request, reply) => reply.headers(HEADERS).type('text/html; charset=utf-8').send(page));
  await fastify.register(fastifyStatic, {
    root: [here, uplot, phones],
    prefix: '/dashboard/',
    index: false,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (res) => {
      for (const [name, value] of Object.entries(HEADERS)) res.setHeader(name, value);
    },
  });
}
