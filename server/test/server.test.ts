// @vitest-environment node
// The pool server's HTTP contract (openapi.json and the README), through Fastify's inject: the operator API's
// token, CORS per site, 4xx JSON errors for every kind of bad input, rate limits, releases, config checks, logs.
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkConfig, CONFIG_SCHEMA, loadConfig, type PoolConfig } from '../src/config';
import { createServer } from '../src/app';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/store';
import { validator } from '../../test/protocol';
import { MAIN, OTHER, source, testConfig } from './fixtures';
import { stores } from './stores';

const TOKEN = 'test-token-0123456789';
const ADMIN = { authorization: `Bearer ${TOKEN}` };
const leaseBody = (extra: Record<string, unknown> = {}) => ({ site: 'demo', visitor: 'visitor-12345', targets: [MAIN, OTHER], source: source('paid_search'), page: '/', ...extra });

const make = async (config: Partial<PoolConfig> = {}, options: { store?: Store; token?: string | null; logs?: string[]; level?: string; demo?: boolean; trustProxy?: boolean } = {}) => {
  const logs = options.logs;
  return createServer({
    config: testConfig(config),
    store: options.store ?? createMemoryStore(),
    adminToken: options.token === null ? undefined : (options.token ?? TOKEN),
    logger: logs ? { level: options.level ?? 'info', stream: new Writable({ write: (chunk, _, done) => (logs.push(String(chunk)), done()) }) } : false,
    demo: options.demo ? { statics: [['/', 'examples/site']], shareToken: true } : undefined,
    trustProxy: options.trustProxy,
  });
};

describe('operator API', () => {
  test.each([
    ['GET', '/v1/calls'],
    ['POST', '/v1/calls'],
    ['GET', '/v1/stats?site=demo'],
  ])('%s %s needs the bearer token: 401 JSON without or with a wrong one, never CORS headers', async (method, url) => {
    const app = await make({ allowedOrigins: ['https://shop.example'] });
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: TOKEN }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await app.inject({ method: method as 'GET', url, headers: { ...headers, origin: 'https://evil.example' }, payload: method == 'POST' ? { to: '+442079460101' } : undefined });
      expect(res.statusCode).toBe(401);
      expect(validator('Error')(res.json())).toBe(true);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    const ok = await app.inject({ method: method as 'GET', url, headers: { ...ADMIN, origin: 'https://evil.example' }, payload: method == 'POST' ? { to: '+442079460101' } : undefined });
    expect(ok.statusCode).toBeLessThan(300);
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    // Preflights for the operator API get no CORS headers either, not even from an origin listed for a site.
    for (const origin of ['https://evil.example', 'https://shop.example']) {
      const preflight = await app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': method } });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  test('without ADMIN_TOKEN the operator API answers 401 to everyone', async () => {
    const app = await make({}, { token: null });
    for (const authorization of ['', 'Bearer ', 'Bearer undefined', `Bearer ${TOKEN}`]) {
      const res = await app.inject({ url: '/v1/calls', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/ADMIN_TOKEN/);
    }
  });

  test('calls are recorded with duration and status and listed newest first; stats answer the schema', async () => {
    const app = await make();
    const lease = (await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() })).json();
    const call = await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: lease.numbers[MAIN], from: '+447700900123', duration: 93, status: 'completed' } });
    expect(call.statusCode).toBe(201);
    expect(validator('Call')(call.json())).toBe(true);
    expect(call.json()).toMatchObject({ session: lease.session, duration: 93, status: 'completed', source: { campaign: 'spring' } });
    const list = (await app.inject({ url: '/v1/calls?site=demo', headers: ADMIN })).json();
    expect(list[0].id).toBe(call.json().id);
    const stats = await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN });
    expect(validator('Stats')(stats.json())).toBe(true);
    expect(stats.json().pools.paid_search).toEqual({ size: 2, held: 1 });
    expect((await app.inject({ url: '/v1/stats?site=nope', headers: ADMIN })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/stats', headers: ADMIN })).statusCode).toBe(400);
  });
});

describe('public API: origins per site', () => {
  const config = { allowedOrigins: [], sites: { ...testConfig().sites, demo: { ...testConfig().sites.demo, allowedOrigins: ['https://shop.example'] } } };

  test('a preflight passes for any origin, with CORS headers for that origin and nothing else exposed', async () => {
    const app = await make(config);
    for (const origin of ['https://shop.example', 'https://evil.example']) {
      const res = await app.inject({ method: 'OPTIONS', url: '/v1/sessions', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(String(res.headers['access-control-allow-headers'])).toMatch(/^content-type$/i);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  test.each(['application/json', 'text/plain'])('a %s lease from an origin not listed for the site is 403, readable by the page, and takes no number', async (type) => {
    const app = await make(config);
    const payload = JSON.stringify(leaseBody());
    for (const origin of ['https://evil.example', 'null', 'https://shop.example.evil.example']) {
      const res = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { origin, 'content-type': type }, payload });
      expect(res.statusCode).toBe(403);
      expect(validator('Error')(res.json())).toBe(true);
      expect(res.json()).toEqual({ error: 'forbidden', message: `requests from ${origin} are not allowed for site "demo": add the origin to the site's "allowedOrigins"` });
      expect(res.headers['access-control-allow-origin']).toBe(origin);
    }
    // The origin is listed for "demo", not for "other".
    const cross = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { origin: 'https://shop.example' }, payload: leaseBody({ site: 'other', targets: ['+442079460999'] }) });
    expect(cross.statusCode).toBe(403);
    const stats = (await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN })).json();
    expect(stats.pools.paid_search.held + stats.pools.default.held).toBe(0);
    expect(stats.sessions).toEqual({});
  });

  test('the listed origin, the server\'s own origin and requests without an Origin are served', async () => {
    const app = await make(config);
    const listed = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { origin: 'https://shop.example' }, payload: leaseBody() });
    expect(listed.statusCode).toBe(201);
    expect(listed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(listed.headers['access-control-expose-headers']).toMatch(/retry-after/i);
    const own = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { origin: 'http://pool.example:8080', host: 'pool.example:8080' }, payload: leaseBody() });
    expect(own.statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() })).statusCode).toBe(201);
  });

  test('heartbeats, events and releases from an origin not listed for the session\'s site are 403 and change nothing', async () => {
    const app = await make(config);
    const { session } = (await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() })).json();
    const evil = { origin: 'https://evil.example', 'content-type': 'text/plain' };
    expect((await app.inject({ method: 'POST', url: `/v1/sessions/${session}/heartbeat`, headers: evil, payload: JSON.stringify({ page: '/', visible: true }) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/v1/sessions/${session}/events`, headers: evil, payload: JSON.stringify({ type: 'missing_target', page: '/x', targets: [MAIN] }) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${session}`, headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
    const stats = (await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN })).json();
    expect(stats.missingTargets).toEqual({});
    expect(stats.pools.paid_search.held).toBe(1);
  });

  test('the refusal is logged once per origin and site an hour; an unknown site once per id', async () => {
    const logs: string[] = [];
    const app = await make(config, { logs, level: 'warn' });
    for (let i = 0; i < 3; i++) {
      for (const origin of ['https://evil.example', 'https://other.example']) await app.inject({ method: 'POST', url: '/v1/sessions', headers: { origin }, payload: leaseBody() });
      await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody({ site: 'dmeo' }) });
    }
    const lines = logs.map((l) => JSON.parse(l)).map((l) => [l.level, l.msg]);
    expect(lines).toEqual([
      [40, 'origin https://evil.example is not allowed for site "demo": add it to "allowedOrigins"'],
      [40, 'origin https://other.example is not allowed for site "demo": add it to "allowedOrigins"'],
      [40, 'a lease for site "dmeo", which the config does not list'],
    ]);
  });

  test('a path the server does not know answers 404 JSON with CORS headers (a wrong endpoint); the operator API never has them', async () => {
    const app = await make(config);
    for (const url of ['/v1/v1/sessions', '/api/sessions', '/v1/session']) {
      const res = await app.inject({ method: 'POST', url, headers: { origin: 'https://shop.example' }, payload: leaseBody() });
      expect([res.statusCode, res.json().error, res.headers['access-control-allow-origin']]).toEqual([404, 'not_found', 'https://shop.example']);
      const preflight = await app.inject({ method: 'OPTIONS', url, headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
      expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    }
    for (const url of ['/v1/calls', '/v1/stats?site=demo', '/v1/report?site=demo', '/v1/sites', '/v1/conversions.csv?site=demo', '/dashboard/', '/health', '/ready']) {
      const res = await app.inject({ url, headers: { origin: 'https://shop.example', ...ADMIN } });
      expect(res.headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });

  test('every answer exposes Retry-After, errors included', async () => {
    const app = await make();
    for (const [method, url] of [['POST', '/v1/sessions'], ['GET', '/v1/nope'], ['GET', '/health'], ['GET', '/v1/calls']] as const) {
      const res = await app.inject({ method, url, headers: { origin: 'https://shop.example' }, payload: method == 'POST' ? '{' : undefined });
      expect(res.headers['access-control-expose-headers']).toMatch(/retry-after/i);
    }
  });
});

describe('public API: leases', () => {
  test('lease, heartbeat, events and release answer the protocol', async () => {
    const app = await make();
    const lease = await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() });
    expect(lease.statusCode).toBe(201);
    expect(validator('Lease')(lease.json())).toBe(true);
    const { session } = lease.json();
    const beat = await app.inject({ method: 'POST', url: `/v1/sessions/${session}/heartbeat`, payload: { page: '/contact', visible: false } });
    expect(beat.statusCode).toBe(200);
    expect(validator('Heartbeat')(beat.json())).toBe(true);
    const event = await app.inject({ method: 'POST', url: `/v1/sessions/${session}/events`, headers: { 'content-type': 'text/plain;charset=UTF-8' }, payload: JSON.stringify({ type: 'pageview', page: '/' }) });
    expect(event.statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${session}` })).statusCode).toBe(204);
    // Done is done: releasing again is fine, a heartbeat is told the lease is gone.
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${session}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'POST', url: `/v1/sessions/${session}/heartbeat`, payload: { page: '/', visible: true } })).statusCode).toBe(410);
    expect((await app.inject({ method: 'DELETE', url: '/v1/sessions/unknown-session' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/sessions/unknown-session/heartbeat', payload: { page: '/', visible: true } })).statusCode).toBe(404);
  });

  test('a visitor over its limit gets 429 with Retry-After; so does an IP over maxLeasesPerIp and over perIp', async () => {
    const app = await make({ rateLimit: { perIp: 8, perVisitor: 2, windowSeconds: 60 }, maxLeasesPerIp: 3 });
    const from = (remoteAddress: string, visitor = `v-${Math.random().toString(36).slice(2, 12)}`) =>
      app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress, payload: leaseBody({ visitor }) });
    expect((await from('10.0.0.1', 'greedy-visitor')).statusCode).toBe(201);
    expect((await from('10.0.0.2', 'greedy-visitor')).statusCode).toBe(201);
    const visitor = await from('10.0.0.3', 'greedy-visitor');
    expect(visitor.statusCode).toBe(429);
    expect(Number(visitor.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect((await from('10.0.1.1')).statusCode).toBe(201);
    const held = await from('10.0.1.1');
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(100);
    // perIp counts every request of an address, unknown URLs too.
    for (let i = 0; i < 8; i++) expect((await app.inject({ url: '/v1/nope', remoteAddress: '10.0.2.1' })).statusCode).toBe(404);
    const over = await app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress: '10.0.2.1', headers: { origin: 'https://shop.example' }, payload: leaseBody() });
    expect(over.statusCode).toBe(429);
    // Readable by the page: its Retry-After is honoured.
    expect(over.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect((await app.inject({ url: '/v1/nope', remoteAddress: '10.0.2.1' })).statusCode).toBe(429);
    expect(validator('Error')(over.json())).toBe(true);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('behind a proxy (TRUST_PROXY) the limits count the forwarded address; without it the proxy\'s', async () => {
    const lease = (app: Awaited<ReturnType<typeof make>>, client: string) =>
      app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress: '10.9.9.9', headers: { 'x-forwarded-for': client }, payload: leaseBody({ visitor: `v-${Math.random().toString(36).slice(2, 12)}` }) });
    const behind = await make({ maxLeasesPerIp: 2 }, { trustProxy: true });
    expect((await lease(behind, '198.51.100.1')).statusCode).toBe(201);
    expect((await lease(behind, '198.51.100.1')).statusCode).toBe(201);
    expect((await lease(behind, '198.51.100.1')).statusCode).toBe(429);
    expect((await lease(behind, '198.51.100.2')).statusCode).toBe(201);
    const direct = await make({ maxLeasesPerIp: 2 });
    expect((await lease(direct, '198.51.100.1')).statusCode).toBe(201);
    expect((await lease(direct, '198.51.100.2')).statusCode).toBe(201);
    // A client cannot name itself another address when no proxy is trusted.
    expect((await lease(direct, '198.51.100.3')).statusCode).toBe(429);
  });

  test('/health says the process is up; /ready says 503 when the store does not answer', async () => {
    const store = createMemoryStore();
    let down = false;
    const app = await make({}, { store: { ...store, ping: async () => (down ? Promise.reject(new Error('down')) : undefined) } });
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
    down = true;
    expect((await app.inject({ url: '/health' })).json()).toEqual({ ok: true });
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(validator('Error')(ready.json())).toBe(true);
  });

  test('a store that fails mid-request answers 503 with Retry-After, not 500', async () => {
    const store = createMemoryStore();
    const app = await make({}, { store: { ...store, lease: () => Promise.reject(new Error('connection lost')), ping: () => Promise.reject(new Error('down')) } });
    const res = await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('never a 5xx for bad input', () => {
  const PROTO = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
  const bodies: [string, string, string | object, string?][] = [
    ['POST', '/v1/sessions', '{"site":'],
    ['POST', '/v1/sessions', ''],
    ['POST', '/v1/sessions', 'null'],
    ['POST', '/v1/sessions', '[]'],
    ['POST', '/v1/sessions', '"x"'],
    ['POST', '/v1/sessions', JSON.stringify({ site: 'demo', pad: 'x'.repeat(20_000) })],
    ['POST', '/v1/sessions', leaseBody({ targets: ['not-a-number'] })],
    ['POST', '/v1/sessions', leaseBody({ visitor: 12 })],
    ['POST', '/v1/sessions', leaseBody({ targets: MAIN })],
    ['POST', '/v1/sessions', leaseBody({ source: { ...source('direct'), channel: 'nope' } })],
    ['POST', '/v1/sessions', leaseBody(), 'application/xml'],
    ['POST', '/v1/sessions', leaseBody(), 'multipart/form-data; boundary=x'],
    ['POST', '/v1/sessions/abc/heartbeat', { page: '/', visible: true }],
    ['POST', '/v1/sessions/%E0%A4%A/heartbeat', { page: '/', visible: true }],
    ['POST', '/v1/sessions/valid-session/heartbeat', { page: '/', visible: 'true' }],
    ['POST', '/v1/sessions/valid-session/events', { type: 'nope', page: '/' }],
    ['DELETE', '/v1/sessions/%zz', ''],
    ['GET', '/v1/stats?site=%E0%A4%A', ''],
    ['GET', '/%', ''],
    ['POST', '/v1/calls', { to: '+44', at: 'yesterday' }],
    ['POST', '/v1/calls', '{"to":"+442079460101","at":"2026-13-45T99:99:99Z"}'],
  ];
  for (const name of PROTO) {
    bodies.push(['POST', '/v1/sessions', leaseBody({ site: name })]);
    bodies.push(['POST', '/v1/sessions', `{"${name}":{"polluted":true},"site":"demo"}`]);
    bodies.push(['POST', '/v1/sessions', leaseBody({ source: { ...source('direct'), pool: name } })]);
    bodies.push(['POST', '/v1/sessions', leaseBody({ source: { ...source('direct'), clickIds: { [name]: 'x' } } })]);
    bodies.push(['POST', '/v1/sessions', `{"site":"demo","visitor":null,"targets":["${MAIN}"],"source":{"${name}":{"channel":"direct"}},"page":"/"}`]);
    bodies.push(['POST', `/v1/sessions/${name}/heartbeat`, { page: name, visible: true }]);
    bodies.push(['POST', `/v1/sessions/${name}x${name}/events`, { type: 'missing_target', page: name, targets: [MAIN] }]);
    bodies.push(['DELETE', `/v1/sessions/${name}`, '']);
    bodies.push(['GET', `/v1/stats?site=${name}`, '']);
    bodies.push(['GET', `/${name}`, '']);
  }

  test(`${bodies.length} malformed requests each get a 4xx JSON error, and the pool still works after`, async () => {
    const app = await make({}, { demo: true });
    for (const [method, url, body, type] of bodies) {
      const payload = typeof body == 'string' ? body : JSON.stringify(body);
      const res = await app.inject({ method: method as 'GET', url, headers: { ...ADMIN, 'content-type': type ?? 'application/json' }, payload: method == 'GET' || method == 'DELETE' ? undefined : payload });
      expect(res.statusCode, `${method} ${url} ${payload.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${method} ${url} ${payload.slice(0, 80)}`).toBeLessThan(500);
      expect(validator('Error')(res.json()), res.body).toBe(true);
      expect(res.body).not.toMatch(/\bat \w+ \(|node_modules|\.ts:\d/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() })).statusCode).toBe(201);
  });

  test('fields and parameters no schema lists, prototype names among them, are dropped before anything reads them', async () => {
    const app = await make();
    // A body with "__proto__" is refused whole by the JSON parser (400): covered above.
    for (const name of PROTO.filter((n) => n != '__proto__')) {
      expect((await app.inject({ url: `/v1/stats?site=demo&${name}=1`, headers: ADMIN })).statusCode).toBe(200);
      expect((await app.inject({ url: `/v1/calls?${name}=x`, headers: ADMIN })).statusCode).toBe(200);
      const call = await app.inject({ method: 'POST', url: '/v1/calls', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: `{"to":"+442079460101","${name}":{"polluted":true}}` });
      expect(call.statusCode).toBe(201);
      expect(Object.keys(call.json())).not.toContain(name);
      const lease = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'content-type': 'application/json' }, payload: `{"site":"demo","visitor":null,"targets":["${MAIN}"],"page":"/","${name}":1,"source":{"channel":"direct","source":"(direct)","medium":"(none)","clickIds":{},"referrer":"","landingPage":"","${name}":{"polluted":true}}}` });
      expect(lease.statusCode).toBe(201);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('prototype names as free text (a campaign, a page, a click id\'s value) are only text', async () => {
    const app = await make();
    for (const name of PROTO) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        payload: leaseBody({ visitor: `v-${name.replace(/\W/g, '')}-1234`, page: `/${name}`, source: { ...source('direct'), source: name, medium: name, campaign: name, term: name, clickIds: { gclid: name } } }),
      });
      expect(res.statusCode).toBe(201);
      await app.inject({ method: 'POST', url: `/v1/sessions/${res.json().session}/events`, payload: { type: 'missing_target', page: name, targets: [OTHER] } });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const stats = (await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN })).json();
    expect(Object.keys(stats.missingTargets).sort()).toEqual([...PROTO].sort());
  });
});

describe('config', () => {
  test.each([
    [{ ttl: '1800' }, /"ttl" must be integer/],
    [{ rateLimit: { perIp: '5' } }, /"rateLimit.perIp" must be integer/],
    [{ tll: 1800 }, /unknown field "tll" \(did you mean "ttl"\?\)/],
    [{ rateLimit: { perIP: 5 } }, /unknown field "rateLimit.perIP" \(did you mean "perIp"\?\)/],
    [{ rateLimit: { windowSecond: 5 } }, /unknown field "rateLimit.windowSecond" \(did you mean "windowSeconds"\?\)/],
    [{ sites: { demo: { numbers: { [MAIN]: { pools: { default: ['+442079460141'] } } }, allowedOrigin: ['*'] } } }, /unknown field "sites.demo.allowedOrigin" \(did you mean "allowedOrigins"\?\)/],
    [{ colour: 'red' }, /unknown field "colour"$/],
    [{ claim: -1 }, /"claim" must be >= 1/],
    [{ allowedOrigins: ['shop.example'] }, /"allowedOrigins.0" must match/],
    [{ sites: { demo: { numbers: { '+31 20 123 4567': { pools: {} } } } } }, /"\+31 20 123 4567" \(sites.demo.numbers\): write site numbers as \+31201234567$/],
    [{ sites: { demo: { numbers: { '0031 (0)20 123 4567': { pools: {} } } } } }, /write site numbers as \+31201234567$/],
    [{ sites: { demo: { numbers: { '020 123': { pools: {} } } } } }, /"020 123" \(sites.demo.numbers\): write site numbers with their country code, a \+ and the digits only, as \+31201234567/],
    [{ sites: { demo: { numbers: { [MAIN]: { pools: { default: ['+44 20 7946 0141'] } } } } } }, /"\+44 20 7946 0141" \(sites.demo.numbers.\+442079460018.pools.default.0\): write tracking numbers as \+442079460141/],
    [{ sites: { 'a b': { numbers: {} } } }, /"a b" in "sites" is not a site id/],
    [{ sites: { a: { numbers: { [MAIN]: { pools: { x: ['+442079460101'] } } } }, b: { numbers: { [OTHER]: { pools: { y: ['+442079460101'] } } } } } }, /"\+442079460101" is in sites.a.numbers.\+442079460018.pools.x and in sites.b/],
  ])('%j is refused naming the field', (extra, message) => {
    expect(() => checkConfig({ ...testConfig(), ...extra }, 'pool.json')).toThrow(message);
    expect(() => checkConfig({ ...testConfig(), ...extra }, 'pool.json')).toThrow(/^pool.json: /);
  });

  test('partial objects are merged with the defaults field by field', () => {
    const config = checkConfig({ rateLimit: { perIp: 5 }, sites: testConfig().sites });
    expect(config.rateLimit).toEqual({ perIp: 5, perVisitor: 30, windowSeconds: 60 });
    expect([config.ttl, config.claim, config.quarantine, config.maxLeasesPerIp, config.retentionDays]).toEqual([1800, 120, 300, 10, 90]);
  });

  test('config.schema.json is the schema the server checks with, and config.example.json passes it', () => {
    expect(JSON.parse(readFileSync('server/config.schema.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(CONFIG_SCHEMA)));
    expect(loadConfig('server/config.example.json').sites['my-site']).toBeDefined();
    expect(JSON.parse(readFileSync('server/config.example.json', 'utf8')).$schema).toBe('./config.schema.json');
  });

  test('the demo and end-to-end configs are valid', () => {
    const demo = loadConfig('examples/site/demo.config.json');
    const e2e = loadConfig('test/e2e/pool.config.json');
    expect(demo.sites.demo).toBeDefined();
    expect(e2e.sites.e2e).toBeDefined();
    expect(() => loadConfig('nope.json')).toThrow(/^nope.json: cannot be read/);
    // The browser benchmark serves both sites from one server (test/bench/page.mjs): no tracking number in both.
    expect(() => checkConfig({ ...e2e, sites: { ...demo.sites, ...e2e.sites } })).not.toThrow();
  });
});

describe('logs', () => {
  const traffic = async (app: Awaited<ReturnType<typeof make>>) => {
    const lease = await app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress: '203.0.113.77', payload: leaseBody({ visitor: 'secret-visitor-id' }) });
    await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, remoteAddress: '203.0.113.77', payload: { to: lease.json().numbers[MAIN], from: '+447700900123' } });
    await app.inject({ method: 'POST', url: `/v1/sessions?to=${encodeURIComponent('+447700900123')}`, remoteAddress: '203.0.113.77', payload: '{' });
    return lease;
  };
  const SECRETS = ['203.0.113.77', 'secret-visitor-id', '7700900123', '2079460', TOKEN, 'gclid'];

  test('at info: a line per lease and per call, with its request id; no phone number, visitor id, IP or token', async () => {
    const logs: string[] = [];
    const lease = await traffic(await make({}, { logs }));
    expect(logs.map((l) => JSON.parse(l).msg)).toEqual(['lease', 'call']);
    expect(JSON.parse(logs[0])).toMatchObject({ reqId: lease.headers['x-request-id'], site: 'demo', channel: 'paid_search', numbers: 2, none: 0 });
    expect(JSON.parse(logs[1])).toMatchObject({ site: 'demo', channel: 'paid_search', attributed: true });
    for (const secret of SECRETS) expect(logs.join('')).not.toContain(secret);
  });

  test('at debug: also a line per request, the address masked and no query string', async () => {
    const logs: string[] = [];
    const lease = await traffic(await make({}, { logs, level: 'debug' }));
    const requests = logs.map((l) => JSON.parse(l)).filter((l) => l.msg == 'request');
    expect(requests.map((l) => [l.method, l.path, l.status])).toEqual([['POST', '/v1/sessions', 201], ['POST', '/v1/calls', 201], ['POST', '/v1/sessions', 415]]);
    expect(requests[0]).toMatchObject({ reqId: lease.headers['x-request-id'], ip: '203.0.113.0' });
    for (const secret of SECRETS) expect(logs.join('')).not.toContain(secret);
  });
});

describe('demo files', () => {
  test('served only when asked for; the admin token only to the demo\'s own pages', async () => {
    const production = await make();
    expect((await production.inject({ url: '/' })).statusCode).toBe(404);
    expect((await production.inject({ url: '/calls.html' })).statusCode).toBe(404);
    expect((await production.inject({ url: '/demo/token' })).statusCode).toBe(404);
    const demo = await make({}, { demo: true });
    expect((await demo.inject({ url: '/' })).statusCode).toBe(200);
    expect((await demo.inject({ url: '/demo/token', headers: { 'sec-fetch-site': 'same-origin' } })).json()).toEqual({ token: TOKEN });
    expect((await demo.inject({ url: '/demo/token', headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(403);
    expect((await demo.inject({ url: '/demo/token' })).statusCode).toBe(403);
    // From another machine: refused, whatever its headers say (the connection's address counts, not a forwarded one).
    expect((await demo.inject({ url: '/demo/token', remoteAddress: '203.0.113.9', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode).toBe(403);
    const proxied = await make({}, { demo: true, trustProxy: true });
    expect((await proxied.inject({ url: '/demo/token', remoteAddress: '203.0.113.9', headers: { 'sec-fetch-site': 'same-origin', 'x-forwarded-for': '127.0.0.1' } })).statusCode).toBe(403);
    expect((await demo.inject({ url: '/../package.json' })).statusCode).toBe(404);
    expect((await demo.inject({ url: '/%2e%2e/package.json' })).statusCode).toBe(404);
  });
});

describe.each(stores)('HTTP with the %s store', (_, makeStore) => {
  if (!makeStore) return void test.skip('redis-server is not installed here', () => undefined);
  test('a lease, a heartbeat, a call and the stats through HTTP', async () => {
    const { store } = await makeStore();
    const app = await make({}, { store });
    const lease = (await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody() })).json();
    expect((await app.inject({ method: 'POST', url: `/v1/sessions/${lease.session}/heartbeat`, payload: { page: '/', visible: true } })).statusCode).toBe(200);
    const call = (await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: lease.numbers[MAIN] } })).json();
    expect(call.session).toBe(lease.session);
    const stats = (await app.inject({ url: '/v1/stats?site=demo', headers: ADMIN })).json();
    expect(stats.sessions).toEqual({ paid_search: 1 });
    expect(stats.pools.paid_search.held).toBe(1);
  });

  test('the pool\'s own cookie: a paid lease sets it; a direct visit that lost its storage is attributed to the ad; GPC gets none; a withdrawal forgets it', async () => {
    const { store, advance } = await makeStore();
    const app = await make({ quarantine: 0, sites: { ...testConfig().sites, demo: { ...testConfig().sites.demo, attributionDays: 7 } } }, { store });
    const paid = await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody({ source: source('paid_search', { campaign: 'winter', clickIds: { gclid: 'Cj0-cookie' } }) }) });
    const cookie = paid.cookies.find((c) => c.name == '_callswap_id')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie.maxAge).toBe(7 * 86_400);
    // Days later the page's own storage is gone (Safari): it sends a direct source, and the pool's cookie.
    advance(3 * 86_400_000);
    const direct = await app.inject({ method: 'POST', url: '/v1/sessions', headers: { cookie: `_callswap_id=${cookie.value}` }, payload: leaseBody({ visitor: 'visitor-after-itp', source: source('direct', { source: '(direct)', medium: '(none)', campaign: undefined, term: undefined, clickIds: {} }) }) });
    expect(direct.statusCode).toBe(201);
    // From the ad's pool, and a call to it is the ad's.
    expect(direct.json().numbers[MAIN]).toMatch(/^\+44207946010[12]$/);
    const call = (await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: direct.json().numbers[MAIN] } })).json();
    expect(call.source).toMatchObject({ channel: 'paid_search', campaign: 'winter', clickIds: { gclid: 'Cj0-cookie' } });
    /** The source a direct lease with this cookie is attributed to (its number released after). */
    const attributed = async (id: string, visitor: string | null) => {
      const lease = (await app.inject({ method: 'POST', url: '/v1/sessions', headers: { cookie: `_callswap_id=${id}` }, payload: leaseBody({ visitor, source: source('direct', { clickIds: {} }) }) })).json();
      const { source: attributedTo } = (await app.inject({ method: 'POST', url: '/v1/calls', headers: ADMIN, payload: { to: lease.numbers[MAIN] } })).json();
      await app.inject({ method: 'DELETE', url: `/v1/sessions/${lease.session}` });
      return attributedTo.channel;
    };
    // Global Privacy Control (no persistent visitor id): no cookie set, and none is read.
    const gpc = await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody({ visitor: null }) });
    expect(gpc.cookies).toEqual([]);
    await app.inject({ method: 'DELETE', url: `/v1/sessions/${gpc.json().session}` });
    expect(await attributed(cookie.value, null)).toBe('direct');
    // Consent withdrawn: released, the cookie cleared, the source forgotten.
    const released = await app.inject({ method: 'DELETE', url: `/v1/sessions/${direct.json().session}`, headers: { cookie: `_callswap_id=${cookie.value}` } });
    expect(released.statusCode).toBe(204);
    expect(released.cookies.find((c) => c.name == '_callswap_id')?.value).toBe('');
    expect(await attributed(cookie.value, 'visitor-after-withdrawal')).toBe('direct');
    // Past the window the remembered source is gone by itself.
    const again = await app.inject({ method: 'POST', url: '/v1/sessions', payload: leaseBody({ visitor: 'visitor-late', source: source('paid_search') }) });
    const id = again.cookies.find((c) => c.name == '_callswap_id')!.value;
    expect(await attributed(id, 'visitor-late-1')).toBe('paid_search');
    advance(8 * 86_400_000);
    expect(await attributed(id, 'visitor-late-2')).toBe('direct');
  });
});
