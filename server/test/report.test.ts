// @vitest-environment node
// The dashboard's report against both stores: totals, channels and the series from the hourly counters, campaigns
// and keywords with their calls, and pool health from the minute samples with its sizing advice.
import { describe, expect, test } from 'vitest';
import { createPool } from '../src/pool';
import { adviseSize, report } from '../src/report';
import { MAIN, OTHER, S, source, testConfig } from './fixtures';
import { stores } from './stores';

const MINUTE = 60 * S;

describe('sizing advice', () => {
  test.each([
    [{ name: 'paid_search', size: 4, peak: 4, fullMinutes: 35, exhausted: 12, heldMinutes: 600, leased: 60 }, 'paid_search: 4 of 4 numbers held at the peak for 35 min; 12 visitors got none: add at least 4 numbers'],
    [{ name: 'default', size: 3, peak: 3, fullMinutes: 0, exhausted: 1, heldMinutes: 0, leased: 0 }, 'default: 3 of 3 numbers held at the peak for 0 min; 1 visitor got none: add at least 1 number'],
    [{ name: 'x', size: 2, peak: 2, fullMinutes: 10, exhausted: 0, heldMinutes: 40, leased: 4 }, 'x: 2 of 2 numbers held at the peak for 10 min, nobody went without yet: add a number to keep it so'],
    [{ name: 'y', size: 6, peak: 2, fullMinutes: 0, exhausted: 0, heldMinutes: 40, leased: 4 }, 'y: 2 of 6 numbers held at the peak: enough'],
  ])('%j', (pool, advice) => expect(adviseSize(pool, 30)).toBe(advice));
});

describe.each(stores)('report with the %s store', (_, make) => {
  if (!make) return void test.skip('redis-server is not installed here', () => undefined);

  test('totals, channels, series, campaigns, keywords, calls, pools and missing targets', async () => {
    const { store, advance, now } = await make();
    const config = testConfig({
      claim: 600,
      sites: {
        demo: {
          numbers: {
            [MAIN]: { pools: { paid_search: ['+442079460101', '+442079460102'], default: ['+442079460141'] } },
            [OTHER]: { pools: { default: ['+442079460551'] } },
          },
        },
      },
    });
    const pool = createPool(config, store);
    await pool.sync();
    let n = 0;
    const visit = async (channel: string, extra: Record<string, unknown> = {}) => {
      const result = await pool.lease({ site: 'demo', visitor: `visitor-${++n}`, targets: [MAIN, OTHER], source: { ...source(channel), ...extra }, page: '/' }, `10.0.0.${n}`);
      if (!('lease' in result)) throw new Error('no lease');
      return result.lease;
    };
    const start = await now();
    const a = await visit('paid_search', { campaign: 'spring', term: 'boiler repair' });
    await pool.sample();
    advance(MINUTE);
    const b = await visit('paid_search', { campaign: 'spring', term: 'leak' });
    await pool.sample();
    advance(MINUTE);
    // The paid pool is full now: the third paid visitor gets none there.
    await visit('paid_search', { campaign: 'brand', term: 'boiler repair' });
    await pool.sample();
    await visit('organic_search', { campaign: undefined, term: undefined });
    await pool.event(a.session, { type: 'click', page: '/', target: MAIN });
    await pool.event(b.session, { type: 'missing_target', page: '/emergency', targets: [OTHER] });
    await pool.recordCall({ to: a.numbers[MAIN], duration: 90 });
    await pool.recordCall({ to: b.numbers[MAIN], duration: 30 });
    await pool.recordCall({ to: '+442079469999' });

    const r = await report(pool, store, 'demo', '24h', config.ttl);
    expect(r.totals).toEqual({ sessions: 4, clicks: 1, calls: 2, callsPerSession: 0.5 });
    expect(r.channels).toEqual([
      { channel: 'paid_search', sessions: 3, clicks: 1, calls: 2 },
      { channel: 'organic_search', sessions: 1, clicks: 0, calls: 0 },
    ]);
    expect(r.series.t).toHaveLength(25);
    expect(r.series.t.at(-1)).toBeLessThanOrEqual(await now());
    expect(r.series.sessions.reduce((x, y) => x + y)).toBe(4);
    expect(r.series.calls.reduce((x, y) => x + y)).toBe(2);
    expect(r.campaigns).toEqual([
      { name: 'spring', sessions: 2, calls: 2 },
      { name: 'brand', sessions: 1, calls: 0 },
    ]);
    expect(r.keywords[0]).toEqual({ name: 'boiler repair', sessions: 2, calls: 1 });
    expect(r.calls.map((c) => c.session)).toEqual([b.session, a.session]);
    expect(r.missing).toEqual([{ page: '/emergency', target: OTHER, count: 1 }]);
    expect(r.pools.map((p) => p.id)).toEqual([`paid_search@${MAIN}`, `default@${MAIN}`, `default@${OTHER}`]);
    const paid = r.pools.find((p) => p.name == 'paid_search')!;
    expect(paid).toMatchObject({ size: 2, held: 2, peak: 2, exhausted: 1 });
    expect(paid.fullMinutes).toBeGreaterThanOrEqual(1);
    expect(paid.advice).toMatch(/^paid_search: 2 of 2 numbers held at the peak for \d+ min; 1 visitor got none: add at least \d+ numbers?$/);
    // The contracts line's one number went to the first visitor: the other three got none for it.
    expect(r.pools.find((p) => p.id == `default@${OTHER}`)).toMatchObject({ size: 1, held: 1, exhausted: 3 });
    expect(r.pools.find((p) => p.id == `default@${OTHER}`)!.advice).toMatch(/^default \(\+442079460555\): 1 of 1 numbers held at the peak for \d+ min; 3 visitors got none: add at least \d+ numbers?$/);
    expect(r.pools.find((p) => p.id == `default@${MAIN}`)).toMatchObject({ size: 1, held: 1, exhausted: 0 });
    expect(r.from).toBeLessThan(start);
    // A week later the 24 hours hold nothing; the 30 days still do, in days.
    advance(7 * 24 * 60 * MINUTE);
    expect((await report(pool, store, 'demo', '24h', config.ttl)).totals.sessions).toBe(0);
    const month = await report(pool, store, 'demo', '30d', config.ttl);
    expect(month.totals.sessions).toBe(4);
    expect(month.series.t.length).toBeGreaterThanOrEqual(30);
    expect(month.series.t.length).toBeLessThanOrEqual(31);
  });

  test('one sample per minute, whichever process asks', async () => {
    const { store } = await make();
    const t = Math.floor((await store.now()) / MINUTE);
    expect(await store.claimMinute(t)).toBe(true);
    expect(await store.claimMinute(t)).toBe(false);
    expect(await store.claimMinute(t - 1)).toBe(false);
    expect(await store.claimMinute(t + 1)).toBe(true);
  });
});
