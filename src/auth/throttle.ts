import { canonicalIp } from '../ip.ts'
import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'
import type { EmailHash } from './email-hash.ts'

type ThrottleOptions = {
  prefix: string
  emailHash: EmailHash
  perEmailIp: number
  perIp: number
  /** Successful password checks per IP per window: generous, but a bound on the bcrypt one client may spend. */
  successesPerIp: number
  windowSeconds: number
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number }

/**
 * How a reserved attempt ended, when not as a failure: `success` (the right
 * password) clears that email's count and gives the attempt back to the IP;
 * `spent` (no guess, but work was done: a sign-up refused for a weak password)
 * clears the email's count and leaves the IP's spent; `undo` (no verdict: a
 * backing service failed, or the server was too busy) gives it back to both.
 */
export type AttemptEnd = 'success' | 'spent' | 'undo'

/*
 * The counters of one client share the hash tag {ip}, so each step is one
 * script on one slot, also on Redis Cluster.
 * KEYS[1] email+IP failures, KEYS[2] IP failures, KEYS[3] IP successes.
 *
 * RESERVE counts the attempt before the password is checked, in the same step
 * as the limit check: parallel attempts cannot all pass a check that only
 * later failures would have closed. ARGV limit per email+IP, limit per IP,
 * window ms (each window starts at its first attempt), successes per IP.
 * Returns the milliseconds until the first exhausted window ends, or 0 when
 * counted.
 */
const RESERVE = `
local wait = 0
local limits = { ARGV[1], ARGV[2], ARGV[4] }
for i = 1, 3 do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(limits[i]) then wait = math.max(wait, redis.call('PTTL', KEYS[i])) end
end
if wait > 0 then return wait end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return 0
`

/*
 * KEYS as above; ARGV[1] an AttemptEnd, ARGV[2] window ms. Never goes below
 * 0, and creates only the success counter, on a success.
 */
const RELEASE = `
local ending = ARGV[1]
if ending ~= 'undo' then redis.call('DEL', KEYS[1]) end
if ending ~= 'spent' and tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
if ending == 'undo' and tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
if ending == 'success' and redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
return 1
`

type ThrottleCommands = {
  attemptReserve(
    k1: string,
    k2: string,
    k3: string,
    perEmailIp: string,
    perIp: string,
    windowMs: string,
    successesPerIp: string,
  ): Promise<number>
  attemptRelease(k1: string, k2: string, k3: string, end: AttemptEnd, windowMs: string): Promise<number>
}

/**
 * Password attempts (logins, password checks and sign-ups) counted in Redis: a
 * tight limit per email and client IP, and a looser one per IP across all
 * emails against credential stuffing and bulk sign-ups. Limits are per IP, so
 * a stranger cannot lock a victim out of their account everywhere.
 */
export class AttemptThrottle {
  readonly #redis: RedisClient & ThrottleCommands
  readonly #options: ThrottleOptions

  constructor(redis: RedisClient, options: ThrottleOptions) {
    redis.defineCommand('attemptReserve', { numberOfKeys: 3, lua: RESERVE })
    redis.defineCommand('attemptRelease', { numberOfKeys: 3, lua: RELEASE })
    this.#redis = redis as RedisClient & ThrottleCommands
    this.#options = options
  }

  /** Counts one attempt unless a limit is reached; a counted attempt stays a failure unless released. */
  async reserve(ip: string, email: string): Promise<ThrottleVerdict> {
    const { perEmailIp, perIp, successesPerIp, windowSeconds } = this.#options
    const waitMs = await viaRedis(
      this.#redis.attemptReserve(
        ...this.#keys(ip, email),
        String(perEmailIp),
        String(perIp),
        String(windowSeconds * 1000),
        String(successesPerIp),
      ),
    )
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true }
  }

  async release(ip: string, email: string, end: AttemptEnd): Promise<void> {
    await viaRedis(
      this.#redis.attemptRelease(...this.#keys(ip, email), end, String(this.#options.windowSeconds * 1000)),
    )
  }

  #keys(ip: string, email: string): [string, string, string] {
    const tag = `${this.#options.prefix}rl:{${clientNetwork(ip)}}`
    return [`${tag}:e:${this.#options.emailHash(email)}`, tag, `${tag}:ok`]
  }
}

/**
 * What the throttle counts by: an IPv4 address, or the /64 network of an IPv6
 * one, since a single IPv6 client is usually given a whole /64 and could
 * otherwise take a fresh address, and a fresh budget, for every attempt.
 */
export function clientNetwork(ip: string): string {
  ip = canonicalIp(ip) ?? ip
  if (!ip.includes(':')) return ip
  const [head = '', tail] = ip.split('::')
  const leading = head ? head.split(':') : []
  const trailing = tail ? tail.split(':') : []
  const groups =
    tail === undefined
      ? leading
      : [...leading, ...Array(Math.max(0, 8 - leading.length - trailing.length)).fill('0'), ...trailing]
  return `${groups
    .slice(0, 4)
    .map((group) => (parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`
}
