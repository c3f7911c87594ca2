import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
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
 * Builds the ioredis client the configuration asks for: a Cluster client when
 * REDIS_CLUSTER_NODES is set, a Sentinel-managed one when REDIS_SENTINELS is,
 * else a single server from REDIS_URL. It does not connect until connectRedis().
 */
export function createRedis(config: Config['redis']): RedisClient {
  if (config.clusterNodes) {
    const url = new URL(config.url)
    const options: ClusterOptions = {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      lazyConnect: true,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      redisOptions: {
        ...baseOptions,
        username: url.username || undefined,
        password: decodeURIComponent(url.password) || undefined,
      },
    }
    return new Cluster(config.clusterNodes, options)
  }
  if (config.sentinels) {
    const url = new URL(config.url)
    return new Redis({
      ...baseOptions,
      sentinels: config.sentinels,
      name: config.sentinelName,
      username: url.username || undefined,
      password: decodeURIComponent(url.password) || undefined,
    })
  }
  return new Redis(config.url, baseOptions)
}

/**
 * Connects and waits until Redis answers, retrying with backoff (ioredis keeps
 * reconnecting on its own) until the attempts run out.
 */
export async function connectRedis(
  client: RedisClient,
  { attempts = 30, log = (message: string) => console.error(message) } = {},
): Promise<void> {
  if (client.status === 'wait') client.connect().catch(() => {})
  for (let attempt = 1; ; attempt++) {
    try {
      await client.ping()
      return
    } catch (error) {
      if (attempt >= attempts) throw error
      const delay = reconnectDelay(attempt)
      log(`Redis not reachable yet (attempt ${attempt}/${attempts}: ${(error as Error).message}); retrying in ${delay} ms`)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}
