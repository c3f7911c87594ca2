import { FIELDS } from './fields.ts'

const F = FIELDS

/*
 * Lua scripts run by Redis itself, so that each session operation is atomic and
 * costs one round trip. Every script touches exactly one key, which keeps them
 * valid on Redis Cluster without hash tags.
 */

/**
 * Reads a session, optionally counting something and sliding its expiry.
 * KEYS[1] session key
 * ARGV now ms, idle ms, absolute ms, refresh-after ms, field to increment or '',
 *      consume flash '1'|'0', extend '1'|'0'
 * Returns false when missing or malformed (no TTL or no creation time: such a
 * key is deleted), -1 when the absolute deadline passed (the key is deleted), else { pttl, field, value, ... } as the hash is after this call.
 * The hash is read once; what the script writes is patched into that reply,
 * and the flash is deleted only when there is one.
 */
export const touchSession = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  if ttl == -1 then redis.call('DEL', KEYS[1]) end
  return false
end
local fields = redis.call('HGETALL', KEYS[1])
local at = {}
for i = 1, #fields, 2 do at[fields[i]] = i + 1 end
local function put(name, value)
  if at[name] then
    fields[at[name]] = value
  else
    fields[#fields + 1] = name
    fields[#fields + 1] = value
    at[name] = #fields
  end
end
local created = at['${F.createdAt}'] and tonumber(fields[at['${F.createdAt}']])
if not created then
  redis.call('DEL', KEYS[1])
  return false
end
local now = tonumber(ARGV[1])
local deadline = created + tonumber(ARGV[3])
if deadline <= now then
  redis.call('DEL', KEYS[1])
  return -1
end
if ARGV[5] ~= '' then put(ARGV[5], tostring(redis.call('HINCRBY', KEYS[1], ARGV[5], 1))) end
if ttl > deadline - now then
  ttl = deadline - now
  redis.call('PEXPIRE', KEYS[1], ttl)
elseif ARGV[7] == '1' then
  local idle = tonumber(ARGV[2])
  if ttl <= idle - tonumber(ARGV[4]) then
    local extended = math.min(idle, deadline - now)
    if extended > ttl then
      redis.call('PEXPIRE', KEYS[1], extended)
      redis.call('HSET', KEYS[1], '${F.lastSeenAt}', ARGV[1])
      put('${F.lastSeenAt}', ARGV[1])
      ttl = extended
    end
  end
end
if ARGV[6] == '1' and at['${F.flash}'] then redis.call('HDEL', KEYS[1], '${F.flash}') end
table.insert(fields, 1, ttl)
return fields
`

/**
 * Creates a session. KEYS[1] session key; ARGV ttl ms, then field, value pairs.
 */
export const createSession = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`

/**
 * Reads and deletes a session in one step, so nothing can write to it in
 * between (used when regenerating on login). Returns its fields, or an empty list.
 */
export const takeSession = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields > 0 then redis.call('DEL', KEYS[1]) end
return fields
`

/**
 * Sets fields only on a session that still exists: a write racing a logout must
 * not bring the session back. KEYS[1] session key; ARGV field, value pairs.
 */
export const updateSession = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`

/**
 * Adds a session to its user's index and keeps the index bounded: entries whose
 * absolute deadline passed are dropped, and past the per-user maximum the
 * oldest are evicted and returned so their sessions can be ended too.
 * KEYS[1] index key; ARGV now ms, deadline ms, session id, max entries.
 */
export const indexAdd = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
local evicted = {}
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[1], excess)
  for i = 1, #popped, 2 do table.insert(evicted, popped[i]) end
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return evicted
`

/**
 * Lists the live entries of a user's index. KEYS[1] index key; ARGV now ms.
 */
export const indexList = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`
