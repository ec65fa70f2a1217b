// The pool server: one Fastify instance, a plugin per concern, each in src/routes/ named after its URLs'
// first segment after /v1 (sessions, calls, stats, conversions, telephony, report, sites; health, dashboard and demo
// outside the API), the store as a decoration. Cross-cutting concerns are hooks or official plugins: CORS
// (@fastify/cors, public API only), rate limits (@fastify/rate-limit, in Redis when there is one), request ids and
// pino logs that hold no phone number, visitor id or full IP.
import { randomBytes } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { PoolConfig } from './config.js';
import { clientKey, maskIp } from './net.js';
import { createGa4, type Ga4 } from './ga4.js';
import { createPool, type PoolLogic } from './pool.js';
import calls from './routes/calls.js';
import conversions from './routes/conversions.js';
import dashboard from './routes/dashboard.js';
import demo, { type DemoOptions } from './routes/demo.js';
import health from './routes/health.js';
import { addSchemas } from './routes/openapi.js';
import reports from './routes/report.js';
import sessions from './routes/sessions.js';
import sites from './routes/sites.js';
import stats from './routes/stats.js';
import telephony from './routes/telephony.js';
import type { Store } from './store/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: PoolConfig;
    store: Store;
    pool: PoolLogic;
    adminToken: string | undefined;
    /** The server's public URL and origin (PUBLIC_URL) when it sits behind a proxy; else each request's own. */
    publicUrl: string | undefined;
    publicOrigin: string | undefined;
    /** True once SIGTERM came: /ready says 503 so a load balancer stops sending requests. */
    stopping: boolean;
    /** Answered calls into Google Analytics 4 (sites with `ga4`). */
    ga4: Ga4;
  }
}

export interface ServerOptions {
  config: PoolConfig;
  store: Store;
  /** Shared by the rate limiter when the pool is in Redis, so limits hold across processes. */
  redis?: Redis;
  /** The operator API's bearer token; without one the operator API answers 401 to everyone. */
  adminToken?: string;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For to believe (TRUST_PROXY). */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** The public URL when behind a proxy (PUBLIC_URL): its origin counts as the server's own, and Twilio signs it. */
  publicUrl?: string;
  /** TWILIO_AUTH_TOKEN: verifies Twilio's webhooks; without it they are refused. */
  twilioAuthToken?: string;
  /** Where GA4 events go (GA4_ENDPOINT): Google's Measurement Protocol unless a test names its stand-in. */
  ga4Endpoint?: string;
  demo?: DemoOptions;
  /** pino options, or false for no logs. */
  logger?: FastifyServerOptions['logger'];
}

/**
 * Paths whose answers no other origin may read: the operator API, the dashboard, the demo's token and operations.
 * Everything else — the public API, and any path the server does not know — answers with CORS headers for the
 * page's origin, so a page can read a refusal (403 for an origin not allowed, 404 for a wrong endpoint) and say
 * what to change; whether the page may use a site is decided per site in routes/sessions.ts, never by CORS.
 */
const PRIVATE = /^\/(v1\/(calls|calls\.csv|stats|conversions\.csv|report|sites|telephony)|dashboard|demo|health|ready)(\/|\?|$)/;

/** Bodies larger than this are refused (413): no pool request comes near it. */
export const BODY_LIMIT = 16_384;
/** How often ended sessions, old calls and old counters are dropped (ms). */
const SWEEP_EVERY = 60_000;

/** Error codes of the JSON errors, for what Fastify itself refuses. */
const CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

/** The server, ready to listen: `await (await createServer(options)).listen(…)`. */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  if (options.twilioAuthToken && !options.publicUrl) throw new Error('twilioAuthToken needs publicUrl: Twilio signs the public URL of each webhook');
  const idPrefix = randomBytes(3).toString('base64url');
  let requests = 0;
  const fastify = Fastify({
    logger: options.logger ?? false,
    // Fastify's own two lines per request are off (see the onResponse hook), and requests log through the server's
    // logger itself: a child logger per request costs a fifth of a heartbeat's time. Lines name their request id.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    // Unique per process and cheap: a random prefix and a counter.
    genReqId: () => `${idPrefix}${(requests++).toString(36)}`,
    bodyLimit: BODY_LIMIT,
    trustProxy: options.trustProxy ?? false,
    forceCloseConnections: 'idle',
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: 256 },
    // Bodies are checked as they are (no type coercion); a field a schema does not list is dropped before anything
    // reads it, so nothing unknown is stored (a newer SDK's fields reach an older server as nothing).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false } },
    frameworkErrors: (_error, _request, reply) => {
      reply.code(400 as never).send({ error: 'bad_url', message: 'the request target is not a valid URL' } as never);
    },
  });

  fastify.decorate('config', config);
  fastify.decorate('store', store);
  fastify.decorate('pool', createPool(config, store));
  fastify.decorate('adminToken', options.adminToken || undefined);
  fastify.decorate('publicUrl', options.publicUrl);
  fastify.decorate('publicOrigin', options.publicUrl ? new URL(options.publicUrl).origin : undefined);
  fastify.decorate('stopping', false);
  const ga4 = createGa4({ config, store, log: fastify.log, endpoint: options.ga4Endpoint });
  fastify.decorate('ga4', ga4);
  fastify.addHook('onClose', async () => ga4.stop());
  addSchemas(fastify);

  // Hooks in callback style: they run on every request, and a promise each costs measurably.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('access-control-expose-headers', 'retry-after');
    // Stopping: clients open a new connection (to another process) for their next request.
    if (fastify.stopping) reply.header('connection', 'close');
    done();
  });
  // A line per request at debug level (LOG_LEVEL=debug): no query string (it could hold anything), the address
  // masked. At info the pool logs what changes it: leases, releases and calls (src/pool.ts), and errors.
  if ((fastify.log as unknown as { isLevelEnabled?(level: string): boolean }).isLevelEnabled?.('debug')) {
    fastify.addHook('onResponse', (request, reply, done) => {
      request.log.debug(
        { reqId: request.id, method: request.method, path: request.url.split('?')[0]!.slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: maskIp(request.ip) },
        'request',
      );
      done();
    });
  }

  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.validation) return reply.code(400).send({ error: 'invalid', message: `${error.validationContext ?? 'request'}${error.message.replace(/^(body|params|querystring)/, '')}` });
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: CODES[error.code] ?? (status == 429 ? 'rate_limited' : 'bad_request'), message: error.message });
    // The store is away (Redis down): the client should come back later, the pool is not broken.
    const away = await store.ping().then(
      () => false,
      () => true,
    );
    if (away) return reply.code(503).header('retry-after', 5).send({ error: 'unavailable', message: 'the pool store does not answer' });
    request.log.error({ reqId: request.id, err: { type: error.name, message: error.message, stack: error.stack } }, 'internal error');
    return reply.code(500).send({ error: 'internal' });
  });

  // Before the rate limiter: a 429 carries CORS headers too, so the page reads its Retry-After.
  const open = { origin: true, methods: ['POST', 'DELETE'], allowedHeaders: ['content-type'], exposedHeaders: ['retry-after'], maxAge: 600 };
  await fastify.register(cors, { delegator: (request, callback) => callback(null, PRIVATE.test(request.url) ? { origin: false } : open) });

  await fastify.register(rateLimit, {
    global: true,
    max: config.rateLimit.perIp,
    timeWindow: config.rateLimit.windowSeconds * 1000,
    redis: options.redis,
    nameSpace: 'callswap:rate:',
    // IPv4 addresses as they are, without the IPv6 parser's cost on every request.
    keyGenerator: (request) => clientKey(request.ip),
    skipOnError: true,
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': true },
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests: retry in ${context.after}`), { statusCode: context.statusCode }),
  });
  fastify.setNotFoundHandler({ preHandler: fastify.rateLimit() }, (_request, reply) => reply.code(404).send({ error: 'not_found' }));

  await fastify.register(health);
  await fastify.register(sessions, { prefix: '/v1/sessions' });
  await fastify.register(calls, { prefix: '/v1' });
  await fastify.register(stats, { prefix: '/v1' });
  await fastify.register(conversions, { prefix: '/v1' });
  await fastify.register(reports, { prefix: '/v1' });
  await fastify.register(sites, { prefix: '/v1' });
  await fastify.register(dashboard, { demo: !!options.demo?.shareToken });
  await fastify.register(telephony, { prefix: '/v1/telephony', twilioAuthToken: options.twilioAuthToken });
  if (options.demo) await fastify.register(demo, options.demo);

  await fastify.pool.sync();
  // Once a minute: ended sessions and old calls dropped, the pools sampled for the dashboard's pool health.
  const tick = () =>
    Promise.all([fastify.pool.sweep(), fastify.pool.sample()]).catch((e: Error) => fastify.log.warn({ err: { message: e.message } }, 'sweep or sample failed'));
  void tick();
  const ticker = setInterval(tick, SWEEP_EVERY);
  ticker.unref();
  fastify.addHook('onClose', async () => clearInterval(ticker));
  return fastify;
}
