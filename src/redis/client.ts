import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../env.ts'

export type RedisClient = Redis | Cluster

/*
 * Bounded everything: a request that needs Redis while it is down fails within
 * about a second (and becomes a 503) instead of queueing behind reconnects.
 */
const COMMAND_TIMEOUT_MS = 1000
const CONNECT_TIMEOUT_MS = 1000

const reconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 1000)

const baseOptions: RedisOptions = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  retryStrategy: reconnectDelay,
  lazyConnect: true,
}

/**
 * Credentials and TLS from REDIS_URL, for the Cluster and Sentinel clients,
 * which take their addresses from REDIS_CLUSTER_NODES or the sentinels instead.
 */
function fromUrl(value: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const url = new URL(value)
  return {
    username: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  }
}

/**
 * Builds the ioredis client the configuration asks for: a Cluster client when
 * REDIS_CLUSTER_NODES is set, a Sentinel-managed one when REDIS_SENTINELS is,
 * else a single server from REDIS_URL. It does not connect until connectRedis().
 * `overrides` are for a client with other needs, such as a queue worker that
 * blocks on purpose and waits out reconnects.
 */
export function createRedis(config: Config['redis'], overrides: RedisOptions = {}): RedisClient {
  if (config.clusterNodes) {
    // ioredis gives each node connection its own offline queue and no
    // reconnects (it re-reads the slot map instead); the command timeout
    // still bounds every request to about a second while a master is down.
    const options: ClusterOptions = {
      enableOfflineQueue: overrides.enableOfflineQueue ?? false,
      clusterRetryStrategy: reconnectDelay,
      lazyConnect: true,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      redisOptions: { ...baseOptions, ...fromUrl(config.url), ...overrides },
    }
    return new Cluster(config.clusterNodes, options)
  }
  if (config.sentinels) {
    const url = fromUrl(config.url)
    return new Redis({
      ...baseOptions,
      ...url,
      ...overrides,
      sentinels: config.sentinels,
      name: config.sentinelName,
      enableTLSForSentinelMode: url.tls !== undefined,
      // Drop the connection as soon as a sentinel announces a new master,
      // instead of writing to the demoted one until it closes our connection.
      failoverDetector: true,
    })
  }
  return new Redis(config.url, { ...baseOptions, ...overrides })
}

/**
 * Connects and waits until Redis answers, retrying with backoff (ioredis keeps
 * reconnecting on its own) until the attempts run out. Each failed attempt is
 * logged with the connection error behind it, e.g. "connect ECONNREFUSED".
 */
export async function connectRedis(
  client: RedisClient,
  { attempts = 30, log = (message: string) => console.error(message) } = {},
): Promise<void> {
  let lastError: Error | undefined
  const remember = (error: Error) => {
    lastError = error
  }
  client.on('error', remember)
  try {
    if (client.status === 'wait') client.connect().catch(remember)
    for (let attempt = 1; ; attempt++) {
      const delay = reconnectDelay(attempt)
      if (client.status !== 'ready') await settled(client, CONNECT_TIMEOUT_MS)
      try {
        await client.ping()
        return
      } catch (error) {
        const reason = lastError ?? (error as Error)
        if (attempt >= attempts) throw new Error(`Redis: ${reason.message}`, { cause: reason })
        log(`Redis not reachable yet (attempt ${attempt}/${attempts}: ${reason.message}); retrying in ${delay} ms`)
        lastError = undefined
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  } finally {
    client.off('error', remember)
  }
}

/** Resolves when the client is ready, reports an error, or `ms` pass, whichever is first. */
function settled(client: RedisClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    client.once('ready', done)
    client.once('error', done)
  })
}
