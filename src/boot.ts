import { ensureDatabase, migrateDatabase } from './db/migrate.ts'
import { seedDemoUser } from './db/seed.ts'
import type { Services } from './deps.ts'
import { ConfigError, parseEnv, type Config } from './env.ts'
import { connectRedis } from './redis/client.ts'

export type Log = (message: string) => void

const log: Log = (message) => console.error(`[taproom] ${message}`)

/** Reads the environment, or exits naming what is wrong with it. */
export function loadConfig(): Config {
  try {
    const config = parseEnv(process.env)
    if (config.generatedSecret) {
      log('SESSION_SECRET is not set: using a random secret, so sessions end when this process stops.')
    }
    return config
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

/** Retries a startup step with backoff, saying each time what it waits for. */
async function retry<T>(what: string, step: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (error) {
      if (attempt >= attempts) throw error
      const delay = Math.min(100 * 2 ** attempt, 2000)
      log(`${what} not ready (attempt ${attempt}/${attempts}: ${(error as Error).message}); retrying in ${delay} ms`)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/**
 * Everything before the first request: Redis answering, the database created
 * and migrated, the demo user seeded, the dummy hash for timing-safe logins made.
 */
export async function prepare(config: Config, services: Services): Promise<void> {
  let redisDown = false
  services.redis.on('error', (error: Error) => {
    if (!redisDown) log(`Redis connection problem: ${error.message}`)
    redisDown = true
  })
  services.redis.on('ready', () => {
    if (redisDown) log('Redis connection restored')
    redisDown = false
  })
  await connectRedis(services.redis, { log })
  await retry('MySQL', () => ensureDatabase(config.databaseUrl))
  await retry('MySQL migrations', () => migrateDatabase(services.database.db))
  if (config.seedDemoUser && (await seedDemoUser(services.users))) log('Seeded demo user test@example.com / password')
  await services.deps.authenticator.warmUp()
}

/**
 * On SIGTERM or SIGINT: stop accepting, let in-flight requests finish within the
 * grace period, close Redis, MySQL and the bcrypt workers, exit 0.
 */
export function shutdownOnSignals(config: Config, services: Services, stopServer: (force: boolean) => Promise<void>): void {
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log(`${signal} received: finishing in-flight requests (up to ${config.shutdownGraceSeconds} s)`)
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.shutdownGraceSeconds * 1000)))
    const outcome = await Promise.race([stopServer(false).then(() => 'drained' as const), grace])
    clearTimeout(timer)
    if (outcome === 'timeout') {
      log('grace period over: closing remaining connections')
      await stopServer(true)
    }
    await services.close()
    log('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

export { log }
