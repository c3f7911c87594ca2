import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { createApp } from '../../src/app.ts'
import { prepare } from '../../src/boot.ts'
import { wireDependencies } from '../../src/deps.ts'
import { parseEnv } from '../../src/env.ts'
import { createLogger } from '../../src/log.ts'
import { connectRedis, createRedis, type RedisClient } from '../../src/redis/client.ts'
import { REPLACED_MARK } from '../../src/session/fields.ts'

export const SERVER_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
export const WORKER_URL = new URL('../../src/auth/bcrypt-worker.ts', import.meta.url)
export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789'

/** Redis settings for tests: a single server, or the cluster named by REDIS_CLUSTER_NODES. */
export function redisEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL
  if (process.env.REDIS_CLUSTER_NODES) env.REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES
  return env
}

/** A prefix and database name no other test file uses. */
export function isolation(label: string) {
  const id = `${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 16)}_${randomBytes(4).toString('hex')}`
  return { prefix: `taproomtest:${id}:`, database: `taproom_test_${id}` }
}

export type AuditRecord = Record<string, string> & { event: string }

/**
 * A real logger (the app's, at debug level) whose lines are kept: every line
 * as written, the audit events parsed, the warnings (503s, refused bodies)
 * and the errors (500s).
 */
export function captureLogs() {
  const lines: string[] = []
  const audit: AuditRecord[] = []
  const warnings: string[] = []
  const errors: string[] = []
  const logger = createLogger({
    level: 'debug',
    write(line) {
      lines.push(line)
      const record = JSON.parse(line)
      if (record.type === 'audit') audit.push(record)
      if (record.level === 'warn') warnings.push(line)
      if (record.level === 'error' || record.level === 'fatal') errors.push(line)
    },
  })
  return { logger, lines, audit, warnings, errors }
}

/**
 * The real app on the real Redis and MariaDB, isolated by its own key prefix
 * and database, with bcrypt cost 4 unless a test asks otherwise.
 */
export async function createTestApp(
  label: string,
  env: Record<string, string> = {},
  options: {
    now?: () => number
    localClock?: () => number
    mailRetry?: { attempts: number; backoffMs: number }
    mailWatchEveryMs?: number
  } = {},
) {
  const { prefix, database } = isolation(label)
  const config = parseEnv({
    NODE_ENV: 'test',
    DATABASE_URL: `${SERVER_URL}/${database}`,
    REDIS_PREFIX: prefix,
    SESSION_SECRET: TEST_SECRET,
    BCRYPT_COST: '4',
    // Every test client comes from one loopback address; tests of the limit set their own.
    NEW_SESSIONS_PER_IP_PER_MINUTE: '1000000',
    BCRYPT_WORKERS: '2',
    ...redisEnv(),
    ...env,
  })
  const { logger, lines, audit, warnings, errors } = captureLogs()
  let socketAddress = '127.0.0.1'
  const services = wireDependencies(config, {
    workerUrl: WORKER_URL,
    socketAddress: () => socketAddress,
    logger,
    mailRetry: options.mailRetry ?? { attempts: 3, backoffMs: 50 },
    mailWatchEveryMs: options.mailWatchEveryMs,
    now: options.now,
    localClock: options.localClock,
  })
  await prepare(config, services)
  const app = createApp(services.deps)
  return {
    app,
    config,
    services,
    redis: services.redis,
    audit,
    warnings,
    errors,
    /** Every log line the app wrote, as written. */
    logs: lines,
    /** Pretend later requests come from this socket address. */
    setSocketAddress(address: string) {
      socketAddress = address
    },
    /** Closes connections and drops the database, leaving Redis keys (for apps sharing another's prefix). */
    async closeKeepingKeys() {
      await services.close()
      await dropDatabase(database)
    },
    /** The Redis key of a session by its public ID: a visitor's, or a signed-in one's beside its user's keys. */
    sessionKey: (id: string | undefined): Promise<string> => sessionKeyIn(services.redis, prefix, String(id)),
    /** Whether a session's key holds nothing of it but the marker a newer session left on replacing it. */
    async onlyReplacedMark(id: string | undefined): Promise<boolean> {
      const fields = await services.redis.hkeys(await sessionKeyIn(services.redis, prefix, String(id)))
      return fields.length === 1 && fields[0] === REPLACED_MARK
    },
    /** The Redis key of a user's session index. */
    indexKey: (userId: string): string => `${prefix}u:{${userId}}`,
    /**
     * Moves a session `ms` into the past: its stored times (created, last
     * seen, proof, retained), its index entry and its user's valid-since time. Redis's clock is the only
     * clock the session layer trusts, so this is how tests let time pass.
     */
    async age(id: string, ms: number): Promise<void> {
      const key = await sessionKeyIn(services.redis, prefix, id)
      const stored = await services.redis.hgetall(key)
      const times = ['c', 'l', 'p', 'r'].filter((field) => stored[field] !== undefined)
      await Promise.all(times.map((field) => services.redis.hset(key, field, Number(stored[field]) - ms)))
      if (!stored.u) return
      await services.redis.zadd(`${prefix}u:{${stored.u}}`, 'XX', 'INCR', -ms, id)
      const since = await services.redis.get(`${prefix}v:{${stored.u}}`)
      if (since !== null) await services.redis.set(`${prefix}v:{${stored.u}}`, Number(since) - ms, 'KEEPTTL')
    },
    /** Moves only a session's proof of presence `ms` into the past, as if its user had last proved who they are then. */
    async ageProof(id: string, ms: number): Promise<void> {
      const key = await sessionKeyIn(services.redis, prefix, id)
      const provedAt = await services.redis.hget(key, 'p')
      if (provedAt === null) throw new Error(`session ${id} holds no proof`)
      await services.redis.hset(key, 'p', Number(provedAt) - ms)
    },
    /** Every key this app wrote, across all cluster nodes. */
    keys: (): Promise<string[]> => scanKeys(services.redis, `${prefix}*`),
    async cleanup() {
      // The app first: its mail queue may still write to Redis while it closes.
      // Its keys are under the prefix it used, which a test may have given it.
      await services.close()
      await dropIsolation({ prefix: config.redis.prefix, database }, config.redis)
    },
  }
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>

/**
 * The mail queue's keys that live as long as the queue, one each: its settings
 * hash, its job-id counter and its event stream (capped at 100 entries). Every
 * other key the app writes expires.
 */
export function isMailQueueBookkeeping(key: string, prefix: string): boolean {
  return key.startsWith(`${prefix}{mail}:`) && /:(meta|id|events)$/.test(key)
}

/** Where a session lives (`<prefix>s:<id>` or `<prefix>s:{<user id>}:<id>`); the visitor form when it does not exist. */
export async function sessionKeyIn(redis: RedisClient, prefix: string, id: string): Promise<string> {
  const found = await scanKeys(redis, `${prefix}s:*${id}`)
  return found.find((key) => key.endsWith(`:${id}`)) ?? `${prefix}s:${id}`
}

export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis]
  const keys: string[] = []
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
  }
  return keys
}

/**
 * Removes what an app left under `prefix` and in `database`, once it has
 * closed: one of this process, or servers run in another (on the Redis of
 * the test environment unless `redisConfig` names another).
 */
export async function dropIsolation(
  { prefix, database }: { prefix: string; database: string },
  redisConfig = parseEnv({ REDIS_PREFIX: prefix, ...redisEnv() }).redis,
): Promise<void> {
  const redis = createRedis(redisConfig)
  try {
    // Bounded: a Cluster client's connect() never settles if its first ready check finds the cluster failing.
    await connectRedis(redis, { attempts: 10, log: () => {} })
    const keys = await scanKeys(redis, `${prefix}*`)
    // A few hundred at a time: the client refuses commands beyond 1,000 in flight.
    for (let i = 0; i < keys.length; i += 500) {
      await Promise.all(keys.slice(i, i + 500).map((key) => redis.del(key)))
    }
  } finally {
    redis.disconnect()
  }
  await dropDatabase(database)
}

export async function dropDatabase(name: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: `${SERVER_URL}/` })
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
  } finally {
    await connection.end()
  }
}
