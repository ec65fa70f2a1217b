// /v1/report (operator API): what the dashboard shows for a site and a time range. See src/report.ts.
import type { FastifyInstance } from 'fastify';
import { report, type Range } from '../report.js';
import { adminOnly, SITE } from './auth.js';
import { unknownSite } from './openapi.js';

export default async function reports(fastify: FastifyInstance): Promise<void> {
  const { pool, store, config } = fastify;
  fastify.addHook('onRequest', adminOnly(fastify));

  fastify.get<{ Querystring: { site: string; range?: Range } }>(
    '/report',
    {
      schema: {
        querystring: { type: 'object', required: ['site'], additionalProperties: false, properties: { site: SITE, range: { enum: ['24h', '7d', '30d'] } } },
      },
    },
    async (request, reply) => {
      const { site, range = '24h' } = request.query;
      if (!pool.sites.has(site)) return unknownSite(reply, site);
      return report(pool, store, site, range, config.ttl);
    },
  );
}
