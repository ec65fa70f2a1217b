// @vitest-environment node
// Answered calls into Google Analytics 4, against a stand-in for the Measurement Protocol that checks each body by
// Google's rules (test/ga4.mjs): what is sent and what never is, retries with backoff, never twice (a crash
// mid-send, two processes), giving up after 72 hours, and the state shown on each call. Every store.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { checkConfig, type PoolConfig } from '../src/config';
import { createServer } from '../src/app';
import { createGa4, ga4Payload } from '../src/ga4';
import type { Call } from '../src/store/store';
// @ts-expect-error plain JS shared with the end-to-end specs
import { startGa4, validateGa4 } from '../../test/ga4.mjs';
import { MAIN, source, testConfig } from './fixtures';
import { stores } from './stores';

const TOKEN = 'test-token-0123456789';
const ADMIN = { authorization: `Bearer ${TOKEN}` };
const STREAM = { measurementId: 'G-TEST1234', apiSecret: 'test-api-secret' };
const GRANTED = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };
const GA = { clientId: '1234567890.1764950400', sessionId: '1764950400' };

/** test/ga4.mjs's stand-in, typed here (it is plain JS). */
interface Standin {
  url: string;
  received: { body: Record<string, unknown>; messages: unknown[]; contentType: string }[];
  accepted(): Record<string, unknown>[];
  fail(count: number, status: number | 'hang'): void;
  stop(): Promise<void>;
}
let standin: Standin | undefined;
afterEach(async () => {
  await standin?.stop();
  standin = undefined;
});

const config = (ga4: Record<string, unknown> | null = STREAM): PoolConfig =>
  testConfig({
    quarantine: 0,
    sites: {
      ...testConfig().sites,
      demo: {
        ...testConfig().sites.demo,
        numbers: { [MAIN]: { pools: { paid_search: ['+442079460101', '+442079460102', '+442079460103', '+442079460104', '+442079460105', '+442079460106'] } } },
        conversion: { name: 'Phone call', value: 25, currency: 'EUR', minDuration: 60, hashedPhone: false }, ...(ga4 && { ga4 }) } as PoolConfig['sites'][string],
    },
  });

describe.each(stores)('GA4 with the %s store', (_, makeStore) => {
  const setup = async (options: { ga4?: Record<string, unknown> | null; logs?: string[] } = {}) => {
    const clock = (await makeStore!());
    // The stand-in checks timestamps against the store's clock (the memory and SQLite ones start on 2026-01-01).
    let t = await clock.now();
    standin = (await startGa4({ stream: STREAM, now: () => t })) as Standin;
    const logs = options.logs;
    const app = await createServer({
      config: config(options.ga4 === undefined ? STREAM : options.ga4),
      store: clock.store,
      adminToken: TOKEN,
      ga4Endpoint: standin.url,
      logger: logs ? { level: 'warn', stream: new Writable({ write: (chunk, _, done) => (logs.push(String(chunk)), done()) }) } : false,
    });
    const advance = async (ms: number) => {
      clock.advance(ms);
      t = await clock.now();
    };
    /** A visit leases a number (with `consent` and `ga`), its number is called and answered for `seconds`. */
    const call = async (seconds: number, visit: { consent?: Record<string, string>; ga?: Record<string, string> } = { consent: GRANTED, ga: GA }) => {
      const lease = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: `visitor-${Math.random().toString(36).slice(2, 10)}`, targets: [MAIN], source: source('paid_search'), page: '/', ...visit } });
      expect(lease.statusCode, lease.body).toBe(201);
      const to = lease.json().numbers[MAIN];
      const res = await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to, from: '+447700900123', duration: seconds, answered: true } });
      expect(res.statusCode).toBe(201);
      return res.json<Call>();
    };
    const stored = async (id: string) => (await app.inject({ url: '/v1/calls?site=demo', headers: ADMIN })).json().find((c: Call) => c.id == id) as Call;
    return { app, clock, advance, call, stored, now: () => t };
  };

  test('an answered, long enough call of a visit that granted analytics_storage: one event, valid by Google\'s rules, and the call says sent', async () => {
    const { app, call, stored } = await setup();
    const made = await call(75);
    expect(made.ga4).toMatchObject({ state: 'pending', attempts: 0 });
    await app.ga4.deliver();
    expect(standin!.received).toHaveLength(1);
    const [{ body, messages, contentType }] = standin!.received;
    expect(messages).toEqual([]);
    expect(contentType).toBe('application/json');
    expect(body).toEqual({
      client_id: GA.clientId,
      timestamp_micros: Date.parse(made.at) * 1000,
      consent: { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' },
      events: [{ name: 'phone_call', params: { session_id: GA.sessionId, engagement_time_msec: 100, value: 25, currency: 'EUR', call_duration: 75, call_channel: 'paid_search' } }],
    });
    expect((await stored(made.id)).ga4).toMatchObject({ state: 'sent', attempts: 1 });
    // Never twice: delivering again, or the call considered again (a late status callback), sends nothing more.
    await app.ga4.deliver();
    await app.ga4.consider(await stored(made.id));
    await app.ga4.deliver();
    expect(standin!.received).toHaveLength(1);
    await app.close();
  });

  test('no event: analytics_storage denied or never said, no GA client id, too short, not answered, a site without ga4', async () => {
    const { app, call, stored } = await setup();
    const calls = [
      await call(120, { consent: { ...GRANTED, analytics_storage: 'denied' }, ga: GA }),
      await call(120, { consent: { ad_storage: 'granted', ad_user_data: 'granted' }, ga: GA }),
      await call(120, { consent: GRANTED }),
      await call(59),
    ];
    const lease = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { site: 'demo', visitor: 'visitor-unanswered', targets: [MAIN], source: source('paid_search'), page: '/', consent: GRANTED, ga: GA } });
    const res = await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: lease.json().numbers[MAIN], duration: 300, status: 'no-answer' } });
    calls.push(res.json());
    await app.ga4.deliver();
    expect(standin!.received).toEqual([]);
    for (const { id } of calls) expect((await stored(id)).ga4).toBeUndefined();
    await app.close();

    const without = await setup({ ga4: null });
    const plain = await without.call(120);
    await without.app.ga4.deliver();
    expect([standin!.received, (await without.stored(plain.id)).ga4]).toEqual([[], undefined]);
    await without.app.close();
  });

  test('GA4 failing: retried with backoff (1 min, then 2…), the error on the call, sent once it answers', async () => {
    const { app, clock, call, stored, advance } = await setup();
    const made = await call(90);
    standin!.fail(2, 503);
    await app.ga4.deliver();
    expect((await stored(made.id)).ga4).toMatchObject({ state: 'pending', attempts: 1, error: 'HTTP 503' });
    // Not due again before a minute.
    await advance(50_000);
    await app.ga4.deliver();
    expect(standin!.received.length + (await stored(made.id)).ga4!.attempts).toBe(1);
    await advance(15_000);
    await app.ga4.deliver();
    expect((await stored(made.id)).ga4).toMatchObject({ state: 'pending', attempts: 2, error: 'HTTP 503' });
    await advance(90_000);
    await app.ga4.deliver();
    expect((await stored(made.id)).ga4).toMatchObject({ state: 'pending', attempts: 2 });
    await advance(40_000);
    await app.ga4.deliver();
    const delivered = (await stored(made.id)).ga4!;
    expect(delivered).toMatchObject({ state: 'sent', attempts: 3 });
    expect(delivered.error).toBeUndefined();
    expect(standin!.accepted()).toHaveLength(1);
    expect(await clock.store.due((await clock.now()) + 7 * 86_400_000, 10)).toEqual([]);
    await app.close();
  });

  test('a request that hangs is cut off and retried; after 72 hours of failures the event is given up, with a warning', async () => {
    const logs: string[] = [];
    const { app, clock, call, stored, advance } = await setup({ logs });
    const made = await call(90);
    const sender = createGa4({ config: config(), store: clock.store, log: app.log, endpoint: standin!.url, timeout: 300 });
    standin!.fail(1, 'hang');
    await sender.deliver();
    expect((await stored(made.id)).ga4).toMatchObject({ state: 'pending', attempts: 1, error: 'timeout' });
    standin!.fail(100, 500);
    for (let hour = 0; hour < 80 && (await stored(made.id)).ga4!.state == 'pending'; hour++) {
      await advance(3_600_000);
      await sender.deliver();
    }
    const given = (await stored(made.id)).ga4!;
    expect(given).toMatchObject({ state: 'failed', error: 'HTTP 500' });
    expect(Date.parse(given.at) - Date.parse(made.at)).toBeLessThanOrEqual(72 * 3_600_000);
    expect(Date.parse(given.at) - Date.parse(made.at)).toBeGreaterThan(60 * 3_600_000);
    expect(logs.join('')).toContain('not delivered in 72 hours');
    expect(standin!.accepted()).toEqual([]);
    sender.stop();
    await app.close();
  });

  test("GA's ids learnt after the lease (a click event) reach the visit and its calls; analytics_storage denied, or a withdrawal, takes them away", async () => {
    const { app, call, stored } = await setup();
    // GA had not set its cookie when the lease was asked for: no ids with the lease.
    const first = await call(90, { consent: GRANTED });
    expect(first.ga).toBeUndefined();
    const event = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/v1/sessions/${first.session}/events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ page: '/', ...payload }) });
    expect((await event({ type: 'click', target: MAIN, consent: GRANTED, ga: GA })).statusCode).toBe(204);
    expect((await stored(first.id)).ga).toEqual(GA);
    await event({ type: 'consent', consent: { analytics_storage: 'denied' } });
    expect((await stored(first.id)).ga).toBeUndefined();
    // Ids sent without analytics_storage granted are not kept.
    await event({ type: 'click', target: MAIN, ga: GA });
    expect((await stored(first.id)).ga).toBeUndefined();
    await event({ type: 'consent', consent: { analytics_storage: 'granted' }, ga: GA });
    expect((await stored(first.id)).ga).toEqual(GA);
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${first.session}` })).statusCode).toBe(204);
    const forgotten = await stored(first.id);
    expect([forgotten.ga, forgotten.source?.clickIds, forgotten.source?.landingPage, forgotten.source?.referrer]).toEqual([undefined, {}, '', '']);
    expect(forgotten.consent).toEqual({ ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' });
    await app.close();
  });

  test('an event still waiting when the visit withdraws, or denies analytics_storage, is never sent', async () => {
    const { app, call, stored } = await setup();
    const withdrawn = await call(90);
    const denied = await call(90);
    expect([withdrawn.ga4?.state, denied.ga4?.state]).toEqual(['pending', 'pending']);
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${withdrawn.session}` })).statusCode).toBe(204);
    await app.inject({ method: 'POST', url: `/v1/sessions/${denied.session}/events`, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ type: 'consent', page: '/', consent: { analytics_storage: 'denied' } }) });
    await app.ga4.deliver();
    expect(standin!.received).toEqual([]);
    expect([(await stored(withdrawn.id)).ga4, (await stored(denied.id)).ga4]).toEqual([undefined, undefined]);
    await app.close();
  });

  test('never twice: a crash after "sending" leaves it unsent, and two processes delivering at once send it once', async () => {
    const { app, clock, call, stored } = await setup();
    const crashed = await call(90);
    // The process died between marking it and sending: nobody sends it again (GA4 would count it twice).
    await clock.store.patchCall(crashed.id, { ga4: { state: 'sending', attempts: 1, at: new Date(await clock.now()).toISOString() } });
    const both = await call(90);
    const other = createGa4({ config: config(), store: clock.store, log: app.log, endpoint: standin!.url });
    await Promise.all([app.ga4.deliver(), other.deliver(), app.ga4.deliver(), other.deliver()]);
    expect(standin!.received.map((r) => r.body.timestamp_micros)).toEqual([Date.parse(both.at) * 1000]);
    expect((await stored(crashed.id)).ga4!.state).toBe('sending');
    expect((await stored(both.id)).ga4!.state).toBe('sent');
    other.stop();
    await app.close();
  });
});

describe('the event', () => {
  test("the site's event name, value and currency; consent only as said; no session id without one", () => {
    const cfg = checkConfig({
      sites: {
        demo: {
          numbers: { [MAIN]: { pools: { default: ['+442079460141'] } } },
          conversion: { name: 'Call', value: 40.5, currency: 'GBP' },
          ga4: { ...STREAM, eventName: 'tracked_call' },
        },
      },
    });
    const call: Call = { id: 'c1', to: '+442079460141', at: '2026-12-01T10:00:00.000Z', site: 'demo', answered: true, duration: 61, consent: { analytics_storage: 'granted', ad_user_data: 'denied' }, ga: { clientId: '1.2' } };
    const payload = ga4Payload(call, cfg);
    expect(payload).toEqual({ client_id: '1.2', timestamp_micros: Date.parse(call.at) * 1000, consent: { ad_user_data: 'DENIED' }, events: [{ name: 'tracked_call', params: { engagement_time_msec: 100, value: 40.5, currency: 'GBP', call_duration: 61 } }] });
    expect(validateGa4(payload, new URLSearchParams({ measurement_id: STREAM.measurementId, api_secret: STREAM.apiSecret }), STREAM, Date.parse(call.at))).toEqual([]);
  });

  test('event names GA4 keeps for itself are refused in the config, with the field named', () => {
    for (const eventName of ['session_start', 'google_call', 'ga_call', 'firebase_x', '1call', 'a'.repeat(41)]) {
      expect(() => checkConfig({ sites: { demo: { numbers: { [MAIN]: { pools: { default: ['+442079460141'] } } }, ga4: { ...STREAM, eventName } } } }), eventName).toThrow(/sites\.demo\.ga4\.eventName/);
    }
  });

  test('the stand-in refuses what Google refuses (a test of the test)', () => {
    const query = new URLSearchParams({ measurement_id: STREAM.measurementId, api_secret: STREAM.apiSecret });
    const now = Date.parse('2026-12-01T10:00:00Z');
    const codes = (body: unknown, q = query) => validateGa4(body, q, STREAM, now).map((m: { validationCode: string }) => m.validationCode);
    const good = { client_id: '1.2', timestamp_micros: now * 1000, events: [{ name: 'phone_call', params: { value: 1, currency: 'EUR' } }] };
    expect(codes(good)).toEqual([]);
    expect(codes({ ...good, client_id: undefined })).toEqual(['VALUE_REQUIRED']);
    expect(codes({ ...good, timestamp_micros: (now - 73 * 3_600_000) * 1000 })).toEqual(['VALUE_OUT_OF_BOUNDS']);
    expect(codes({ ...good, consent: { ad_user_data: 'granted' } })).toEqual(['VALUE_INVALID']);
    expect(codes({ ...good, events: [{ name: 'session_start' }] })).toEqual(['NAME_RESERVED']);
    expect(codes({ ...good, events: [{ name: 'x', params: { long: 'a'.repeat(101) } }] })).toEqual(['VALUE_OUT_OF_BOUNDS']);
    expect(codes({ ...good, events: [{ name: 'x', params: { value: 3 } }] })).toEqual(['VALUE_REQUIRED']);
    expect(codes(good, new URLSearchParams({ measurement_id: STREAM.measurementId, api_secret: 'wrong' }))).toEqual(['VALUE_INVALID']);
  });
});
