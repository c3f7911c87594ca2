import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'
import * as scripts from './scripts.ts'
import {
  decodeFields,
  encodeFields,
  FIELD_NAMES,
  type SessionData,
  type SessionStore,
  type StoredSession,
  type TouchOptions,
  type TouchResult,
} from './store.ts'

type ScriptCommands = {
  sessionTouch(key: string, ...args: string[]): Promise<(number | string)[] | null | -1>
  sessionCreate(key: string, ...args: string[]): Promise<number>
  sessionTake(key: string): Promise<string[]>
  sessionUpdate(key: string, ...args: string[]): Promise<number>
  sessionIndexAdd(key: string, ...args: string[]): Promise<string[]>
  sessionIndexList(key: string, now: string): Promise<string[]>
}

export type RedisSessionStoreOptions = {
  prefix: string
  idleSeconds: number
  absoluteSeconds: number
  maxSessionsPerUser: number
}

/**
 * Sessions as small Redis hashes under `<prefix>s:<public id>`, and each user's
 * sessions in a sorted set `<prefix>u:<user id>` scored by absolute deadline.
 * No operation spans two keys, so it runs unchanged on Redis Cluster.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient & ScriptCommands
  readonly #prefix: string
  readonly #idleMs: number
  readonly #absoluteMs: number
  readonly #refreshAfterMs: number
  readonly #maxPerUser: number

  constructor(
    redis: RedisClient,
    { prefix, idleSeconds, absoluteSeconds, maxSessionsPerUser }: RedisSessionStoreOptions,
  ) {
    defineScripts(redis)
    this.#redis = redis as RedisClient & ScriptCommands
    this.#prefix = prefix
    this.#idleMs = idleSeconds * 1000
    this.#absoluteMs = absoluteSeconds * 1000
    this.#maxPerUser = maxSessionsPerUser
    // Sliding the expiry at most once a minute (or per half idle period, when
    // that is shorter) saves a write on most requests; the TTL stays the truth
    // that the countdown shows.
    this.#refreshAfterMs = Math.min(60_000, this.#idleMs / 2)
  }

  sessionKey(id: string): string {
    return `${this.#prefix}s:${id}`
  }

  indexKey(userId: string): string {
    return `${this.#prefix}u:${userId}`
  }

  async create(id: string, data: SessionData, ttlMs: number): Promise<void> {
    await viaRedis(this.#redis.sessionCreate(this.sessionKey(id), String(Math.ceil(ttlMs)), ...encodeFields(data)))
  }

  async touch(id: string, options: TouchOptions): Promise<TouchResult> {
    const reply = await viaRedis(
      this.#redis.sessionTouch(
        this.sessionKey(id),
        String(options.now),
        String(this.#idleMs),
        String(this.#absoluteMs),
        String(this.#refreshAfterMs),
        options.increment ? FIELD_NAMES[options.increment] : '',
        options.consumeFlash ? '1' : '0',
        options.extend ? '1' : '0',
      ),
    )
    if (reply === null) return { status: 'missing' }
    if (reply === -1) return { status: 'expired' }
    const [ttl, ...pairs] = reply
    const data = decodeFields(pairs as string[])
    return { status: 'ok', session: { ...data, id, expiresAt: options.now + Number(ttl) } }
  }

  async take(id: string): Promise<SessionData | null> {
    const pairs = await viaRedis(this.#redis.sessionTake(this.sessionKey(id)))
    return pairs.length > 0 ? decodeFields(pairs) : null
  }

  async update(id: string, fields: Partial<SessionData>): Promise<boolean> {
    const pairs = encodeFields(fields)
    if (pairs.length === 0) return true
    return (await viaRedis(this.#redis.sessionUpdate(this.sessionKey(id), ...pairs))) === 1
  }

  async delete(ids: string[]): Promise<void> {
    // One DEL per key: on a cluster the keys live in different slots.
    await viaRedis(Promise.all(ids.map((id) => this.#redis.del(this.sessionKey(id)))))
  }

  async indexAdd(userId: string, sessionId: string, deadline: number, now: number): Promise<string[]> {
    return viaRedis(
      this.#redis.sessionIndexAdd(
        this.indexKey(userId),
        String(now),
        String(deadline),
        sessionId,
        String(this.#maxPerUser),
      ),
    )
  }

  async indexRemove(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length > 0) await viaRedis(this.#redis.zrem(this.indexKey(userId), ...sessionIds))
  }

  async indexEntry(userId: string, sessionId: string): Promise<number | null> {
    const score = await viaRedis(this.#redis.zscore(this.indexKey(userId), sessionId))
    return score === null ? null : Number(score)
  }

  async listForUser(userId: string, now: number): Promise<StoredSession[]> {
    const ids = await viaRedis(this.#redis.sessionIndexList(this.indexKey(userId), String(now)))
    const results = await Promise.all(ids.map((id) => this.touch(id, { now, extend: false, consumeFlash: false })))
    const live: StoredSession[] = []
    const gone: string[] = []
    results.forEach((result, i) => {
      if (result.status === 'ok' && result.session.userId === userId) live.push(result.session)
      else gone.push(ids[i]!)
    })
    await this.indexRemove(userId, gone)
    return live
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
