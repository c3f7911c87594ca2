import { availableParallelism } from 'node:os'
import { ActivityLog } from './activity/activity-log.ts'
import type { AppDeps } from './app.ts'
import { createAuditLog } from './audit.ts'
import { AccountThrottle } from './auth/account-throttle.ts'
import { Authenticator } from './auth/authenticator.ts'
import { createBreachCheck } from './auth/breached-passwords.ts'
import { CredentialGate } from './auth/credential-gate.ts'
import { DeviceCookies } from './auth/device-cookie.ts'
import { keyedEmailHash } from './auth/email-hash.ts'
import { createNewPasswordCheck } from './auth/new-password.ts'
import { Passkeys } from './auth/passkeys.ts'
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher.ts'
import { RecoveryCodeHasher } from './auth/recovery-codes.ts'
import { SecondFactors } from './auth/second-factors.ts'
import { SecretBox } from './auth/secret-box.ts'
import { createStrengthCheck } from './auth/strength-check.ts'
import { AttemptThrottle, clientNetwork } from './auth/throttle.ts'
import { createBeerGenerator } from './beer/generator.ts'
import { createRemoteBeerSource } from './beer/remote.ts'
import { AuthEventRepository } from './db/auth-events.ts'
import { createDatabase, type DatabaseHandle } from './db/client.ts'
import { mysqlProbe } from './db/probe.ts'
import { SecondFactorRepository } from './db/second-factors.ts'
import { UserRepository } from './db/users.ts'
import type { Config } from './env.ts'
import type { SocketAddress } from './http/client-ip.ts'
import { createLifecycle } from './lifecycle.ts'
import { createLogger, type Logger } from './log.ts'
import { createMail, type MailComponent } from './mail/create-mail.ts'
import { Sealer } from './mail/seal.ts'
import { AccountRecovery } from './recovery/account-recovery.ts'
import { MailBudget } from './recovery/mail-budget.ts'
import { RecoveryMails } from './recovery/mails.ts'
import { SecurityNotices } from './recovery/notices.ts'
import { OneTimeTokens } from './recovery/one-time-tokens.ts'
import { closeRedis, createRedis, type RedisClient } from './redis/client.ts'
import { assertNoEviction } from './redis/eviction.ts'
import { redisSessionStore } from './session/redis-store.ts'
import { createSessions, type Sessions } from './session/sessions.ts'

export type Wiring = {
  deps: AppDeps
  redis: RedisClient
  database: DatabaseHandle
  users: UserRepository
  hasher: PasswordHasher
  sessions: Sessions
  activity: ActivityLog
  logger: Logger
  mail: MailComponent
  /** Closes every connection and worker; the process can then exit. */
  close(): Promise<void>
}

export type WiringOptions = {
  workerUrl: URL
  socketAddress: SocketAddress
  /** Where every log line goes; by default JSON lines on stdout at LOG_LEVEL. */
  logger?: Logger
  /** Mail retry timing; tests shorten it. */
  mailRetry?: { attempts: number; backoffMs: number }
  /** How often an idle process looks for mail other instances queued; tests shorten it. */
  mailWatchEveryMs?: number
  /** A fixed clock for tests; the app otherwise shows times on the session store's clock (Redis TIME). */
  now?: () => number
  /** This process's clock as the session layer sees it (tests skew it). */
  localClock?: () => number
}

/**
 * Builds every dependency of the app from the configuration — Redis, MySQL, the
 * password hasher, the session layer — and what closes them. Nothing connects yet.
 */
export function wireDependencies(config: Config, options: WiringOptions): Wiring {
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  const redis = createRedis(config.redis)
  const database = createDatabase(config.databaseUrl)
  const probe = mysqlProbe(config.databaseUrl)
  const lifecycle = createLifecycle()
  const users = new UserRepository(database.db)
  const bcryptWorkers = config.bcrypt.workers ?? availableParallelism()
  const loginMaxConcurrent = config.loginMaxConcurrent ?? 4 * bcryptWorkers
  const hasher = createPasswordHasher({
    cost: config.bcrypt.cost,
    workerUrl: options.workerUrl,
    workers: bcryptWorkers,
    // Room for every password check the gate lets through, and at least 8 jobs per worker.
    maxQueued: Math.max(loginMaxConcurrent, 8 * bcryptWorkers),
  })
  // The strength worker sits next to the bcrypt worker, in src/ (Bun) or in dist/ (the Node build).
  const strength = createStrengthCheck({
    workerUrl: new URL(
      `./strength-worker${options.workerUrl.pathname.endsWith('.js') ? '.js' : '.ts'}`,
      options.workerUrl,
    ),
  })
  const newPasswordCheck = createNewPasswordCheck({
    strength,
    isBreached: createBreachCheck({
      url: config.pwnedPasswordsUrl,
      warn: (message) => logger.warn(message),
    }),
  })
  const emailHash = keyedEmailHash(config.session.secrets[0]!)
  const sessions = createSessions({
    store: redisSessionStore(redis, { prefix: config.redis.prefix }),
    secrets: config.session.secrets,
    idleSeconds: config.session.idleSeconds,
    absoluteSeconds: config.session.absoluteSeconds,
    maxSessionsPerUser: config.session.maxPerUser,
    firstVisitSeconds: config.session.firstVisitSeconds,
    newSessionsPerMinute: config.session.newPerIpPerMinute,
    networkOf: clientNetwork,
    cookieSecure: config.session.cookieSecure,
    localClock: options.localClock ?? options.now,
  })
  const credentialGate = new CredentialGate(loginMaxConcurrent)
  const factorRepository = new SecondFactorRepository(database.db)
  const throttle = new AttemptThrottle(redis, { prefix: config.redis.prefix, emailHash, ...config.throttle })
  const accounts = new AccountThrottle(redis, { prefix: config.redis.prefix, emailHash, ...config.accountThrottle })
  const generate = createBeerGenerator()
  const local = async () => generate()
  const activity = new ActivityLog({
    events: new AuthEventRepository(database.db),
    retentionDays: config.authEventsDays,
    logger,
    now: options.now ?? Date.now,
  })
  const pourBeer = config.beerApiUrl ? createRemoteBeerSource(config.beerApiUrl, generate) : local
  const now = options.now ?? Date.now
  const audit = activity.observe(createAuditLog(logger))
  const mail = createMail(config, {
    logger,
    now,
    ...options.mailRetry,
    watchEveryMs: options.mailWatchEveryMs,
  })
  const recoveryMails = new RecoveryMails(config.appUrl)
  const budget = new MailBudget(redis, { prefix: config.redis.prefix })
  const notices = new SecurityNotices(mail.queue, recoveryMails, logger, { budget, addressKey: emailHash })
  const recovery = new AccountRecovery({
    users,
    tokens: new OneTimeTokens(redis, { prefix: config.redis.prefix }),
    queue: mail.queue,
    mails: recoveryMails,
    notices,
    budget,
    audit,
    emailHash,
    passwordResetSeconds: config.passwordResetSeconds,
    addressSealer: new Sealer(config.session.secrets, 'taproom pending email v1'),
    logger,
    now,
  })

  const deps: AppDeps = {
    config,
    sessions,
    authenticator: new Authenticator({ users, hasher, throttle, accounts }),
    devices: new DeviceCookies({ secrets: config.session.secrets, secure: config.session.cookieSecure }),
    throttle,
    credentialGate,
    newPasswordCheck,
    emailHash,
    users,
    hasher,
    secondFactors: new SecondFactors({
      repository: factorRepository,
      box: new SecretBox(config.dataEncryptionKeys),
      hasher: new RecoveryCodeHasher(config.dataEncryptionKeys),
      redis,
      prefix: config.redis.prefix,
      logger,
    }),
    passkeys: new Passkeys({ repository: factorRepository, redis, prefix: config.redis.prefix, appUrl: config.appUrl }),
    pourBeer,
    audit,
    activity,
    recovery,
    notices,
    outbox: mail.outbox,
    lifecycle,
    readiness: {
      redis: () => (config.redis.allowEviction ? redis.ping() : assertNoEviction(redis)),
      mysql: () => probe.ping(),
    },
    socketAddress: options.socketAddress,
    logger,
    now: options.now ?? sessions.now,
  }

  return {
    deps,
    redis,
    database,
    users,
    hasher,
    sessions,
    activity,
    logger,
    mail,
    async close() {
      // Side by side: activity writes still pending must not wait out the mail queue's grace period.
      await Promise.all([mail.close(), activity.settled()])
      await Promise.allSettled([
        closeRedis(redis),
        database.pool.end(),
        probe.close(),
        hasher.close(),
        strength.close(),
      ])
    },
  }
}
