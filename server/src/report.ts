// What the dashboard shows for a site and a period, from the counters the pool keeps per hour and the calls of the
// period: sessions, clicks and calls per channel and over time, what the calls were worth per channel and campaign,
// the period before for comparison, recent calls with their visit, and per pool the numbers held over time, the peak,
// who went without and how many numbers to add. Plain functions over the store.
import type { SiteConfig } from './config.js';
import type { PoolLogic } from './pool.js';
import { ofKind, peakOf, total, type CounterKind } from './store/counters.js';
import { answered, conversionWriter, exportOptions, offsetAt, outcome } from './conversions.js';
import { HOUR, hourOf, type Call, type Store } from './store/store.js';

const DAY = 24 * HOUR;

/** The periods the dashboard offers as presets: the last 24 hours, or the last n days up to now. */
export const PRESETS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '90d': 90 * DAY, '365d': 365 * DAY } as const;
export type Range = keyof typeof PRESETS;
/** The longest period a report covers (a year and a day, so a leap year fits). */
export const MAX_DAYS = 366;

/** A period to report on: `[from, to)` in ms, and the starts of its buckets (hours up to 7 days, else the site's days). */
export interface Period {
  range: Range | 'custom';
  from: number;
  to: number;
  /** It ends now: the numbers busy this moment are part of its last bucket. */
  live: boolean;
  t: number[];
}

/** The moment a calendar day (`yyyy-mm-dd`) starts in a zone (`+hhmm` or an IANA name). */
export const dayStart = (day: string, timeZone: string): number => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // The zone's offset at that wall time; asked again at the moment found, which differs only across a change.
  const guess = wall - offsetAt(wall, timeZone) * 60_000;
  return wall - offsetAt(guess, timeZone) * 60_000;
};

/** The calendar day (`yyyy-mm-dd`) a moment falls on in a zone. */
export const dayOf = (at: number, timeZone: string): string => new Date(at + offsetAt(at, timeZone) * 60_000).toISOString().slice(0, 10);

const nextDay = (day: string): string => new Date(Date.parse(day + 'T00:00:00Z') + DAY).toISOString().slice(0, 10);

/**
 * The period a request asks for: a preset up to `now`, or the calendar days `from`…`to` (both included, in the
 * site's zone; a day not over yet ends now). A period ending now ends 1 ms after it, so that it holds now. A
 * reason instead for days in the wrong order, in the future, or spanning more than MAX_DAYS.
 */
export function periodOf(query: { range?: Range; from?: string; to?: string }, now: number, timeZone: string): Period | string {
  let range: Period['range'];
  let from: number;
  let to: number;
  if (query.from || query.to) {
    const first = query.from ?? query.to!;
    const last = query.to ?? query.from!;
    if (last < first) return `"from" (${first}) is after "to" (${last})`;
    from = dayStart(first, timeZone);
    to = Math.min(now + 1, dayStart(nextDay(last), timeZone));
    if (from >= now) return `"from" (${first}) has not begun yet`;
    if (to - from > MAX_DAYS * DAY + HOUR) return `a period of at most ${MAX_DAYS} days`;
    range = 'custom';
  } else {
    range = query.range ?? '24h';
    // Up to now, included: a call recorded this very millisecond is in it.
    to = now + 1;
    from = to - PRESETS[range];
  }
  // Up to a week in hours; longer in the site's days (each starting at its midnight, 23 or 25 hours across a change).
  const t: number[] = [];
  if (to - from <= 7 * DAY) for (let h = hourOf(from); h < to; h += HOUR) t.push(h);
  else for (let day = dayOf(from, timeZone); dayStart(day, timeZone) < to; day = nextDay(day)) t.push(dayStart(day, timeZone));
  return { range, from, to, live: to > now, t };
}

/** Calls and what they were worth, for the whole period, a channel or a campaign. */
export interface Worth {
  sessions: number;
  calls: number;
  /** Answered by a person at the business line. */
  answered: number;
  /** Answered and talked at least the site's `minDuration`: what the conversion files count. */
  qualified: number;
  /** The qualified calls times the site's conversion value. */
  value: number;
  /** Calls per session (0 without sessions). */
  callRate: number;
}

export interface PoolHealth {
  /** `name@site number`. */
  id: string;
  /** The pool's name (a rule pool or channel) and the site number it serves. */
  name: string;
  target: string;
  size: number;
  /** Numbers busy now: held, or resting after a release (the quarantine), so nobody can have them. */
  held: number;
  /** The most busy at once in the period (sampled each minute). */
  peak: number;
  /** Minutes every number was held. */
  fullMinutes: number;
  /** Visitors (site numbers of a visit) that got no number. */
  exhausted: number;
  /** Minutes a lease held a number here, on average over the period (whole minutes). */
  holdMinutes: number;
  series: { t: number[]; held: number[] };
  /** Numbers to add (0: enough), why, and the sentence the dashboard shows. */
  add: number;
  reason: string;
  advice: string;
}

export interface Report extends Omit<Period, 't' | 'live'> {
  site: string;
  timeZone: string;
  /** The site's conversion: what a qualified call is worth, in which currency, and how long it must last. */
  conversion: { value: number; currency: string; minDuration: number };
  totals: Worth & { clicks: number; callsPerSession: number };
  /** The period of the same length just before, for comparison. */
  previous: { from: number; to: number; totals: Worth & { clicks: number } };
  channels: (Worth & { channel: string; clicks: number })[];
  series: { t: number[]; sessions: number[]; clicks: number[]; calls: number[] };
  campaigns: (Worth & { name: string })[];
  keywords: { name: string; sessions: number; calls: number }[];
  /**
   * The latest calls (50), each with what became of it at the business line and whether the conversion files have
   * it as a row (GA4's delivery is the call's `ga4`). The caller's number is masked but for its first and
   * last two digits, unless the operator asked for them (`callers`).
   */
  calls: (Call & { outcome: ReturnType<typeof outcome>; exported: { google_ads: boolean; microsoft_ads: boolean } })[];
  pools: PoolHealth[];
  missing: { page: string; target: string; count: number }[];
}

/**
 * How many numbers a pool needs, from the counts the dashboard shows beside it: the minutes at full, the visitors who
 * got none, and how long a lease holds a number here (whole minutes). Little's law: the visitors who went without
 * arrived over the minutes at full and would each have held a number that long; that many more numbers would have
 * been busy at once (never more than there were such visitors). The same counts give the same advice.
 */
export function adviseSize(p: { name: string; size: number; peak: number; fullMinutes: number; exhausted: number; holdMinutes: number }): { add: number; reason: string; advice: string } {
  const at = `${p.name}: ${p.peak} of ${p.size} numbers held at the peak`;
  const visitors = `${p.exhausted} visitor${p.exhausted == 1 ? '' : 's'}`;
  if (p.exhausted) {
    const add = Math.min(p.exhausted, Math.max(1, Math.ceil((p.exhausted * p.holdMinutes) / Math.max(p.fullMinutes, 1))));
    const reason = `${visitors} got none in ${p.fullMinutes} min at full; a lease holds a number ${p.holdMinutes} min here`;
    return { add, reason, advice: `${at} for ${p.fullMinutes} min; ${p.exhausted == 1 ? '1 visitor' : visitors} got none: add at least ${add} number${add == 1 ? '' : 's'}` };
  }
  if (p.peak >= p.size) return { add: 1, reason: `all ${p.size} held for ${p.fullMinutes} min, nobody went without yet`, advice: `${at} for ${p.fullMinutes} min, nobody went without yet: add a number to keep it so` };
  return { add: 0, reason: `never more than ${p.peak} of ${p.size} held`, advice: `${at}: enough` };
}

/** Per hour (ms) the counters that fall in `[from, to)`, summed. */
const sumOver = (series: Record<number, Record<string, number>>, from: number, to: number): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [hour, fields] of Object.entries(series)) {
    if (Number(hour) < hourOf(from) || Number(hour) >= to) continue;
    for (const [field, n] of Object.entries(fields)) out[field] = (out[field] ?? 0) + n;
  }
  return out;
};

const worth = (sessions: number, calls: number): Worth => ({ sessions, calls, answered: 0, qualified: 0, value: 0, callRate: sessions ? calls / sessions : 0 });

/**
 * What the calls of a period were: how many, answered and qualified, in all and per channel, campaign and keyword.
 * Read in batches (eachCall), so a year of calls never sits in memory at once; `keep` sees each call.
 */
async function tally(store: Store, site: string, from: number, to: number, minDuration: number, keep: (call: Call) => void) {
  const all = { answered: 0, qualified: 0 };
  type Counts = { calls: number; answered: number; qualified: number };
  const by = { channel: new Map<string, Counts>(), campaign: new Map<string, Counts>(), term: new Map<string, Counts>() };
  for await (const batch of store.eachCall({ site, since: from })) {
    for (const call of batch) {
      if (Date.parse(call.at) >= to) return { all, by };
      keep(call);
      const talk = answered(call);
      const ok = talk != null;
      const counts = [all];
      for (const kind of ['channel', 'campaign', 'term'] as const) {
        const name = call.source?.[kind];
        if (!name) continue;
        const entry = by[kind].get(name) ?? { calls: 0, answered: 0, qualified: 0 };
        entry.calls++;
        by[kind].set(name, entry);
        counts.push(entry);
      }
      for (const c of counts) {
        if (ok) c.answered++;
        if (ok && talk >= minDuration) c.qualified++;
      }
    }
  }
  return { all, by };
}

/** A caller's number with all but its first and last two digits hidden (+44••••••••23). */
export const mask = (number: string): string => number.replace(/(?<=^\+\d{2}).*(?=\d\d$)/, (middle) => '•'.repeat(middle.length));

/**
 * The report of a site for a period (see periodOf), with the period of the same length before it; `callers` shows
 * the recent callers' numbers in full.
 */
export async function report(pool: PoolLogic, store: Store, site: string, period: Period, siteConfig: SiteConfig, ttlSeconds: number, callers = false): Promise<Report> {
  const { from, to, t } = period;
  const before = from - (to - from);
  // The site's conversion as the files write it: value, currency, minDuration and zone, defaults included.
  const google = exportOptions(siteConfig, 'google_ads');
  const { value, currency, minDuration, timeZone } = google;
  const recent: Call[] = [];
  const files = { google_ads: conversionWriter(google), microsoft_ads: conversionWriter(exportOptions(siteConfig, 'microsoft_ads')) };
  const [series, missing, now, then] = await Promise.all([
    store.series(site, before),
    store.missing(site),
    tally(store, site, from, to, minDuration, (call) => void (recent.unshift(call), recent.length > 50 && recent.pop())),
    tally(store, site, before, from, minDuration, () => undefined),
  ]);
  const counters = sumOver(series, from, to);
  const earlier = sumOver(series, before, from);
  const sum = (kind: CounterKind, fields = counters) => ofKind(fields, kind);
  const sessions = sum('sessions');
  const clicks = sum('clicks');
  const called = sum('calls');
  const valued = <T extends Worth>(w: T, tallied?: { answered: number; qualified: number }): T => ({ ...w, ...tallied && { answered: tallied.answered, qualified: tallied.qualified, value: tallied.qualified * value } });

  // The period's hours in order, once: each line below walks them beside its buckets.
  const hours = Object.keys(series)
    .map(Number)
    .filter((hour) => hour >= t[0]! && hour < to)
    .sort((a, b) => a - b);
  /** Per bucket, what each of its hours gives (`of`), folded together (`fold`: a sum, or a peak). */
  const perBucket = (of: (fields: Record<string, number>) => number, fold: (a: number, b: number) => number) => {
    const values = t.map(() => 0);
    let i = 0;
    for (const hour of hours) {
      while (i + 1 < t.length && t[i + 1]! <= hour) i++;
      values[i] = fold(values[i]!, of(series[hour]!));
    }
    return values;
  };
  const line = (kind: CounterKind) => perBucket((fields) => total(ofKind(fields, kind)), (a, b) => a + b);
  const peakLine = (id: string) => perBucket((fields) => fields[peakOf(id)] ?? 0, Math.max);

  const keywords = () => {
    const terms = sum('term');
    return [...new Set([...Object.keys(terms), ...now.by.term.keys()])]
      .map((name) => ({ name, sessions: terms[name] ?? 0, calls: now.by.term.get(name)?.calls ?? 0 }))
      .sort((a, b) => b.calls - a.calls || b.sessions - a.sessions)
      .slice(0, 10);
  };

  const pools = pool.poolsOf(site);
  const held = await pool.busy(pools.map((p) => p.key));
  // A name under several site numbers is told apart by the number.
  const shared = (name: string) => pools.filter((p) => p.name == name).length > 1;
  const exhausted = sum('exhausted');
  const full = sum('full');
  const heldMinutes = sum('heldmin');
  const leased = sum('leased');
  const campaignSessions = sum('campaign');
  const campaignNames = new Set([...Object.keys(campaignSessions), ...now.by.campaign.keys()]);
  const channelNames = new Set([...Object.keys(sessions), ...Object.keys(clicks), ...Object.keys(called)]);
  const ttlMinutes = ttlSeconds / 60;
  return {
    site,
    range: period.range,
    from,
    to,
    timeZone,
    conversion: { value, currency, minDuration },
    totals: { ...valued(worth(total(sessions), total(called)), now.all), clicks: total(clicks), callsPerSession: total(sessions) ? total(called) / total(sessions) : 0 },
    previous: { from: before, to: from, totals: { ...valued(worth(total(sum('sessions', earlier)), total(sum('calls', earlier))), then.all), clicks: total(sum('clicks', earlier)) } },
    channels: [...channelNames]
      .map((channel) => ({ channel, ...valued(worth(sessions[channel] ?? 0, called[channel] ?? 0), now.by.channel.get(channel)), clicks: clicks[channel] ?? 0 }))
      .sort((a, b) => b.sessions - a.sessions || b.calls - a.calls),
    series: { t, sessions: line('sessions'), clicks: line('clicks'), calls: line('calls') },
    campaigns: [...campaignNames]
      .map((name) => {
        const calls = now.by.campaign.get(name);
        return { name, ...valued(worth(campaignSessions[name] ?? 0, calls?.calls ?? 0), calls) };
      })
      .sort((a, b) => b.value - a.value || b.calls - a.calls || b.sessions - a.sessions)
      .slice(0, 20),
    keywords: keywords(),
    calls: recent.map((call) => ({
      ...call,
      ...(call.from && !callers && { from: mask(call.from) }),
      outcome: outcome(call),
      exported: { google_ads: !!files.google_ads.row(call), microsoft_ads: !!files.microsoft_ads.row(call) },
    })),
    pools: pools.map(({ id, name, target, key, size }) => {
      const busy = held[key] ?? 0;
      const line = peakLine(id);
      // The hour now is sampled at most once a minute: the numbers held this moment count too (a period ending now).
      if (period.live) line[line.length - 1] = Math.max(line.at(-1) ?? 0, busy);
      const leases = leased[id] ?? 0;
      const holdMinutes = Math.max(1, Math.round(leases ? (heldMinutes[id] ?? 0) / leases : ttlMinutes));
      const health = { id, name, target, size, held: busy, peak: Math.max(0, ...line), fullMinutes: full[id] ?? 0, exhausted: exhausted[id] ?? 0, holdMinutes };
      const label = shared(name) ? `${name} (${target})` : name;
      return { ...health, series: { t, held: line }, ...adviseSize({ ...health, name: label }) };
    }),
    missing: Object.entries(missing)
      .flatMap(([page, counts]) => Object.entries(counts).map(([target, count]) => ({ page, target, count })))
      .sort((a, b) => b.count - a.count)
      .slice(0, 50),
  };
}
