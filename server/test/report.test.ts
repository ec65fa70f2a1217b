// @vitest-environment node
// The dashboard's report against both stores: totals, channels and the series from the hourly counters, campaigns
// and keywords with their calls, and pool health from the minute samples with its sizing advice.
import { describe, expect, test } from 'vitest';
import { createPool } from '../src/pool';
import { adviseSize, dayOf, dayStart, periodOf, report, type Period } from '../src/report';
import { MAIN, OTHER, S, source, testConfig } from './fixtures';
import { stores } from './stores';

const MINUTE = 60 * S;

describe('sizing advice', () => {
  test.each([
    [{ name: 'paid_search', size: 4, peak: 4, fullMinutes: 35, exhausted: 12, holdMinutes: 10 }, 4, '12 visitors got none in 35 min at full; a lease holds a number 10 min here', 'paid_search: 4 of 4 numbers held at the peak for 35 min; 12 visitors got none: add at least 4 numbers'],
    [{ name: 'default', size: 3, peak: 3, fullMinutes: 0, exhausted: 1, holdMinutes: 30 }, 1, '1 visitor got none in 0 min at full; a lease holds a number 30 min here', 'default: 3 of 3 numbers held at the peak for 0 min; 1 visitor got none: add at least 1 number'],
    [{ name: 'x', size: 2, peak: 2, fullMinutes: 10, exhausted: 0, holdMinutes: 10 }, 1, 'all 2 held for 10 min, nobody went without yet', 'x: 2 of 2 numbers held at the peak for 10 min, nobody went without yet: add a number to keep it so'],
    [{ name: 'y', size: 6, peak: 2, fullMinutes: 0, exhausted: 0, holdMinutes: 10 }, 0, 'never more than 2 of 6 held', 'y: 2 of 6 numbers held at the peak: enough'],
  ])('%j', (pool, add, reason, advice) => expect(adviseSize(pool)).toEqual({ add, reason, advice }));

  test('the same counts give the same advice, whatever else changed since', () => {
    const counts = { name: 'p', size: 4, peak: 4, fullMinutes: 30, exhausted: 7, holdMinutes: 12 };
    expect(new Set(Array.from({ length: 5 }, () => adviseSize({ ...counts }).advice)).size).toBe(1);
    expect(adviseSize({ ...counts, exhausted: 10 }).add).toBeGreaterThan(adviseSize(counts).add);
  });
});

describe('periods', () => {
  const NOW = Date.parse('2026-03-30T10:30:00Z');
  test('a preset ends now; a week is in hours, longer in days', () => {
    const week = periodOf({ range: '7d' }, NOW, '+0000') as Period;
    expect([week.range, week.to - week.from, week.t.length]).toEqual(['7d', 7 * 24 * 3600 * S, 7 * 24 + 1]);
    const month = periodOf({ range: '30d' }, NOW, '+0000') as Period;
    expect(month.t).toHaveLength(31);
    expect(month.t.every((t) => new Date(t).toISOString().endsWith('T00:00:00.000Z'))).toBe(true);
  });

  test('calendar days in the site\'s zone, across the change to summer time; a day not over yet ends now', () => {
    const march = periodOf({ from: '2026-03-21', to: '2026-03-30' }, NOW, 'Europe/Amsterdam') as Period;
    expect(new Date(march.from).toISOString()).toBe('2026-03-20T23:00:00.000Z');
    expect(march.to).toBe(NOW + 1);
    expect(march.t.slice(-3).map((t) => new Date(t).toISOString())).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    // Three days are shown by the hour.
    expect((periodOf({ from: '2026-03-28', to: '2026-03-30' }, NOW, 'Europe/Amsterdam') as Period).t).toHaveLength(60);
    const days = periodOf({ from: '2026-01-01', to: '2026-01-31' }, NOW, '-0500') as Period;
    expect([new Date(days.from).toISOString(), new Date(days.to).toISOString(), days.t.length]).toEqual(['2026-01-01T05:00:00.000Z', '2026-02-01T05:00:00.000Z', 31]);
    expect(dayOf(days.from, '-0500')).toBe('2026-01-01');
    expect(dayStart('2026-10-25', 'Europe/Amsterdam')).toBe(Date.parse('2026-10-24T22:00:00Z'));
  });

  test('days in the wrong order, in the future or more than a year: a reason, no period', () => {
    expect(periodOf({ from: '2026-03-02', to: '2026-03-01' }, NOW, '+0000')).toMatch(/after/);
    expect(periodOf({ from: '2026-04-01' }, NOW, '+0000')).toMatch(/not begun/);
    expect(periodOf({ from: '2024-01-01', to: '2026-03-01' }, NOW, '+0000')).toMatch(/at most 366 days/);
    expect(typeof periodOf({ from: '2025-03-01', to: '2026-03-01' }, NOW, '+0000')).toBe('object');
  });
});

describe.each(stores)('report with the %s store', (_, make) => {
  if (!make) return void test.skip('redis-server is not installed here', () => undefined);

  test('totals, channels, series, campaigns, keywords, calls, pools and missing targets', async () => {
    const { store, advance, now } = await make();
    const config = testConfig({
      claim: 600,
      sites: {
        demo: {
          conversion: { name: 'Call', value: 40, currency: 'EUR', minDuration: 60, hashedPhone: false },
          eea: false,
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
    await pool.recordCall({ to: a.numbers[MAIN], duration: 90, answered: true, from: '+447700900123' });
    await pool.recordCall({ to: b.numbers[MAIN], duration: 30, answered: true, from: '+447700900123' });
    await pool.recordCall({ to: '+442079469999' });

    const of = async (range: '24h' | '30d') => report(pool, store, 'demo', periodOf({ range }, await store.now(), '+0000') as Period, config.sites.demo, config.ttl);
    const r = await of('24h');
    // Both calls answered, one long enough to count: worth one conversion value.
    expect(r.totals).toEqual({ sessions: 4, clicks: 1, calls: 2, callsPerSession: 0.5, callRate: 0.5, answered: 2, qualified: 1, value: 40 });
    expect(r.conversion).toEqual({ value: 40, currency: 'EUR', minDuration: 60 });
    expect(r.channels).toEqual([
      { channel: 'paid_search', sessions: 3, clicks: 1, calls: 2, answered: 2, qualified: 1, value: 40, callRate: 2 / 3 },
      { channel: 'organic_search', sessions: 1, clicks: 0, calls: 0, answered: 0, qualified: 0, value: 0, callRate: 0 },
    ]);
    // Nothing in the day before.
    expect(r.previous.totals).toMatchObject({ sessions: 0, calls: 0, value: 0 });
    expect(r.previous.to).toBe(r.from);
    expect(r.series.t).toHaveLength(25);
    expect(r.series.t.at(-1)).toBeLessThanOrEqual(await now());
    expect(r.series.sessions.reduce((x, y) => x + y)).toBe(4);
    expect(r.series.calls.reduce((x, y) => x + y)).toBe(2);
    expect(r.campaigns).toEqual([
      { name: 'spring', sessions: 2, calls: 2, answered: 2, qualified: 1, value: 40, callRate: 1 },
      { name: 'brand', sessions: 1, calls: 0, answered: 0, qualified: 0, value: 0, callRate: 0 },
    ]);
    expect(r.keywords[0]).toEqual({ name: 'boiler repair', sessions: 2, calls: 1 });
    expect(r.calls.map((c) => c.session)).toEqual([b.session, a.session]);
    // The caller's number masked, first-time then repeat; only the long call is a row of the Google file (gclid).
    expect(r.calls.map((c) => [c.from, c.repeat, c.exported])).toEqual([
      ['+44••••••••23', true, { google_ads: false, microsoft_ads: false }],
      ['+44••••••••23', false, { google_ads: true, microsoft_ads: false }],
    ]);
    const full = await report(pool, store, 'demo', periodOf({ range: '24h' }, await store.now(), '+0000') as Period, config.sites.demo, config.ttl, true);
    expect(full.calls[0].from).toBe('+447700900123');
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
    expect((await of('24h')).totals.sessions).toBe(0);
    const month = await of('30d');
    expect(month.totals.sessions).toBe(4);
    expect(month.totals.value).toBe(40);
    // The week before this one held it all: the comparison says so.
    expect((await report(pool, store, 'demo', periodOf({ range: '7d' }, await store.now(), '+0000') as Period, config.sites.demo, config.ttl)).previous.totals).toMatchObject({ sessions: 4, calls: 2, answered: 2, qualified: 1, value: 40 });
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
