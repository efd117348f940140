/**
 * Lua scripts for shared limits: one round trip admits a call against every scope at once, atomically, on Redis'
 * clock (so instances with skewed clocks agree). Per scope three keys: rpm and tpm are hashes of one-second slots
 * (the same 61-slot sliding minute as MinuteWindow), parallel is a sorted set of in-flight call ids scored by start time,
 * whose entries expire after a lease (a crashed instance's calls do not hold slots forever).
 *
 * ADMIT  KEYS: rpm, tpm, par per scope. ARGV: member, leaseMs, then rpm, tpm, par limits per scope (-1 = none).
 *        Returns {1,0,0,0} when admitted, else {0, scope index (1-based), kind (1 rpm, 2 tpm, 3 parallel), wait ms}.
 * RELEASE KEYS as ADMIT. ARGV: member, tokens, then tpm, par limits per scope. Records tokens, frees the slot.
 */
export const ADMIT_SCRIPT = `
local member = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local sec = tonumber(t[1])
local nowMs = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS / 3

local function window(key, limit)
  local raw = redis.call('HGETALL', key)
  local live = {}
  local total = 0
  for j = 1, #raw, 2 do
    local s = tonumber(raw[j])
    if s > sec - 61 then
      local c = tonumber(raw[j + 1])
      total = total + c
      live[#live + 1] = { s, c }
    else
      redis.call('HDEL', key, raw[j])
    end
  end
  if total < limit then return total, 0 end
  table.sort(live, function(a, b) return a[1] < b[1] end)
  local left = total
  for _, e in ipairs(live) do
    left = left - e[2]
    if left < limit then return total, (e[1] + 61) * 1000 - nowMs end
  end
  return total, 61000
end

for i = 1, n do
  local base = (i - 1) * 3
  local rpm = tonumber(ARGV[3 + base])
  local tpm = tonumber(ARGV[4 + base])
  local par = tonumber(ARGV[5 + base])
  if par >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[base + 3], '-inf', nowMs - leaseMs)
    if redis.call('ZCARD', KEYS[base + 3]) >= par then return { 0, i, 3, 1000 } end
  end
  if rpm >= 0 then
    local total, wait = window(KEYS[base + 1], rpm)
    if total >= rpm then return { 0, i, 1, wait } end
  end
  if tpm >= 0 then
    local total, wait = window(KEYS[base + 2], tpm)
    if total >= tpm then return { 0, i, 2, wait } end
  end
end
for i = 1, n do
  local base = (i - 1) * 3
  if tonumber(ARGV[3 + base]) >= 0 then
    redis.call('HINCRBY', KEYS[base + 1], sec, 1)
    redis.call('PEXPIRE', KEYS[base + 1], 62000)
  end
  if tonumber(ARGV[5 + base]) >= 0 then
    redis.call('ZADD', KEYS[base + 3], nowMs, member)
    redis.call('PEXPIRE', KEYS[base + 3], leaseMs)
  end
end
return { 1, 0, 0, 0 }
`;

export const RELEASE_SCRIPT = `
local member = ARGV[1]
local tokens = tonumber(ARGV[2])
local sec = tonumber(redis.call('TIME')[1])
local n = #KEYS / 3
for i = 1, n do
  local base = (i - 1) * 3
  if tonumber(ARGV[3 + (i - 1) * 2]) >= 0 and tokens > 0 then
    redis.call('HINCRBY', KEYS[base + 2], sec, tokens)
    redis.call('PEXPIRE', KEYS[base + 2], 62000)
  end
  if tonumber(ARGV[4 + (i - 1) * 2]) >= 0 then
    redis.call('ZREM', KEYS[base + 3], member)
  end
end
return 1
`;
