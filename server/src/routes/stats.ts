// /v1/stats (operator API): sessions per channel, pool use, exhaustion, missing targets and vitals of a site.
import type { FastifyInstance } from 'fastify';
import { adminOnly, SITE } from './auth.js';
import { ref, unknownSite } from './openapi.js';

export default async function stats(fastify: FastifyInstance): Promise<void> {
  const { pool } = fastify;
  fastify.addHook('onRequest', adminOnly(fastify));

  fastify.get<{ Querystring: { site: string } }>(
    '/stats',
    { schema: { querystring: { type: 'object', required: ['site'], additionalProperties: false, properties: { site: SITE } }, response: { 200: ref('Stats'), '4xx': ref('Error') } } },
    async (request, reply) => (await pool.stats(request.query.site)) ?? unknownSite(reply, request.query.site),
  );
}
