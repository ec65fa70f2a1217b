// /v1/telephony/twilio/*: Twilio's voice webhook (a call comes in on a tracking number: record it against the visit
// that held the number, and forward it to the site number it stands for) and its status callback (how the call
// ended, how long it lasted). Every request must carry a valid X-Twilio-Signature: HMAC-SHA1, keyed with the
// account's auth token, over the full URL Twilio requested followed by each POST parameter's name and value in
// name order, base64 — https://www.twilio.com/docs/usage/webhooks/webhooks-security
import { createHmac, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { E164 } from './openapi.js';
import type { Call } from '../store/store.js';

export interface TelephonyOptions {
  /** TWILIO_AUTH_TOKEN: without it every webhook is refused. */
  twilioAuthToken?: string;
}

type Form = Record<string, string | string[]>;

/** Twilio's final call statuses: after one, a status callback changes nothing. */
const FINAL = /^(completed|busy|no-answer|failed|canceled)$/;
const xml = (body: string) => `<Response>${body}</Response>`;
const escape = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Twilio's signature of a request: the URL, then each parameter's name and value(s), names in byte order. */
export const twilioSignature = (token: string, url: string, params: Form): string =>
  createHmac('sha1', token)
    .update(
      Object.keys(params)
        .sort()
        .reduce((text, name) => text + [params[name]!].flat().map((value) => name + value).join(''), url),
    )
    .digest('base64');

export default async function telephony(fastify: FastifyInstance, { twilioAuthToken }: TelephonyOptions): Promise<void> {
  const { pool } = fastify;
  await fastify.register(formbody);

  /**
   * The URL Twilio requested: PUBLIC_URL (required with a token: never the client's own Host header) followed by the
   * path the proxy passed on, so a PUBLIC_URL with a path (https://example.com/pool) keeps it.
   */
  const base = fastify.publicUrl?.replace(/\/+$/, '');
  const requested = (request: FastifyRequest): string => `${base}${request.url}`;

  // Refused before anything is read from the body: a request without a valid signature is not Twilio's.
  fastify.addHook('preHandler', async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
    const given = request.headers['x-twilio-signature'];
    const body = request.body && typeof request.body == 'object' ? request.body : {};
    const expected = twilioAuthToken && base && Buffer.from(twilioSignature(twilioAuthToken, requested(request), body));
    // Compared as bytes of equal length: a header of the right length in characters may be longer in bytes.
    const bytes = typeof given == 'string' ? Buffer.from(given) : undefined;
    const ok = !!bytes && !!expected && bytes.length == expected.length && timingSafeEqual(bytes, expected);
    if (!ok) return reply.code(403).send({ error: 'forbidden', message: twilioAuthToken ? 'X-Twilio-Signature is missing or wrong' : 'TWILIO_AUTH_TOKEN is not set' });
  });

  const field = (body: Form, name: string): string => String([body[name] ?? ''].flat()[0]);

  fastify.post<{ Body: Form }>('/twilio/voice', { config: { rateLimit: false } }, async (request, reply) => {
    const to = field(request.body, 'To');
    const from = field(request.body, 'From');
    const sid = field(request.body, 'CallSid');
    reply.type('text/xml');
    if (!E164.test(to)) return xml('<Reject/>');
    // Where the call goes comes from the config alone: nothing the store holds (or fails at) can keep a caller from
    // the business. A lost attribution costs less than a lost customer.
    const target = pool.forward(to);
    try {
      // Twilio may deliver a webhook twice: one call, one record.
      // Where the caller's number is from, as Twilio reads it from the number (not where the caller is).
      const location = Object.fromEntries(
        (['city', 'state', 'country'] as const).map((k) => [k, field(request.body, 'From' + k[0]!.toUpperCase() + k.slice(1)).slice(0, 64)]).filter(([, v]) => v),
      ) as Call['location'];
      const call =
        (sid && (await fastify.store.findCall(sid))) || (await pool.recordCall({ to, ...(E164.test(from) && { from }), ...(sid && { ref: sid }), status: 'ringing', location }));
      request.log.info({ reqId: request.id, site: call.site, channel: call.source?.channel, attributed: !!call.session }, 'call');
    } catch (e) {
      request.log.error({ reqId: request.id, err: { type: (e as Error).name, message: (e as Error).message } }, 'a call could not be recorded; it is forwarded anyway');
    }
    if (!target) return xml('<Reject/>');
    // The business line sees the tracking number (it knows the call is tracked), or the caller's, as the site says.
    const site = pool.siteOf(to);
    const callerId = site && pool.sites.get(site)?.callerId == 'caller' && E164.test(from) ? from : to;
    // When the dialled line hangs up, Twilio tells the action whether it answered and for how long.
    return xml(`<Dial action="${escape(`${base}/v1/telephony/twilio/dial`)}" callerId="${escape(callerId)}">${escape(target)}</Dial>`);
  });

  /** Twilio's <Dial action>: the business line's answer. Only answered calls become conversions. */
  fastify.post<{ Body: Form }>('/twilio/dial', { config: { rateLimit: false } }, async (request, reply) => {
    const sid = field(request.body, 'CallSid');
    const status = field(request.body, 'DialCallStatus').slice(0, 32);
    const duration = Number(field(request.body, 'DialCallDuration'));
    const answeredBy = field(request.body, 'AnsweredBy').slice(0, 32);
    reply.type('text/xml');
    if (sid && status) {
      const call = await fastify.store.updateCall(sid, { dial: { status, ...(Number.isInteger(duration) && duration >= 0 && { duration }), ...(answeredBy && { answeredBy }) } });
      if (call) await fastify.ga4.consider(call);
    }
    // The caller's leg ends with the dialled one.
    return xml('');
  });

  /**
   * Twilio's status callback: how the call stands. Never backwards: a callback with a lower SequenceNumber than the
   * last one, or any after a final status, changes nothing, and a known duration is never erased.
   */
  fastify.post<{ Body: Form }>('/twilio/status', { config: { rateLimit: false } }, async (request, reply) => {
    const sid = field(request.body, 'CallSid');
    const duration = Number(field(request.body, 'CallDuration'));
    const status = field(request.body, 'CallStatus').slice(0, 32);
    const seq = Number(field(request.body, 'SequenceNumber'));
    const call = sid ? await fastify.store.findCall(sid) : undefined;
    if (!call) return reply.code(204).send();
    const late = (Number.isInteger(seq) && call.seq != null && seq <= call.seq) || (FINAL.test(call.status ?? '') && !FINAL.test(status));
    if (!late) {
      const patch = {
        ...(status && { status }),
        ...(Number.isInteger(seq) && seq >= 0 && { seq }),
        // A duration only grows: a late 0 never erases the 95 s a completed call lasted.
        ...(Number.isInteger(duration) && duration > (call.duration ?? -1) && { duration }),
      };
      const updated = await fastify.store.updateCall(sid, patch);
      if (updated) await fastify.ga4.consider(updated);
    }
    return reply.code(204).send();
  });
}
