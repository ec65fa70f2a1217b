// /v1/calls (operator API): calls recorded by hand or by a telephony integration, and the list of recent ones.
import type { FastifyInstance } from 'fastify';
import { adminOnly, SITE } from './auth.js';
import { Readable } from 'node:stream';
import { answered, csvLines, field, formatTimeWithOffset, outcome, zoneOf } from '../conversions.js';
import type { Call } from '../store/store.js';
import { ref, unknownSite } from './openapi.js';

/** The calls file's columns, and each one's value for a call of a site in `zone`. */
const COLUMNS: [string, (call: Call, zone: string) => string | number][] = [
  ['Time', (c, zone) => formatTimeWithOffset(Date.parse(c.at), zone)],
  ['Tracking number', (c) => c.to],
  ['Site number', (c) => c.target ?? ''],
  ['Caller', (c) => c.from ?? ''],
  ['Caller from', (c) => [c.location?.city, c.location?.state, c.location?.country].filter(Boolean).join(', ')],
  ['Outcome', (c) => outcome(c)],
  // How long the business line talked: only for a call it answered.
  ['Talk seconds', (c) => answered(c) ?? ''],
  ['Call seconds', (c) => c.duration ?? ''],
  ['First-time caller', (c) => (c.repeat == null ? '' : c.repeat ? 'no' : 'yes')],
  ['Channel', (c) => c.source?.channel ?? ''],
  ['Source', (c) => c.source?.source ?? ''],
  ['Medium', (c) => c.source?.medium ?? ''],
  ['Campaign', (c) => c.source?.campaign ?? ''],
  ['Keyword', (c) => c.source?.term ?? ''],
  ['Landing page', (c) => c.source?.landingPage ?? ''],
  ['Click ids', (c) => Object.entries(c.source?.clickIds ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')],
];
const DAY = 86_400_000;

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

  /**
   * The calls of a site from `since` to `until` (default: the last 30 days) as CSV, newest last, with the same quoting
   * as the conversion files (a field cannot start a formula), times with their offset in the site's time zone. The
   * caller's full number is in it: the operator asked for the file.
   */
  fastify.get<{ Querystring: { site: string; since?: string; until?: string } }>(
    '/calls.csv',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['site'],
          additionalProperties: false,
          properties: { site: SITE, since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' } },
        },
      },
    },
    async (request, reply) => {
      const { site: id, since, until } = request.query;
      const site = pool.sites.get(id);
      if (!site) return unknownSite(reply, id);
      const zone = zoneOf(site);
      const calls = fastify.store.eachCall({ site: id, since: since ? Date.parse(since) : Date.now() - 30 * DAY });
      const header = COLUMNS.map(([name]) => name).join(',') + '\r\n';
      const row = (call: Call) => COLUMNS.map(([, value]) => field(value(call, zone))).join(',') + '\r\n';
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${id}-calls.csv"`)
        .send(Readable.from(csvLines(header, calls, row, until ? Date.parse(until) : Infinity), { objectMode: false }));
    },
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
