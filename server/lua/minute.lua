-- Takes a minute for the pool sampler: true for the first process to ask for a minute later than the last one
-- taken. Atomic (one script at a time), so with several processes each minute is sampled once.
--
-- KEYS[1] the last minute taken. ARGV[1] this minute.
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > last then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', 120000)
  return 1
end
return 0
