// @vitest-environment node
// The pool logic without HTTP, against both stores: leasing, claims and heartbeats, releases, the per-IP limit,
// call attribution, counters and retention.
import { describe, expect, test } from 'vitest';
import type { PoolConfig } from '../src/config';
import { createPool, poolKey, type LeaseRequest } from '../src/pool';
import { MAIN, OTHER, S, source, testConfig } from './fixtures';
import { counter, MAX_FIELDS, ofKind, peakOf, poolId, total } from '../src/store/counters';
import { stores, type Clocked } from './stores';

let visitors = 0;
const request = (channel: string, extra: Record<string, unknown> = {}, site = 'demo', targets = [MAIN, OTHER]): LeaseRequest => ({
  site,
  visitor: `visitor-${++visitors}`,
  targets,
  source: source(channel, extra),
  page: '/',
});

describe.each(stores)('pool logic with the %s store', (_, make) => {
  if (!make) return void test.skip('redis-server is not installed here', () => undefined);

  const setup = async (extra: Partial<PoolConfig> = {}) => {
    const clocked: Clocked = await make();
    const pool = createPool(testConfig(extra), clocked.store);
    await pool.sync();
    let ip = 0;
    const lease = async (channel: string, more: Record<string, unknown> = {}, from = `10.0.0.${++ip}`) => {
      const result = await pool.lease(request(channel, more), from);
      if (!('lease' in result)) throw new Error(`no lease: ${JSON.stringify(result)}`);
      return result.lease;
    };
    return { ...clocked, pool, lease };
  };

  test('what is stored for a session has a fixed upper size: every field at its longest stays under 12 KB', async () => {
    const { pool, store } = await setup();
    const long = (n: number) => 'x'.repeat(n);
    const clickIds = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`id_${i}_${long(26)}`, long(256)]));
    const max = { source: long(256), medium: long(256), campaign: long(256), term: long(256), content: long(256), clickIds, referrer: long(2048), landingPage: long(2048), pool: long(100) };
    const result = await pool.lease({ ...request('paid_search', max), visitor: long(64) }, '10.9.9.9');
    if (!('lease' in result)) throw new Error('no lease');
    const stored = JSON.stringify(await store.getSession(result.lease.session));
    expect(stored.length).toBeGreaterThan(8000);
    expect(stored.length).toBeLessThan(12_000);
  });

  test('eachCall: every call of a site from a moment on, oldest first, in batches, ties and other sites kept apart', async () => {
    const { store } = await setup();
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
    // Out of order, two at the same moment, another site between them.
    for (const [id, minute, site] of [['c3', 3, 'demo'], ['c1', 1, 'demo'], ['x2', 2, 'other'], ['c2a', 2, 'demo'], ['c2b', 2, 'demo'], ['c0', 0, 'demo'], ['c4', 4, 'demo']] as const) {
      await store.addCall({ id, to: '+442079460101', at: at(minute), site });
    }
    const batches: string[][] = [];
    for await (const batch of store.eachCall({ site: 'demo', since: Date.parse(at(1)) }, 2)) batches.push(batch.map((c) => c.id));
    expect(batches.flat()).toEqual(['c1', 'c2a', 'c2b', 'c3', 'c4']);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(2);
    const none: unknown[] = [];
    for await (const batch of store.eachCall({ site: 'demo', since: Date.parse(at(9)) })) none.push(batch);
    expect(none).toEqual([]);
  });

  test('a lease takes from the rule pool, else the channel, else default; ttl and heartbeat come from the config', async () => {
    const { lease } = await setup();
    const paid = await lease('paid_search');
    expect(paid.numbers[MAIN]).toMatch(/^\+44207946010[12]$/);
    expect(paid.numbers[OTHER]).toBe('+442079460551');
    expect([paid.ttl, paid.heartbeat]).toEqual([1800, 60]);
    expect((await lease('referral')).numbers[MAIN]).toBe('+442079460141');
    expect((await lease('paid_search', { pool: 'emergency' })).numbers[MAIN]).toBe('+442079460201');
    // A pool name that only exists on Object.prototype is no pool.
    expect((await lease('constructor', { pool: '__proto__' })).numbers[MAIN]).toBeUndefined();
  });

  test('a number is never held by two live sessions; an exhausted pool leaves the target out and is counted per pool', async () => {
    const { lease, pool } = await setup();
    const a = await lease('paid_search');
    const b = await lease('paid_search');
    const c = await lease('paid_search');
    expect(new Set([a.numbers[MAIN], b.numbers[MAIN]]).size).toBe(2);
    expect(c.numbers[MAIN]).toBeUndefined();
    expect(b.numbers[OTHER]).toBeUndefined();
    const stats = (await pool.stats('demo'))!;
    expect(stats.exhausted).toBe(3);
    expect(stats.pools.paid_search).toEqual({ size: 2, held: 2 });
    expect(stats.pools.default).toEqual({ size: 2, held: 1 });
    expect(stats.sessions).toEqual({ paid_search: 3 });
  });

  test('a new lease holds its numbers for the claim until its first heartbeat, then for ttl after each', async () => {
    const { lease, pool, advance } = await setup({ quarantine: 0 });
    const a = await lease('paid_search', { pool: 'emergency' });
    advance(119 * S);
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBeUndefined();
    expect(await pool.heartbeat(a.session)).toMatchObject({ site: 'demo' });
    advance(1799 * S);
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBeUndefined();
    advance(2 * S);
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBe('+442079460201');
    // Nobody beat for the second lease: the claim alone held it.
    const unbeaten = await lease('paid_search', { pool: 'emergency' }).catch(() => undefined);
    expect(unbeaten?.numbers[MAIN]).toBeUndefined();
    advance(121 * S);
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBe('+442079460201');
  });

  test('a released number rests for the quarantine; the one released longest ago goes first', async () => {
    const { lease, advance } = await setup();
    const first = await lease('paid_search');
    advance(10 * S);
    const second = await lease('paid_search');
    // Both claims ended; the first's quarantine ends 10 s before the second's.
    advance((120 + 300 - 5) * S);
    const next = await lease('paid_search');
    expect(next.numbers[MAIN]).toBe(first.numbers[MAIN]);
    expect((await lease('paid_search')).numbers[MAIN]).toBeUndefined();
    advance(6 * S);
    expect((await lease('paid_search')).numbers[MAIN]).toBe(second.numbers[MAIN]);
  });

  test('heartbeats: gone once the lease ended, unknown for no lease; a heartbeat never revives a number given away', async () => {
    const { lease, pool, advance } = await setup({ quarantine: 0 });
    const a = await lease('paid_search', { pool: 'emergency' });
    advance(121 * S);
    const b = await lease('direct', { pool: 'emergency' });
    expect(b.numbers[MAIN]).toBe(a.numbers[MAIN]);
    expect(await pool.heartbeat(a.session)).toBe('gone');
    expect(await pool.heartbeat('no-such-session')).toBe('unknown');
    // b still holds it: nobody else gets it.
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBeUndefined();
    expect((await pool.stats('demo'))!.pools.emergency).toEqual({ size: 1, held: 1 });
  });

  test('a release frees the numbers after the quarantine and forgets the visitor id, click ids and landing page', async () => {
    const { lease, pool, store, advance, now } = await setup({ quarantine: 60 });
    const a = await lease('paid_search', { pool: 'emergency' });
    expect(await pool.release(a.session)).toMatchObject({ site: 'demo' });
    expect(await pool.heartbeat(a.session)).toBe('gone');
    const session = (await store.getSession(a.session))!;
    expect(session.visitor).toBeNull();
    expect(session.source).toMatchObject({ channel: 'paid_search', campaign: 'spring', clickIds: {}, landingPage: '', referrer: '' });
    // A call in the quarantine still goes to the visit, without its identifiers.
    advance(30 * S);
    const call = await pool.recordCall({ to: a.numbers[MAIN], at: await now() });
    expect(call).toMatchObject({ session: a.session, source: { channel: 'paid_search', clickIds: {} } });
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBeUndefined();
    advance(31 * S);
    expect((await lease('direct', { pool: 'emergency' })).numbers[MAIN]).toBe(a.numbers[MAIN]);
  });

  test('one IP holds at most maxLeasesPerIp live leases per site; a slot frees when a lease ends', async () => {
    const { pool, advance } = await setup({ maxLeasesPerIp: 3 });
    const take = (site = 'demo', ip = '192.0.2.7') => pool.lease(request('direct', {}, site, site == 'demo' ? [MAIN] : ['+442079460999']), ip);
    for (let i = 0; i < 3; i++) expect(await take()).toHaveProperty('lease');
    const refused = await take();
    expect(refused).toMatchObject({ error: 'rate_limited' });
    expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(100);
    expect((refused as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(120);
    // Another site, another address: their own counts.
    expect(await take('other')).toHaveProperty('lease');
    expect(await take('demo', '192.0.2.8')).toHaveProperty('lease');
    advance(121 * S);
    expect(await take()).toHaveProperty('lease');
  });

  test('a request whose origin may not use the site takes nothing and renews nothing', async () => {
    const { lease, pool } = await setup();
    expect(await pool.lease(request('paid_search'), '10.1.1.1', ['other'])).toEqual({ error: 'forbidden' });
    expect((await pool.stats('demo'))!.pools.paid_search.held).toBe(0);
    const a = await lease('paid_search');
    expect(await pool.heartbeat(a.session, ['other'])).toBe('forbidden');
    expect(await pool.release(a.session, ['other'])).toBe('forbidden');
    expect(await pool.event(a.session, { type: 'missing_target', page: '/x', targets: [MAIN] }, ['other'])).toBe('forbidden');
    expect(await pool.heartbeat(a.session, ['demo'])).toMatchObject({ site: 'demo' });
    expect(await pool.lease(request('direct', {}, 'nope'), '10.1.1.1')).toEqual({ error: 'unknown_site' });
    expect(await pool.lease(request('direct', {}, '__proto__'), '10.1.1.1')).toEqual({ error: 'unknown_site' });
  });

  test('a call goes to the session that held the number then, also after the visitor left, within the window', async () => {
    const { lease, pool, advance, now } = await setup({ quarantine: 300, attributionWindow: 3600 });
    const a = await lease('paid_search');
    const number = a.numbers[MAIN];
    const leased = await now();
    advance(20 * 60 * S);
    const call = await pool.recordCall({ to: number, from: '+447700900123', at: leased + 15 * 60 * S });
    expect(call).toMatchObject({ to: number, site: 'demo', target: MAIN, session: a.session, source: { channel: 'paid_search', campaign: 'spring', term: 'plumber', clickIds: { gclid: 'abc' } } });
    // The claim ended at 2 min: nobody held it since, so a call within the window still goes to this visit.
    expect((await pool.recordCall({ to: number, at: leased + 50 * 60 * S })).session).toBe(a.session);
    expect((await pool.recordCall({ to: number, at: leased + 70 * 60 * S })).session).toBeUndefined();
    expect((await pool.recordCall({ to: number, at: leased - S })).session).toBeUndefined();
    const calls = await pool.listCalls({ limit: 10 });
    expect(calls.map((c) => c.at)).toEqual([...calls.map((c) => c.at)].sort().reverse());
    expect((await pool.stats('demo'))!.sessions.paid_search).toBe(1);
  });

  test('first-time and repeat callers: by a keyed hash of the number, per site, within the retention window', async () => {
    const { pool, advance } = await setup({ retentionDays: 30 });
    const call = (from: string, to = '+442079460101') => pool.recordCall({ to, from });
    const first = await call('+447700900123');
    expect(first.repeat).toBe(false);
    expect(first.caller).toMatch(/^[\w-]{16}$/);
    expect(first.caller).not.toContain('7700900123');
    advance(3 * 24 * 3600 * S);
    const again = await call('+447700900123', '+442079460551');
    expect([again.repeat, again.caller]).toEqual([true, first.caller]);
    // Another caller, and the same caller at another site, are first-time callers.
    expect((await call('+447700900999')).repeat).toBe(false);
    const elsewhere = await call('+447700900123', '+442079460901');
    expect(elsewhere.repeat).toBe(false);
    // A withheld number is neither.
    const anonymous = await call('anonymous');
    expect([anonymous.caller, anonymous.repeat]).toEqual([undefined, undefined]);
    // Beyond the retention window after the last call, the number is a first-time caller again.
    advance(31 * 24 * 3600 * S);
    await pool.sweep();
    expect((await call('+447700900123')).repeat).toBe(false);
  });

  test('a call after the number went to another visit goes to that visit', async () => {
    const { lease, pool, advance, now } = await setup({ quarantine: 0 });
    const a = await lease('paid_search', { pool: 'emergency' });
    advance(121 * S);
    const b = await lease('organic_search', { pool: 'emergency' }, '10.9.9.9');
    expect(b.numbers[MAIN]).toBe(a.numbers[MAIN]);
    expect((await pool.recordCall({ to: b.numbers[MAIN], at: await now() })).session).toBe(b.session);
    expect((await pool.recordCall({ to: b.numbers[MAIN], at: (await now()) - 60 * S })).session).toBe(a.session);
  });

  test('missing targets per page with counts, vitals as p75, sessions per channel: all from counters', async () => {
    const { lease, pool, store } = await setup();
    const a = await lease('organic_search');
    expect(await pool.event(a.session, { type: 'missing_target', page: '/contact', targets: [OTHER, '+15555550123'] })).toBe('ok');
    await pool.event(a.session, { type: 'missing_target', page: '/contact', targets: [OTHER] });
    for (const value of [1200, 1800, 2400, 3000]) await pool.event(a.session, { type: 'vitals', page: '/', name: 'LCP', value });
    expect(await pool.event('nope-nope', { type: 'pageview', page: '/' })).toBe('unknown');
    const stats = (await pool.stats('demo'))!;
    expect(stats.missingTargets).toEqual({ '/contact': [OTHER] });
    expect(await store.missing('demo')).toEqual({ '/contact': { [OTHER]: 2 } });
    expect(stats.vitals.LCP).toEqual({ count: 4, p75: 3000 });
    expect(stats.sessions).toEqual({ organic_search: 1 });
    expect(await pool.stats('nope')).toBeUndefined();
  });

  test('retention: ended sessions are kept ttl + the window, calls retentionDays', async () => {
    const { lease, pool, store, advance, redis } = await setup({ attributionWindow: 3600, retentionDays: 2, quarantine: 0 });
    const a = await lease('paid_search');
    await pool.recordCall({ to: a.numbers[MAIN] });
    if (redis) {
      // Redis drops the session by itself at its end plus the window (PEXPIREAT on the store's clock).
      const session = (await store.getSession(a.session))!;
      const key = (await redis.keys(`*session:${a.session}`))[0];
      expect(Number(await redis.call('PEXPIRETIME', key))).toBe(session.until + 3600 * S);
    }
    advance((120 + 3600 + 1) * S);
    await pool.sweep();
    if (!redis) expect(await store.getSession(a.session)).toBeUndefined();
    expect(await pool.listCalls({ limit: 10 })).toHaveLength(1);
    advance(2 * 86_400 * S);
    await pool.sweep();
    expect(await pool.listCalls({ limit: 10 })).toHaveLength(0);
  });

  test('retention follows the last heartbeat and a release: kept past its first end while renewed, dropped at release + window', async () => {
    const { lease, pool, store, advance, now, redis } = await setup({ attributionWindow: 3600, ttl: 600, quarantine: 0 });
    const kept = await lease('paid_search');
    const released = await lease('paid_search');
    // An hour of heartbeats: both live well past claim + window of the lease.
    for (let i = 0; i < 12; i++) {
      advance((i ? 300 : 60) * S);
      for (const id of [kept.session, released.session]) expect(await pool.heartbeat(id)).toMatchObject({ site: 'demo' });
    }
    // Released now: it ends now, its heartbeats' later ends no longer count.
    const end = await now();
    expect(await pool.release(released.session)).toMatchObject({ site: 'demo' });
    if (redis) {
      // Redis drops each by itself (PEXPIREAT on the store's clock): at the release, and at the last renewal's end.
      const expiry = async (id: string) => Number(await redis.call('PEXPIRETIME', (await redis.keys(`*session:${id}`))[0]));
      // (Redis's clock runs on between the calls: within a second.)
      expect(Math.abs((await expiry(released.session)) - (end + 3600 * S))).toBeLessThan(1000);
      expect(Math.abs((await expiry(kept.session)) - (end + (600 + 3600) * S))).toBeLessThan(1000);
      return;
    }
    advance((3600 + 1) * S);
    await pool.sweep();
    expect(await store.getSession(released.session)).toBeUndefined();
    // The other one's last heartbeat was 3601 s ago, its ttl 600: kept till 600 + 3600 s after it.
    expect(await store.getSession(kept.session)).toBeDefined();
    advance(600 * S);
    await pool.sweep();
    expect(await store.getSession(kept.session)).toBeUndefined();
  });

  test('counters per hour give series and sums over a range; distinct fields per hour are capped', async () => {
    const { store, now, advance } = await setup();
    const t = await now();
    await store.count('demo', { 'sessions|paid_search': 2, 'calls|paid_search': 1 }, t);
    await store.count('demo', { 'sessions|paid_search': 1 }, t + 3_600_000);
    await store.peak('demo', 'paid_search', 3, t);
    await store.peak('demo', 'paid_search', 2, t);
    advance(2 * 3_600_000);
    const series = await store.series('demo', t - 1);
    expect(Object.values(series)).toEqual([{ 'sessions|paid_search': 2, 'calls|paid_search': 1, 'peak|paid_search': 3 }, { 'sessions|paid_search': 1 }]);
    expect(await store.counters('demo', t + 3_600_000)).toEqual({ 'sessions|paid_search': 1 });
    expect(await store.counters('demo')).toEqual({ 'sessions|paid_search': 3, 'calls|paid_search': 1 });
    const many = Object.fromEntries(Array.from({ length: 2100 }, (_, i) => [`campaign|c${i}`, 1]));
    await store.count('x', many, t);
    const counted = await store.counters('x');
    expect(Object.keys(counted).length).toBe(2001);
    expect(counted['campaign|(other)']).toBe(100);
  });

  test('a sum over hours keeps every field each hour kept: the cap is per hour, in every store', async () => {
    const { store, now, advance } = await setup();
    const t = await now();
    const campaigns = (from: number) => Object.fromEntries(Array.from({ length: MAX_FIELDS }, (_, i) => [counter('campaign', `c${from + i}`), 1]));
    await store.count('y', campaigns(0), t);
    await store.count('y', campaigns(MAX_FIELDS), t + 3_600_000);
    await store.peak('y', poolId('main', '+31201234567'), 4, t);
    advance(2 * 3_600_000);
    const sum = await store.counters('y', t - 1);
    expect(Object.keys(sum).length).toBe(2 * MAX_FIELDS);
    expect(total(ofKind(sum, 'campaign'))).toBe(2 * MAX_FIELDS);
    expect(sum[peakOf(poolId('main', '+31201234567'))]).toBeUndefined();
  });

  test('leasing agrees with a plain model over 3,000 random steps (the O(log n) order is the O(n) order)', async () => {
    const numbers = Array.from({ length: 40 }, (_, i) => `+4420794${String(70000 + i)}`);
    const { pool, store, advance, now } = await setup({
      quarantine: 5,
      claim: 20,
      ttl: 30,
      maxLeasesPerIp: 1_000_000,
      sites: { m: { numbers: { [MAIN]: { pools: { default: numbers } } } } },
    });
    // The model: each number's holding end, and which session holds it.
    const until = new Map(numbers.map((n) => [n, 0]));
    const holder = new Map<string, string>();
    const sessions: { id: string; number?: string; until: number }[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Redis's clock runs on while the test does: a holding that ends within this of now may go either way.
    const near = (a: number, b: number) => Math.abs(a - b) < 200;
    for (let step = 0; step < 3000; step++) {
      const t = await now();
      const r = random();
      if (r < 0.45) {
        const free = numbers.filter((n) => until.get(n)! + 5 * S <= t);
        const oldest = Math.min(...free.map((n) => until.get(n)!));
        const sure = !numbers.some((n) => near(until.get(n)! + 5 * S, t));
        const result = await pool.lease({ site: 'm', visitor: null, targets: [MAIN], source: source('direct'), page: '/' }, '10.0.0.1');
        const number = 'lease' in result ? result.lease.numbers[MAIN] : undefined;
        if (sure && !free.length) expect(number, `step ${step}`).toBeUndefined();
        if (sure && free.length) expect(free.filter((n) => near(until.get(n)!, oldest)), `step ${step}`).toContain(number);
        if (number) {
          until.set(number, t + 20 * S);
          holder.set(number, (result as { lease: { session: string } }).lease.session);
        }
        if ('lease' in result) sessions.push({ id: result.lease.session, number, until: t + 20 * S });
      } else if (r < 0.8 && sessions.length) {
        const s = sessions[Math.floor(random() * sessions.length)];
        const result = await pool.heartbeat(s.id);
        if (!near(s.until, t)) expect(typeof result == 'object', `step ${step}`).toBe(s.until > t);
        if (typeof result == 'object') {
          s.until = t + 30 * S;
          // A live session still holds its number: nobody else could take it.
          if (s.number) expect(holder.get(s.number), `step ${step}`).toBe(s.id);
          if (s.number) until.set(s.number, s.until);
        }
      } else if (r < 0.85 && sessions.length) {
        const s = sessions[Math.floor(random() * sessions.length)];
        const result = await pool.release(s.id);
        if (!near(s.until, t)) expect(typeof result == 'object', `step ${step}`).toBe(s.until > t);
        if (typeof result == 'object') {
          s.until = t;
          if (s.number) until.set(s.number, t);
        }
      } else advance((1 + Math.floor(random() * 8)) * S);
    }
    const held = (await store.held([poolKey('m', MAIN, 'default')]))[poolKey('m', MAIN, 'default')];
    const t = await now();
    if (!numbers.some((n) => near(until.get(n)!, t))) expect(held).toBe(numbers.filter((n) => until.get(n)! > t).length);
  }, 60_000);
});
