-- Counts site numbers reported missing on a page. Atomic so the cap on distinct pages (named by visitors'
-- requests) holds with several processes writing.
--
-- KEYS[1] the site's hash: page → JSON { site number: count }.
-- ARGV: page, max pages, then the site numbers.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local counts = raw and cjson.decode(raw) or {}
for i = 3, #ARGV do counts[ARGV[i]] = (counts[ARGV[i]] or 0) + 1 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(counts))
return 1
