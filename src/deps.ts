import { ActivityLog } from './activity/activity-log.ts'
import type { AppDeps } from './app.ts'
import { createAuditLog } from './audit.ts'
import { Authenticator } from './auth/authenticator.ts'
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher.ts'
import { LoginThrottle } from './auth/throttle.ts'
import { createBeerGenerator } from './beer/generator.ts'
import { createRemoteBeerSource } from './beer/remote.ts'
import { AuthEventRepository } from './db/auth-events.ts'
import { createDatabase, type DatabaseHandle } from './db/client.ts'
import { UserRepository } from './db/users.ts'
import type { Config } from './env.ts'
import type { SocketAddress } from './http/client-ip.ts'
import { createLogger, type Logger } from './log.ts'
import { createRedis, type RedisClient } from './redis/client.ts'
import { sessionCookie } from './session/cookie.ts'
import { RedisSessionStore } from './session/redis-store.ts'
import { SessionTokens } from './session/token.ts'

export type Wiring = {
  deps: AppDeps
  redis: RedisClient
  database: DatabaseHandle
  users: UserRepository
  hasher: PasswordHasher
  store: RedisSessionStore
  activity: ActivityLog
  logger: Logger
  /** Closes every connection and worker; the process can then exit. */
  close(): Promise<void>
}

export type WiringOptions = {
  workerUrl: URL
  socketAddress: SocketAddress
  /** Where every log line goes; by default JSON lines on stdout at LOG_LEVEL. */
  logger?: Logger
  now?: () => number
}

/**
 * Builds every dependency of the app from the configuration — Redis, MySQL, the
 * password hasher, the session layer — and what closes them. Nothing connects yet.
 */
export function wireDependencies(config: Config, options: WiringOptions): Wiring {
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  const redis = createRedis(config.redis)
  const database = createDatabase(config.databaseUrl)
  const users = new UserRepository(database.db)
  const hasher = createPasswordHasher({
    cost: config.bcrypt.cost,
    workerUrl: options.workerUrl,
    workers: config.bcrypt.workers,
  })
  const store = new RedisSessionStore(redis, {
    prefix: config.redis.prefix,
    idleSeconds: config.session.idleSeconds,
    absoluteSeconds: config.session.absoluteSeconds,
    maxSessionsPerUser: config.session.maxPerUser,
  })
  const throttle = new LoginThrottle(redis, { prefix: config.redis.prefix, ...config.throttle })
  const generate = createBeerGenerator()
  const local = async () => generate()
  const activity = new ActivityLog({
    events: new AuthEventRepository(database.db),
    retentionDays: config.authEventsDays,
    logger,
    now: options.now ?? Date.now,
  })
  const pourBeer = config.beerApiUrl ? createRemoteBeerSource(config.beerApiUrl, generate) : local

  const deps: AppDeps = {
    config,
    sessions: {
      store,
      tokens: new SessionTokens(config.session.secrets),
      cookie: sessionCookie({ secure: config.session.cookieSecure, maxAgeSeconds: config.session.absoluteSeconds }),
      idleSeconds: config.session.idleSeconds,
      absoluteSeconds: config.session.absoluteSeconds,
      now: options.now ?? Date.now,
    },
    authenticator: new Authenticator({ users, hasher, throttle }),
    throttle,
    users,
    hasher,
    pourBeer,
    audit: activity.observe(createAuditLog(logger)),
    activity,
    readiness: {
      redis: () => redis.ping(),
      mysql: () => database.ping(),
    },
    socketAddress: options.socketAddress,
    logger,
    now: options.now,
  }

  return {
    deps,
    redis,
    database,
    users,
    hasher,
    store,
    activity,
    logger,
    async close() {
      await activity.settled()
      await Promise.allSettled([redis.quit(), database.pool.end(), hasher.close()])
    },
  }
}
