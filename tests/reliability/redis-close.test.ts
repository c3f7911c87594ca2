import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseEnv } from '../../src/env.ts'
import { closeRedis, createRedis } from '../../src/redis/client.ts'
import { type RedisServer, startRedisServer, waitFor } from '../support/redis-server.ts'

let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer()
})

afterAll(async () => {
  redis.resume()
  await redis.stop()
})

describe('closing a Redis client', () => {
  test('a frozen Redis cannot hold a shutdown: QUIT is given up on and the connection dropped', async () => {
    // The mail worker's client: no command timeout, waits out reconnects.
    const client = createRedis(parseEnv({ NODE_ENV: 'test', REDIS_URL: redis.url }).redis, {
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      enableOfflineQueue: true,
    })
    await client.ping()
    redis.pause()
    try {
      const started = performance.now()
      await closeRedis(client, 500)
      expect(performance.now() - started).toBeLessThan(2000)
    } finally {
      redis.resume()
    }
    // The connection was dropped for good, not left to reconnect.
    await waitFor('the client to end', () => client.status === 'end', 3000)
  })

  test('a healthy Redis is closed with QUIT', async () => {
    const client = createRedis(parseEnv({ NODE_ENV: 'test', REDIS_URL: redis.url }).redis)
    await client.connect()
    await client.ping()
    const started = performance.now()
    await closeRedis(client)
    expect(performance.now() - started).toBeLessThan(1000)
    await waitFor('the client to end', () => client.status === 'end', 3000)
  })
})
