// The default store: everything in this process's memory. Each operation runs to its end before another starts
// (Node runs one task at a time and nothing here awaits), so taking a number is atomic without locks.
import { randomBytes } from 'node:crypto';
import { createHeap, type Heap } from './heap.js';
import { capped, peakOf, sumOf } from './counters.js';
import { CALL_BATCH, changeVisit, HISTORY, HOUR, hourOf, MAX_CALLS, MAX_PAGES, type Call, type Session, type Store, type Touched } from './store.js';

/** One pool: its numbers ordered by when their last holding ends, and a count of those held now. */
interface Pool {
  /** number → when its last holding ends (ms); 0 for never held. */
  until: Map<string, number>;
  /**
   * [until, order, number], oldest first. Entries are pushed on every change and never updated in place: an entry
   * whose `until` is no longer the number's is stale and skipped when it surfaces. O(log n) per lease.
   */
  free: Heap<[number, number, string]>;
  /** [until, number], soonest first: the same lazy scheme tells when a held number stops being held. */
  ending: Heap<[number, string]>;
  held: Set<string>;
}

const byTime = <T extends [number, ...unknown[]]>(a: T, b: T): boolean => a[0] < b[0] || (a[0] == b[0] && (a[1] as number) < (b[1] as number));

/** The in-memory store. `now` is the clock (tests move it). */
export function createMemoryStore({ now = Date.now }: { now?: () => number } = {}): Store {
  const pools = new Map<string, Pool>();
  const owner = new Map<string, string>();
  const sessions = new Map<string, Session>();
  /**
   * session id → when it may be dropped (ms), and a lazy heap over it: a session's entry is at or before that time,
   * so a heartbeat only moves the time here, and the entry goes back in with the later time when it comes up. A
   * push per heartbeat would keep an entry per heartbeat for the whole attribution window (a day by default).
   */
  const expires = new Map<string, number>();
  const expiring = createHeap<[number, string]>(byTime);
  const history = new Map<string, { session: string; from: number }[]>();
  /** site and IP key → its sessions; the live ones are counted when that IP leases. */
  const perIp = new Map<string, Set<string>>();
  const calls: Call[] = [];
  const refs = new Map<string, Call>();
  const byId = new Map<string, Call>();
  /** When each call's GA4 event is due (ms). */
  const outbox = new Map<string, number>();
  /** The calls attributed to a session. */
  const callsOf = (session: string): Call[] => calls.filter((call) => call.session == session);
  /** Consent withdrawn: the session and its calls forget the visit's click ids, landing page and referrer. */
  /** Consent withdrawn: the visit and its calls forget who it was. */
  const forget = (id: string): void => {
    const session = sessions.get(id);
    if (session) changeVisit(session, { forget: true });
    for (const call of callsOf(id)) changeVisit(call, { forget: true });
  };
  const totals = new Map<string, Map<string, number>>();
  const hours = new Map<string, Map<number, Map<string, number>>>();
  const missing = new Map<string, Map<string, Map<string, number>>>();
  const vitals = new Map<string, Map<string, number[]>>();
  /** site and cookie id → a visitor's source, until when. */
  const visitors = new Map<string, { source: Session['source']; until: number }>();
  /** `site\ncaller` → until when a caller is kept. */
  const callers = new Map<string, number>();
  const salt = randomBytes(16).toString('base64url');
  let claimed = -1;
  let order = 0;

  const setUntil = (pool: Pool, number: string, until: number): void => {
    pool.until.set(number, until);
    pool.free.push([until, order++, number]);
    pool.ending.push([until, number]);
    // Stale entries pile up with heartbeats; rebuilding now and then keeps the heaps near the pool's size.
    if (pool.free.size > 4 * pool.until.size + 64) rebuild(pool);
  };

  const rebuild = (pool: Pool): void => {
    pool.free = createHeap(byTime);
    pool.ending = createHeap(byTime);
    for (const [number, until] of pool.until) {
      pool.free.push([until, order++, number]);
      if (pool.held.has(number)) pool.ending.push([until, number]);
    }
  };

  /** The number released longest ago if it is free at `t`, taken until `until`. */
  const take = (pool: Pool, t: number, quarantine: number, until: number): string | undefined => {
    for (let top = pool.free.peek(); top; top = pool.free.peek()) {
      if (pool.until.get(top[2]) !== top[0]) {
        pool.free.pop();
        continue;
      }
      if (top[0] + quarantine > t) return;
      pool.free.pop();
      pool.held.add(top[2]);
      setUntil(pool, top[2], until);
      return top[2];
    }
    return;
  };

  const heldNow = (pool: Pool, t: number): number => {
    for (let top = pool.ending.peek(); top && top[0] <= t; top = pool.ending.peek()) {
      pool.ending.pop();
      if (pool.until.get(top[1]) === top[0]) pool.held.delete(top[1]);
    }
    return pool.held.size;
  };

  const drop = (call: Call): void => {
    if (call.ref) refs.delete(call.ref);
    byId.delete(call.id);
    outbox.delete(call.id);
  };

  const keepUntil = (id: string, when: number): void => {
    const due = expires.get(id);
    expires.set(id, when);
    // Sooner (a new session, a release): an entry of its own. Later (a heartbeat): the one in the heap still does.
    if (due === undefined || when < due) expiring.push([when, id]);
  };

  /** An IP's sessions, those that ended dropped when `prune` (or when there are enough to reach `max`). */
  const live = (ip: string, t: number, max = 0): Set<string> => {
    let leases = perIp.get(ip);
    if (!leases) perIp.set(ip, (leases = new Set()));
    if (leases.size >= max) for (const id of leases) if (!((sessions.get(id)?.until ?? 0) > t)) leases.delete(id);
    return leases;
  };

  /** Renews or ends a live session: its numbers are held until `until`. */
  const touch = (id: string, sites: string[] | undefined, until: (t: number) => number, keep: number): Touched => {
    const session = sessions.get(id);
    const t = now();
    if (!session) return 'unknown';
    if (session.until <= t) return 'gone';
    if (sites && !sites.includes(session.site)) return 'forbidden';
    session.until = until(t);
    for (const [number, key] of Object.entries(session.pools)) {
      const pool = pools.get(key);
      if (pool?.until.has(number)) setUntil(pool, number, session.until);
    }
    keepUntil(id, session.until + keep);
    return { site: session.site, until: session.until };
  };

  const bucket = <K>(map: Map<K, Map<string, number>>, key: K): Map<string, number> => {
    let fields = map.get(key);
    if (!fields) map.set(key, (fields = new Map<string, number>()));
    return fields;
  };

  /** A field of a counter hash (counters.ts: a new one past the cap counts as its kind's "(other)"). */
  const add = (fields: Map<string, number>, field: string, n: number, max = false): void => {
    field = capped(field, fields.has(field), fields.size);
    fields.set(field, max ? Math.max(fields.get(field) ?? 0, n) : (fields.get(field) ?? 0) + n);
  };

  const hoursOf = (site: string): Map<number, Map<string, number>> => {
    let map = hours.get(site);
    if (!map) hours.set(site, (map = new Map<number, Map<string, number>>()));
    return map;
  };

  return {
    async syncPools(config) {
      for (const [key, numbers] of config) {
        let pool = pools.get(key);
        if (!pool) pools.set(key, (pool = { until: new Map(), free: createHeap(byTime), ending: createHeap(byTime), held: new Set() }));
        for (const number of numbers) {
          if (!pool.until.has(number)) setUntil(pool, number, 0);
          owner.set(number, key);
        }
        for (const number of pool.until.keys()) if (!numbers.includes(number)) pool.until.delete(number);
        rebuild(pool);
      }
      for (const key of pools.keys()) if (!config.has(key)) pools.delete(key);
    },

    async lease({ session: input, picks, claim, quarantine, maxPerIp, keep }) {
      const t = now();
      const leases = live(`${input.site} ${input.ip}`, t, maxPerIp);
      if (leases.size >= maxPerIp) return { limited: Math.min(...[...leases].map((id) => sessions.get(id)!.until)) - t };
      // The input's parts are the caller's to give away (a parsed request): kept, not copied. Named one by one: a
      // spread of a parsed object measured slower than the rest of the lease together.
      const { id, site, visitor, source, ip, consent, ga } = input;
      const session: Session = { id, site, visitor, source, ip, numbers: {}, pools: {}, created: t, until: t + claim };
      if (consent) session.consent = consent;
      if (ga) session.ga = ga;
      const exhausted: string[] = [];
      for (const { target, pool: key } of picks) {
        const pool = pools.get(key);
        const number = pool && take(pool, t, quarantine, session.until);
        if (!number) {
          exhausted.push(target);
          continue;
        }
        session.numbers[target] = number;
        session.pools[number] = key;
        const list = history.get(number) || [];
        list.push({ session: session.id, from: t });
        // Trimmed in batches: a splice per lease would move the whole history every time.
        if (list.length >= 2 * HISTORY) list.splice(0, HISTORY);
        history.set(number, list);
      }
      sessions.set(session.id, session);
      leases.add(session.id);
      keepUntil(session.id, session.until + keep);
      return { session: { ...session, numbers: Object.assign({}, session.numbers) }, exhausted };
    },

    async heartbeat(id, { ttl, keep, sites }) {
      return touch(id, sites, (t) => t + ttl, keep);
    },

    async release(id, { keep, sites }) {
      const result = touch(id, sites, (t) => t, keep);
      const session = sessions.get(id);
      if (typeof result == 'object' && session) {
        perIp.get(`${session.site} ${session.ip}`)?.delete(id);
        session.visitor = null;
        forget(id);
      }
      return result;
    },

    async patchVisit(id, change) {
      const session = sessions.get(id);
      if (!session) return;
      changeVisit(session, change);
      for (const call of callsOf(id)) changeVisit(call, change);
      return structuredClone(session);
    },

    async tap(id, number) {
      const session = sessions.get(id);
      if (!session || session.taps?.includes(number)) return false;
      (session.taps ??= []).push(number);
      return true;
    },

    async schedule(id, due) {
      outbox.set(id, due);
    },

    async due(t, limit) {
      const out: string[] = [];
      for (const [id, due] of outbox) {
        if (out.length >= limit) break;
        if (due <= t) out.push(id);
      }
      for (const id of out) outbox.delete(id);
      return out;
    },

    async getSession(id) {
      const session = sessions.get(id);
      return session && structuredClone(session);
    },

    async holderAt(number, at, grace) {
      const holding = history.get(number)?.findLast((h) => h.from <= at);
      const session = holding && sessions.get(holding.session);
      return session && at <= session.until + grace ? structuredClone(session) : undefined;
    },

    async held(keys, rest = 0) {
      const t = now();
      if (!rest) return Object.fromEntries(keys.map((key) => [key, pools.has(key) ? heldNow(pools.get(key)!, t) : 0]));
      // Resting numbers too: few calls (the dashboard's), so a count over the pool is fine here.
      return Object.fromEntries(keys.map((key) => [key, [...(pools.get(key)?.until.values() ?? [])].filter((until) => until + rest > t).length]));
    },

    async addCall(call) {
      const at = Date.parse(call.at);
      // Kept in order of `at`: a late record goes where it belongs.
      let i = calls.length;
      while (i > 0 && Date.parse(calls[i - 1]!.at) > at) i--;
      calls.splice(i, 0, structuredClone(call));
      if (call.ref) refs.set(call.ref, calls[i]!);
      byId.set(call.id, calls[i]!);
      // Bounded whatever the retention: the oldest go first.
      for (const old of calls.splice(0, calls.length - MAX_CALLS)) drop(old);
    },

    async updateCall(ref, patch) {
      const call = refs.get(ref);
      if (!call) return;
      Object.assign(call, structuredClone(patch));
      return structuredClone(call);
    },

    async patchCall(id, patch) {
      const call = byId.get(id);
      if (!call) return;
      Object.assign(call, structuredClone(patch));
      return structuredClone(call);
    },

    async getCall(id) {
      const call = byId.get(id);
      return call && structuredClone(call);
    },

    async findCall(ref) {
      const call = refs.get(ref);
      return call && structuredClone(call);
    },

    async listCalls({ site, since = -Infinity, limit }) {
      const out: Call[] = [];
      for (let i = calls.length - 1; i >= 0 && out.length < limit; i--) {
        const call = calls[i]!;
        if (Date.parse(call.at) < since) break;
        if (!site || call.site == site) out.push(structuredClone(call));
      }
      return out;
    },

    async *eachCall({ site, since }, batch = CALL_BATCH) {
      // The first call at or after `since`: the list is in order of `at`.
      let lo = 0;
      for (let hi = calls.length; lo < hi; ) {
        const mid = (lo + hi) >> 1;
        if (Date.parse(calls[mid]!.at) < since) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < calls.length; ) {
        const out: Call[] = [];
        for (; i < calls.length && out.length < batch; i++) if (calls[i]!.site == site) out.push(structuredClone(calls[i]!));
        if (out.length) yield out;
        // Other requests go first between batches (the list may change meanwhile: an export is of about now).
        await new Promise((resolve) => setImmediate(resolve));
      }
    },

    async remember(site, id, source, until) {
      visitors.set(`${site}\n${id}`, { source: structuredClone(source), until });
    },

    async recall(site, id) {
      const entry = visitors.get(`${site}\n${id}`);
      return entry && entry.until > now() ? structuredClone(entry.source) : undefined;
    },

    async forget(site, id) {
      visitors.delete(`${site}\n${id}`);
    },

    async caller(site, caller, at, until) {
      const key = `${site}\n${caller}`;
      const before = callers.get(key);
      callers.set(key, Math.max(until, before ?? 0));
      return before != null && before > at;
    },

    async count(site, fields, at) {
      const total = bucket(totals, site);
      const hour = bucket(hoursOf(site), hourOf(at));
      for (const [field, n] of Object.entries(fields)) {
        add(total, field, n);
        add(hour, field, n);
      }
    },

    async counters(site, since) {
      if (since == null) return Object.fromEntries(totals.get(site) || []);
      return sumOf([...(hours.get(site) || [])].filter(([hour]) => hour + HOUR > since).map(([, fields]) => Object.fromEntries(fields)));
    },

    async series(site, since) {
      const out: Record<number, Record<string, number>> = {};
      for (const [hour, fields] of hours.get(site) || []) if (hour + HOUR > since) out[hour] = Object.fromEntries(fields);
      return out;
    },

    async peak(site, pool, held, at) {
      add(bucket(hoursOf(site), hourOf(at)), peakOf(pool), held, true);
    },

    async addMissing(site, page, targets) {
      let pages = missing.get(site);
      if (!pages) missing.set(site, (pages = new Map<string, Map<string, number>>()));
      if (!pages.has(page) && pages.size >= MAX_PAGES) return;
      const counts = bucket(pages, page);
      for (const target of targets) counts.set(target, (counts.get(target) ?? 0) + 1);
    },

    async missing(site) {
      return Object.fromEntries([...(missing.get(site) || [])].map(([page, counts]) => [page, Object.fromEntries(counts)]));
    },

    async addVital(site, name, value) {
      let metrics = vitals.get(site);
      if (!metrics) vitals.set(site, (metrics = new Map<string, number[]>()));
      const list = metrics.get(name) || [];
      list.push(value);
      if (list.length > HISTORY) list.shift();
      metrics.set(name, list);
    },

    async vitals(site) {
      return Object.fromEntries([...(vitals.get(site) || [])].map(([name, list]) => [name, [...list]]));
    },

    async sweep(retention) {
      const t = now();
      for (let top = expiring.peek(); top && top[0] <= t; top = expiring.peek()) {
        expiring.pop();
        const due = expires.get(top[1]);
        // Dropped already (an entry from before a release), or kept longer since: back in at its time.
        if (due === undefined || due < top[0]) continue;
        if (due > top[0]) {
          expiring.push([due, top[1]]);
          continue;
        }
        expires.delete(top[1]);
        const session = sessions.get(top[1]);
        sessions.delete(top[1]);
        if (!session) continue;
        for (const number of Object.values(session.numbers)) {
          const list = history.get(number);
          const i = list?.findIndex((h) => h.session == session.id) ?? -1;
          if (i >= 0) list!.splice(i, 1);
        }
      }
      for (const ip of [...perIp.keys()]) if (!live(ip, t).size) perIp.delete(ip);
      for (const [key, { until }] of visitors) if (until <= t) visitors.delete(key);
      for (const [key, until] of callers) if (until <= t) callers.delete(key);
      const cutoff = t - retention;
      let old = 0;
      while (old < calls.length && Date.parse(calls[old]!.at) < cutoff) old++;
      for (const call of calls.splice(0, old)) drop(call);
      for (const map of hours.values()) for (const hour of map.keys()) if (hour + HOUR < cutoff) map.delete(hour);
    },

    async claimMinute(minute) {
      if (minute <= claimed) return false;
      claimed = minute;
      return true;
    },
    async now() {
      return now();
    },
    async salt() {
      return salt;
    },
    async ping() {},
    async close() {},
  };
}
