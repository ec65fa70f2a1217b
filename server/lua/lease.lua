-- Leases a session's numbers. Atomic because Redis runs one script at a time: the check that a number is free and
-- the write that takes it cannot interleave with another process's lease, heartbeat or release, and every process
-- reads the same clock (Redis's TIME, not its own). O(log n) per pool: each pool is a sorted set of its numbers
-- scored by when their last holding ends, so the free number released longest ago is the first member.
-- Keys of the chosen numbers' histories are derived from them: this runs on one Redis, not a Cluster.
--
-- KEYS[1] the session hash, KEYS[2] the IP's live leases (sorted set), KEYS[3] the pools' marker (written with the
-- pools: a Redis that restarted without its data has none), KEYS[4..] one pool per target.
-- ARGV: skew ms, session id, claim ms, quarantine ms, max leases per IP, keep ms, history length, key prefix,
--       site, ip key, visitor ('' for none), source JSON, then per target: target, pool name.
-- Returns {'lost'} (no pools: nothing written), {'limited', ms until a lease of this IP ends} or
-- {'ok', now, number or '' per target}.
if redis.call('EXISTS', KEYS[3]) == 0 then return {'lost'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local id, claim, quarantine = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local keep, prefix = tonumber(ARGV[6]), ARGV[8]

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {'limited', tonumber(first[2]) - now}
end

local untilMs = now + claim
local numbers, pools, out = {}, {}, {'ok', now}
for i = 4, #KEYS do
  local target, pool = ARGV[13 + (i - 4) * 2], ARGV[14 + (i - 4) * 2]
  local top = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if top[1] and tonumber(top[2]) + quarantine <= now then
    local number = top[1]
    redis.call('ZADD', KEYS[i], untilMs, number)
    local history = prefix .. 'hist:' .. number
    redis.call('ZADD', history, now, id)
    redis.call('ZREMRANGEBYRANK', history, 0, -tonumber(ARGV[7]) - 1)
    numbers[target] = number
    pools[number] = pool
    out[#out + 1] = number
  else
    out[#out + 1] = ''
  end
end

redis.call('HSET', KEYS[1], 'until', untilMs, 'created', now, 'site', ARGV[9], 'ip', ARGV[10], 'source', ARGV[12],
  'numbers', cjson.encode(numbers), 'pools', cjson.encode(pools))
if ARGV[11] ~= '' then redis.call('HSET', KEYS[1], 'visitor', ARGV[11]) end
redis.call('PEXPIREAT', KEYS[1], untilMs + keep)
redis.call('ZADD', KEYS[2], untilMs, id)
if redis.call('PTTL', KEYS[2]) < claim then redis.call('PEXPIREAT', KEYS[2], untilMs) end
return out
