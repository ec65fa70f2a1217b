// The Redis store: several server processes share one pool. Leasing, heartbeats and releases are Lua scripts
// (lua/*.lua, each says what makes it atomic) that run on Redis's own clock.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis, type Result } from 'ioredis';
import { MAX_FIELDS, peakOf, sumOf } from './counters.js';
import { CALL_BATCH, changeVisit, HISTORY, HOUR, hourOf, MAX_CALLS, MAX_PAGES, type Call, type Consent, type Session, type Store, type Touched } from './store.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    csLease(keys: number, ...args: (string | number)[]): Result<(string | number)[], Context>;
    csTouch(key: string, ...args: (string | number)[]): Result<(string | number)[], Context>;
    csHolder(key: string, ...args: (string | number)[]): Result<string[] | null, Context>;
    csCount(totals: string, hour: string, hours: string, ...args: (string | number)[]): Result<number, Context>;
    csMissing(key: string, ...args: (string | number)[]): Result<number, Context>;
    csMinute(key: string, minute: number): Result<number, Context>;
  }
}

const lua = (name: string): string => readFileSync(new URL(`../../lua/${name}.lua`, import.meta.url), 'utf8');

/** How often (ms) the server checks that its pools are still in Redis. */
const CHECK_POOLS_EVERY = 5000;

export interface RedisStoreOptions {
  /** Prefix of every key. */
  prefix?: string;
  /** ms added to Redis's clock, read as each command is sent: tests move time with it. Never a process's clock. */
  skew?: () => number;
  connectTimeout?: number;
}

/** An open Redis connection for the rate limiter and the store; rejects when Redis cannot be reached in time. */
export async function connectRedis(url: string, connectTimeout = 5000): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout,
    // Fail a command at once while Redis is away (the request answers 503) instead of queueing it without bound.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    // connectTimeout covers the TCP connection only; a peer that accepts and never answers is caught here.
    await Promise.race([client.connect(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${connectTimeout} ms`)), connectTimeout)))]);
  } catch (e) {
    client.disconnect();
    throw new Error(`Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} cannot be reached (${(e as Error).message})`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  return client;
}


const pairs = (list: string[] | null): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; list && i < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
};

export function createRedisStore(client: Redis, { prefix = 'callswap:', skew = () => 0 }: RedisStoreOptions = {}): Store {
  client.defineCommand('csLease', { lua: lua('lease') });
  client.defineCommand('csTouch', { numberOfKeys: 1, lua: lua('touch') });
  client.defineCommand('csHolder', { numberOfKeys: 1, lua: lua('holder') });
  client.defineCommand('csCount', { numberOfKeys: 3, lua: lua('count') });
  client.defineCommand('csMissing', { numberOfKeys: 1, lua: lua('missing') });
  client.defineCommand('csMinute', { numberOfKeys: 1, lua: lua('minute') });
  const k = {
    session: (id: string) => `${prefix}session:${id}`,
    pool: (key: string) => `${prefix}pool:${key}`,
    history: (number: string) => `${prefix}hist:${number}`,
    ip: (site: string, ip: string) => `${prefix}ip:${site}:${ip}`,
    calls: (site?: string) => `${prefix}calls${site ? `:${site}` : ''}`,
    call: `${prefix}call`,
    ref: `${prefix}ref`,
    totals: (site: string) => `${prefix}count:${site}`,
    hour: (site: string, hour: number) => `${prefix}count:${site}:${hour}`,
    hours: (site: string) => `${prefix}hours:${site}`,
    sites: `${prefix}sites`,
    missing: (site: string) => `${prefix}missing:${site}`,
    vitals: (site: string, name: string) => `${prefix}vitals:${site}:${name}`,
    salt: `${prefix}salt`,
    visitor: (site: string, id: string) => `${prefix}visitor:${site}:${id}`,
    caller: (site: string, caller: string) => `${prefix}caller:${site}:${caller}`,
    sessionCalls: (session: string) => `${prefix}scalls:${session}`,
    taps: (session: string) => `${prefix}taps:${session}`,
    outbox: `${prefix}outbox`,
    /** Written with the pools: without it, Redis lost them (it restarted without its data, or was flushed). */
    marker: `${prefix}pools`,
  };
  const now = async (): Promise<number> => {
    const [s, us] = await client.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000) + skew();
  };
  const toSession = (hash: Record<string, string>): Session => ({
    ...(hash.consent && { consent: JSON.parse(hash.consent) as Session['consent'] }),
    ...(hash.ga && { ga: JSON.parse(hash.ga) as Session['ga'] }),
    id: hash.id!,
    site: hash.site!,
    visitor: hash.visitor ?? null,
    source: JSON.parse(hash.source!) as Session['source'],
    // cjson writes an empty table as {} and escapes "/": JSON.parse reads both.
    numbers: JSON.parse(hash.numbers || '{}') as Session['numbers'],
    pools: JSON.parse(hash.pools || '{}') as Session['pools'],
    created: Number(hash.created),
    until: Number(hash.until),
    ip: hash.ip!,
  });
  const touched = (out: (string | number)[]): Touched =>
    out[0] == 'ok' ? { site: String(out[1]), until: Number(out[2]) } : (out[0] as 'gone' | 'unknown' | 'forbidden');
  const readCalls = async (ids: string[]): Promise<Call[]> =>
    ids.length ? ((await client.hmget(k.call, ...ids)).filter(Boolean).map((raw) => JSON.parse(raw!) as Call)) : [];

  /** The pools last synced, to write again when Redis lost them. */
  let pools: Map<string, string[]> | undefined;
  let restoring: Promise<void> | undefined;
  const sync = async (config: Map<string, string[]>): Promise<void> => {
    for (const [key, numbers] of config) {
      // NX: a number already in the pool keeps its place (and holding); new ones start as never held.
      if (numbers.length) await client.zadd(k.pool(key), 'NX', ...numbers.flatMap((n) => ['0', n]));
      const stale = (await client.zrange(k.pool(key), '0', '-1')).filter((n) => !numbers.includes(n));
      if (stale.length) await client.zrem(k.pool(key), ...stale);
    }
    // Last: a lease that sees the marker finds every pool.
    await client.set(k.marker, String(config.size));
  };
  /** Writes the pools again when the marker is gone; one restore at a time. Resolves to whether they are there. */
  const restore = (): Promise<void> =>
    (restoring ??= (async () => {
      try {
        if (pools && !(await client.exists(k.marker))) await sync(pools);
      } finally {
        restoring = undefined;
      }
    })());
  // Checked every few seconds and after every reconnect: a Redis that came back empty gets its pools back.
  const watch = setInterval(() => void restore().catch(() => undefined), CHECK_POOLS_EVERY);
  watch.unref();
  const onReady = () => void restore().catch(() => undefined);
  client.on('ready', onReady);

  return {
    async syncPools(config) {
      pools = config;
      await sync(config);
    },

    async lease({ session, picks, claim, quarantine, maxPerIp, keep }) {
      const out = await client.csLease(
        3 + picks.length,
        k.session(session.id),
        k.ip(session.site, session.ip),
        k.marker,
        ...picks.map((p) => k.pool(p.pool)),
        skew(),
        session.id,
        claim,
        quarantine,
        maxPerIp,
        keep,
        HISTORY,
        prefix,
        session.site,
        session.ip,
        session.visitor ?? '',
        JSON.stringify(session.source),
        ...picks.flatMap((p) => [p.target, p.pool]),
      );
      if (out[0] == 'lost') {
        void restore().catch(() => undefined);
        return { lost: true };
      }
      if (out[0] == 'limited') return { limited: Number(out[1]) };
      const t = Number(out[1]);
      const leased: Session = { ...session, numbers: {}, pools: {}, created: t, until: t + claim };
      const exhausted: string[] = [];
      picks.forEach(({ target, pool }, i) => {
        const number = String(out[2 + i]);
        if (!number) return void exhausted.push(target);
        leased.numbers[target] = number;
        leased.pools[number] = pool;
      });
      // Consent and analytics ids ride along with the session hash (its expiry is the script's).
      if (session.consent || session.ga) await client.hset(k.session(session.id), { ...(session.consent && { consent: JSON.stringify(session.consent) }), ...(session.ga && { ga: JSON.stringify(session.ga) }) });
      return { session: leased, exhausted };
    },

    async heartbeat(id, { ttl, keep, sites = [] }) {
      return touched(await client.csTouch(k.session(id), skew(), ttl, keep, prefix, id, ...sites));
    },

    async release(id, { keep, sites = [] }) {
      const result = touched(await client.csTouch(k.session(id), skew(), -1, keep, prefix, id, ...sites));
      // touch.lua forgot the session's click ids, landing page and referrer: its signals are denied, GA's ids go, and
      // its calls forget too.
      if (typeof result == 'object') {
        await client.hset(k.session(id), 'consent', JSON.stringify(changeVisit<{ consent?: Consent }>({}, { forget: true }).consent));
        await client.hdel(k.session(id), 'ga');
        await changeCalls(id, (call) => void changeVisit(call, { forget: true }));
      }
      return result;
    },

    async patchVisit(id, change) {
      const hash = await client.hgetall(k.session(id));
      if (!hash.until) return;
      const session = changeVisit(toSession({ ...hash, id }), change);
      const { consent, ga, source } = session;
      await client.hset(k.session(id), { ...(consent && { consent: JSON.stringify(consent) }), ...(ga && { ga: JSON.stringify(ga) }), source: JSON.stringify(source) });
      if (!ga) await client.hdel(k.session(id), 'ga');
      await changeCalls(id, (call) => void changeVisit(call, change));
      return session;
    },

    async tap(id, number) {
      const ttl = await client.pttl(k.session(id));
      if (ttl <= 0) return false;
      const added = await client.sadd(k.taps(id), number);
      await client.pexpire(k.taps(id), ttl);
      return added == 1;
    },

    async schedule(id, due) {
      await client.zadd(k.outbox, due, id);
    },

    async due(t, limit) {
      const ids = await client.zrangebyscore(k.outbox, '-inf', t, 'LIMIT', 0, limit);
      const out: string[] = [];
      // ZREM answers 1 to one process only: each is taken once, whatever the number of processes.
      for (const id of ids) if ((await client.zrem(k.outbox, id)) == 1) out.push(id);
      return out;
    },

    async patchCall(id, patch) {
      const [call] = await readCalls([id]);
      if (!call) return;
      const next = { ...call, ...patch };
      await client.hset(k.call, id, JSON.stringify(next));
      return next;
    },

    async getCall(id) {
      return (await readCalls([id]))[0];
    },

    async getSession(id) {
      const hash = await client.hgetall(k.session(id));
      return hash.until ? toSession({ ...hash, id }) : undefined;
    },

    async holderAt(number, at, grace) {
      const list = await client.csHolder(k.history(number), at, grace, prefix);
      return list ? toSession(pairs(list)) : undefined;
    },

    async held(keys, rest = 0) {
      const t = await now();
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.zcount(k.pool(key), `(${t - rest}`, '+inf');
      const results = (await pipeline.exec()) || [];
      return Object.fromEntries(keys.map((key, i) => [key, Number(results[i]?.[1]) || 0]));
    },

    async addCall(call) {
      const at = Date.parse(call.at);
      const multi = client.multi().hset(k.call, call.id, JSON.stringify(call)).zadd(k.calls(), String(at), call.id);
      if (call.site) multi.zadd(k.calls(call.site), String(at), call.id).sadd(k.sites, call.site);
      if (call.ref) multi.hset(k.ref, call.ref, call.id);
      // The session's calls, kept as long as calls are (the sweep drops them by age).
      if (call.session) multi.sadd(k.sessionCalls(call.session), call.id).expire(k.sessionCalls(call.session), 400 * 86_400);
      await multi.exec();
      // Bounded whatever the retention: the oldest go first.
      const over = (await client.zcard(k.calls())) - MAX_CALLS;
      if (over > 0) await drop(await client.zrange(k.calls(), '0', String(over - 1)));
    },

    async updateCall(ref, patch) {
      const id = await client.hget(k.ref, ref);
      const [call] = id ? await readCalls([id]) : [];
      if (!call) return;
      const next = { ...call, ...patch };
      await client.hset(k.call, call.id, JSON.stringify(next));
      return next;
    },

    async findCall(ref) {
      const id = await client.hget(k.ref, ref);
      return id ? (await readCalls([id]))[0] : undefined;
    },

    async listCalls({ site, since = -Infinity, limit }) {
      const ids = await client.zrevrangebyscore(k.calls(site), '+inf', Number.isFinite(since) ? since : '-inf', 'LIMIT', 0, limit);
      return readCalls(ids);
    },

    async remember(site, id, source, until) {
      // Expires by itself on Redis's clock (the visitor's window is the cookie's); `until` is checked on reading too.
      await client.set(k.visitor(site, id), JSON.stringify({ source, until }), 'PXAT', until - skew());
    },

    async recall(site, id) {
      const raw = await client.get(k.visitor(site, id));
      const entry = raw ? (JSON.parse(raw) as { source: Session['source']; until: number }) : undefined;
      return entry && entry.until > (await now()) ? entry.source : undefined;
    },

    async forget(site, id) {
      await client.del(k.visitor(site, id));
    },

    async caller(site, caller, at, until) {
      // One command: the old value back and the new one set (SET … GET, Redis 6.2), so two calls at once from one
      // number cannot both be first. Expires by itself on Redis's clock.
      const before = await client.set(k.caller(site, caller), String(until), 'PXAT', until - skew(), 'GET');
      return before != null && Number(before) > at;
    },

    async *eachCall({ site, since }, batch = CALL_BATCH) {
      for (let offset = 0; ; offset += batch) {
        const ids = await client.zrangebyscore(k.calls(site), since, '+inf', 'LIMIT', offset, batch);
        if (!ids.length) return;
        yield await readCalls(ids);
      }
    },

    async count(site, fields, at) {
      const args = Object.entries(fields).flat();
      if (args.length) await client.csCount(k.totals(site), k.hour(site, hourOf(at)), k.hours(site), hourOf(at), MAX_FIELDS, 'sum', ...args);
      await client.sadd(k.sites, site);
    },

    async counters(site, since) {
      if (since == null) return Object.fromEntries(Object.entries(await client.hgetall(k.totals(site))).map(([f, n]) => [f, Number(n)]));
      return sumOf(Object.values(await this.series(site, since)));
    },

    async series(site, since) {
      const list = await client.zrangebyscore(k.hours(site), since - HOUR + 1, '+inf');
      const pipeline = client.pipeline();
      for (const hour of list) pipeline.hgetall(k.hour(site, Number(hour)));
      const results = (await pipeline.exec()) || [];
      return Object.fromEntries(
        list.map((hour, i) => [Number(hour), Object.fromEntries(Object.entries((results[i]?.[1] || {}) as Record<string, string>).map(([f, n]) => [f, Number(n)]))]),
      );
    },

    async peak(site, pool, held, at) {
      await client.csCount(k.totals(site), k.hour(site, hourOf(at)), k.hours(site), hourOf(at), MAX_FIELDS, 'max', peakOf(pool), held);
    },

    async addMissing(site, page, targets) {
      await client.csMissing(k.missing(site), page, MAX_PAGES, ...targets);
    },

    async missing(site) {
      return Object.fromEntries(Object.entries(await client.hgetall(k.missing(site))).map(([page, raw]) => [page, JSON.parse(raw)]));
    },

    async addVital(site, name, value) {
      await client.multi().lpush(k.vitals(site, name), String(value)).ltrim(k.vitals(site, name), 0, HISTORY - 1).exec();
    },

    async vitals(site) {
      const out: Record<string, number[]> = {};
      for (const name of ['CLS', 'INP', 'LCP']) {
        const list = (await client.lrange(k.vitals(site, name), 0, -1)).map(Number);
        if (list.length) out[name] = list;
      }
      return out;
    },

    async sweep(retention) {
      // Sessions and the per-IP sets expire by themselves (PEXPIREAT); calls and hours are dropped here.
      const cutoff = (await now()) - retention;
      await drop(await client.zrangebyscore(k.calls(), '-inf', `(${cutoff}`, 'LIMIT', 0, 10_000));
      for (const site of await client.smembers(k.sites)) {
        const old = await client.zrangebyscore(k.hours(site), '-inf', `(${cutoff - HOUR}`);
        if (old.length) await client.multi().del(...old.map((h) => k.hour(site, Number(h)))).zrem(k.hours(site), ...old).exec();
      }
    },

    async claimMinute(minute) {
      return (await client.csMinute(`${prefix}minute`, minute)) == 1;
    },
    now,
    async salt() {
      await client.set(k.salt, randomBytes(16).toString('base64url'), 'NX');
      return (await client.get(k.salt))!;
    },
    async ping() {
      await client.ping();
      if (pools && !(await client.exists(k.marker))) {
        void restore().catch(() => undefined);
        throw new Error('the pools are not in Redis (yet)');
      }
    },
    async close() {
      clearInterval(watch);
      client.off('ready', onReady);
      await client.quit().catch(() => client.disconnect());
    },
  };

  /** Applies `change` to a session's calls. */
  async function changeCalls(session: string, change: (call: Call) => void): Promise<void> {
    const calls = await readCalls(await client.smembers(k.sessionCalls(session)));
    if (!calls.length) return;
    for (const call of calls) change(call);
    await client.hset(k.call, Object.fromEntries(calls.map((call) => [call.id, JSON.stringify(call)])));
  }

  /** Deletes calls by id, everywhere they are listed. */
  async function drop(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const calls = await readCalls(ids);
    const multi = client.multi().hdel(k.call, ...ids).zrem(k.calls(), ...ids);
    multi.zrem(k.outbox, ...ids);
    for (const call of calls) {
      if (call.site) multi.zrem(k.calls(call.site), call.id);
      if (call.ref) multi.hdel(k.ref, call.ref);
      if (call.session) multi.srem(k.sessionCalls(call.session), call.id);
    }
    await multi.exec();
  }
}
