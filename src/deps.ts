import { availableParallelism } from 'node:os'
import type { AppDeps } from './app.ts'
import { type AuditLog, createAuditLog } from './audit.ts'
import { Authenticator } from './auth/authenticator.ts'
import { createBreachCheck } from './auth/breached-passwords.ts'
import { CredentialGate } from './auth/credential-gate.ts'
import { keyedEmailHash } from './auth/email-hash.ts'
import { createNewPasswordCheck } from './auth/new-password.ts'
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher.ts'
import { createStrengthCheck } from './auth/strength-check.ts'
import { AttemptThrottle } from './auth/throttle.ts'
import { createBeerGenerator } from './beer/generator.ts'
import { createRemoteBeerSource } from './beer/remote.ts'
import { createDatabase, type DatabaseHandle } from './db/client.ts'
import { UserRepository } from './db/users.ts'
import type { Config } from './env.ts'
import type { SocketAddress } from './http/client-ip.ts'
import { createRedis, type RedisClient } from './redis/client.ts'
import { sessionCookie } from './session/cookie.ts'
import { RedisSessionStore } from './session/redis-store.ts'
import { SessionTokens } from './session/token.ts'

export type Services = {
  deps: AppDeps
  redis: RedisClient
  database: DatabaseHandle
  users: UserRepository
  hasher: PasswordHasher
  store: RedisSessionStore
  /** Closes every connection and worker; the process can then exit. */
  close(): Promise<void>
}

export type ServiceOptions = {
  workerUrl: URL
  socketAddress: SocketAddress
  audit?: AuditLog
  logError?: (line: string) => void
  now?: () => number
}

/** Wires the app's dependencies from the configuration. Nothing connects yet. */
export function createServices(config: Config, options: ServiceOptions): Services {
  const redis = createRedis(config.redis)
  const database = createDatabase(config.databaseUrl)
  const users = new UserRepository(database.db)
  const bcryptWorkers = config.bcrypt.workers ?? availableParallelism()
  const hasher = createPasswordHasher({
    cost: config.bcrypt.cost,
    workerUrl: options.workerUrl,
    workers: bcryptWorkers,
  })
  // The strength worker sits next to the bcrypt worker, in src/ (Bun) or in dist/ (the Node build).
  const strength = createStrengthCheck({
    workerUrl: new URL(
      `./strength-worker${options.workerUrl.pathname.endsWith('.js') ? '.js' : '.ts'}`,
      options.workerUrl,
    ),
  })
  const logError = options.logError ?? ((line: string) => console.error(line))
  const newPasswordCheck = createNewPasswordCheck({
    strength,
    isBreached: createBreachCheck({
      url: config.pwnedPasswordsUrl,
      warn: (message) => logError(JSON.stringify({ time: new Date().toISOString(), type: 'warn', message })),
    }),
  })
  const emailHash = keyedEmailHash(config.session.secrets[0]!)
  const store = new RedisSessionStore(redis, {
    prefix: config.redis.prefix,
    idleSeconds: config.session.idleSeconds,
    absoluteSeconds: config.session.absoluteSeconds,
    maxSessionsPerUser: config.session.maxPerUser,
  })
  const credentialGate = new CredentialGate(config.loginMaxConcurrent ?? 4 * bcryptWorkers)
  const throttle = new AttemptThrottle(redis, { prefix: config.redis.prefix, emailHash, ...config.throttle })
  const generate = createBeerGenerator()
  const local = async () => generate()
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
    authenticator: new Authenticator({ users, hasher, throttle, gate: credentialGate }),
    throttle,
    credentialGate,
    newPasswordCheck,
    emailHash,
    users,
    hasher,
    pourBeer,
    audit: options.audit ?? createAuditLog(),
    readiness: {
      redis: () => redis.ping(),
      mysql: () => database.ping(),
    },
    socketAddress: options.socketAddress,
    logError: options.logError,
    now: options.now,
  }

  return {
    deps,
    redis,
    database,
    users,
    hasher,
    store,
    async close() {
      await Promise.allSettled([redis.quit(), database.pool.end(), hasher.close(), strength.close()])
    },
  }
}
