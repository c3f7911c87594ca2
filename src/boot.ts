import { createApp } from './app.ts'
import { ensureDatabase, migrateDatabase } from './db/migrate.ts'
import { seedDemoUser } from './db/seed.ts'
import { type Wiring, type WiringOptions, wireDependencies } from './deps.ts'
import { type Config, loadConfig } from './env.ts'
import { fulfilledWithin } from './fulfilled-within.ts'
import type { Logger } from './log.ts'
import { connectRedis, type RedisClient } from './redis/client.ts'
import { assertNoEviction, EvictionPolicyError } from './redis/eviction.ts'
import { isTransient } from './unavailable.ts'

/* Closing the services never waits longer than this for a connection that hangs. */
const CLOSE_TIMEOUT_MS = 5000
const DRAIN_MS = 1000

/** Retries a startup step with backoff while its failure looks transient, saying each time what it waits for. */
async function retry<T>(logger: Logger, what: string, step: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error })
      }
      const delay = Math.min(100 * 2 ** attempt, 2000)
      logger.warn(
        `${what} not ready (attempt ${attempt}/${attempts}: ${(error as Error).message}); retrying in ${delay} ms`,
      )
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/**
 * Logs once when the Redis connection is lost after startup and once when it
 * is back; in between, requests needing a session answer 503 and ioredis
 * reconnects on its own. The error listener also keeps ioredis from printing
 * "Unhandled error event" for every failed reconnect.
 */
function watchRedis(redis: RedisClient, logger: Logger): void {
  let state: 'starting' | 'up' | 'down' = 'starting'
  const lost = (reason: string) => {
    if (state !== 'up') return
    state = 'down'
    logger.warn(`Redis connection lost (${reason}); reconnecting, requests that need a session answer 503 meanwhile`)
  }
  redis.on('error', (error: Error) => lost(error.message))
  redis.on('reconnecting', () => lost('connection closed'))
  redis.on('ready', () => {
    if (state === 'down') logger.info('Redis connection restored')
    state = 'up'
  })
}

/**
 * Refuses to start on a Redis that may evict keys, unless REDIS_ALLOW_EVICTION
 * says the operator knows; then it only warns.
 */
async function checkEvictionPolicy(config: Config, redis: RedisClient, logger: Logger): Promise<void> {
  try {
    await assertNoEviction(redis)
  } catch (error) {
    if (!(error instanceof EvictionPolicyError) || !config.redis.allowEviction) throw error
    logger.warn(`REDIS_ALLOW_EVICTION=true: running although ${error.message.split(':')[0]}`)
  }
}

/**
 * Everything before the first request: Redis answering, the database created
 * and migrated, the demo user seeded, the dummy hash for timing-safe logins made.
 */
export async function prepare(config: Config, services: Wiring): Promise<void> {
  const { logger } = services
  if (config.generatedSecret) {
    logger.warn('SESSION_SECRET is not set: using a random secret, so sessions end when this process stops.')
  }
  if (config.generatedDataKey) {
    logger.warn(
      'DATA_ENCRYPTION_KEY is not set: using a random key, so authenticator apps enrolled now stop working when this process stops.',
    )
  }
  watchRedis(services.redis, logger)
  await connectRedis(services.redis, { log: (message) => logger.warn(message) })
  await checkEvictionPolicy(config, services.redis, logger)
  await retry(logger, 'MySQL', () => ensureDatabase(config.databaseUrl))
  await retry(logger, 'MySQL migrations', () => migrateDatabase(services.database.unbounded))
  if (config.seedDemoUser && (await seedDemoUser(services.users)))
    logger.info('Seeded demo user test@example.com / password')
  await services.deps.authenticator.warmUp()
  services.mail.start()
}

/**
 * prepare(), or, when a service never comes up or turns us away, one log line
 * saying why and exit 1, for a supervisor to restart or an operator to fix.
 */
export async function prepareOrExit(config: Config, services: Wiring): Promise<void> {
  try {
    await prepare(config, services)
  } catch (error) {
    services.logger.fatal(`startup failed: ${(error as Error).message}`)
    await fulfilledWithin(services.close(), CLOSE_TIMEOUT_MS)
    process.exit(1)
  }
}

/**
 * What both entry files (Bun and Node) do before they listen: the
 * configuration read, every dependency wired and prepared (or exit 1), the
 * app built. Each then serves `app.fetch` its own way.
 */
export async function startApp(options: Pick<WiringOptions, 'workerUrl' | 'socketAddress'>) {
  const config = loadConfig()
  const services = wireDependencies(config, options)
  await prepareOrExit(config, services)
  return { config, services, app: createApp(services.deps) }
}

/**
 * On SIGTERM or SIGINT: for up to a second answer every request with
 * Connection: close (and /readyz with 503), then stop accepting, let in-flight
 * requests finish within the rest of the grace period, close Redis, MySQL and
 * the bcrypt workers, exit 0.
 */
export function shutdownOnSignals(
  config: Config,
  services: Wiring,
  stopServer: (force: boolean) => Promise<void>,
): void {
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    services.logger.info(`${signal} received: finishing in-flight requests (up to ${config.shutdownGraceSeconds} s)`)
    services.deps.lifecycle.draining = true
    // Still listening for a moment, every answer says Connection: close and
    // /readyz 503: keep-alive clients and the balancer move elsewhere before
    // the listener goes and the idle connections with it.
    const graceMs = config.shutdownGraceSeconds * 1000
    const drainMs = Math.min(DRAIN_MS, graceMs)
    await new Promise((resolve) => setTimeout(resolve, drainMs))
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs - drainMs)
    })
    const outcome = await Promise.race([stopServer(false).then(() => 'drained' as const), grace])
    clearTimeout(timer)
    if (outcome === 'timeout') {
      services.logger.warn('grace period over: closing remaining connections')
      await stopServer(true)
    }
    await fulfilledWithin(services.close(), CLOSE_TIMEOUT_MS)
    services.logger.info('stopped')
    services.logger.flush()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}
