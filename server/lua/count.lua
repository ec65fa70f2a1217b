-- The counters' rules are those of src/store/counters.ts (fields, the cap, peaks as maxima), written again for Redis.
-- Adds to a site's counters, in total and in one hour's hash, and records the hour. Atomic so that the cap on
-- distinct fields (their names come from visitors' requests) holds with several processes writing: a new field past
-- the cap is counted as "<kind>|(other)". With ARGV[3] == 'max' a field keeps the largest value instead of a sum.
--
-- KEYS[1] the totals hash, KEYS[2] the hour's hash, KEYS[3] the site's hours (sorted set).
-- ARGV: hour ms, max fields, 'sum' or 'max', then field, value pairs.
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1])
local cap = tonumber(ARGV[2])
local function add(key, field, n, max)
  if redis.call('HEXISTS', key, field) == 0 and redis.call('HLEN', key) >= cap then
    field = string.match(field, '^[^|]*') .. '|(other)'
  end
  if max then
    local old = tonumber(redis.call('HGET', key, field) or '0')
    if n > old then redis.call('HSET', key, field, n) end
  else
    redis.call('HINCRBY', key, field, n)
  end
end
for i = 4, #ARGV, 2 do
  local field, n = ARGV[i], tonumber(ARGV[i + 1])
  if ARGV[3] == 'max' then
    add(KEYS[2], field, n, true)
  else
    add(KEYS[1], field, n, false)
    add(KEYS[2], field, n, false)
  end
end
return 1
