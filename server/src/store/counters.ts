// The counters' fields, built and read here only (and in lua/count.lua, which Redis runs and which follows the same
// rules). A field is `<kind>|<name>`: `sessions|paid_search`, `campaign|winter`, `leased|main@+31201234567`. A pool
// is named `<pool>@<target>`; its peak of numbers held in an hour is `peak|<pool>@<target>`, a maximum, not a sum,
// and never part of a sum over hours. Names come from visitors' requests: a bucket keeps MAX_FIELDS distinct fields,
// and a new one past that counts as `<kind>|(other)`.

/** Distinct counter fields per site and hour. */
export const MAX_FIELDS = 2000;

/**
 * What a counter counts: sessions, taps and calls per channel; sessions per campaign and keyword; leases a pool gave
 * or could not give; a pool's minutes with numbers held (`heldmin`) and at capacity (`full`), and its peak.
 */
export type CounterKind = 'sessions' | 'clicks' | 'calls' | 'campaign' | 'term' | 'leased' | 'exhausted' | 'heldmin' | 'full' | 'peak';

/** A counter's field. */
export const counter = (kind: CounterKind, name: string): string => `${kind}|${name}`;

/** A number pool's id in the counters and the report: its name and the site number it stands for. */
export const poolId = (name: string, target: string): string => `${name}@${target}`;

/** The peak field of a pool. */
export const peakOf = (pool: string): string => counter('peak', pool);

/** Whether a field is a peak (kept as a maximum per hour, left out of sums). */
export const isPeak = (field: string): boolean => field.startsWith('peak|');

/** The field to write in a bucket that has `size` fields: `field` itself, or its kind's `(other)` past the cap. */
export const capped = (field: string, known: boolean, size: number): string =>
  known || size < MAX_FIELDS ? field : field.slice(0, field.indexOf('|') + 1) + '(other)';

/** The counters of one kind, by name. */
export const ofKind = (fields: Record<string, number>, kind: CounterKind): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [field, n] of Object.entries(fields)) if (field.startsWith(kind + '|')) out[field.slice(kind.length + 1)] = n;
  return out;
};

/** The sum of some counters. */
export const total = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);

/** Adds hourly buckets into one sum per field, peaks left out: what every store's `counters(site, since)` returns. */
export const sumOf = (buckets: Iterable<Record<string, number>>): Record<string, number> => {
  const sum: Record<string, number> = {};
  for (const fields of buckets) for (const [field, n] of Object.entries(fields)) if (!isPeak(field)) sum[field] = (sum[field] ?? 0) + n;
  return sum;
};
