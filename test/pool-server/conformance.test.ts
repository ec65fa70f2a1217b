// @vitest-environment node
// One conformance suite for the reference pool server, run against the in-memory store and the Redis store.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createApp } from '../../examples/pool-server/src/app';
import type { PoolConfig } from '../../examples/pool-server/src/config';
import { createRedisStore } from '../../examples/pool-server/src/redisStore';
import { createMemoryStore, type Store } from '../../examples/pool-server/src/store';
import { validator } from '../protocol';
// @ts-expect-error plain JS shared with the benchmarks
import { startRedis } from '../servers.mjs';

const SITE = 'demo';
const MAIN = '+442079460018';
const OTHER = '+442079460555';
const config: PoolConfig = {
  ttl: 1800,
  heartbeat: 60,
  quarantine: 300,
  allowedOrigins: ['https://shop.example'],
  rateLimit: { perIp: 1000, perVisitor: 5, windowSeconds: 60 },
  sites: {
    [SITE]: {
      numbers: {
        [MAIN]: { pools: { emergency: ['+442079460201'], paid_search: ['+442079460101', '+442079460102'], default: ['+442079460141'] } },
        [OTHER]: { pools: { default: ['+442079460551'] } },
      },
    },
  },
};
const source = (channel: string, extra: Record<string, unknown> = {}) => ({
  channel,
  source: 'google',
  medium: 'cpc',
  campaign: 'spring',
  term: 'plumber',
  clickIds: { gclid: 'abc' },
  referrer: '',
  landingPage: 'https://shop.example/?gclid=abc',
  ...extra,
});

// The Redis run needs redis-server: .ci/run installs it, so on CI its absence is a failure, not a skip.
const redis = await startRedis();
if (!redis && process.env.CI) throw new Error('redis-server is not installed (.ci/run installs it)');
const stores: [string, (() => Promise<Store>) | undefined][] = [
  ['memory store', async () => createMemoryStore()],
  ['Redis store', redis && (() => createRedisStore(redis.url, `test-${Math.random().toString(36).slice(2)}:`))],
];
afterAll(() => redis?.stop());

describe.each(stores)('pool server with the %s', (_, makeStore) => {
  if (!makeStore) {
    test.skip('redis-server is not installed here', () => undefined);
    return;
  }
  let server: Server;
  let store: Store;
  let base: string;
  let clock = 0;

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body == 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: await res.json() };
  };
  const leaseFor = async (channel: string, extra: Record<string, unknown> = {}, visitor = `visitor-${Math.random().toString(36).slice(2, 10)}`) => {
    const res = await post('/v1/sessions', { site: SITE, visitor, targets: [MAIN, OTHER], source: source(channel, extra), page: '/' });
    expect(res.status).toBe(201);
    expect(validator('Lease')(res.body), JSON.stringify(validator('Lease').errors)).toBe(true);
    return res.body as { session: string; numbers: Record<string, string>; ttl: number; heartbeat: number };
  };

  beforeAll(async () => {
    store = await makeStore();
    server = createServer(createApp({ config, store, now: () => clock }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });
  beforeEach(() => {
    // A fresh hour per test: every earlier holding has expired and rested.
    clock += 3_600_000 * 2;
  });

  test('a lease takes a number from the pool of the visit: rule pool, else channel, else default', async () => {
    const paid = await leaseFor('paid_search');
    expect(paid.numbers[MAIN]).toMatch(/^\+44207946010[12]$/);
    expect(paid.numbers[OTHER]).toBe('+442079460551');
    expect([paid.ttl, paid.heartbeat]).toEqual([1800, 60]);
    expect((await leaseFor('referral')).numbers[MAIN]).toBe('+442079460141');
    expect((await leaseFor('paid_search', { pool: 'emergency' })).numbers[MAIN]).toBe('+442079460201');
  });

  test('a number is never held by two live sessions; an exhausted pool leaves the target out and is counted', async () => {
    const a = await leaseFor('paid_search');
    const b = await leaseFor('paid_search');
    const c = await leaseFor('paid_search');
    expect(new Set([a.numbers[MAIN], b.numbers[MAIN]]).size).toBe(2);
    expect(c.numbers[MAIN]).toBeUndefined();
    expect(b.numbers[OTHER]).toBeUndefined();
    const stats = await get(`/v1/stats?site=${SITE}`);
    expect(validator('Stats')(stats.body)).toBe(true);
    expect(stats.body.exhausted).toBeGreaterThanOrEqual(3);
    expect(stats.body.pools.paid_search).toEqual({ size: 2, held: 2 });
  });

  test('a released number rests for ttl after its last heartbeat plus the quarantine; the longest released goes first', async () => {
    const a = await leaseFor('paid_search', { pool: 'emergency' });
    expect(a.numbers[MAIN]).toBe('+442079460201');
    clock += 1000 * 1000;
    expect((await post(`/v1/sessions/${a.session}/heartbeat`, { page: '/', visible: true })).status).toBe(200);
    // ttl after the last heartbeat: still held.
    clock += 1799 * 1000;
    expect((await leaseFor('direct', { pool: 'emergency' })).numbers[MAIN]).toBeUndefined();
    // ttl passed but the quarantine not yet.
    clock += 200 * 1000;
    expect((await leaseFor('direct', { pool: 'emergency' })).numbers[MAIN]).toBeUndefined();
    clock += 101 * 1000;
    expect((await leaseFor('direct', { pool: 'emergency' })).numbers[MAIN]).toBe('+442079460201');
  });

  test('the least recently released number goes first', async () => {
    const first = await leaseFor('paid_search');
    clock += 10_000;
    const second = await leaseFor('paid_search');
    clock += 3_600_000;
    const next = await leaseFor('paid_search');
    expect(next.numbers[MAIN]).toBe(first.numbers[MAIN]);
    expect(next.numbers[MAIN]).not.toBe(second.numbers[MAIN]);
  });

  test('heartbeats keep a lease; an expired one is 410, an unknown one 404', async () => {
    const a = await leaseFor('paid_search');
    clock += 60_000;
    const beat = await post(`/v1/sessions/${a.session}/heartbeat`, { page: '/contact', visible: false });
    expect(beat.status).toBe(200);
    expect(validator('Heartbeat')(beat.body)).toBe(true);
    clock += 1801 * 1000;
    const gone = await post(`/v1/sessions/${a.session}/heartbeat`, { page: '/', visible: true });
    expect(gone.status).toBe(410);
    expect(validator('Error')(gone.body)).toBe(true);
    expect((await post('/v1/sessions/unknown-session-id/heartbeat', { page: '/', visible: true })).status).toBe(404);
  });

  test('a call is attributed to the session that held the number then, also after the visitor left', async () => {
    const a = await leaseFor('paid_search');
    const number = a.numbers[MAIN]!;
    const leftAt = clock;
    clock += 20 * 60_000;
    const call = await post('/v1/calls', { to: number, from: '+447700900123', at: new Date(leftAt + 15 * 60_000).toISOString() });
    expect(call.status).toBe(201);
    expect(validator('Call')(call.body), JSON.stringify(validator('Call').errors)).toBe(true);
    expect(call.body).toMatchObject({ to: number, site: SITE, target: MAIN, session: a.session, source: { channel: 'paid_search', campaign: 'spring', term: 'plumber', clickIds: { gclid: 'abc' } } });
    const late = await post('/v1/calls', { to: number, at: new Date(leftAt + 31 * 60_000).toISOString() });
    expect(late.body.session).toBeUndefined();
    const calls = await get('/v1/calls');
    expect(calls.body.slice(0, 2).map((c: { id: string }) => c.id)).toEqual([late.body.id, call.body.id]);
  });

  test('missing_target events are recorded per page; sessions are counted per channel', async () => {
    const a = await leaseFor('organic_search');
    const res = await fetch(`${base}/v1/sessions/${a.session}/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ type: 'missing_target', page: '/contact', targets: [OTHER, '+15555550123'] }),
    });
    expect(res.status).toBe(204);
    const stats = (await get(`/v1/stats?site=${SITE}`)).body;
    expect(stats.missingTargets['/contact']).toEqual([OTHER]);
    expect(stats.sessions.organic_search).toBeGreaterThanOrEqual(1);
  });

  test('vitals events are summarised per metric (count, p75)', async () => {
    const a = await leaseFor('referral');
    for (const value of [1200, 1800, 2400, 3000]) {
      const res = await fetch(`${base}/v1/sessions/${a.session}/events`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ type: 'vitals', page: '/', name: 'LCP', value, rating: 'good' }) });
      expect(res.status).toBe(204);
    }
    const stats = (await get(`/v1/stats?site=${SITE}`)).body;
    expect(validator('Stats')(stats)).toBe(true);
    expect(stats.vitals.LCP.count).toBeGreaterThanOrEqual(4);
    expect(stats.vitals.LCP.p75).toBeGreaterThanOrEqual(2400);
  });

  test.each([
    ['bad JSON', '{"site":', 400],
    ['a body over 16 KB', JSON.stringify({ site: SITE, pad: 'x'.repeat(20_000) }), 400],
    ['a body that breaks the schema', { site: SITE, visitor: null, targets: ['not-a-number'], source: source('direct'), page: '/' }, 400],
    ['an unknown site', { site: 'nope', visitor: null, targets: [MAIN], source: source('direct'), page: '/' }, 404],
  ])('%s → %s with a JSON error and no stack trace', async (_, body, status) => {
    const res = await post('/v1/sessions', body);
    expect(res.status).toBe(status);
    expect(validator('Error')(res.body)).toBe(true);
    expect(JSON.stringify(res.body)).not.toMatch(/\bat \w+ \(|node_modules|\.ts:\d/);
  });

  test('a visitor over the rate limit gets 429 with Retry-After', async () => {
    const visitor = 'greedy-visitor-1';
    for (let i = 0; i < 5; i++) await leaseFor('direct', {}, visitor);
    const res = await post('/v1/sessions', { site: SITE, visitor, targets: [MAIN], source: source('direct'), page: '/' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('CORS: allowed origins only, and preflights', async () => {
    const allowed = await fetch(`${base}/v1/sessions`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
    const other = await post('/v1/sessions', { site: SITE, visitor: null, targets: [MAIN], source: source('direct'), page: '/' }, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
