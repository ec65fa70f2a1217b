// /v1/report (operator API): what the dashboard shows for a site and a period. See src/report.ts.
import type { FastifyInstance } from 'fastify';
import { zoneOf } from '../conversions.js';
import { periodOf, PRESETS, report, type Range } from '../report.js';
import { adminOnly, SITE } from './auth.js';
import { unknownSite } from './openapi.js';

const DAY = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' };

export default async function reports(fastify: FastifyInstance): Promise<void> {
  const { pool, store, config } = fastify;
  fastify.addHook('onRequest', adminOnly(fastify));

  fastify.get<{ Querystring: { site: string; range?: Range; from?: string; to?: string; callers?: '0' | '1' } }>(
    '/report',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['site'],
          additionalProperties: false,
          properties: { site: SITE, range: { enum: Object.keys(PRESETS) }, from: DAY, to: DAY, callers: { enum: ['0', '1'] } },
        },
      },
    },
    async (request, reply) => {
      const { site } = request.query;
      const siteConfig = pool.sites.get(site);
      if (!siteConfig) return unknownSite(reply, site);
      const period = periodOf(request.query, await store.now(), zoneOf(siteConfig));
      if (typeof period == 'string') return reply.code(400).send({ error: 'bad_request', message: period });
      return report(pool, store, site, period, siteConfig, config.ttl, request.query.callers == '1');
    },
  );
}
