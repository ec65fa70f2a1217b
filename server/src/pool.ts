// The pool logic: plain functions over the store, with no HTTP in them (the routes in src/routes/ call these and
// turn their results into answers), so tests can drive them directly against either store.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { PoolConfig, SiteConfig } from './config.js';
import { E164 } from './routes/openapi.js';
import { counter, ofKind, poolId, total } from './store/counters.js';
import { cleanConsent, cleanSource, type Analytics, type Call, type Consent, type Session, type Source, type Store } from './store/store.js';

const DAY = 86_400_000;
/** Days a non-direct source stays attributed to later direct visits when a site's config does not say. */
export const ATTRIBUTION_DAYS = 30;
/** The id in the pool's first-party cookie. */
const COOKIE_ID = /^[A-Za-z0-9_-]{22}$/;

export interface LeaseRequest {
  site: string;
  visitor: string | null;
  targets: string[];
  source: Source;
  page: string;
  /** The page's consent signals (Google Consent Mode's four names), as far as it knows them. */
  consent?: Consent;
  /** Google Analytics' client and session ids (sent with analytics_storage granted). */
  ga?: Analytics;
}

/** The pool's first-party cookie to set with an answer: its id, and its lifetime (seconds). */
export interface VisitorCookie {
  id: string;
  maxAge: number;
}

export type LeaseResult =
  | { lease: { session: string; numbers: Record<string, string>; ttl: number; heartbeat: number }; cookie?: VisitorCookie }
  | { error: 'unknown_site' | 'forbidden' }
  | { error: 'rate_limited'; retryAfter: number }
  | { error: 'unavailable' };

export interface CallInput {
  to: string;
  from?: string;
  /** ms; default now. */
  at?: number;
  duration?: number;
  status?: string;
  ref?: string;
  /** The business line answered (telephony other than Twilio's, whose <Dial action> says so). */
  answered?: boolean;
  location?: Call['location'];
}

export interface Stats {
  site: string;
  sessions: Record<string, number>;
  /** Clicks on tel:/sms: links per channel, and calls per channel ("(none)": no visit held the number). */
  clicks: Record<string, number>;
  calls: Record<string, number>;
  pools: Record<string, { size: number; held: number }>;
  exhausted: number;
  missingTargets: Record<string, string[]>;
  vitals: Record<string, { count: number; p75: number }>;
}

/** count and 75th percentile (what Core Web Vitals are judged by) of each metric's values. */
export const summarize = (values: Record<string, number[]>): Record<string, { count: number; p75: number }> =>
  Object.fromEntries(
    Object.entries(values).map(([name, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return [name, { count: sorted.length, p75: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.75))] ?? 0 }];
    }),
  );

/** The pool a site number draws from for a visit: its rule pool, else its channel, else `default`. */
const poolFor = (pools: Record<string, string[]>, source: Source): string | undefined =>
  source.pool != null && Object.hasOwn(pools, source.pool)
    ? source.pool
    : Object.hasOwn(pools, source.channel)
      ? source.channel
      : Object.hasOwn(pools, 'default')
        ? 'default'
        : undefined;

/** The store's key of one pool. */
export const poolKey = (site: string, target: string, name: string): string => `${site}:${target}:${name}`;

export type PoolLogic = ReturnType<typeof createPool>;

/**
 * The pool over a store: leases, heartbeats, releases, events, calls and stats. `sites` are the sites a request may
 * touch (from its Origin: undefined for any), checked before anything is written.
 */
export function createPool(config: PoolConfig, store: Store) {
  // A Map, not the parsed object: a site named "__proto__" or "constructor" is only a name here.
  const sites = new Map<string, SiteConfig>(Object.entries(config.sites));
  const ms = (seconds: number) => seconds * 1000;
  /** How long an ended session is kept: calls may still be attributed to it that long. */
  const keep = ms(Math.max(config.attributionWindow, config.quarantine));
  let salt: Promise<string> | undefined;
  /** A keyed hash (the store's salt): the same input gives the same key, which tells nobody the input. */
  const keyOf = async (input: string): Promise<string> =>
    createHmac('sha256', await (salt ??= store.salt().catch((e) => ((salt = undefined), Promise.reject(e as Error)))))
      .update(input)
      .digest('base64url')
      .slice(0, 16);
  /** Recent addresses' keys: a visitor's page views lease from one address. */
  const ipKeys = new Map<string, string>();
  const ipKey = async (ip: string): Promise<string> => {
    let key = ipKeys.get(ip);
    if (!key) {
      key = await keyOf(ip);
      if (ipKeys.size >= 10_000) ipKeys.clear();
      ipKeys.set(ip, key);
    }
    return key;
  };

  /**
   * Every pool of every site, one per site number and pool name: `id` (`name@target`) names it in the counters, `key`
   * in the store.
   */
  const everyPool = [...sites].flatMap(([site, { numbers }]) =>
    Object.entries(numbers).flatMap(([target, { pools }]) =>
      Object.entries(pools).map(([name, list]) => ({ site, id: poolId(name, target), name, target, key: poolKey(site, target, name), list, size: list.length })),
    ),
  );
  /** Tracking number → its pool (the site, and the site number it stands for). */
  const owners = new Map(everyPool.flatMap((p) => p.list.map((n) => [n, p] as const)));
  const poolsOf = (siteId: string) => everyPool.filter((p) => p.site == siteId);
  /** Numbers busy now per pool key: held, or resting after a release (the quarantine), so nobody can have them. */
  const busy = (keys: string[]) => store.held(keys, ms(config.quarantine));

  return {
    sites,

    /** Registers the configured pools with the store (at start). */
    sync: () => store.syncPools(new Map(everyPool.map((p) => [p.key, p.list]))),

    /**
     * Where a call to `number` goes: the site number it stands for; for a number no pool knows, the fallback site's
     * first number when the config names one; else nowhere.
     */
    /** The site a tracking number belongs to (or the fallback site, for a number no pool knows). */
    siteOf(number: string): string | undefined {
      return owners.get(number)?.site ?? config.fallback;
    },

    forward(number: string): string | undefined {
      const fallback = config.fallback != null ? sites.get(config.fallback) : undefined;
      return owners.get(number)?.target ?? (fallback && Object.keys(fallback.numbers)[0]);
    },

    /**
     * Leases numbers for a visit. `ip` is the client's address (already normalised); it is kept only hashed.
     * `cookie` is the id in the pool's first-party cookie, when the page sent one (a pool on the site's own origin):
     * a direct visit whose page lost its storage is attributed to the source remembered under it, and a non-direct
     * source is remembered for the site's attribution window. Never for a visitor without a persistent id (GPC).
     */
    async lease(request: LeaseRequest, ip: string, allowed?: string[], cookie?: string): Promise<LeaseResult> {
      const site = sites.get(request.site);
      if (!site) return { error: 'unknown_site' };
      if (allowed && !allowed.includes(request.site)) return { error: 'forbidden' };
      let source = cleanSource(request.source);
      const consent = cleanConsent(request.consent);
      // ad_storage denied: no click id is kept, and no cookie remembers the visit (what a page without callswap's
      // requireConsent may still send).
      const storage = consent.ad_storage != 'denied';
      if (!storage) source.clickIds = {};
      let remembered: VisitorCookie | undefined;
      if (request.visitor !== null && storage) {
        const id = cookie && COOKIE_ID.test(cookie) ? cookie : undefined;
        const recalled = id && source.channel == 'direct' ? await store.recall(request.site, id) : undefined;
        if (recalled) source = cleanSource(recalled);
        else if (source.channel != 'direct') {
          const days = site.attributionDays ?? ATTRIBUTION_DAYS;
          remembered = { id: id ?? randomBytes(16).toString('base64url'), maxAge: days * 86_400 };
          await store.remember(request.site, remembered.id, source, (await store.now()) + days * DAY);
        }
      }
      const picks: { target: string; pool: string; name: string }[] = [];
      for (const target of request.targets) {
        const pools = Object.hasOwn(site.numbers, target) ? site.numbers[target]!.pools : undefined;
        const name = pools && poolFor(pools, source);
        if (name) picks.push({ target, pool: poolKey(request.site, target, name), name });
      }
      // Analytics ids only with analytics_storage granted (the SDK sends them only then).
      const ga = request.ga && consent.analytics_storage == 'granted' ? request.ga : undefined;
      const outcome = await store.lease({
        session: { id: randomUUID().replaceAll('-', ''), site: request.site, visitor: request.visitor, source, ip: await ipKey(ip), consent, ...(ga && { ga }) },
        picks,
        claim: ms(config.claim),
        quarantine: ms(config.quarantine),
        maxPerIp: config.maxLeasesPerIp,
        keep,
      });
      if ('limited' in outcome) return { error: 'rate_limited', retryAfter: Math.max(1, Math.ceil(outcome.limited / 1000)) };
      if ('lost' in outcome) return { error: 'unavailable' };
      const { session, exhausted } = outcome;
      const counts: Record<string, number> = { [counter('sessions', session.source.channel)]: 1 };
      const add = (field: string) => (counts[field] = (counts[field] ?? 0) + 1);
      // Campaign and keyword names come from visitors: the store caps distinct fields per hour.
      if (session.source.campaign) add(counter('campaign', session.source.campaign.slice(0, 100)));
      if (session.source.term) add(counter('term', session.source.term.slice(0, 100)));
      for (const { target, name } of picks) add(counter(exhausted.includes(target) ? 'exhausted' : 'leased', poolId(name, target)));
      await store.count(request.site, counts, session.created);
      // A pool that had no number is at its peak right now: recorded as such, not only at the next minute's sample.
      for (const { target, name, pool: key } of picks.filter((p) => exhausted.includes(p.target))) {
        await store.peak(request.site, poolId(name, target), (await busy([key]))[key] ?? 0, session.created);
      }
      return { lease: { session: session.id, numbers: session.numbers, ttl: config.ttl, heartbeat: config.heartbeat }, ...(remembered && { cookie: remembered }) };
    },

    /** Renews a lease for `ttl`: a number is never renewed once its session ended. */
    heartbeat: (id: string, allowed?: string[]) => store.heartbeat(id, { ttl: ms(config.ttl), keep, sites: allowed }),

    /**
     * Ends a lease at once (consent withdrawn): its numbers rest for the quarantine, who it was is forgotten, and so
     * is the source remembered under the visitor's cookie.
     */
    async release(id: string, allowed?: string[], cookie?: string) {
      const result = await store.release(id, { keep, sites: allowed });
      if (typeof result == 'object' && cookie && COOKIE_ID.test(cookie)) await store.forget(result.site, cookie);
      return result;
    },

    /** A page event of a live or recent session. */
    async event(id: string, event: { type: string; page: string; targets?: string[]; target?: string; name?: string; value?: number; consent?: Consent; ga?: Analytics }, allowed?: string[]) {
      const session = await store.getSession(id);
      if (!session) return 'unknown' as const;
      if (allowed && !allowed.includes(session.site)) return 'forbidden' as const;
      // The page's consent as it is now, and GA's ids learnt after the lease: the session and its calls follow (a
      // denial stops exports of them; analytics_storage denied takes GA's ids away).
      if (event.consent || event.ga) {
        const consent = cleanConsent(event.consent);
        const analytics = { ...session.consent, ...consent }.analytics_storage;
        const ga = analytics != 'granted' ? (consent.analytics_storage == 'denied' ? null : undefined) : event.ga;
        await store.patchVisit(id, { consent, ...(ga !== undefined && { ga }) });
      }
      if (event.type == 'missing_target' && event.targets) {
        const known = event.targets.filter((t) => Object.hasOwn(sites.get(session.site)?.numbers ?? {}, t));
        if (known.length) await store.addMissing(session.site, event.page, known);
      }
      if (event.type == 'vitals' && event.name && typeof event.value == 'number') await store.addVital(session.site, event.name, event.value);
      // A tap counts once per visit and number, however often the visitor taps.
      if (event.type == 'click' && event.target && (await store.tap(id, event.target))) await store.count(session.site, { [counter('clicks', session.source.channel)]: 1 }, await store.now());
      return 'ok' as const;
    },

    /** Records a call, attributed to the session that held its number then; counted per channel. */
    async recordCall(input: CallInput): Promise<Call> {
      const at = input.at ?? (await store.now());
      const holder: Session | undefined = await store.holderAt(input.to, at, keep);
      const target = holder && Object.keys(holder.numbers).find((t) => holder.numbers[t] == input.to);
      const call: Call = {
        id: randomBytes(12).toString('base64url'),
        to: input.to,
        ...(input.from && { from: input.from }),
        at: new Date(at).toISOString(),
        ...(holder && target && { site: holder.site, target, session: holder.id, source: cleanSource(holder.source) }),
        ...(holder && target && holder.consent && { consent: cleanConsent(holder.consent) }),
        ...(holder && target && holder.ga && { ga: holder.ga }),
        ...(input.duration != null && { duration: input.duration }),
        ...(input.status && { status: input.status }),
        ...(input.ref && { ref: input.ref }),
        ...(input.answered != null && { answered: input.answered }),
        ...(input.location && Object.keys(input.location).length && { location: input.location }),
      };
      const site = call.site ?? owners.get(input.to)?.site;
      // First-time or repeat: the same number called this site within the retention window (its hash, not the number).
      // A withheld number (Twilio's "anonymous", or no number at all) is neither.
      if (input.from && E164.test(input.from) && site) {
        call.caller = await keyOf(`caller:${input.from}`);
        call.repeat = await store.caller(site, call.caller, at, at + ms(config.retentionDays * 86_400));
      }
      await store.addCall(call);
      if (call.site) await store.count(call.site, { [counter('calls', call.source!.channel)]: 1 }, at);
      // Not attributed: counted for the site the number belongs to, if any.
      else if (site) await store.count(site, { [counter('calls', '(none)')]: 1 }, at);
      return call;
    },

    listCalls: (query: { site?: string; since?: number; limit: number }) => store.listCalls(query),

    /** Sessions per channel, numbers held per pool now, exhaustion, missing targets, vitals: counters, not scans. */
    async stats(siteId: string): Promise<Stats | undefined> {
      if (!sites.has(siteId)) return;
      const keys = poolsOf(siteId);
      const [held, counters, missing, vitals] = await Promise.all([store.held(keys.map(({ key }) => key)), store.counters(siteId), store.missing(siteId), store.vitals(siteId)]);
      const pools: Stats['pools'] = {};
      for (const { key, name, size } of keys) {
        const entry = (pools[name] ||= { size: 0, held: 0 });
        entry.size += size;
        entry.held += held[key] ?? 0;
      }
      return {
        site: siteId,
        sessions: ofKind(counters, 'sessions'),
        clicks: ofKind(counters, 'clicks'),
        calls: ofKind(counters, 'calls'),
        pools,
        exhausted: total(ofKind(counters, 'exhausted')),
        missingTargets: Object.fromEntries(Object.entries(missing).map(([page, counts]) => [page, Object.keys(counts)])),
        vitals: summarize(vitals),
      };
    },

    poolsOf,

    /**
     * Once a minute (one process of several does it): per pool, the numbers busy now (held, or resting after a
     * release: nobody can have them either) as the hour's peak, a minute at full when all were, and the busy
     * numbers as number-minutes (how long a lease keeps a number, for the sizing advice).
     */
    async sample(): Promise<void> {
      const t = await store.now();
      if (!(await store.claimMinute(Math.floor(t / 60_000)))) return;
      for (const siteId of sites.keys()) {
        const pools = poolsOf(siteId);
        const held = await busy(pools.map((p) => p.key));
        const counts: Record<string, number> = {};
        for (const { id, key, size } of pools) {
          const now = held[key] ?? 0;
          await store.peak(siteId, id, now, t);
          if (now) counts[counter('heldmin', id)] = now;
          if (now >= size) counts[counter('full', id)] = 1;
        }
        await store.count(siteId, counts, t);
      }
    },

    busy,

    /** Drops what the retention settings no longer allow. */
    sweep: () => store.sweep(config.retentionDays * DAY),
  };
}
