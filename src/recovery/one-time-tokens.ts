import { createHash, randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'

/** What a mailed link is for; each purpose keeps its own tokens. */
export type TokenPurpose = 'reset' | 'verify' | 'email'

export type TokenGrant = { userId: string; data: string }

const TOKEN_BYTES = 32
/** base64url of 32 bytes: a token and its SHA-256 look alike. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/
const HASH_SHAPE = TOKEN_SHAPE

/*
 * KEYS[1] the user's live token of one purpose (a hash: h = token hash, d = data).
 * ISSUE: ARGV token hash, data, ttl ms. Returns the hash it replaced, or false.
 */
const ISSUE = `
local previous = redis.call('HGET', KEYS[1], 'h')
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return previous
`

/* REDEEM: ARGV token hash. The data when this is the user's live token, which it deletes; else false. */
const REDEEM = `
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then return false end
local data = redis.call('HGET', KEYS[1], 'd')
redis.call('DEL', KEYS[1])
return data
`

type TokenCommands = {
  oneTimeIssue(key: string, hash: string, data: string, ttlMs: string): Promise<string | null>
  oneTimeRedeem(key: string, hash: string): Promise<string | null>
}

/**
 * Single-use tokens for mailed links. The link carries 256 random bits; Redis
 * keeps only their SHA-256 with a TTL. Each user holds at most one live token
 * per purpose: issuing a new one voids the older, and redeeming is one atomic
 * compare-and-delete, so two parallel uses of one link succeed exactly once.
 * Every step touches a single key, so it runs unchanged on Redis Cluster.
 */
export class OneTimeTokens {
  readonly #redis: RedisClient & TokenCommands
  readonly #prefix: string

  constructor(redis: RedisClient, { prefix }: { prefix: string }) {
    redis.defineCommand('oneTimeIssue', { numberOfKeys: 1, lua: ISSUE })
    redis.defineCommand('oneTimeRedeem', { numberOfKeys: 1, lua: REDEEM })
    this.#redis = redis as RedisClient & TokenCommands
    this.#prefix = prefix
  }

  /** A fresh token for the user (voiding their older one of this purpose), live for `ttlSeconds`. */
  async issue(purpose: TokenPurpose, userId: string, ttlSeconds: number, data = ''): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url')
    const hash = tokenHash(token)!
    const ttlMs = String(ttlSeconds * 1000)
    await viaRedis(this.#redis.set(this.#lookupKey(purpose, hash), userId, 'PX', ttlMs))
    const replaced = await viaRedis(this.#redis.oneTimeIssue(this.#userKey(purpose, userId), hash, data, ttlMs))
    if (replaced) await viaRedis(this.#redis.del(this.#lookupKey(purpose, replaced)))
    return token
  }

  /**
   * Whether the token (given as its hash, see tokenHash) is live, without
   * using it up: for a page that only shows a form.
   */
  async peek(purpose: TokenPurpose, hash: string): Promise<TokenGrant | null> {
    const found = await this.#find(purpose, hash)
    if (!found) return null
    const [live, data] = await viaRedis(this.#redis.hmget(this.#userKey(purpose, found.userId), 'h', 'd'))
    return live === found.hash ? { userId: found.userId, data: data ?? '' } : null
  }

  /** Uses the token (given as its hash) up: the grant for exactly one caller, null for every other and for dead tokens. */
  async redeem(purpose: TokenPurpose, hash: string): Promise<TokenGrant | null> {
    const found = await this.#find(purpose, hash)
    if (!found) return null
    const data = await viaRedis(this.#redis.oneTimeRedeem(this.#userKey(purpose, found.userId), found.hash))
    await viaRedis(this.#redis.del(this.#lookupKey(purpose, found.hash)))
    return data === null ? null : { userId: found.userId, data }
  }

  /** Voids the user's live tokens of these purposes (after a password change, say). */
  async voidAll(userId: string, purposes: TokenPurpose[]): Promise<void> {
    await Promise.all(purposes.map((purpose) => viaRedis(this.#redis.del(this.#userKey(purpose, userId)))))
  }

  /**
   * Keeps a token's hash server-side for one browser session (named by its
   * public ID), so the token can leave the URL: the page that asks for the new
   * password reads it from here.
   */
  async hold(purpose: TokenPurpose, sessionId: string, hash: string, ttlSeconds: number): Promise<void> {
    await viaRedis(this.#redis.set(this.#heldKey(purpose, sessionId), hash, 'EX', ttlSeconds))
  }

  /** The hash held for this session, or null. */
  async held(purpose: TokenPurpose, sessionId: string): Promise<string | null> {
    return viaRedis(this.#redis.get(this.#heldKey(purpose, sessionId)))
  }

  /** Adds `value` to those held for this session, keeping the newest `max` (see heldAll). */
  async holdAlso(purpose: TokenPurpose, sessionId: string, value: string, ttlSeconds: number, max: number) {
    const key = this.#heldListKey(purpose, sessionId)
    await viaRedis(
      this.#redis
        .multi()
        .lpush(key, value)
        .ltrim(key, 0, max - 1)
        .expire(key, ttlSeconds)
        .exec(),
    )
  }

  /** The values holdAlso keeps for this session, newest first. */
  async heldAll(purpose: TokenPurpose, sessionId: string): Promise<string[]> {
    return viaRedis(this.#redis.lrange(this.#heldListKey(purpose, sessionId), 0, -1))
  }

  /** Moves what holdAlso keeps for one session to another (a sign-in's new ID), expiring when it would have. */
  async moveHeld(purpose: TokenPurpose, fromSessionId: string, toSessionId: string): Promise<void> {
    const from = this.#heldListKey(purpose, fromSessionId)
    const [values, ttlMs] = await Promise.all([
      viaRedis(this.#redis.lrange(from, 0, -1)),
      viaRedis(this.#redis.pttl(from)),
    ])
    if (values.length === 0 || ttlMs <= 0) return
    const to = this.#heldListKey(purpose, toSessionId)
    await viaRedis(
      this.#redis
        .multi()
        .rpush(to, ...values)
        .pexpire(to, ttlMs)
        .exec(),
    )
    await viaRedis(this.#redis.del(from))
  }

  /** Drops one of the values holdAlso keeps for this session. */
  async forgetOne(purpose: TokenPurpose, sessionId: string, value: string): Promise<void> {
    await viaRedis(this.#redis.lrem(this.#heldListKey(purpose, sessionId), 0, value))
  }

  /** Drops what hold keeps for this session (what holdAlso keeps goes with forgetOne and moveHeld). */
  async release(purpose: TokenPurpose, sessionId: string): Promise<void> {
    await viaRedis(this.#redis.del(this.#heldKey(purpose, sessionId)))
  }

  async #find(purpose: TokenPurpose, hash: string): Promise<{ userId: string; hash: string } | null> {
    if (!HASH_SHAPE.test(hash)) return null
    const userId = await viaRedis(this.#redis.get(this.#lookupKey(purpose, hash)))
    return userId ? { userId, hash } : null
  }

  #lookupKey(purpose: TokenPurpose, hash: string): string {
    return `${this.#prefix}ot:${purpose}:t:${hash}`
  }

  #heldListKey(purpose: TokenPurpose, sessionId: string): string {
    return `${this.#prefix}ot:${purpose}:sl:${sessionId}`
  }

  #heldKey(purpose: TokenPurpose, sessionId: string): string {
    return `${this.#prefix}ot:${purpose}:s:${sessionId}`
  }

  #userKey(purpose: TokenPurpose, userId: string): string {
    return `${this.#prefix}ot:${purpose}:u:${userId}`
  }
}

/**
 * The form a token is kept in at rest (Redis, the session) and looked up by;
 * null for anything that cannot be one of our tokens, so junk from a URL
 * costs no Redis command.
 */
export function tokenHash(token: string): string | null {
  return TOKEN_SHAPE.test(token) ? createHash('sha256').update(token).digest('base64url') : null
}
