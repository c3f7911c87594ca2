import type { RedisClient } from '../redis/client.ts'
import { RedisClock } from '../redis/clock.ts'
import { ServiceUnavailableError, viaRedis } from '../unavailable.ts'
import { decodeFields, encodeFields, FIELDS } from './fields.ts'
import * as scripts from './scripts.ts'
import type {
  EndedSessions,
  NewSessionData,
  SessionData,
  SessionRef,
  SessionStore,
  SignInOptions,
  SignInResult,
  StoredSession,
  StoreFactory,
  StoreInspection,
  StorePolicy,
  Taken,
  TouchOptions,
  TouchResult,
} from './store.ts'

/*
 * How long after sending a script Redis may still run it. The client gives up
 * on a command after a second (see redis/client.ts); the gap of half that
 * covers a reply already sent but not yet read, so whatever the app answered
 * 503 for, Redis refuses to apply. When a frozen Redis resumes, thousands of
 * replies arrive at once and the client's check may run between two reads of
 * them: a gap of a tenth of a second let pours answered 503 be counted.
 */
const WRITE_WINDOW_MS = 500

/*
 * How long a replaced session's key says so (see scripts.ts): longer than a
 * request the browser sent just before its new cookie arrived can take to
 * reach Redis, and short enough that a browser which never got the new cookie
 * soon starts over as a visitor.
 */
const REPLACED_MARK_MS = 10_000

type Reply = (string | number)[]
type Script = (keys: number, ...args: string[]) => Promise<Reply>
type ScriptName =
  | 'sessionTouch'
  | 'sessionCreate'
  | 'sessionSignIn'
  | 'sessionEndAll'
  | 'sessionEnd'
  | 'sessionTake'
  | 'sessionUpdate'
  | 'sessionRenew'
  | 'sessionList'

const SCRIPTS: Record<ScriptName, string> = {
  sessionTouch: scripts.touchSession,
  sessionCreate: scripts.createSession,
  sessionSignIn: scripts.signInSession,
  sessionEndAll: scripts.endUserSessions,
  sessionEnd: scripts.endSessions,
  sessionTake: scripts.takeSession,
  sessionUpdate: scripts.updateSession,
  sessionRenew: scripts.renewSession,
  sessionList: scripts.listSessions,
}

/** A factory for sessions kept in Redis under keys starting with `prefix`. */
export function redisSessionStore(redis: RedisClient, { prefix }: { prefix: string }): StoreFactory {
  return (policy) => new RedisSessionStore(redis, prefix, policy)
}

/**
 * Sessions as small Redis hashes: a visitor's under `<prefix>s:<public id>`, a
 * signed-in one under `<prefix>s:{<user id>}:<public id>`, beside the user's
 * index `<prefix>u:{<user id>}` (a sorted set of session IDs scored by creation
 * time) and valid-since time `<prefix>v:{<user id>}`. The braces are a Redis
 * Cluster hash tag: a user's keys share a slot, so one script reads a session
 * together with what decides whether it is still valid. The key names live
 * here and nowhere else.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient & Record<ScriptName, Script>
  readonly #prefix: string
  readonly #idleMs: number
  readonly #absoluteMs: number
  readonly #refreshAfterMs: number
  readonly #maxPerUser: number
  readonly #clock: RedisClock

  constructor(redis: RedisClient, prefix: string, policy: StorePolicy) {
    defineScripts(redis)
    this.#redis = redis as RedisClient & Record<ScriptName, Script>
    this.#prefix = prefix
    this.#idleMs = policy.idleMs
    this.#absoluteMs = policy.absoluteMs
    this.#maxPerUser = policy.maxSessionsPerUser
    this.#clock = new RedisClock(policy.localClock)
    // Sliding the expiry at most once a minute (or per half idle period, when
    // that is shorter) saves a write on most requests; the TTL stays the truth
    // that the countdown shows.
    this.#refreshAfterMs = Math.min(60_000, this.#idleMs / 2)
  }

  #sessionKey({ id, userId }: SessionRef): string {
    return userId === undefined ? `${this.#prefix}s:${id}` : `${this.#userSessions(userId)}${id}`
  }

  #userSessions(userId: string): string {
    return `${this.#prefix}s:{${userId}}:`
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}u:{${userId}}`
  }

  #sinceKey(userId: string): string {
    return `${this.#prefix}v:{${userId}}`
  }

  /** The keys a script about this session reads: the session, and for a signed-in one its index and valid-since. */
  #keysOf(ref: SessionRef): string[] {
    const key = this.#sessionKey(ref)
    return ref.userId === undefined ? [key] : [key, this.#indexKey(ref.userId), this.#sinceKey(ref.userId)]
  }

  /**
   * Runs a script with a deadline on Redis's clock. A script refused as late
   * although its reply came back well in time shows this process's estimate
   * of Redis's clock was behind (a clock stepped): it learns and retries once.
   */
  async #run(name: ScriptName, keys: string[], args: string[]): Promise<{ now: number; reply: Reply }> {
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now()
      const deadline = String(Math.floor(this.#clock.now() + WRITE_WINDOW_MS))
      const reply = await viaRedis(this.#redis[name](keys.length, ...keys, deadline, ...args))
      const now = Number(reply[1])
      if (reply[0] !== 'late') {
        this.#clock.observe(now)
        return { now, reply }
      }
      if (attempt > 0 || performance.now() - sentAt >= WRITE_WINDOW_MS) {
        throw new ServiceUnavailableError('redis', new Error('Redis ran the command after its deadline'))
      }
      this.#clock.reset(now)
    }
  }

  now(): number {
    return this.#clock.now()
  }

  async time(): Promise<number> {
    const [seconds, micros] = await viaRedis(this.#redis.time())
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
    this.#clock.observe(now)
    return now
  }

  async create(id: string, data: NewSessionData, ttlMs: number): Promise<number> {
    const { now } = await this.#run(
      'sessionCreate',
      [this.#sessionKey({ id })],
      [String(Math.ceil(ttlMs)), ...encodeFields(data)],
    )
    return now
  }

  async signIn(
    ref: Required<SessionRef>,
    data: NewSessionData,
    { ttlMs, provedSince, endOthers, keepProofAt }: SignInOptions,
  ): Promise<SignInResult> {
    // The script stores its own proof time; a kept one goes last among the fields, so it wins.
    const fields = { ...data, provedAt: keepProofAt }
    const { now, reply } = await this.#run('sessionSignIn', this.#keysOf(ref), [
      String(Math.ceil(ttlMs)),
      String(this.#absoluteMs),
      String(this.#maxPerUser),
      provedSince === undefined ? '' : String(provedSince),
      endOthers ? '1' : '0',
      this.#userSessions(ref.userId),
      ref.id,
      ...encodeFields(fields),
    ])
    if (reply[0] === 'stale') return 'stale'
    return {
      createdAt: now,
      provedAt: keepProofAt ?? (endOthers || provedSince === undefined ? now : provedSince),
      ended: reply.slice(2).map(String),
    }
  }

  async touch(ref: SessionRef, options: TouchOptions): Promise<TouchResult> {
    return (await this.#touch(ref, options.increment, options.consumeFlash, true)).result
  }

  async read(ref: SessionRef): Promise<{ session: StoredSession | null; replaced: boolean; now: number }> {
    const { now, result } = await this.#touch(ref, undefined, false, false)
    return { session: result.status === 'ok' ? result.session : null, replaced: result.status === 'replaced', now }
  }

  async #touch(
    ref: SessionRef,
    increment: 'beers' | undefined,
    consumeFlash: boolean,
    extend: boolean,
  ): Promise<{ now: number; result: TouchResult }> {
    const { now, reply } = await this.#run('sessionTouch', this.#keysOf(ref), [
      String(this.#idleMs),
      String(this.#absoluteMs),
      String(this.#refreshAfterMs),
      increment ? FIELDS[increment] : '',
      consumeFlash ? '1' : '0',
      extend ? '1' : '0',
      ref.id,
    ])
    const status = reply[0]
    if (status === 'missing' || status === 'expired' || status === 'replaced') return { now, result: { status } }
    const data = decodeFields(reply.slice(3) as string[])
    return { now, result: { status: 'ok', session: { ...data, id: ref.id, expiresAt: now + Number(reply[2]) } } }
  }

  async take(ref: SessionRef, { replacing = false }: { replacing?: boolean } = {}): Promise<Taken> {
    const keys = this.#keysOf(ref).slice(0, 2)
    const { reply } = await this.#run('sessionTake', keys, [ref.id, replacing ? String(REPLACED_MARK_MS) : '0'])
    if (reply[0] === 'replaced') return 'replaced'
    return reply.length > 2 ? decodeFields(reply.slice(2) as string[]) : null
  }

  async update(ref: SessionRef, fields: Partial<SessionData>): Promise<boolean> {
    const pairs = encodeFields(fields)
    if (pairs.length === 0) return true
    const { reply } = await this.#run('sessionUpdate', [this.#sessionKey(ref)], pairs)
    return reply[0] === 'ok'
  }

  async renew(ref: Required<SessionRef>, newId: string): Promise<boolean> {
    const [session, index, since] = this.#keysOf(ref) as [string, string, string]
    const renewed = this.#sessionKey({ id: newId, userId: ref.userId })
    const { reply } = await this.#run(
      'sessionRenew',
      [session, renewed, index, since],
      [String(this.#absoluteMs), ref.id, newId, String(REPLACED_MARK_MS)],
    )
    return reply[0] === 'ok'
  }

  async end(userId: string, sessionIds: string[]): Promise<string[]> {
    if (sessionIds.length === 0) return []
    const { reply } = await this.#run(
      'sessionEnd',
      [this.#indexKey(userId)],
      [this.#userSessions(userId), ...sessionIds],
    )
    return reply.slice(2).map(String)
  }

  endAll(userId: string): Promise<EndedSessions>
  endAll(userId: string, own: { id: string; keep: boolean }): Promise<EndedSessions | null>
  async endAll(userId: string, own?: { id: string; keep: boolean }): Promise<EndedSessions | null> {
    const keys = [this.#indexKey(userId), this.#sinceKey(userId)]
    if (own) keys.push(this.#sessionKey({ id: own.id, userId }))
    const { now, reply } = await this.#run('sessionEndAll', keys, [
      String(this.#absoluteMs),
      this.#userSessions(userId),
      own?.keep ? own.id : '',
    ])
    if (reply[0] === 'gone') return null
    return { ended: reply.slice(2).map(String), at: now }
  }

  async list(userId: string): Promise<StoredSession[]> {
    const { now, reply } = await this.#run(
      'sessionList',
      [this.#indexKey(userId), this.#sinceKey(userId)],
      [String(this.#absoluteMs), this.#userSessions(userId)],
    )
    const sessions: StoredSession[] = []
    for (let i = 2; i < reply.length; ) {
      const id = String(reply[i])
      const ttl = Number(reply[i + 1])
      const count = Number(reply[i + 2])
      const data = decodeFields(reply.slice(i + 3, i + 3 + count) as string[])
      sessions.push({ ...data, id, expiresAt: now + ttl })
      i += 3 + count
    }
    return sessions
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

/** Scripts take their keys' count first, since a signed-in session's script reads more keys than a visitor's. */
function defineScripts(redis: RedisClient): void {
  if (defined.has(redis)) return
  defined.add(redis)
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { lua })
}
