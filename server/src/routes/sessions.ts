// The public protocol (openapi.json): leases, heartbeats, events and releases, called by browsers on any site the
// config lists. Origins per site: a request from an Origin that is neither the server's own nor listed for the site
// is refused with 403 before it touches the pool — a refusal the page can read (CORS headers come with every answer
// of the public API, see app.ts), so the SDK can say which origin to add where, and the server logs it once an hour.
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientKey } from '../net.js';
import type { LeaseRequest } from '../pool.js';
import type { Touched } from '../store/store.js';
import { ref, unknownSite } from './openapi.js';
import { hourly } from '../log.js';

const session = { type: 'object', required: ['session'], properties: { session: ref('SessionId') } };

/**
 * The pool's first-party cookie: when the pool is reached on the site's own origin (an endpoint such as /v1 that
 * the site's server proxies), it keeps a visit attributed after the page's own storage is gone (Safari deletes what
 * scripts store after 7 days without a visit). HttpOnly: no script of the page reads it. A pool on another origin
 * sets it too, and the browser keeps none: the SDK sends credentials to its own origin only.
 */
export const VISITOR_COOKIE = '_callswap_id';

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

  /** One warning per origin and site an hour: a setup mistake shows in the log without filling it. */
  const warn = hourly();

  const forbidden = (request: FastifyRequest, reply: FastifyReply, site?: string) => {
    const origin = String(request.headers.origin).slice(0, 200);
    if (site) warn(`${origin} ${site}`, () => request.log.warn({ reqId: request.id, origin, site }, `origin ${origin} is not allowed for site "${site}": add it to "allowedOrigins"`));
    return reply.code(403).send({ error: 'forbidden', message: `requests from ${origin} are not allowed for ${site ? `site "${site}"` : 'this site'}: add the origin to the site's "allowedOrigins"` });
  };

  const answer = (request: FastifyRequest, reply: FastifyReply, touched: Touched, ok: () => unknown) =>
    touched == 'unknown'
      ? reply.code(404).send({ error: 'unknown_session' })
      : touched == 'gone'
        ? reply.code(410).send({ error: 'gone', message: 'the lease ended' })
        : touched == 'forbidden'
          ? forbidden(request, reply)
          : ok();

  await fastify.register(cookie);
  const cookieOptions = (request: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: request.protocol == 'https' });

  // Page events come as text/plain JSON: a simple request, no CORS preflight.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, fastify.getDefaultJsonParser('error', 'error'));

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
      const result = await pool.lease(request.body, clientKey(request.ip), allowedSites(request), request.cookies[VISITOR_COOKIE]);
      if ('lease' in result) {
        if (result.cookie) reply.setCookie(VISITOR_COOKIE, result.cookie.id, { ...cookieOptions(request), maxAge: result.cookie.maxAge });
        const held = Object.keys(result.lease.numbers).length;
        request.log.info({ reqId: request.id, site: request.body.site, channel: request.body.source.channel, numbers: held, none: request.body.targets.length - held }, 'lease');
        return reply.code(201).send(result.lease);
      }
      if (result.error == 'forbidden') return forbidden(request, reply, request.body.site);
      if (result.error == 'unknown_site') {
        const site = request.body.site;
        warn(`site ${site}`, () => request.log.warn({ reqId: request.id, site, origin: request.headers.origin?.slice(0, 200) }, `a lease for site "${site}", which the config does not list`));
        return unknownSite(reply, site);
      }
      // The store lost its pools and is putting them back: come back in a moment, rather than a lease without numbers.
      if (result.error == 'unavailable') return reply.code(503).header('retry-after', 5).send({ error: 'unavailable', message: 'the pool store is being restored' });
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
      const result = await pool.release(request.params.session, allowedSites(request), request.cookies[VISITOR_COOKIE]);
      if (typeof result == 'object') {
        request.log.info({ reqId: request.id, site: result.site }, 'release');
        // Consent withdrawn: the cookie goes too.
        if (request.cookies[VISITOR_COOKIE]) reply.clearCookie(VISITOR_COOKIE, cookieOptions(request));
      }
      // Releasing a lease that already ended is done too.
      return answer(request, reply, result == 'gone' ? { site: '', until: 0 } : result, () => reply.code(204).send());
    },
  );
}
