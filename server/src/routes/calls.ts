// /v1/calls (operator API): calls recorded by hand or by a telephony integration, and the list of recent ones.
import type { FastifyInstance } from 'fastify';
import { adminOnly, SITE } from './auth.js';
import { outcome } from '../conversions.js';
import { ref } from './openapi.js';

export default async function calls(fastify: FastifyInstance): Promise<void> {
  const { pool } = fastify;
  fastify.addHook('onRequest', adminOnly(fastify));

  fastify.get<{ Querystring: { site?: string; limit?: string } }>(
    '/calls',
    {
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { site: SITE, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } } },
        response: { 200: { type: 'array', items: ref('Call') }, '4xx': ref('Error') },
      },
    },
    async (request) => (await pool.listCalls({ site: request.query.site, limit: Math.min(Number(request.query.limit ?? 200), 1000) })).map((call) => ({ ...call, outcome: outcome(call) })),
  );

  fastify.post<{ Body: { to: string; from?: string; at?: string; duration?: number; status?: string; answered?: boolean } }>(
    '/calls',
    { schema: { body: ref('CallRequest'), response: { 201: ref('Call'), '4xx': ref('Error') } } },
    async (request, reply) => {
      const { at, ...rest } = request.body;
      const call = await pool.recordCall({ ...rest, ...(at && { at: Date.parse(at) }) });
      request.log.info({ reqId: request.id, site: call.site, channel: call.source?.channel, attributed: !!call.session }, 'call');
      await fastify.ga4.consider(call);
      return reply.code(201).send((await fastify.store.getCall(call.id)) ?? call);
    },
  );
}
