// What the dashboard shows, from the counters the pool keeps per hour and the calls: sessions, clicks and calls per
// channel and over time, campaigns and keywords with their calls, recent calls with their visit, and per pool the
// numbers held over time, the peak, who went without and how many numbers to add. Plain functions over the store.
import type { PoolLogic } from './pool.js';
import { ofKind, peakOf, total, type CounterKind } from './store/counters.js';
import { outcome } from './conversions.js';
import { HOUR, type Call, type Store } from './store/store.js';

export type Range = '24h' | '7d' | '30d';
const RANGES: Record<Range, { ms: number; bucket: number }> = {
  '24h': { ms: 24 * HOUR, bucket: HOUR },
  '7d': { ms: 7 * 24 * HOUR, bucket: HOUR },
  '30d': { ms: 30 * 24 * HOUR, bucket: 24 * HOUR },
};

export interface PoolHealth {
  /** `name@site number`. */
  id: string;
  /** The pool's name (a rule pool or channel) and the site number it serves. */
  name: string;
  target: string;
  size: number;
  /** Numbers busy now: held, or resting after a release (the quarantine), so nobody can have them. */
  held: number;
  /** The most busy at once in the range (sampled each minute). */
  peak: number;
  /** Minutes every number was held. */
  fullMinutes: number;
  /** Visitors (site numbers of a visit) that got no number. */
  exhausted: number;
  series: { t: number[]; held: number[] };
  advice: string;
}

export interface Report {
  site: string;
  range: Range;
  from: number;
  to: number;
  totals: { sessions: number; clicks: number; calls: number; callsPerSession: number };
  channels: { channel: string; sessions: number; clicks: number; calls: number }[];
  series: { t: number[]; sessions: number[]; clicks: number[]; calls: number[] };
  campaigns: { name: string; sessions: number; calls: number }[];
  keywords: { name: string; sessions: number; calls: number }[];
  /** The latest calls, each with what became of it at the business line. */
  calls: (Call & { outcome: ReturnType<typeof outcome> })[];
  pools: PoolHealth[];
  missing: { page: string; target: string; count: number }[];
}

/** How many numbers a pool needs, from what the minutes at full and the visitors without a number tell. */
export function adviseSize(p: { name: string; size: number; peak: number; fullMinutes: number; exhausted: number; heldMinutes: number; leased: number }, ttlMinutes: number): string {
  const at = `${p.name}: ${p.peak} of ${p.size} numbers held at the peak`;
  if (p.exhausted) {
    // Little's law: the visitors who went without arrived over the minutes at full and would each have held a
    // number about as long as a lease holds one here; that many more numbers would have been busy at once (and
    // never more than there were such visitors).
    const hold = p.leased ? p.heldMinutes / p.leased : ttlMinutes;
    const extra = Math.min(p.exhausted, Math.max(1, Math.ceil((p.exhausted * hold) / Math.max(p.fullMinutes, 1))));
    return `${at} for ${p.fullMinutes} min; ${p.exhausted} visitor${p.exhausted == 1 ? '' : 's'} got none: add at least ${extra} number${extra == 1 ? '' : 's'}`;
  }
  if (p.peak >= p.size) return `${at} for ${p.fullMinutes} min, nobody went without yet: add a number to keep it so`;
  return `${at}: enough`;
}

export async function report(pool: PoolLogic, store: Store, site: string, range: Range, ttlSeconds: number): Promise<Report> {
  const to = await store.now();
  const { ms, bucket } = RANGES[range];
  const from = to - ms;
  const [series, counters, calls, missing] = await Promise.all([
    store.series(site, from),
    store.counters(site, from),
    pool.listCalls({ site, since: from, limit: 10_000 }),
    store.missing(site),
  ]);

  const sum = (kind: CounterKind) => ofKind(counters, kind);
  const sessions = sum('sessions');
  const clicks = sum('clicks');
  const called = sum('calls');

  // Buckets from the range's start; each hour's counters go in the bucket they fall in.
  const first = Math.floor(from / bucket) * bucket;
  const t = Array.from({ length: Math.ceil((to - first) / bucket) }, (_, i) => first + i * bucket);
  /** Per bucket, what each of its hours gives (`of`), folded together (`fold`: a sum, or a peak). */
  const perBucket = (of: (fields: Record<string, number>) => number, fold: (a: number, b: number) => number) => {
    const values = t.map(() => 0);
    for (const [hour, fields] of Object.entries(series)) {
      const i = Math.floor((Number(hour) - first) / bucket);
      if (i >= 0 && i < values.length) values[i] = fold(values[i]!, of(fields));
    }
    return values;
  };
  const line = (kind: CounterKind) => perBucket((fields) => total(ofKind(fields, kind)), (a, b) => a + b);
  const peakLine = (id: string) => perBucket((fields) => fields[peakOf(id)] ?? 0, Math.max);

  const ranked = (kind: 'campaign' | 'term') => {
    const byName = new Map<string, { name: string; sessions: number; calls: number }>();
    for (const [name, n] of Object.entries(sum(kind))) byName.set(name, { name, sessions: n, calls: 0 });
    for (const call of calls) {
      const name = call.source?.[kind];
      if (!name) continue;
      const entry = byName.get(name) ?? { name, sessions: 0, calls: 0 };
      entry.calls++;
      byName.set(name, entry);
    }
    return [...byName.values()].sort((a, b) => b.calls - a.calls || b.sessions - a.sessions).slice(0, 10);
  };

  const pools = pool.poolsOf(site);
  const held = await pool.busy(pools.map((p) => p.key));
  // A name under several site numbers is told apart by the number.
  const shared = (name: string) => pools.filter((p) => p.name == name).length > 1;
  const exhausted = sum('exhausted');
  const full = sum('full');
  const heldMinutes = sum('heldmin');
  const leased = sum('leased');

  const channelNames = new Set([...Object.keys(sessions), ...Object.keys(clicks), ...Object.keys(called)]);
  return {
    site,
    range,
    from,
    to,
    totals: { sessions: total(sessions), clicks: total(clicks), calls: total(called), callsPerSession: total(sessions) ? total(called) / total(sessions) : 0 },
    channels: [...channelNames]
      .map((channel) => ({ channel, sessions: sessions[channel] ?? 0, clicks: clicks[channel] ?? 0, calls: called[channel] ?? 0 }))
      .sort((a, b) => b.sessions - a.sessions || b.calls - a.calls),
    series: { t, sessions: line('sessions'), clicks: line('clicks'), calls: line('calls') },
    campaigns: ranked('campaign'),
    keywords: ranked('term'),
    calls: calls.slice(0, 50).map((call) => ({ ...call, outcome: outcome(call) })),
    pools: pools.map(({ id, name, target, key, size }) => {
      const now = held[key] ?? 0;
      const line = peakLine(id);
      // The hour now is sampled at most once a minute: the numbers held this moment count too.
      line[line.length - 1] = Math.max(line.at(-1) ?? 0, now);
      const health = { id, name, target, size, held: now, peak: Math.max(0, ...line), fullMinutes: full[id] ?? 0, exhausted: exhausted[id] ?? 0 };
      const label = shared(name) ? `${name} (${target})` : name;
      return { ...health, series: { t, held: line }, advice: adviseSize({ ...health, name: label, heldMinutes: heldMinutes[id] ?? 0, leased: leased[id] ?? 0 }, ttlSeconds / 60) };
    }),
    missing: Object.entries(missing)
      .flatMap(([page, counts]) => Object.entries(counts).map(([target, count]) => ({ page, target, count })))
      .sort((a, b) => b.count - a.count)
      .slice(0, 50),
  };
}
