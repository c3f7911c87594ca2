import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'

/*
 * KEYS[1] counter. ARGV limit, window ms. Counts one mail unless the limit is
 * reached (the window starts at the first); returns 1 when counted, else 0.
 */
const SPEND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return 0 end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`

type BudgetCommands = { mailBudgetSpend(key: string, limit: string, windowMs: string): Promise<number> }

/**
 * How many mails of one kind an address may be sent per window (3 per hour),
 * so nobody can flood someone's inbox through our forms. Keyed by a
 * pseudonym of the address, never the address itself.
 */
export class MailBudget {
  readonly #redis: RedisClient & BudgetCommands
  readonly #prefix: string
  readonly #limit: number
  readonly #windowMs: number

  constructor(
    redis: RedisClient,
    { prefix, limit = 3, windowSeconds = 3600 }: { prefix: string; limit?: number; windowSeconds?: number },
  ) {
    redis.defineCommand('mailBudgetSpend', { numberOfKeys: 1, lua: SPEND })
    this.#redis = redis as RedisClient & BudgetCommands
    this.#prefix = prefix
    this.#limit = limit
    this.#windowMs = windowSeconds * 1000
  }

  /** True (and counted) while the address has budget left for this kind of mail. */
  async spend(kind: string, addressKey: string): Promise<boolean> {
    const key = `${this.#prefix}mb:${kind}:${addressKey}`
    return (await viaRedis(this.#redis.mailBudgetSpend(key, String(this.#limit), String(this.#windowMs)))) === 1
  }
}
