-- The session that held a number at a moment: its holding that began last at or before `at`, if the session had
-- not ended more than `grace` ms before. Read-only; one script so the history and the session are read together.
--
-- KEYS[1] the number's history (sorted set: session id scored by when its holding began).
-- ARGV: at ms, grace ms, key prefix.
-- Returns the session hash as a flat list, or false.
local last = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'LIMIT', 0, 1)
if not last[1] then return false end
local key = ARGV[3] .. 'session:' .. last[1]
local untilMs = redis.call('HGET', key, 'until')
if not untilMs or tonumber(ARGV[1]) > tonumber(untilMs) + tonumber(ARGV[2]) then return false end
local session = redis.call('HGETALL', key)
session[#session + 1] = 'id'
session[#session + 1] = last[1]
return session
