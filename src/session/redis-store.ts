import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'
import { decodeFields, encodeFields, FIELDS } from './fields.ts'
import * as scripts from './scripts.ts'
import type {
  SessionData,
  SessionRef,
  SessionStore,
  StoredSession,
  StoreFactory,
  StoreInspection,
  StorePolicy,
  TouchOptions,
  TouchResult,
} from './store.ts'

type ScriptCommands = {
  sessionTouch(key: string, ...args: string[]): Promise<(number | string)[] | null | -1>
  sessionCreate(key: string, ...args: string[]): Promise<number>
  sessionTake(key: string): Promise<string[]>
  sessionUpdate(key: string, ...args: string[]): Promise<number>
  sessionIndexAdd(key: string, ...args: string[]): Promise<string[]>
  sessionIndexList(key: string, now: string): Promise<string[]>
}

/** A factory for sessions kept in Redis under keys starting with `prefix`. */
export function redisSessionStore(redis: RedisClient, { prefix }: { prefix: string }): StoreFactory {
  return (policy) => new RedisSessionStore(redis, prefix, policy)
}

/**
 * Sessions as small Redis hashes under `<prefix>s:<public id>`, and each user's
 * sessions in a sorted set `<prefix>u:<user id>` scored by absolute deadline.
 * No operation spans two keys, so it runs unchanged on Redis Cluster. The key
 * names live here and nowhere else.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient & ScriptCommands
  readonly #prefix: string
  readonly #idleMs: number
  readonly #absoluteMs: number
  readonly #refreshAfterMs: number
  readonly #maxPerUser: number

  constructor(redis: RedisClient, prefix: string, { idleMs, absoluteMs, maxSessionsPerUser }: StorePolicy) {
    defineScripts(redis)
    this.#redis = redis as RedisClient & ScriptCommands
    this.#prefix = prefix
    this.#idleMs = idleMs
    this.#absoluteMs = absoluteMs
    this.#maxPerUser = maxSessionsPerUser
    // Sliding the expiry at most once a minute (or per half idle period, when
    // that is shorter) saves a write on most requests; the TTL stays the truth
    // that the countdown shows.
    this.#refreshAfterMs = Math.min(60_000, this.#idleMs / 2)
  }

  #sessionKey(ref: SessionRef): string {
    return `${this.#prefix}s:${ref.id}`
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}u:${userId}`
  }

  async create(ref: SessionRef, data: SessionData, ttlMs: number): Promise<void> {
    await viaRedis(this.#redis.sessionCreate(this.#sessionKey(ref), String(Math.ceil(ttlMs)), ...encodeFields(data)))
  }

  touch(ref: SessionRef, options: TouchOptions): Promise<TouchResult> {
    return this.#touch(ref, options.now, options.increment, options.consumeFlash, true)
  }

  async read(ref: SessionRef, now: number): Promise<StoredSession | null> {
    const result = await this.#touch(ref, now, undefined, false, false)
    return result.status === 'ok' ? result.session : null
  }

  async #touch(
    ref: SessionRef,
    now: number,
    increment: 'beers' | undefined,
    consumeFlash: boolean,
    extend: boolean,
  ): Promise<TouchResult> {
    const reply = await viaRedis(
      this.#redis.sessionTouch(
        this.#sessionKey(ref),
        String(now),
        String(this.#idleMs),
        String(this.#absoluteMs),
        String(this.#refreshAfterMs),
        increment ? FIELDS[increment] : '',
        consumeFlash ? '1' : '0',
        extend ? '1' : '0',
      ),
    )
    if (reply === null) return { status: 'missing' }
    if (reply === -1) return { status: 'expired' }
    const [ttl, ...pairs] = reply
    const data = decodeFields(pairs as string[])
    return { status: 'ok', session: { ...data, id: ref.id, expiresAt: now + Number(ttl) } }
  }

  async take(ref: SessionRef): Promise<SessionData | null> {
    const pairs = await viaRedis(this.#redis.sessionTake(this.#sessionKey(ref)))
    return pairs.length > 0 ? decodeFields(pairs) : null
  }

  async update(ref: SessionRef, fields: Partial<SessionData>): Promise<boolean> {
    const pairs = encodeFields(fields)
    if (pairs.length === 0) return true
    return (await viaRedis(this.#redis.sessionUpdate(this.#sessionKey(ref), ...pairs))) === 1
  }

  async index(userId: string, sessionId: string, createdAt: number, now: number): Promise<string[]> {
    const evicted = await viaRedis(
      this.#redis.sessionIndexAdd(
        this.#indexKey(userId),
        String(now),
        String(createdAt + this.#absoluteMs),
        sessionId,
        String(this.#maxPerUser),
      ),
    )
    if (evicted.length > 0) await this.end(userId, evicted)
    return evicted
  }

  async end(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return
    // One DEL per key: on a cluster the keys live in different slots.
    await viaRedis(
      Promise.all([
        ...sessionIds.map((id) => this.#redis.del(this.#sessionKey({ id, userId }))),
        this.#redis.zrem(this.#indexKey(userId), ...sessionIds),
      ]),
    )
  }

  async discard(ref: SessionRef): Promise<void> {
    await viaRedis(this.#redis.del(this.#sessionKey(ref)))
  }

  async list(userId: string, now: number): Promise<StoredSession[]> {
    const ids = await viaRedis(this.#redis.sessionIndexList(this.#indexKey(userId), String(now)))
    const results = await Promise.all(ids.map((id) => this.read({ id, userId }, now)))
    const live: StoredSession[] = []
    const gone: string[] = []
    results.forEach((session, i) => {
      if (session?.userId === userId) live.push(session)
      else gone.push(ids[i]!)
    })
    if (gone.length > 0) await viaRedis(this.#redis.zrem(this.#indexKey(userId), ...gone))
    return live
  }

  async inspect(ref: SessionRef): Promise<StoreInspection> {
    const sessionKey = this.#sessionKey(ref)
    if (!ref.userId) return { sessionKey, index: null }
    const key = this.#indexKey(ref.userId)
    const score = await viaRedis(this.#redis.zscore(key, ref.id))
    return { sessionKey, index: { key, score: score === null ? null : Number(score) } }
  }
}

const defined = new WeakSet<object>()

function defineScripts(redis: RedisClient): void {
  if (defined.has(redis)) return
  defined.add(redis)
  redis.defineCommand('sessionTouch', { numberOfKeys: 1, lua: scripts.touchSession })
  redis.defineCommand('sessionCreate', { numberOfKeys: 1, lua: scripts.createSession })
  redis.defineCommand('sessionTake', { numberOfKeys: 1, lua: scripts.takeSession })
  redis.defineCommand('sessionUpdate', { numberOfKeys: 1, lua: scripts.updateSession })
  redis.defineCommand('sessionIndexAdd', { numberOfKeys: 1, lua: scripts.indexAdd })
  redis.defineCommand('sessionIndexList', { numberOfKeys: 1, lua: scripts.indexList })
}
