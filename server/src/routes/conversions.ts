// /v1/conversions.csv (operator API): the calls of a site as an ad platform's offline conversion import file.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { conversionWriter, csvLines, exportOptions, type Provider } from '../conversions.js';
import { adminOrExport, SITE } from './auth.js';
import { unknownSite } from './openapi.js';

const DAY = 86_400_000;

interface Query {
  site: string;
  provider?: Provider;
  name?: string;
  minDuration?: string;
  since?: string;
  braids?: '0' | '1';
}

export default async function conversions(fastify: FastifyInstance): Promise<void> {
  const { pool, store } = fastify;
  // The admin token, or the site's read-only export credential as HTTP Basic (Google Ads' scheduled uploads).
  fastify.addHook('onRequest', adminOrExport(fastify));

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
            braids: { enum: ['0', '1'] },
          },
        },
      },
    },
    async (request, reply) => {
      const { site: id, provider = 'google_ads', name, minDuration, since, braids } = request.query;
      const site = pool.sites.get(id);
      if (!site) return unknownSite(reply, id);
      const conversion = site.conversion;
      if (!name && !conversion) return reply.code(400).send({ error: 'invalid', message: `name the conversion: ?name=…, or "conversion" in the config of site "${id}"` });
      const writer = conversionWriter({
        ...exportOptions(site, provider),
        name: name ?? conversion!.name,
        ...(minDuration != null && { minDuration: Number(minDuration) }),
        braids: braids == '1',
      });
      // Every call the retention keeps, from `since` on (default: the 90 days Google Ads takes clicks back), read and
      // written a batch at a time: other requests are answered between batches, and memory stays flat.
      const calls = store.eachCall({ site: id, since: since ? Date.parse(since) : Date.now() - 90 * DAY });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${id}-${provider}-conversions.csv"`)
        .send(Readable.from(csvLines(writer.header, calls, (call) => writer.row(call)), { objectMode: false }));
    },
  );
}
