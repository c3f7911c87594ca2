import { FIELDS, REPLACED_MARK } from './fields.ts'

const F = FIELDS

/*
 * Lua scripts run by Redis itself, so that each session operation is atomic and
 * costs one round trip.
 *
 * One clock: every script reads Redis's own TIME; no time the app computed is
 * trusted for expiry, so an app server whose clock is off cannot shorten or
 * stretch anyone's session.
 *
 * Every script's first argument is a deadline on that clock, and a script run
 * after its deadline changes nothing and answers 'late'. A client gives up on a
 * command after about a second and answers 503; the command may still sit in a
 * socket buffer or in a frozen Redis, and must not be applied when Redis
 * resumes.
 *
 * Keys: a visitor's session is alone in its slot; a signed-in session's key
 * carries its user's hash tag, `s:{<user id>}:<id>`, like the user's index
 * `u:{<user id>}` and "sessions valid since" time `v:{<user id>}`, so one
 * script can read or change all three, on Redis Cluster too. Scripts that end
 * sessions by ID build their keys from the `s:{<user id>}:` prefix they are
 * given, which lies in the same slot as the keys they are passed.
 *
 * A session replaced by a new one (a sign-in, a re-authentication) leaves at
 * its key, for a few seconds, a marker hash holding only the field
 * REPLACED_MARK: a request the browser sent with the old cookie before the
 * new one arrived is then told 'replaced', and answered without a session of
 * its own, instead of starting a new visitor's session whose cookie, arriving
 * last, would log that browser out. The marker grants nothing: the old token
 * reaches no session.
 *
 * Every reply is { status, redis time, ... }.
 */
const prelude = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if now > tonumber(ARGV[1]) then return {'late', now} end
`

/**
 * Reads a session, optionally counting something and sliding its expiry.
 * KEYS session [, index, valid-since] (the last two for a signed-in session)
 * ARGV deadline, idle ms, absolute ms, refresh-after ms, field to increment or
 *      '', consume flash '1'|'0', extend '1'|'0', session id
 * Answers 'missing' (no such session, or a malformed one, which is deleted),
 * 'replaced' (a marker: see above), 'expired' (past its absolute deadline, or begun before the user's sessions
 * were last ended: deleted), or 'ok', time, pttl, then the hash's field/value
 * pairs as they are after this call. The hash is read once; what the script
 * writes is patched into that reply.
 */
export const touchSession = `${prelude}
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  if ttl == -1 then redis.call('DEL', KEYS[1]) end
  return {'missing', now}
end
local fields = redis.call('HGETALL', KEYS[1])
local at = {}
for i = 1, #fields, 2 do at[fields[i]] = i + 1 end
if at['${REPLACED_MARK}'] then return {'replaced', now} end
local function put(name, value)
  if at[name] then
    fields[at[name]] = value
  else
    fields[#fields + 1] = name
    fields[#fields + 1] = value
    at[name] = #fields
  end
end
local signedIn = #KEYS > 1
local created = at['${F.createdAt}'] and tonumber(fields[at['${F.createdAt}']])
if not created or (at['${F.userId}'] ~= nil) ~= signedIn then
  redis.call('DEL', KEYS[1])
  return {'missing', now}
end
local deadline = created + tonumber(ARGV[3])
local since = signedIn and tonumber(redis.call('GET', KEYS[3]) or '0') or 0
local validFrom = math.max(created, tonumber(at['${F.retainedAt}'] and fields[at['${F.retainedAt}']] or '0'))
if deadline <= now or validFrom < since then
  redis.call('DEL', KEYS[1])
  if signedIn then redis.call('ZREM', KEYS[2], ARGV[8]) end
  return {'expired', now}
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
      -- Absent means "the same as created" (the hash stays small, and reads
      -- of the record show exactly what is stored).
      if now ~= created then
        redis.call('HSET', KEYS[1], '${F.lastSeenAt}', now)
        put('${F.lastSeenAt}', tostring(now))
      end
      ttl = extended
      -- The index and valid-since time must outlive every session they
      -- guard, whatever SESSION_ABSOLUTE_SECONDS was when they were written.
      if signedIn then
        for i = 2, 3 do
          local left = redis.call('PTTL', KEYS[i])
          if left >= 0 and left < extended then redis.call('PEXPIRE', KEYS[i], extended) end
        end
      end
    end
  end
end
if ARGV[6] == '1' and at['${F.flash}'] then redis.call('HDEL', KEYS[1], '${F.flash}') end
return {'ok', now, ttl, unpack(fields)}
`

/**
 * Creates a visitor's session, stamped with Redis's time.
 * KEYS session; ARGV deadline, ttl ms, then field, value pairs.
 */
export const createSession = `${prelude}
redis.call('HSET', KEYS[1], '${F.createdAt}', now, unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'ok', now}
`

/**
 * Creates a signed-in session and indexes it under its user in one step, so
 * no signed-in session exists that "log out everywhere" cannot find.
 * KEYS session, index, valid-since
 * ARGV deadline, ttl ms, absolute ms, max sessions per user, proof began at
 *      (Redis ms, or '' for now), end the user's other sessions '1'|'0',
 *      session key prefix, session id, then field, value pairs
 * Refuses with 'stale' when the user's sessions were ended after the proof
 * began: a login that checked a password which has since changed cannot
 * finish, nor a password change whose own ending of the others was followed
 * by a reset. Ending the others moves the user's valid-since time to now.
 * Answers 'ok', time, then the IDs of the sessions it ended (the others, or the
 * oldest beyond the maximum).
 */
export const signInSession = `${prelude}
local absolute = tonumber(ARGV[3])
local proved = ARGV[5] == '' and now or tonumber(ARGV[5])
if proved < tonumber(redis.call('GET', KEYS[3]) or '0') then return {'stale', now} end
local ended = {}
if ARGV[6] == '1' then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    redis.call('DEL', ARGV[7] .. id)
    ended[#ended + 1] = id
  end
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[3], now, 'PX', absolute)
  proved = now
end
redis.call('HSET', KEYS[1], '${F.createdAt}', now, '${F.provedAt}', proved, unpack(ARGV, 9))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - absolute)
redis.call('ZADD', KEYS[2], now, ARGV[8])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #popped, 2 do
    redis.call('DEL', ARGV[7] .. popped[i])
    ended[#ended + 1] = popped[i]
  end
end
redis.call('PEXPIRE', KEYS[2], absolute)
local left = redis.call('PTTL', KEYS[3])
if left >= 0 and left < absolute then redis.call('PEXPIRE', KEYS[3], absolute) end
return {'ok', now, unpack(ended)}
`

/**
 * Moves a signed-in session to a new ID (re-authentication: a new token, the
 * old one dead at once), keeping all it holds, its TTL and its creation time,
 * so its absolute deadline too, with its proof time set to now. Old and new
 * keys carry the user's hash tag: RENAME stays in one slot. The old ID is kept
 * as renewedFrom, so forms the browser's other tabs hold still post.
 * The old key is left holding the replaced marker.
 * KEYS old session, new session, index, valid-since
 * ARGV deadline, absolute ms, old id, new id, marker ms
 * Answers 'gone' and moves nothing when the old session is missing, past its
 * absolute deadline or begun before the user's valid-since time; else 'ok'.
 */
export const renewSession = `${prelude}
if redis.call('PTTL', KEYS[1]) < 0 then return {'gone', now} end
local stamps = redis.call('HMGET', KEYS[1], '${F.createdAt}', '${F.retainedAt}')
local created = tonumber(stamps[1] or '-1')
local validFrom = math.max(created, tonumber(stamps[2] or '-1'))
if created < 0 or created + tonumber(ARGV[2]) <= now or validFrom < tonumber(redis.call('GET', KEYS[4]) or '0') then
  return {'gone', now}
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], '${REPLACED_MARK}', now)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], '${F.provedAt}', now, '${F.renewedFrom}', ARGV[3])
local score = redis.call('ZSCORE', KEYS[3], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[3], score or created, ARGV[4])
return {'ok', now}
`

/**
 * Ends every session of a user (but one, if named), and moves the user's
 * valid-since time to now, so that a session or login begun before this moment
 * cannot live on, even one the index has lost.
 * KEYS index, valid-since [, the asking request's own session]
 * ARGV deadline, absolute ms, session key prefix, ID of the session to keep or ''
 * Answers 'gone' and ends nothing when the asking session has ended, deleted
 * or begun before the valid-since time (a session a password reset ended,
 * even one the index had lost, must not then end the owner's new one);
 * else 'ok', time, then the IDs it ended.
 */
export const endUserSessions = `${prelude}
if KEYS[3] then
  local stamps = redis.call('HMGET', KEYS[3], '${F.createdAt}', '${F.retainedAt}')
  local validFrom = math.max(tonumber(stamps[1] or '-1'), tonumber(stamps[2] or '-1'))
  if validFrom < 0 or validFrom < tonumber(redis.call('GET', KEYS[2]) or '0') then return {'gone', now} end
end
local ended = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[4] then
    redis.call('DEL', ARGV[3] .. id)
    redis.call('ZREM', KEYS[1], id)
    ended[#ended + 1] = id
  end
end
redis.call('SET', KEYS[2], now, 'PX', ARGV[2])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], '${F.retainedAt}', now) end
return {'ok', now, unpack(ended)}
`

/**
 * Ends the named sessions of one user. KEYS index; ARGV deadline, session key
 * prefix, then session IDs. Answers 'ok', time, then the IDs that existed (a
 * replaced marker is no session: left alone, not counted).
 */
export const endSessions = `${prelude}
local ended = {}
for i = 3, #ARGV do
  local key = ARGV[2] .. ARGV[i]
  if redis.call('HEXISTS', key, '${REPLACED_MARK}') == 0 and redis.call('DEL', key) == 1 then
    ended[#ended + 1] = ARGV[i]
  end
  redis.call('ZREM', KEYS[1], ARGV[i])
end
return {'ok', now, unpack(ended)}
`

/**
 * Reads and deletes a session in one step, so nothing can write to it in
 * between (signing in, logging out). KEYS session [, index]; ARGV deadline,
 * session id, how long to leave the replaced marker (ms; '0' for none: a
 * logout). Answers 'replaced' when only a marker is there; else 'ok', time,
 * then its fields (none when it did not exist).
 */
export const takeSession = `${prelude}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] == '${REPLACED_MARK}' then return {'replaced', now} end
end
if #fields > 0 then
  redis.call('DEL', KEYS[1])
  if ARGV[3] ~= '0' then
    redis.call('HSET', KEYS[1], '${REPLACED_MARK}', now)
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
  end
end
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[2]) end
return {'ok', now, unpack(fields)}
`

/**
 * Sets fields only on a session that still exists (not on a replaced marker): a
 * write racing a logout must not bring the session back. KEYS session; ARGV deadline, then field, value
 * pairs. Answers 'ok' or 'missing', and time.
 */
export const updateSession = `${prelude}
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], '${REPLACED_MARK}') == 1 then
  return {'missing', now}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return {'ok', now}
`

/**
 * A user's live sessions in one round trip, pruning the index of entries whose
 * session is gone, past its absolute deadline, or begun before the user's
 * valid-since time. KEYS index, valid-since; ARGV deadline, absolute ms,
 * session key prefix. Answers 'ok', time, then for each session: id, pttl,
 * number of field/value strings, the pairs.
 */
export const listSessions = `${prelude}
local absolute = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - absolute)
local since = tonumber(redis.call('GET', KEYS[2]) or '0')
local reply = {'ok', now}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[3] .. id
  local ttl = redis.call('PTTL', key)
  local fields = ttl > 0 and redis.call('HGETALL', key) or {}
  local created, retained
  for i = 1, #fields, 2 do
    if fields[i] == '${F.createdAt}' then created = tonumber(fields[i + 1]) end
    if fields[i] == '${F.retainedAt}' then retained = tonumber(fields[i + 1]) end
  end
  if created and created + absolute > now and math.max(created, retained or 0) >= since then
    reply[#reply + 1] = id
    reply[#reply + 1] = math.min(ttl, created + absolute - now)
    reply[#reply + 1] = #fields
    for i = 1, #fields do reply[#reply + 1] = fields[i] end
  else
    redis.call('ZREM', KEYS[1], id)
    if ttl ~= -2 then redis.call('DEL', key) end
  end
end
return reply
`
