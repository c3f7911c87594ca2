import { describe, expect, test } from 'bun:test'
import { Cluster, Redis } from 'ioredis'
import { parseEnv } from '../../src/env.ts'
import { connectRedis, createRedis } from '../../src/redis/client.ts'

const redisConfig = (env: Record<string, string>) => parseEnv({ NODE_ENV: 'test', ...env }).redis

describe('createRedis', () => {
  test('REDIS_CLUSTER_NODES: a Cluster client over those nodes, with credentials and TLS from REDIS_URL', () => {
    const client = createRedis(
      redisConfig({
        REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001',
        REDIS_URL: 'rediss://app:p%40ss@ignored:6379',
      }),
    )
    expect(client).toBeInstanceOf(Cluster)
    const cluster = client as Cluster
    expect(cluster.options.redisOptions).toMatchObject({
      username: 'app',
      password: 'p@ss',
      tls: {},
    })
    // No per-command timer: the client's own watchdog bounds a hung node.
    expect(cluster.options.redisOptions?.commandTimeout).toBeUndefined()
    expect(cluster.options.enableOfflineQueue).toBe(false)
    expect(cluster.status).toBe('wait')
  })

  test('REDIS_SENTINELS: a Redis client that asks the sentinels for the named master, without TLS for redis://', () => {
    const client = createRedis(
      redisConfig({
        REDIS_SENTINELS: '10.0.0.5:26379',
        REDIS_SENTINEL_NAME: 'taproom',
        REDIS_URL: 'redis://:secret@ignored:6379',
      }),
    )
    expect(client).toBeInstanceOf(Redis)
    expect((client as Redis).options).toMatchObject({
      sentinels: [{ host: '10.0.0.5', port: 26379 }],
      name: 'taproom',
      password: 'secret',
      enableTLSForSentinelMode: false,
      failoverDetector: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    })
    expect((client as Redis).options.commandTimeout).toBeUndefined()
    expect((client as Redis).options.tls).toBeUndefined()
    expect(client.status).toBe('wait')
  })
})

describe('the bound on commands in flight', () => {
  test('more commands in one tick than the bound: every answer reaches its own command, and the client keeps working', async () => {
    const client = createRedis(redisConfig({ REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }))
    await connectRedis(client, { log: () => {} })
    const prefix = `inflight-test:${crypto.randomUUID()}:`
    try {
      const keys = Array.from({ length: 1500 }, (_, i) => `${prefix}${i}`)
      await client.mset(...keys.flatMap((key, i) => [key, `value ${i}`]))
      // Issued in one tick, these go out as one auto-pipelined batch, more than the 1,000 allowed in flight.
      const answers = await Promise.allSettled(keys.map((key) => client.get(key)))
      const wrong = answers.filter((answer, i) => answer.status === 'fulfilled' && answer.value !== `value ${i}`)
      expect(wrong).toHaveLength(0)
      // A batch is sent or refused whole: never some of its commands queued for replies that do not come.
      const refused = answers.filter((answer) => answer.status === 'rejected').length
      expect([0, keys.length]).toContain(refused)
      const later = await Promise.allSettled(keys.slice(0, 10).map((key) => client.get(key)))
      expect(later.map((answer) => (answer.status === 'fulfilled' ? answer.value : 'refused'))).toEqual(
        keys.slice(0, 10).map((_, i) => `value ${i}`),
      )
    } finally {
      await client.del(...Array.from({ length: 1500 }, (_, i) => `${prefix}${i}`)).catch(() => {})
      client.disconnect()
    }
  })
})
