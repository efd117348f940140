/**
 * Lua scripts for shared limits: one round trip admits a call against every scope at once, atomically, on Redis'
 * clock (so instances with skewed clocks agree). Per scope four keys:
 * - rpm, tpm: hashes of one-second slots (the same 61-slot sliding minute as MinuteWindow); a call's reserved tokens
 *   go in at admission and are corrected to the real count, in the same slot, at release;
 * - calls: a sorted set of the calls in flight on the scope (those with a parallel limit or a budget), scored by when
 *   their holder last renewed them: an entry older than the lease belongs to a dead instance and is dropped;
 * - budget: a hash of `p` (the budget period the spend is of), `s` (spend in it: at least what any instance knows,
 *   plus every release since), `r` (cost reserved by calls in flight), and one field per call holding its reservation.
 *
 * ADMIT   KEYS: rpm, tpm, calls, budget per scope. ARGV: member, leaseMs, tokens, cost, then per scope the rpm, tpm,
 *         parallel and budget limits (-1 = none), the spend known here, the period.
 *         Returns {1, second} when admitted (the second its counts went in), else {0, scope (1-based), kind (1 rpm,
 *         2 tpm, 3 parallel, 4 budget), wait ms or spend, reserved}.
 * RELEASE KEYS as ADMIT. ARGV: member, tokens used, tokens reserved, admission second, cost, then per scope the tpm
 *         flag, calls flag and budget flag (-1 = not used). Settles the reservations, frees the slot.
 * RENEW   KEYS: calls sets. ARGV: leaseMs, then the member held in each. Renews the calls still held.
 */
export const ADMIT_SCRIPT = `
local member = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local t = redis.call('TIME')
local sec = tonumber(t[1])
local nowMs = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS / 4

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

-- Calls whose holder stopped renewing them: their slots and reservations are freed. The set of calls expires one
-- lease after its last renewal, so a reservation is kept only while its member is in the set: when the set is gone
-- (every holder died and the scope stayed idle) or lost members, the reserved total is rebuilt from the live ones.
local function prune(calls, budget)
  local cut = nowMs - leaseMs
  local died = redis.call('ZREMRANGEBYSCORE', calls, '-inf', cut)
  local live = redis.call('ZCARD', calls)
  if died == 0 and (live > 0 or redis.call('HLEN', budget) <= 3) then return end
  local raw = redis.call('HGETALL', budget)
  local r = 0
  for j = 1, #raw, 2 do
    local f = raw[j]
    if f ~= 'p' and f ~= 's' and f ~= 'r' then
      if live > 0 and redis.call('ZSCORE', calls, f) then
        r = r + tonumber(raw[j + 1])
      else
        redis.call('HDEL', budget, f)
      end
    end
  end
  if #raw > 0 then redis.call('HSET', budget, 'r', tostring(r)) end
end

for i = 1, n do
  local k = (i - 1) * 4
  local a = 4 + (i - 1) * 6
  local rpm = tonumber(ARGV[a + 1])
  local tpm = tonumber(ARGV[a + 2])
  local par = tonumber(ARGV[a + 3])
  local budget = tonumber(ARGV[a + 4])
  if par >= 0 or budget >= 0 then prune(KEYS[k + 3], KEYS[k + 4]) end
  if budget >= 0 then
    local known = tonumber(ARGV[a + 5])
    local period = tonumber(ARGV[a + 6])
    local h = redis.call('HMGET', KEYS[k + 4], 'p', 's', 'r')
    local p = tonumber(h[1])
    local s = tonumber(h[2]) or 0
    local r = tonumber(h[3]) or 0
    if p == nil or period > p then
      s = known
      redis.call('HSET', KEYS[k + 4], 'p', ARGV[a + 6], 's', ARGV[a + 5])
    elseif known > s then
      s = known
      redis.call('HSET', KEYS[k + 4], 's', ARGV[a + 5])
    end
    if r < 0 then r = 0 end
    if s + r >= budget then return { 0, i, 4, tostring(s), tostring(r) } end
  end
  if par >= 0 and redis.call('ZCARD', KEYS[k + 3]) >= par then return { 0, i, 3, 1000 } end
  if rpm >= 0 then
    local total, wait = window(KEYS[k + 1], rpm)
    if total >= rpm then return { 0, i, 1, wait } end
  end
  if tpm >= 0 then
    local total, wait = window(KEYS[k + 2], tpm)
    if total >= tpm then return { 0, i, 2, wait } end
  end
end
for i = 1, n do
  local k = (i - 1) * 4
  local a = 4 + (i - 1) * 6
  if tonumber(ARGV[a + 1]) >= 0 then
    redis.call('HINCRBY', KEYS[k + 1], sec, 1)
    redis.call('PEXPIRE', KEYS[k + 1], 62000)
  end
  if tonumber(ARGV[a + 2]) >= 0 and tokens > 0 then
    redis.call('HINCRBY', KEYS[k + 2], sec, tokens)
    redis.call('PEXPIRE', KEYS[k + 2], 62000)
  end
  local budget = tonumber(ARGV[a + 4])
  if tonumber(ARGV[a + 3]) >= 0 or budget >= 0 then
    redis.call('ZADD', KEYS[k + 3], nowMs, member)
    redis.call('PEXPIRE', KEYS[k + 3], leaseMs)
  end
  if budget >= 0 then
    if cost > 0 then
      redis.call('HSET', KEYS[k + 4], member, ARGV[4])
      redis.call('HINCRBYFLOAT', KEYS[k + 4], 'r', ARGV[4])
    end
    redis.call('PEXPIRE', KEYS[k + 4], 86400000)
  end
end
return { 1, sec }
`;

export const RELEASE_SCRIPT = `
local member = ARGV[1]
local used = tonumber(ARGV[2])
local reserved = tonumber(ARGV[3])
local at = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local sec = tonumber(redis.call('TIME')[1])
local n = #KEYS / 4
for i = 1, n do
  local k = (i - 1) * 4
  local a = 5 + (i - 1) * 3
  if tonumber(ARGV[a + 1]) >= 0 then
    if reserved > 0 and at > sec - 61 and redis.call('HEXISTS', KEYS[k + 2], at) == 1 then
      if used ~= reserved then redis.call('HINCRBY', KEYS[k + 2], at, used - reserved) end
    elseif used > 0 then
      redis.call('HINCRBY', KEYS[k + 2], sec, used)
      redis.call('PEXPIRE', KEYS[k + 2], 62000)
    end
  end
  if tonumber(ARGV[a + 2]) >= 0 then redis.call('ZREM', KEYS[k + 3], member) end
  if tonumber(ARGV[a + 3]) >= 0 then
    local amount = redis.call('HGET', KEYS[k + 4], member)
    if amount then
      redis.call('HDEL', KEYS[k + 4], member)
      redis.call('HINCRBYFLOAT', KEYS[k + 4], 'r', -tonumber(amount))
    end
    if cost > 0 then redis.call('HINCRBYFLOAT', KEYS[k + 4], 's', ARGV[5]) end
  end
end
return 1
`;

export const RENEW_SCRIPT = `
local leaseMs = tonumber(ARGV[1])
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  if redis.call('ZADD', KEYS[i], 'XX', 'CH', nowMs, ARGV[i + 1]) == 1 then
    redis.call('PEXPIRE', KEYS[i], leaseMs)
  end
end
return 1
`;
