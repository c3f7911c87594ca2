import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'

/*
 * KEYS[1] counter, KEYS[2] (optional) the receipt of one request. ARGV limit,
 * window ms. Counts one mail unless the limit is reached (the window starts
 * at the first); returns 1 when counted, else 0. With a receipt, a request
 * that asked before gets the answer it got then, and is not counted again.
 */
const SPEND = `
if KEYS[2] then
  local earlier = redis.call('GET', KEYS[2])
  if earlier then return tonumber(earlier) end
end
local spent = 0
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  spent = 1
end
if KEYS[2] then redis.call('SET', KEYS[2], spent, 'PX', ARGV[2]) end
return spent
`

type BudgetCommands = { mailBudgetSpend(keyCount: number, ...keysThenArgs: string[]): Promise<number> }

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
    // The number of keys is given per call: one, or two with a receipt.
    redis.defineCommand('mailBudgetSpend', { lua: SPEND })
    this.#redis = redis as RedisClient & BudgetCommands
    this.#prefix = prefix
    this.#limit = limit
    this.#windowMs = windowSeconds * 1000
  }

  /**
   * True (and counted) while the address has budget left for this kind of
   * mail. A queued job passes its request's ID as `receipt`: when the job is
   * retried (a later step failed), it gets the same answer and is not counted
   * twice, so failures cannot use the address's budget up.
   */
  async spend(kind: string, addressKey: string, receipt?: string): Promise<boolean> {
    // The braces keep the counter and its receipts in one hash slot (Redis Cluster).
    const key = `${this.#prefix}mb:{${kind}:${addressKey}}`
    const keys = receipt === undefined ? [key] : [key, `${key}:r:${receipt}`]
    const args = [String(this.#limit), String(this.#windowMs)]
    return (await viaRedis(this.#redis.mailBudgetSpend(keys.length, ...keys, ...args))) === 1
  }
}
