-- Renews a live session's numbers (heartbeat) or ends it at once (release). Atomic for the same reason as
-- lease.lua: the check that the session is still live and the writes that extend or end its holdings happen in one
-- step on Redis's clock, so a heartbeat is never answered for a number that went to another session meanwhile.
-- One round trip per heartbeat. The pools and the IP's set are named by the session hash (one Redis, not a Cluster).
--
-- KEYS[1] the session hash.
-- ARGV: skew ms, ttl ms (-1: release), keep ms, key prefix, session id, then the sites the request may touch
--       (none: any).
-- Returns {'ok', site, until} or {'unknown'}, {'gone'}, {'forbidden'}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'until', 'site', 'ip', 'pools', 'source')
if not s[1] then return {'unknown'} end
if tonumber(s[1]) <= now then return {'gone'} end
if #ARGV > 5 then
  local allowed = false
  for i = 6, #ARGV do if ARGV[i] == s[2] then allowed = true end end
  if not allowed then return {'forbidden'} end
end

local ttl, prefix = tonumber(ARGV[2]), ARGV[4]
local release = ttl < 0
local untilMs = release and now or now + ttl
for number, pool in pairs(cjson.decode(s[4])) do
  redis.call('ZADD', prefix .. 'pool:' .. pool, 'XX', untilMs, number)
end
local ip = prefix .. 'ip:' .. s[2] .. ':' .. s[3]
redis.call('HSET', KEYS[1], 'until', untilMs)
redis.call('PEXPIREAT', KEYS[1], untilMs + tonumber(ARGV[3]))
if release then
  -- Consent withdrawn: the pool forgets who it was (visitor id, click ids, landing page, referrer).
  local source = cjson.decode(s[5])
  source.clickIds, source.landingPage, source.referrer = {}, '', ''
  redis.call('HSET', KEYS[1], 'source', cjson.encode(source))
  redis.call('HDEL', KEYS[1], 'visitor')
  redis.call('ZREM', ip, ARGV[5])
else
  redis.call('ZADD', ip, 'XX', untilMs, ARGV[5])
  if redis.call('PTTL', ip) < untilMs - now then redis.call('PEXPIREAT', ip, untilMs) end
end
return {'ok', s[2], untilMs}
