// /v1/conversions.csv (operator API): the calls of a site as an ad platform's offline conversion import file.
import type { FastifyInstance } from 'fastify';
import { CONVERSION } from '../config.js';
import { conversionFile, type Provider } from '../conversions.js';
import { adminOnly, SITE } from './auth.js';
import { unknownSite } from './openapi.js';

const DAY = 86_400_000;

interface Query {
  site: string;
  provider?: Provider;
  name?: string;
  minDuration?: string;
  since?: string;
}

export default async function conversions(fastify: FastifyInstance): Promise<void> {
  const { pool } = fastify;
  fastify.addHook('onRequest', adminOnly(fastify));

  fastify.get<{ Querystring: Query }>(
    '/conversions.csv',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['site'],
          additionalProperties: false,
          properties: {
            site: SITE,
            provider: { enum: ['google_ads', 'microsoft_ads'] },
            name: { type: 'string', minLength: 1, maxLength: 100 },
            minDuration: { type: 'string', pattern: '^[0-9]{1,5}$' },
            since: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    async (request, reply) => {
      const { site: id, provider = 'google_ads', name, minDuration, since } = request.query;
      const site = pool.sites.get(id);
      if (!site) return unknownSite(reply, id);
      const conversion = site.conversion;
      if (!name && !conversion) return reply.code(400).send({ error: 'invalid', message: `name the conversion: ?name=…, or "conversion" in the config of site "${id}"` });
      // Every call the retention keeps, from `since` on (default: the 90 days Google Ads takes clicks back).
      const calls = await pool.listCalls({ site: id, since: since ? Date.parse(since) : Date.now() - 90 * DAY, limit: 100_000 });
      const file = conversionFile(calls, {
        ...CONVERSION,
        ...conversion,
        provider,
        name: name ?? conversion!.name,
        minDuration: Number(minDuration ?? 0),
        timeZone: site.timeZone ?? '+0000',
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${id}-${provider}-conversions.csv"`)
        .send(file);
    },
  );
}
