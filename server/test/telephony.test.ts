// @vitest-environment node
// Calls into the pool and conversions out: Twilio's voice webhook and status callback (signed as Twilio documents
// it), the generic calls API, and the offline conversion files for Google Ads and Microsoft Advertising.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { PoolConfig } from '../src/config';
import { answered, conversionFile, formatTime, formatTimeWithOffset, hashPhone } from '../src/conversions';
import { createServer } from '../src/app';
import { twilioSignature } from '../src/routes/telephony';
import { createMemoryStore } from '../src/store/memory';
import type { Call, Store } from '../src/store/store';
import { twilioSign } from '../../test/helpers';
import { validator } from '../../test/protocol';
import { MAIN, OTHER, source, testConfig } from './fixtures';

const TOKEN = 'admin-token-0123456789';
const TWILIO = 'twilio-auth-token-abc';
const ADMIN = { authorization: `Bearer ${TOKEN}` };

const sign = (url: string, params: Record<string, string>, token = TWILIO) => twilioSign(token, url, params);

const make = async (config: Partial<PoolConfig> = {}, options: { twilio?: string | null; publicUrl?: string; store?: Store; logs?: string[] } = {}) =>
  createServer({
    config: testConfig({
      ...config,
      sites: {
        ...testConfig().sites,
        demo: { ...testConfig().sites.demo, conversion: { name: 'Phone call', value: 25, currency: 'EUR', minDuration: 60, hashedPhone: false }, timeZone: 'Europe/Amsterdam' },
        ...config.sites,
      },
    }),
    store: options.store ?? createMemoryStore(),
    adminToken: TOKEN,
    twilioAuthToken: options.twilio === null ? undefined : (options.twilio ?? TWILIO),
    publicUrl: options.publicUrl ?? 'http://pool.test',
    ...(options.logs && { logger: { level: 'warn', stream: new Writable({ write: (chunk, _, done) => (options.logs!.push(String(chunk)), done()) }) } }),
  });
type App = Awaited<ReturnType<typeof make>>;

const lease = async (app: App, clickIds: Record<string, string> = { gclid: 'Cj0KCQ-test_gclid' }, channel = 'paid_search') => {
  const res = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: `visitor-${Math.random().toString(36).slice(2, 10)}`, targets: [MAIN, OTHER], source: { ...source(channel), clickIds }, page: '/' } });
  expect(res.statusCode).toBe(201);
  return res.json<{ session: string; numbers: Record<string, string> }>();
};

/** A webhook as Twilio sends it: form-encoded, signed over the URL it requested. */
const twilio = (app: App, path: string, params: Record<string, string>, options: { signature?: string; host?: string; url?: string } = {}) => {
  const host = options.host ?? 'pool.test';
  const url = options.url ?? `http://${host}${path}`;
  return app.inject({
    method: 'POST',
    url: path,
    headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...(options.signature !== '' && { 'x-twilio-signature': options.signature ?? sign(url, params) }) },
    payload: new URLSearchParams(params).toString(),
  });
};
const voice = (to: string, extra: Record<string, string> = {}) => ({ CallSid: `CA${Math.random().toString(16).slice(2).padEnd(32, '0')}`, AccountSid: 'AC123', To: to, From: '+447700900123', Direction: 'inbound', CallStatus: 'ringing', ...extra });

describe('Twilio', () => {
  test("the signature follows Twilio's documented example", () => {
    // https://www.twilio.com/docs/usage/webhooks/webhooks-security: auth token 12345, this URL and these parameters.
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
    expect(sign('https://mycompany.com/myapp.php?foo=1&bar=2', params, '12345')).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  test('a signed voice webhook records the call against the visit and forwards it to the site number', async () => {
    const app = await make();
    const { session, numbers } = await lease(app);
    const params = voice(numbers[MAIN]);
    const res = await twilio(app, '/v1/telephony/twilio/voice', params);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toBe(`<Response><Dial action="http://pool.test/v1/telephony/twilio/dial" callerId="${numbers[MAIN]}">${MAIN}</Dial></Response>`);
    const [call] = (await app.inject({ url: '/v1/calls', headers: ADMIN })).json();
    expect(call).toMatchObject({ to: numbers[MAIN], from: '+447700900123', session, target: MAIN, ref: params.CallSid, source: { channel: 'paid_search', clickIds: { gclid: 'Cj0KCQ-test_gclid' } } });
    expect(validator('Call')(call)).toBe(true);
    // Twilio delivering the same webhook again records no second call.
    expect((await twilio(app, '/v1/telephony/twilio/voice', params)).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/calls', headers: ADMIN })).json()).toHaveLength(1);
    // The dialled business line's answer (the <Dial action>), then the status callback: how it ended, how long.
    const dial = await twilio(app, '/v1/telephony/twilio/dial', { CallSid: params.CallSid, DialCallStatus: 'completed', DialCallDuration: '88', DialCallSid: 'CAdialled' });
    expect([dial.statusCode, dial.body]).toEqual([200, '<Response></Response>']);
    const status = { CallSid: params.CallSid, CallStatus: 'completed', CallDuration: '95', To: numbers[MAIN], SequenceNumber: '3' };
    expect((await twilio(app, '/v1/telephony/twilio/status', status)).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/calls', headers: ADMIN })).json()[0]).toMatchObject({ status: 'completed', duration: 95, seq: 3, dial: { status: 'completed', duration: 88 } });
    expect((await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN })).json().calls).toEqual({ paid_search: 1 });
  });

  test("each call's outcome at the business line, and where the caller's number is from", async () => {
    const app = await make();
    const { numbers } = await lease(app);
    const calls = async () => (await app.inject({ url: '/v1/calls', headers: ADMIN })).json<{ ref: string; outcome: string; location?: object }[]>();
    const outcomeOf = async (sid: string) => (await calls()).find((c) => c.ref == sid)!.outcome;
    const ring = async (CallSid: string, more: Record<string, string> = {}) => twilio(app, '/v1/telephony/twilio/voice', { ...voice(numbers[MAIN]), CallSid, ...more });
    await ring('CAlocated', { FromCity: 'LONDON', FromState: '', FromCountry: 'GB' });
    expect((await calls()).find((c) => c.ref == 'CAlocated')).toMatchObject({ outcome: 'ringing', location: { city: 'LONDON', country: 'GB' } });
    expect((await calls()).find((c) => c.ref == 'CAlocated')!.location).not.toHaveProperty('state');
    await twilio(app, '/v1/telephony/twilio/dial', { CallSid: 'CAlocated', DialCallStatus: 'completed', DialCallDuration: '42', AnsweredBy: 'human' });
    expect(await outcomeOf('CAlocated')).toBe('answered');
    await ring('CAvoicemail');
    await twilio(app, '/v1/telephony/twilio/dial', { CallSid: 'CAvoicemail', DialCallStatus: 'completed', DialCallDuration: '31', AnsweredBy: 'machine_end_beep' });
    expect(await outcomeOf('CAvoicemail')).toBe('voicemail');
    // A voicemail is no answered call, so never a conversion, however long.
    const stored = await app.store.findCall('CAvoicemail');
    expect([answered(stored!), answered({ ...stored!, dial: { status: 'completed', duration: 31, answeredBy: 'human' } })]).toEqual([undefined, 31]);
    for (const [sid, DialCallStatus] of [['CAbusy', 'busy'], ['CAnoanswer', 'no-answer'], ['CAfailed', 'failed']]) {
      await ring(sid);
      await twilio(app, '/v1/telephony/twilio/dial', { CallSid: sid, DialCallStatus: DialCallStatus });
      expect(await outcomeOf(sid), DialCallStatus).toBe('missed');
    }
    // The caller hung up while it rang: Twilio's dial result says canceled.
    await ring('CAhungup');
    await twilio(app, '/v1/telephony/twilio/dial', { CallSid: 'CAhungup', DialCallStatus: 'canceled' });
    expect(await outcomeOf('CAhungup')).toBe('missed');
    // A call that completed without a dial result (one lost on the way) says nothing of the line: unknown.
    await ring('CAnodial');
    await twilio(app, '/v1/telephony/twilio/status', { CallSid: 'CAnodial', CallStatus: 'completed', CallDuration: '140', SequenceNumber: '2' });
    expect(await outcomeOf('CAnodial')).toBe('unknown');
    for (const call of await calls()) expect(validator('Call')(call), JSON.stringify(validator('Call').errors)).toBe(true);
  });

  test('GET /v1/calls.csv: the calls of a period, quoted as the conversion files are, times in the site\'s zone', async () => {
    const app = await make();
    const res = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: 'visitor-csv-0001', targets: [MAIN, OTHER], source: { ...source('paid_search'), campaign: '=HYPERLINK("x")', clickIds: { gclid: 'Cj0-csv' } }, page: '/' } });
    const { numbers } = res.json<{ numbers: Record<string, string> }>();
    await twilio(app, '/v1/telephony/twilio/voice', { ...voice(numbers[MAIN]), CallSid: 'CAcsv1', FromCity: 'LONDON', FromCountry: 'GB' });
    await twilio(app, '/v1/telephony/twilio/dial', { CallSid: 'CAcsv1', DialCallStatus: 'completed', DialCallDuration: '75' });
    await twilio(app, '/v1/telephony/twilio/status', { CallSid: 'CAcsv1', CallStatus: 'completed', CallDuration: '80', SequenceNumber: '2' });
    expect((await app.inject({ url: '/v1/calls.csv?site=demo' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/calls.csv?site=nope', headers: ADMIN })).statusCode).toBe(404);
    const file = await app.inject({ url: '/v1/calls.csv?site=demo', headers: ADMIN });
    expect(file.headers['content-type']).toMatch(/^text\/csv/);
    expect(file.headers['access-control-allow-origin']).toBeUndefined();
    const [header, row, end] = file.body.split('\r\n');
    expect(header).toBe('Time,Tracking number,Site number,Caller,Caller from,Outcome,Talk seconds,Call seconds,First-time caller,Channel,Source,Medium,Campaign,Keyword,Landing page,Click ids');
    const cells = row.split(',');
    expect(cells[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0[12]:00$/);
    // Numbers start with +: written as text, so a spreadsheet neither reads a formula nor drops the +.
    expect(cells.slice(1, 4)).toEqual([`'${numbers[MAIN]}`, `'${MAIN}`, "'+447700900123"]);
    expect(row).toContain(',"LONDON, GB",answered,75,80,yes,paid_search,');
    // A campaign that would start a formula in a spreadsheet is written as text.
    expect(row).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(row).toContain(',gclid=Cj0-csv');
    expect(end).toBe('');
    // Outside the period asked for: no rows.
    const later = await app.inject({ url: `/v1/calls.csv?site=demo&since=${new Date(Date.now() + 60_000).toISOString()}`, headers: ADMIN });
    expect(later.body.split('\r\n').filter(Boolean)).toHaveLength(1);
    const earlier = await app.inject({ url: `/v1/calls.csv?site=demo&until=${new Date(Date.now() - 3_600_000).toISOString()}`, headers: ADMIN });
    expect(earlier.body.split('\r\n').filter(Boolean)).toHaveLength(1);
  });

  test('status callbacks never move a call backwards nor erase its duration: late, repeated and out of order', async () => {
    const app = await make();
    const { numbers } = await lease(app);
    const params = voice(numbers[MAIN]);
    await twilio(app, '/v1/telephony/twilio/voice', params);
    const callback = (CallStatus: string, SequenceNumber: string, CallDuration?: string) =>
      twilio(app, '/v1/telephony/twilio/status', { CallSid: params.CallSid, CallStatus, SequenceNumber, ...(CallDuration && { CallDuration }) });
    const current = async () => (await app.inject({ url: '/v1/calls', headers: ADMIN })).json()[0];
    await callback('in-progress', '1');
    await callback('completed', '3', '95');
    expect(await current()).toMatchObject({ status: 'completed', duration: 95, seq: 3 });
    // The in-progress callback that arrives late (lower sequence number, and after a final status): nothing changes.
    await callback('in-progress', '2', '0');
    expect(await current()).toMatchObject({ status: 'completed', duration: 95, seq: 3 });
    // The same final callback again, and one without a sequence number after the final one: nothing changes.
    await callback('completed', '3', '95');
    await twilio(app, '/v1/telephony/twilio/status', { CallSid: params.CallSid, CallStatus: 'ringing', CallDuration: '0' });
    expect(await current()).toMatchObject({ status: 'completed', duration: 95, seq: 3 });
    // A later callback without a duration never erases it.
    await callback('completed', '4');
    expect((await current()).duration).toBe(95);
  });

  test('the caller id the business line sees: the tracking number, or the caller\'s as the site chooses', async () => {
    const app = await make({ sites: { ...testConfig().sites, demo: { ...testConfig().sites.demo, callerId: 'caller' } } });
    const { numbers } = await lease(app);
    const res = await twilio(app, '/v1/telephony/twilio/voice', voice(numbers[MAIN]));
    expect(res.body).toBe(`<Response><Dial action="http://pool.test/v1/telephony/twilio/dial" callerId="+447700900123">${MAIN}</Dial></Response>`);
  });

  test.each([
    ['no signature', ''],
    ['a wrong signature', 'bm90IGEgc2lnbmF0dXJl'],
    ['a signature of other parameters', sign('http://pool.test/v1/telephony/twilio/voice', { To: '+442079460999' })],
  ])('%s: 403, nothing recorded, nothing forwarded', async (_, signature) => {
    const app = await make();
    const { numbers } = await lease(app);
    for (const path of ['/v1/telephony/twilio/voice', '/v1/telephony/twilio/status']) {
      const res = await twilio(app, path, voice(numbers[MAIN]), { signature });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('Dial');
    }
    expect((await app.inject({ url: '/v1/calls', headers: ADMIN })).json()).toEqual([]);
  });

  test('without TWILIO_AUTH_TOKEN every webhook is refused', async () => {
    const app = await make({}, { twilio: null });
    const res = await twilio(app, '/v1/telephony/twilio/voice', voice('+442079460101'));
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/TWILIO_AUTH_TOKEN/);
  });

  test('the signature is over PUBLIC_URL, as Twilio requested it, never over the Host a client sends', async () => {
    const app = await make({}, { publicUrl: 'https://calls.example.com' });
    const { numbers } = await lease(app);
    const params = voice(numbers[MAIN]);
    const path = '/v1/telephony/twilio/voice?account=main';
    expect((await twilio(app, path, params, { host: 'internal:8080', url: `https://calls.example.com${path}` })).statusCode).toBe(200);
    expect((await twilio(app, path, params, { host: 'internal:8080', url: `http://internal:8080${path}` })).statusCode).toBe(403);
    // A signature made for another host, sent with that Host: still not over the public URL.
    expect((await twilio(app, path, params, { host: 'evil.example', url: `http://evil.example${path}` })).statusCode).toBe(403);
  });

  test('a PUBLIC_URL with a path keeps it in the signed URL', async () => {
    const app = await make({}, { publicUrl: 'https://example.com/pool/' });
    const { numbers } = await lease(app);
    const params = voice(numbers[MAIN]);
    const path = '/v1/telephony/twilio/voice';
    expect((await twilio(app, path, params, { url: `https://example.com/pool${path}` })).statusCode).toBe(200);
    expect((await twilio(app, path, params, { url: `https://example.com${path}` })).statusCode).toBe(403);
  });

  test('with a token and no public URL the server refuses to start', async () => {
    await expect(createServer({ config: testConfig(), store: createMemoryStore(), twilioAuthToken: TWILIO })).rejects.toThrow(/twilioAuthToken needs publicUrl/);
  });

  test.each(['é'.repeat(28), '€'.repeat(28), '\u0000'.repeat(28), 'ä'.repeat(14) + 'a'.repeat(14)])('a non-ASCII signature of the right length (%j) is 403, never a 5xx', async (signature) => {
    const app = await make();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/telephony/twilio/voice',
      headers: { host: 'pool.test', 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': Buffer.from(signature, 'utf8').toString('latin1') },
      payload: new URLSearchParams(voice('+442079460101')).toString(),
    });
    expect(res.statusCode).toBe(403);
  });

  test('attribution failing (a store error) still forwards the call: the TwiML dials the site number, and the error is logged', async () => {
    const store = createMemoryStore();
    const broken: Store = { ...store, holderAt: async () => Promise.reject(new Error('disk on fire')), findCall: async () => Promise.reject(new Error('disk on fire')) };
    const logs: string[] = [];
    const app = await make({}, { store: broken, logs });
    for (const [to, target] of [['+442079460101', MAIN], ['+442079460201', MAIN], ['+442079460551', OTHER]]) {
      const res = await twilio(app, '/v1/telephony/twilio/voice', voice(to));
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(`<Response><Dial action="http://pool.test/v1/telephony/twilio/dial" callerId="${to}">${target}</Dial></Response>`);
    }
    expect(logs.map((l) => [JSON.parse(l).level, JSON.parse(l).msg, JSON.parse(l).err.message])).toEqual(
      Array.from({ length: 3 }, () => [50, 'a call could not be recorded; it is forwarded anyway', 'disk on fire']),
    );
  });

  test('a number no pool knows is rejected, or forwarded to the fallback site\'s first number', async () => {
    const unknown = voice('+442079469999');
    expect((await twilio(await make(), '/v1/telephony/twilio/voice', unknown)).body).toBe('<Response><Reject/></Response>');
    expect((await twilio(await make({ fallback: 'demo' }), '/v1/telephony/twilio/voice', unknown)).body).toBe(`<Response><Dial action="http://pool.test/v1/telephony/twilio/dial" callerId="+442079469999">${MAIN}</Dial></Response>`);
    // A number of a pool that no visit holds now still goes to its own site number, unattributed.
    const app = await make();
    const free = await twilio(app, '/v1/telephony/twilio/voice', voice('+442079460551'));
    expect(free.body).toBe(`<Response><Dial action="http://pool.test/v1/telephony/twilio/dial" callerId="+442079460551">${OTHER}</Dial></Response>`);
    expect((await app.inject({ url: '/v1/calls', headers: ADMIN })).json()[0].session).toBeUndefined();
  });

  test('prototype names and junk in the form are refused or ignored, never a 5xx', async () => {
    const app = await make();
    for (const params of [{ __proto__: 'x', To: '+442079460101' } as Record<string, string>, { constructor: 'x', To: 'constructor' }, { To: '<Dial>+1</Dial>' }, {}]) {
      const res = await twilio(app, '/v1/telephony/twilio/voice', params);
      expect(res.statusCode).toBeLessThan(500);
      if (res.statusCode == 200) expect(res.body).toMatch(/^<Response>(<Reject\/>|<Dial action="[^"]+" callerId="\+\d+">\+\d+<\/Dial>)<\/Response>$/);
    }
  });
});

describe('the generic calls API', () => {
  test('POST /v1/calls takes duration, status and whether the business line answered', async () => {
    const app = await make();
    const { numbers } = await lease(app);
    const res = await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: numbers[MAIN], duration: 42, status: 'completed', answered: true } });
    expect(res.json()).toMatchObject({ duration: 42, status: 'completed', answered: true });
  });
});

describe('conversion files', () => {
  const granted = { ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' } as const;
  const call = (at: string, clickIds: Record<string, string>, extra: Partial<Call> = {}): Call => ({
    id: Math.random().toString(36),
    to: '+442079460101',
    from: '+447700900123',
    at,
    site: 'demo',
    target: MAIN,
    session: 'sess-1234567890',
    source: { ...source('paid_search'), clickIds },
    dial: { status: 'completed', duration: 75 },
    consent: granted,
    ...extra,
  });
  const options = { provider: 'google_ads' as const, name: 'Phone call', value: 25, currency: 'EUR', minDuration: 60, timeZone: '+0000', eea: true, hashedPhone: false };
  const HEADER = 'Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency,Ad User Data,Ad Personalization';

  test('Google Ads: a fixed header with the consent columns; a row per answered, long enough, consented call with a gclid', () => {
    const file = conversionFile(
      [
        call('2026-12-01T10:00:00.000Z', { gclid: 'CjwKCAiA_first' }),
        call('2026-12-01T09:00:00.000Z', { gclid: 'CjwKCAiA_earlier' }, { consent: { ...granted, ad_personalization: 'denied' } }),
        call('2026-12-01T11:00:00.000Z', { gclid: 'too_short' }, { dial: { status: 'completed', duration: 59 } }),
        call('2026-12-01T11:10:00.000Z', { gclid: 'missed' }, { dial: { status: 'no-answer' } }),
        call('2026-12-01T11:20:00.000Z', { gclid: 'busy' }, { dial: { status: 'busy' } }),
        call('2026-12-01T12:00:00.000Z', { gclid: 'still_ringing' }, { dial: undefined, status: 'ringing', duration: 300 }),
        call('2026-12-01T12:30:00.000Z', { gclid: 'no_ad_user_data' }, { consent: { ad_storage: 'granted', ad_user_data: 'denied' } }),
        call('2026-12-01T12:40:00.000Z', { gclid: 'unknown_consent' }, { consent: undefined }),
        call('2026-12-01T13:00:00.000Z', { msclkid: 'bing_only' }),
        call('2026-12-01T14:00:00.000Z', { gclid: 'unattributed' }, { session: undefined }),
        call('2026-12-01T15:00:00.000Z', { gclid: '=HYPERLINK("http://evil")' }),
        call('2026-12-01T16:00:00.000Z', { gclid: 'generic_answered' }, { dial: undefined, answered: true, duration: 61 }),
      ],
      options,
    );
    expect(file.split('\r\n')).toEqual([
      HEADER,
      'CjwKCAiA_earlier,Phone call,2026-12-01 09:00:00+00:00,25,EUR,Granted,Denied',
      'CjwKCAiA_first,Phone call,2026-12-01 10:00:00+00:00,25,EUR,Granted,Granted',
      'generic_answered,Phone call,2026-12-01 16:00:00+00:00,25,EUR,Granted,Granted',
      '',
    ]);
    // Outside the EEA a call whose page said nothing about ad_user_data is a row too; a denial never is.
    const outside = conversionFile(
      [call('2026-12-01T12:40:00.000Z', { gclid: 'unknown_consent' }, { consent: undefined }), call('2026-12-01T12:30:00.000Z', { gclid: 'denied' }, { consent: { ad_user_data: 'denied' } })],
      { ...options, eea: false },
    );
    expect(outside.split('\r\n')).toEqual([HEADER, 'unknown_consent,Phone call,2026-12-01 12:40:00+00:00,25,EUR,,', '']);
  });

  test.each([
    ['Europe/Amsterdam', '2026-10-25T00:29:35Z', '2026-10-25 02:29:35+02:00', '2026-10-25T01:29:35Z', '2026-10-25 02:29:35+01:00'],
    ['America/New_York', '2026-11-01T05:29:35Z', '2026-11-01 01:29:35-04:00', '2026-11-01T06:29:35Z', '2026-11-01 01:29:35-05:00'],
  ])('%s: two calls an hour apart in the repeated hour keep their order and their hour, each with its own offset', (zone, first, firstTime, second, secondTime) => {
    const file = conversionFile([call(first, { gclid: 'A' }), call(second, { gclid: 'B' })], { ...options, timeZone: zone });
    expect(file.split('\r\n').slice(1, 3).map((row) => row.split(',')[2])).toEqual([firstTime, secondTime]);
  });

  test.each([
    ['Europe/Amsterdam', '2026-03-29T00:59:59Z', '2026-03-29 01:59:59+01:00', '2026-03-29T01:00:00Z', '2026-03-29 03:00:00+02:00'],
    ['America/New_York', '2026-03-08T06:59:59Z', '2026-03-08 01:59:59-05:00', '2026-03-08T07:00:00Z', '2026-03-08 03:00:00-04:00'],
  ])('%s: across the skipped hour the times jump with the clock, one second apart', (zone, before, beforeTime, after, afterTime) => {
    expect(formatTimeWithOffset(Date.parse(before), zone)).toBe(beforeTime);
    expect(formatTimeWithOffset(Date.parse(after), zone)).toBe(afterTime);
  });

  test('GBRAID and WBRAID rows only when asked for, then under their own columns', () => {
    const calls = [call('2026-12-01T10:00:00Z', { gclid: 'G1' }), call('2026-12-01T11:00:00Z', { gbraid: 'B1' }), call('2026-12-01T12:00:00Z', { wbraid: 'W1' })];
    expect(conversionFile(calls, options).split('\r\n')).toEqual([HEADER, 'G1,Phone call,2026-12-01 10:00:00+00:00,25,EUR,Granted,Granted', '']);
    expect(conversionFile(calls, { ...options, braids: true }).split('\r\n')).toEqual([
      'Google Click ID,GBRAID,WBRAID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency,Ad User Data,Ad Personalization',
      'G1,,,Phone call,2026-12-01 10:00:00+00:00,25,EUR,Granted,Granted',
      ',B1,,Phone call,2026-12-01 11:00:00+00:00,25,EUR,Granted,Granted',
      ',,W1,Phone call,2026-12-01 12:00:00+00:00,25,EUR,Granted,Granted',
      '',
    ]);
  });

  test("enhanced conversions for leads: the caller's number hashed (SHA-256 of E.164), also for a call without a click id", () => {
    const hash = createHash('sha256').update('+447700900123').digest('hex');
    const calls = [call('2026-12-01T10:00:00Z', { gclid: 'G1' }), call('2026-12-01T11:00:00Z', {}), call('2026-12-01T12:00:00Z', {}, { consent: { ad_user_data: 'denied' } })];
    expect(conversionFile(calls, { ...options, hashedPhone: true }).split('\r\n')).toEqual([
      `${HEADER},Phone Number`,
      `G1,Phone call,2026-12-01 10:00:00+00:00,25,EUR,Granted,Granted,${hash}`,
      `,Phone call,2026-12-01 11:00:00+00:00,25,EUR,Granted,Granted,${hash}`,
      '',
    ]);
    expect(hashPhone('+447700900123')).toBe(hash);
  });

  test('Microsoft Advertising: an offset in Parameters:TimeZone (UTC for a named zone), the msclkid, the hashed phone', () => {
    const calls = [call('2026-12-01T10:00:00Z', { msclkid: 'a1b2c3d4e5' }), call('2026-12-01T11:00:00Z', { gclid: 'google_only' })];
    expect(conversionFile(calls, { ...options, provider: 'microsoft_ads', name: 'Call, "qualified"', timeZone: 'Europe/Amsterdam' }).split('\r\n')).toEqual([
      'Parameters:TimeZone=+0000',
      'Microsoft Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency',
      'a1b2c3d4e5,"Call, ""qualified""",2026-12-01 10:00:00,25,EUR',
      '',
    ]);
    expect(conversionFile(calls, { ...options, provider: 'microsoft_ads', timeZone: '+0100', hashedPhone: true }).split('\r\n')).toEqual([
      'Parameters:TimeZone=+0100',
      'Microsoft Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency,Hashed Phone Number',
      `a1b2c3d4e5,Phone call,2026-12-01 11:00:00,25,EUR,${hashPhone('+447700900123')}`,
      `,Phone call,2026-12-01 12:00:00,25,EUR,${hashPhone('+447700900123')}`,
      '',
    ]);
  });

  test("times are written in the site's zone: an offset, or an IANA name across a daylight saving change", () => {
    expect(formatTime(Date.parse('2026-12-01T23:30:00Z'), '+0130')).toBe('2026-12-02 01:00:00');
    expect(formatTime(Date.parse('2026-12-01T01:30:00Z'), '-0500')).toBe('2026-11-30 20:30:00');
    expect(formatTime(Date.parse('2026-07-01T12:00:00Z'), 'Europe/Amsterdam')).toBe('2026-07-01 14:00:00');
    expect(formatTime(Date.parse('2026-12-01T12:00:00Z'), 'Europe/Amsterdam')).toBe('2026-12-01 13:00:00');
  });

  /** A visit, a Twilio call answered for `seconds`, the status callback. */
  const answeredCall = async (app: App, clickIds: Record<string, string>, seconds: number, consent: Record<string, string> = granted) => {
    const { session, numbers } = await app
      .inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: `visitor-${Math.random().toString(36).slice(2, 10)}`, targets: [MAIN], source: { ...source('paid_search'), clickIds }, page: '/', consent } })
      .then((r) => r.json());
    const params = voice(numbers[MAIN]);
    await twilio(app, '/v1/telephony/twilio/voice', params);
    await twilio(app, '/v1/telephony/twilio/dial', { CallSid: params.CallSid, DialCallStatus: 'completed', DialCallDuration: String(seconds) });
    await twilio(app, '/v1/telephony/twilio/status', { CallSid: params.CallSid, CallStatus: 'completed', CallDuration: String(seconds + 5), SequenceNumber: '2' });
    return session as string;
  };

  test("GET /v1/conversions.csv: the site's name, value, currency and zone; minDuration (the site's, 60 by default) and since", async () => {
    const app = await make({ quarantine: 0, sites: { ...testConfig().sites, demo: { ...testConfig().sites.demo, conversion: { name: 'Phone call', value: 25, currency: 'EUR', minDuration: 60, hashedPhone: false }, timeZone: 'Europe/Amsterdam' } } });
    await answeredCall(app, { gclid: 'Cj0KCQ-visit_one' }, 75);
    await answeredCall(app, { gclid: 'Cj0KCQ-short_one' }, 30);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/v1/conversions.csv?site=demo&provider=google_ads', headers: ADMIN });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toMatch(/^Cj0KCQ-visit_one,Phone call,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0[12]:00,25,EUR,Granted,Granted$/);
    expect(lines).toHaveLength(3);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo&minDuration=20', headers: ADMIN })).body.split('\r\n')).toHaveLength(4);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo&minDuration=120', headers: ADMIN })).body.split('\r\n')).toHaveLength(2);
    expect((await app.inject({ url: `/v1/conversions.csv?site=demo&since=${new Date(Date.now() + 60_000).toISOString()}`, headers: ADMIN })).body.split('\r\n')).toHaveLength(2);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo&name=Qualified%20call', headers: ADMIN })).body).toContain(',Qualified call,');
    for (const url of ['/v1/conversions.csv?site=demo&provider=meta', '/v1/conversions.csv?site=demo&minDuration=-1', '/v1/conversions.csv?site=demo&since=yesterday', '/v1/conversions.csv']) {
      expect((await app.inject({ url, headers: ADMIN })).statusCode).toBe(400);
    }
    expect((await app.inject({ url: '/v1/conversions.csv?site=nope', headers: ADMIN })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/conversions.csv?site=other', headers: ADMIN })).statusCode).toBe(400);
  });

  test('a read-only export credential as HTTP Basic, for the conversion files of its site only; the admin token in any case of its scheme', async () => {
    const password = 'export-password-0123456789';
    const app = await make({ sites: { ...testConfig().sites, demo: { ...testConfig().sites.demo, conversion: { name: 'Phone call', value: 25, currency: 'EUR', minDuration: 60, hashedPhone: false }, export: { username: 'google', password } } } });
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: basic('google', password) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo&provider=microsoft_ads', headers: basic('google', password) })).statusCode).toBe(200);
    for (const headers of [basic('google', 'wrong-password-0123456789'), basic('other', password), {}, { authorization: `Bearer ${password}` }]) {
      const res = await app.inject({ url: '/v1/conversions.csv?site=demo', headers });
      expect([res.statusCode, res.headers['www-authenticate']]).toEqual([401, 'Basic realm="callswap conversions", charset="UTF-8"']);
    }
    // Read-only, and for this site: not another site's file, not the operator API.
    expect((await app.inject({ url: '/v1/conversions.csv?site=other&name=Call', headers: basic('google', password) })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/calls', headers: basic('google', password) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/calls', headers: basic('google', password), payload: { to: MAIN } })).statusCode).toBe(401);
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: { authorization: `${scheme} ${TOKEN}` } })).statusCode).toBe(200);
  });

  test("a withdrawal removes the visit's click ids from its calls too: the file has no row for it", async () => {
    const app = await make();
    const session = await answeredCall(app, { gclid: 'Cj0-withdrawn' }, 120);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: ADMIN })).body).toContain('Cj0-withdrawn');
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${session}` })).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: ADMIN })).body.split('\r\n')).toEqual([HEADER, '']);
    const [stored] = (await app.inject({ url: '/v1/calls', headers: ADMIN })).json();
    expect(stored.source).toMatchObject({ clickIds: {}, landingPage: '', referrer: '' });
  });

  test('a consent change after the call (ad_user_data denied) reaches its calls: no row', async () => {
    const app = await make();
    const session = await answeredCall(app, { gclid: 'Cj0-changed' }, 120);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: ADMIN })).body).toContain('Cj0-changed');
    await app.inject({ method: 'POST', url: `/v1/sessions/${session}/events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ type: 'consent', page: '/', consent: { ad_user_data: 'denied' } }) });
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: ADMIN })).body).not.toContain('Cj0-changed');
  });

  test('a lease whose page denied ad_storage keeps no click id, and no cookie remembers it', async () => {
    const app = await make();
    const res = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: 'visitor-no-storage', targets: [MAIN], source: { ...source('paid_search'), clickIds: { gclid: 'Cj0-no-storage' } }, page: '/', consent: { ...granted, ad_storage: 'denied' } } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['set-cookie']).toBeUndefined();
    const call = await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: res.json().numbers[MAIN], duration: 120, answered: true } });
    expect(call.json().source).toMatchObject({ channel: 'paid_search', clickIds: {} });
  });

  test('a site without a conversion config: the file named in the request, value 0 in EUR, times in +00:00', async () => {
    const app = await make({ sites: { demo: testConfig().sites.demo } });
    const { numbers } = await app
      .inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: 'visitor-plain', targets: [MAIN], source: { ...source('paid_search'), clickIds: { gclid: 'Cj0KCQ-plain_site' } }, page: '/', consent: granted } })
      .then((r) => r.json());
    const call = await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: numbers[MAIN], duration: 70, answered: true } });
    expect(call.statusCode).toBe(201);
    expect((await app.inject({ url: '/v1/conversions.csv?site=demo', headers: ADMIN })).statusCode).toBe(400);
    const lines = (await app.inject({ url: '/v1/conversions.csv?site=demo&name=Call', headers: ADMIN })).body.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toMatch(/^Cj0KCQ-plain_site,Call,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00,0,EUR,Granted,Granted$/);
  });
});

describe('clicks', () => {
  test('a click event is counted per channel in /v1/stats', async () => {
    const app = await make();
    const { session } = await lease(app);
    const event = await app.inject({ method: 'POST', url: `/v1/sessions/${session}/events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ type: 'click', page: '/', target: MAIN }) });
    expect(event.statusCode).toBe(204);
    const stats = (await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN })).json();
    expect(stats.clicks).toEqual({ paid_search: 1 });
    expect(validator('Stats')(stats)).toBe(true);
  });
});
