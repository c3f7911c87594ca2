import { createHash } from 'node:crypto'
import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'

export type ThrottleOptions = {
  prefix: string
  perEmailIp: number
  perIp: number
  windowSeconds: number
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number }

/*
 * Both counters of one client share the hash tag {ip}, so a check or a failure
 * is one script on one slot, also on Redis Cluster.
 * KEYS[1] email+IP counter, KEYS[2] IP counter; ARGV limit per email+IP, limit per IP.
 * Returns the milliseconds until the first exhausted window ends, or 0.
 */
const CHECK = `
local wait = 0
for i = 1, 2 do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[i]) then wait = math.max(wait, redis.call('PTTL', KEYS[i])) end
end
return wait
`

/* KEYS as above; ARGV window ms. Each window starts at its first failure. */
const FAIL = `
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
end
return 1
`

type ThrottleCommands = {
  loginThrottleCheck(k1: string, k2: string, perEmailIp: string, perIp: string): Promise<number>
  loginThrottleFail(k1: string, k2: string, windowMs: string): Promise<number>
}

/**
 * Failed-login counters in Redis: a tight limit per email and client IP, and a
 * looser one per IP across all emails against credential stuffing. Limits are
 * per IP, so a stranger cannot lock a victim out of their account everywhere.
 */
export class LoginThrottle {
  readonly #redis: RedisClient & ThrottleCommands
  readonly #options: ThrottleOptions

  constructor(redis: RedisClient, options: ThrottleOptions) {
    redis.defineCommand('loginThrottleCheck', { numberOfKeys: 2, lua: CHECK })
    redis.defineCommand('loginThrottleFail', { numberOfKeys: 2, lua: FAIL })
    this.#redis = redis as RedisClient & ThrottleCommands
    this.#options = options
  }

  async check(ip: string, email: string): Promise<ThrottleVerdict> {
    const [emailKey, ipKey] = this.#keys(ip, email)
    const waitMs = await viaRedis(
      this.#redis.loginThrottleCheck(emailKey, ipKey, String(this.#options.perEmailIp), String(this.#options.perIp)),
    )
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true }
  }

  async recordFailure(ip: string, email: string): Promise<void> {
    const [emailKey, ipKey] = this.#keys(ip, email)
    await viaRedis(this.#redis.loginThrottleFail(emailKey, ipKey, String(this.#options.windowSeconds * 1000)))
  }

  /** A successful login clears that email's count from that IP (not the IP-wide one). */
  async recordSuccess(ip: string, email: string): Promise<void> {
    await viaRedis(this.#redis.del(this.#keys(ip, email)[0]))
  }

  #keys(ip: string, email: string): [string, string] {
    const tag = `${this.#options.prefix}rl:{${ip}}`
    return [`${tag}:e:${emailHash(email)}`, tag]
  }
}

/** A short, stable pseudonym for an email, for keys and logs that must not hold the address. */
export function emailHash(email: string): string {
  return createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 16)
}
