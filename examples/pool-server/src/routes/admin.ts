// The operator API: calls and stats. Every route here needs `Authorization: Bearer <ADMIN_TOKEN>`; without a token
// configured they answer 401 to everyone. No CORS: browsers on other origins cannot read these answers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ref } from './openapi.js';

const SITE = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$' };

export default async function admin(fastify: FastifyInstance): Promise<void> {
  const { pool } = fastify;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = fastify.adminToken ? digest(`Bearer ${fastify.adminToken}`) : undefined;

  fastify.addHook('onRequest', async (request, reply) => {
    // Compared as digests: equal lengths, and no timing hint about the token.
    if (!expected || !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: expected ? 'a valid "Authorization: Bearer <token>" header is required' : 'the admin API is off: ADMIN_TOKEN is not set' });
    }
  });

  fastify.get<{ Querystring: { site?: string; limit?: string } }>(
    '/calls',
    {
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { site: SITE, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } } },
        response: { 200: { type: 'array', items: ref('Call') }, '4xx': ref('Error') },
      },
    },
    async (request) => pool.listCalls({ site: request.query.site, limit: Math.min(Number(request.query.limit ?? 200), 1000) }),
  );

  fastify.post<{ Body: { to: string; from?: string; at?: string; duration?: number; status?: string } }>(
    '/calls',
    { schema: { body: ref('CallRequest'), response: { 201: ref('Call'), '4xx': ref('Error') } } },
    async (request, reply) => {
      const { at, ...rest } = request.body;
      const call = await pool.recordCall({ ...rest, ...(at && { at: Date.parse(at) }) });
      request.log.info({ reqId: request.id, site: call.site, channel: call.source?.channel, attributed: !!call.session }, 'call');
      return reply.code(201).send(call);
    },
  );

  fastify.get<{ Querystring: { site: string } }>(
    '/stats',
    { schema: { querystring: { type: 'object', required: ['site'], additionalProperties: false, properties: { site: SITE } }, response: { 200: ref('Stats'), '4xx': ref('Error') } } },
    async (request, reply) => (await pool.stats(request.query.site)) ?? reply.code(404).send({ error: 'unknown_site', message: `no site "${request.query.site}"` }),
  );
}
