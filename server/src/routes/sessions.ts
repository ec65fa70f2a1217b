// The public protocol (openapi.json): leases, heartbeats, events and releases, called by browsers on any site the
// config lists. CORS per site: a request from an Origin that is neither the server's own nor listed for the site
// is refused with 403 before it touches the pool.
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientKey } from '../net.js';
import type { LeaseRequest } from '../pool.js';
import type { Touched } from '../store/store.js';
import { ref, unknownSite } from './openapi.js';

const session = { type: 'object', required: ['session'], properties: { session: ref('SessionId') } };

export default async function sessions(fastify: FastifyInstance): Promise<void> {
  const { config, pool } = fastify;
  const fallback = config.allowedOrigins;
  /** Sites whose pages may come from an origin; '*' lists every origin. Remembered per origin (a few hundred). */
  const known = new Map<string, string[]>();
  const listed = (origin: string): string[] => {
    let sites = known.get(origin);
    if (!sites) {
      sites = [...pool.sites].filter(([, site]) => (site.allowedOrigins ?? fallback).some((o) => o == '*' || o == origin)).map(([id]) => id);
      if (known.size < 500) known.set(origin, sites);
    }
    return sites;
  };

  /** The sites this request may touch: undefined without an Origin or from the server's own. */
  const allowedSites = (request: FastifyRequest): string[] | undefined => {
    const origin = request.headers.origin;
    if (origin === undefined || origin == (fastify.publicOrigin ?? `${request.protocol}://${request.host}`)) return;
    return listed(origin);
  };

  const forbidden = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(403).send({ error: 'forbidden', message: `requests from ${request.headers.origin} are not allowed for this site` });

  const answer = (request: FastifyRequest, reply: FastifyReply, touched: Touched, ok: () => unknown) =>
    touched == 'unknown'
      ? reply.code(404).send({ error: 'unknown_session' })
      : touched == 'gone'
        ? reply.code(410).send({ error: 'gone', message: 'the lease ended' })
        : touched == 'forbidden'
          ? forbidden(request, reply)
          : ok();

  // Page events come as text/plain JSON: a simple request, no CORS preflight.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, fastify.getDefaultJsonParser('error', 'error'));
  // Any origin some site lists gets CORS headers; the per-site check refuses it for the other sites. A list, not a
  // function: @fastify/cors runs on every request, and a static list is the cheap way through it.
  const origins = [...pool.sites.values()].flatMap((site) => site.allowedOrigins ?? fallback);
  await fastify.register(cors, {
    origin: origins.includes('*') ? '*' : origins.length ? [...new Set(origins)] : false,
    methods: ['POST', 'DELETE'],
    allowedHeaders: ['content-type'],
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  });

  const perVisitor = fastify.createRateLimit({
    max: config.rateLimit.perVisitor,
    timeWindow: config.rateLimit.windowSeconds * 1000,
    keyGenerator: (request) => `visitor:${(request.body as LeaseRequest).visitor}`,
  });

  fastify.post<{ Body: LeaseRequest }>(
    '/',
    { schema: { body: ref('LeaseRequest'), response: { 201: ref('Lease'), '4xx': ref('Error') } } },
    async (request, reply) => {
      if (request.body.visitor) {
        const limit = await perVisitor(request);
        if (!limit.isAllowed && limit.isExceeded) return reply.code(429).header('retry-after', limit.ttlInSeconds).send({ error: 'rate_limited', message: 'too many leases for this visitor' });
      }
      const result = await pool.lease(request.body, clientKey(request.ip), allowedSites(request));
      if ('lease' in result) {
        const held = Object.keys(result.lease.numbers).length;
        request.log.info({ reqId: request.id, site: request.body.site, channel: request.body.source.channel, numbers: held, none: request.body.targets.length - held }, 'lease');
        return reply.code(201).send(result.lease);
      }
      if (result.error == 'forbidden') return forbidden(request, reply);
      if (result.error == 'unknown_site') return unknownSite(reply, request.body.site);
      if (result.error != 'rate_limited') return;
      return reply
        .code(429)
        .header('retry-after', result.retryAfter)
        .send({ error: 'rate_limited', message: `this address holds ${config.maxLeasesPerIp} live leases for the site` });
    },
  );

  fastify.post<{ Params: { session: string } }>(
    '/:session/heartbeat',
    { schema: { params: session, body: ref('HeartbeatRequest'), response: { 200: ref('Heartbeat'), '4xx': ref('Error') } } },
    async (request, reply) => answer(request, reply, await pool.heartbeat(request.params.session, allowedSites(request)), () => ({ ttl: config.ttl })),
  );

  fastify.post<{ Params: { session: string }; Body: { type: string; page: string } }>(
    '/:session/events',
    { schema: { params: session, body: ref('Event'), response: { '4xx': ref('Error') } } },
    async (request, reply) => {
      const result = await pool.event(request.params.session, request.body, allowedSites(request));
      return answer(request, reply, result == 'ok' ? { site: '', until: 0 } : result, () => reply.code(204).send());
    },
  );

  fastify.delete<{ Params: { session: string } }>(
    '/:session',
    { schema: { params: session, response: { '4xx': ref('Error') } } },
    async (request, reply) => {
      const result = await pool.release(request.params.session, allowedSites(request));
      if (typeof result == 'object') request.log.info({ reqId: request.id, site: result.site }, 'release');
      // Releasing a lease that already ended is done too.
      return answer(request, reply, result == 'gone' ? { site: '', until: 0 } : result, () => reply.code(204).send());
    },
  );
}
