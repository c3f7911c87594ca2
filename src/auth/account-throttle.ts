import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'
import type { EmailHash } from './email-hash.ts'
import type { ThrottleVerdict } from './throttle.ts'

type AccountThrottleOptions = {
  prefix: string
  emailHash: EmailHash
  /** Failed passwords per account per account window, from browsers it does not know (NIST: at most 100). */
  perAccount: number
  /** Failed passwords per known browser (device cookie) per account window. */
  perDevice: number
  accountWindowSeconds: number
  /** Successful password checks per account per `successWindowSeconds`. */
  successesPerAccount: number
  successWindowSeconds: number
}

/** How an attempt counted against an account ended, when not as a failure. */
export type AccountAttemptEnd = 'success' | 'undo'

/*
 * All keys of one account share the hash tag {<email hash>}: one script per
 * step, also on Redis Cluster. Unknown emails have counters like any other,
 * so whether the cap applies says nothing about whether an account exists.
 * KEYS[1] the account's failures, KEYS[2] its successes, KEYS[3] this
 * browser's failures for it (only used when ARGV[1] is 'device').
 *
 * RESERVE: ARGV[1] 'account' or 'device', [2] account limit, [3] device
 * limit, [4] account window ms, [5] success limit. Counts the attempt in the
 * same step as the check; returns the ms until the exhausted window ends, or 0.
 * The success limit does not apply to a known browser: someone who has the
 * password but not the second factor could reach it with right passwords
 * alone, and would then lock the owner out too.
 */
const RESERVE = `
local wait = 0
local counter, limit = KEYS[1], ARGV[2]
if ARGV[1] == 'device' then
  counter, limit = KEYS[3], ARGV[3]
elseif tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[5]) then
  wait = redis.call('PTTL', KEYS[2])
end
if tonumber(redis.call('GET', counter) or '0') >= tonumber(limit) then
  wait = math.max(wait, redis.call('PTTL', counter))
end
if wait > 0 then return wait end
if redis.call('INCR', counter) == 1 then redis.call('PEXPIRE', counter, ARGV[4]) end
return 0
`

/*
 * RELEASE: ARGV[1] 'account' or 'device', [2] 'success' or 'undo', [3]
 * success window ms. A success ends the run of consecutive failures on the
 * counter it used (a known browser's success leaves a stranger's count on the
 * account alone) and counts a success; an undo gives the attempt back.
 */
const RELEASE = `
local counter = KEYS[1]
if ARGV[1] == 'device' then counter = KEYS[3] end
if ARGV[2] == 'success' then
  redis.call('DEL', counter)
  if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
elseif tonumber(redis.call('GET', counter) or '0') > 0 then
  redis.call('DECR', counter)
end
return 1
`

type AccountCommands = {
  accountReserve(
    failures: string,
    successes: string,
    device: string,
    mode: string,
    perAccount: string,
    perDevice: string,
    windowMs: string,
    successesPerAccount: string,
  ): Promise<number>
  accountRelease(
    failures: string,
    successes: string,
    device: string,
    mode: string,
    end: AccountAttemptEnd,
    windowMs: string,
  ): Promise<number>
}

/**
 * Password attempts counted per account, whatever address they come from
 * (NIST SP 800-63B-4 §3.2.2: at most 100 consecutive failures), without
 * letting a stranger lock the owner out: a browser that has signed in to the
 * account before (a valid device cookie, see device-cookie.ts) is counted on
 * a small budget of its own instead, and is never refused by the account cap.
 * Successful checks per account from browsers it does not know are bounded
 * too, generously.
 */
export class AccountThrottle {
  readonly #redis: RedisClient & AccountCommands
  readonly #options: AccountThrottleOptions

  constructor(redis: RedisClient, options: AccountThrottleOptions) {
    redis.defineCommand('accountReserve', { numberOfKeys: 3, lua: RESERVE })
    redis.defineCommand('accountRelease', { numberOfKeys: 3, lua: RELEASE })
    this.#redis = redis as RedisClient & AccountCommands
    this.#options = options
  }

  /** Counts one attempt on `email`'s account (on `deviceId`'s budget when given) unless a limit is reached. */
  async reserve(email: string, deviceId: string | undefined): Promise<ThrottleVerdict> {
    const { perAccount, perDevice, accountWindowSeconds, successesPerAccount } = this.#options
    const waitMs = await viaRedis(
      this.#redis.accountReserve(
        ...this.#keys(email, deviceId),
        deviceId ? 'device' : 'account',
        String(perAccount),
        String(perDevice),
        String(accountWindowSeconds * 1000),
        String(successesPerAccount),
      ),
    )
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true }
  }

  async release(email: string, deviceId: string | undefined, end: AccountAttemptEnd): Promise<void> {
    await viaRedis(
      this.#redis.accountRelease(
        ...this.#keys(email, deviceId),
        deviceId ? 'device' : 'account',
        end,
        String(this.#options.successWindowSeconds * 1000),
      ),
    )
  }

  #keys(email: string, deviceId: string | undefined): [string, string, string] {
    const tag = `${this.#options.prefix}rl:acct:{${this.#options.emailHash(email)}}`
    return [tag, `${tag}:ok`, `${tag}:d:${deviceId ?? '-'}`]
  }
}
