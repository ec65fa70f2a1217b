// The Redis store: several server processes share one pool. Every lease and heartbeat is one Lua script, which
// Redis runs atomically, so no number is ever given to two live sessions, whichever process asks.
import { createClient } from 'redis';
import { HISTORY, summarize, type Call, type Session, type Store } from './store.js';

// KEYS: the candidates' holding lists. ARGV: session id, now, ttl, quarantine, history length.
// Picks the free candidate whose last holding ended longest ago (never held first) and records the holding.
const LEASE = `
local best, bestUntil = nil, nil
for i, key in ipairs(KEYS) do
  local last = redis.call('LINDEX', key, -1)
  local untilMs = -1
  if last then untilMs = cjson.decode(last)['until'] end
  if untilMs + tonumber(ARGV[4]) <= tonumber(ARGV[2]) and (best == nil or untilMs < bestUntil) then
    best, bestUntil = i, untilMs
  end
end
if best == nil then return false end
local now = tonumber(ARGV[2])
redis.call('RPUSH', KEYS[best], cjson.encode({session = ARGV[1], from = now, ['until'] = now + tonumber(ARGV[3])}))
redis.call('LTRIM', KEYS[best], -tonumber(ARGV[5]), -1)
return best
`;

// KEYS[1]: the session; KEYS[2..]: its numbers' holding lists. ARGV: session id, now.
const HEARTBEAT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 'unknown' end
local session = cjson.decode(raw)
local now = tonumber(ARGV[2])
if session.lastBeat + session.ttl <= now then return 'gone' end
session.lastBeat = now
for i = 2, #KEYS do
  local last = redis.call('LINDEX', KEYS[i], -1)
  if last then
    local holding = cjson.decode(last)
    if holding.session == ARGV[1] then
      holding['until'] = now + session.ttl
      redis.call('LSET', KEYS[i], -1, cjson.encode(holding))
    end
  end
end
raw = cjson.encode(session)
redis.call('SET', KEYS[1], raw)
return raw
`;

/** Days a session is kept after its last heartbeat, for call attribution and stats. */
const KEEP_DAYS = 90;

export async function createRedisStore(url: string, prefix = 'callswap:'): Promise<Store> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  const k = {
    session: (id: string) => `${prefix}session:${id}`,
    holdings: (number: string) => `${prefix}holdings:${number}`,
    channels: (site: string) => `${prefix}channels:${site}`,
    exhausted: (site: string) => `${prefix}exhausted:${site}`,
    missing: (site: string) => `${prefix}missing:${site}`,
    vitals: (site: string, name: string) => `${prefix}vitals:${site}:${name}`,
    calls: `${prefix}calls`,
  };
  // cjson turns an empty Lua table into {} and keeps key order loose: sessions are read back through JSON.parse.
  const readSession = (raw: string | null): Session | undefined => (raw ? (JSON.parse(raw) as Session) : undefined);
  const lastHolding = async (number: string) => {
    const raw = await client.lIndex(k.holdings(number), -1);
    return raw ? (JSON.parse(raw) as { session: string; from: number; until: number }) : undefined;
  };

  return {
    async lease(session, picks, quarantine) {
      for (const { target, candidates } of picks) {
        const chosen = (await client.eval(LEASE, {
          keys: candidates.map(k.holdings),
          arguments: [session.id, String(session.created), String(session.ttl), String(quarantine), String(HISTORY)],
        })) as number | null;
        if (chosen) session.numbers[target] = candidates[chosen - 1]!;
        else await client.incr(k.exhausted(session.site));
      }
      await client.set(k.session(session.id), JSON.stringify(session), { EX: KEEP_DAYS * 86_400 });
      await client.hIncrBy(k.channels(session.site), session.source.channel, 1);
      return session;
    },
    async heartbeat(id, now) {
      const session = readSession(await client.get(k.session(id)));
      if (!session) return 'unknown';
      const result = (await client.eval(HEARTBEAT, {
        keys: [k.session(id), ...Object.values(session.numbers).map(k.holdings)],
        arguments: [id, String(now)],
      })) as string;
      if (result == 'gone' || result == 'unknown') return result;
      await client.expire(k.session(id), KEEP_DAYS * 86_400);
      return { ...session, lastBeat: now };
    },
    async getSession(id) {
      return readSession(await client.get(k.session(id)));
    },
    async holderAt(number, at) {
      const history = (await client.lRange(k.holdings(number), 0, -1)).map((raw) => JSON.parse(raw) as { session: string; from: number; until: number });
      const holding = history.findLast((h) => h.from <= at && at <= h.until);
      const session = holding && readSession(await client.get(k.session(holding.session)));
      const target = session && Object.keys(session.numbers).find((t) => session.numbers[t] == number);
      return session && target ? { session, target } : undefined;
    },
    async addCall(call: Call) {
      await client.lPush(k.calls, JSON.stringify(call));
      await client.lTrim(k.calls, 0, 9_999);
    },
    async listCalls(limit) {
      return (await client.lRange(k.calls, 0, limit - 1)).map((raw) => JSON.parse(raw) as Call);
    },
    async addMissing(site, page, targets) {
      const raw = await client.hGet(k.missing(site), page);
      const known = new Set<string>(raw ? JSON.parse(raw) : []);
      targets.forEach((t) => known.add(t));
      await client.hSet(k.missing(site), page, JSON.stringify([...known]));
    },
    async addVital(site, name, value) {
      await client.lPush(k.vitals(site, name), String(value));
      await client.lTrim(k.vitals(site, name), 0, HISTORY - 1);
    },
    async stats(site, numbers, now) {
      const values: Record<string, number[]> = {};
      for (const name of ['CLS', 'INP', 'LCP']) {
        const list = (await client.lRange(k.vitals(site, name), 0, -1)).map(Number);
        if (list.length) values[name] = list;
      }
      const channels = await client.hGetAll(k.channels(site));
      const missing = await client.hGetAll(k.missing(site));
      const held: string[] = [];
      for (const number of numbers) if (((await lastHolding(number))?.until ?? 0) > now) held.push(number);
      return {
        sessions: Object.fromEntries(Object.entries(channels).map(([c, n]) => [c, Number(n)])),
        exhausted: Number(await client.get(k.exhausted(site))) || 0,
        missingTargets: Object.fromEntries(Object.entries(missing).map(([page, raw]) => [page, JSON.parse(raw) as string[]])),
        held,
        vitals: summarize(values),
      };
    },
    async close() {
      await client.quit();
    },
  };
}
