import type { AppDeps } from './app.ts'
import { type AuditLog, createAuditLog } from './audit.ts'
import { Authenticator } from './auth/authenticator.ts'
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher.ts'
import { LoginThrottle } from './auth/throttle.ts'
import { createBeerGenerator } from './beer/generator.ts'
import { createRemoteBeerSource } from './beer/remote.ts'
import { createDatabase, type DatabaseHandle } from './db/client.ts'
import { UserRepository } from './db/users.ts'
import type { Config } from './env.ts'
import type { SocketAddress } from './http/client-ip.ts'
import { createMail, type MailComponent } from './mail/create-mail.ts'
import { AccountRecovery } from './recovery/account-recovery.ts'
import { MailBudget } from './recovery/mail-budget.ts'
import { RecoveryMails } from './recovery/mails.ts'
import { SecurityNotices } from './recovery/notices.ts'
import { OneTimeTokens } from './recovery/one-time-tokens.ts'
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
  mail: MailComponent
  /** Closes every connection and worker; the process can then exit. */
  close(): Promise<void>
}

export type ServiceOptions = {
  workerUrl: URL
  socketAddress: SocketAddress
  audit?: AuditLog
  logError?: (line: string) => void
  /** Operational lines (mail queue, dev outbox); defaults to stderr. */
  log?: (line: string) => void
  /** Mail retry timing; tests shorten it. */
  mailRetry?: { attempts: number; backoffMs: number }
  now?: () => number
}

/** Wires the app's dependencies from the configuration. Nothing connects yet. */
export function createServices(config: Config, options: ServiceOptions): Services {
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
  const pourBeer = config.beerApiUrl ? createRemoteBeerSource(config.beerApiUrl, generate) : local
  const now = options.now ?? Date.now
  const audit = options.audit ?? createAuditLog()
  const mail = createMail(config, {
    log: options.log ?? ((line) => console.error(line)),
    now,
    ...options.mailRetry,
  })
  const recoveryMails = new RecoveryMails(config.mail.appUrl)
  const notices = new SecurityNotices(mail.queue, recoveryMails)
  const recovery = new AccountRecovery({
    users,
    tokens: new OneTimeTokens(redis, { prefix: config.redis.prefix }),
    queue: mail.queue,
    mails: recoveryMails,
    notices,
    budget: new MailBudget(redis, { prefix: config.redis.prefix }),
    audit,
    passwordResetSeconds: config.passwordResetSeconds,
    now,
  })

  const deps: AppDeps = {
    config,
    sessions: {
      store,
      tokens: new SessionTokens(config.session.secrets),
      cookie: sessionCookie({ secure: config.session.cookieSecure, maxAgeSeconds: config.session.absoluteSeconds }),
      idleSeconds: config.session.idleSeconds,
      absoluteSeconds: config.session.absoluteSeconds,
      now,
    },
    authenticator: new Authenticator({ users, hasher, throttle }),
    throttle,
    users,
    hasher,
    pourBeer,
    audit,
    recovery,
    notices,
    outbox: mail.outbox,
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
    mail,
    async close() {
      await mail.close()
      await Promise.allSettled([redis.quit(), database.pool.end(), hasher.close()])
    },
  }
}
