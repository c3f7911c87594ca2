import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { createApp } from '../src/app.ts'
import { createRedis } from '../src/redis/client.ts'
import { assertNoEviction, EvictionPolicyError } from '../src/redis/eviction.ts'
import { TestBrowser } from './support/browser.ts'
import {
  freePort,
  type RedisServer,
  redisCli,
  startRedisCluster,
  startRedisServer,
  waitFor,
} from './support/redis-server.ts'
import { startServerProcess } from './support/server-process.ts'
import { createTestApp, dropDatabase, isolation, SERVER_URL, type TestApp } from './support/test-app.ts'

// Private Redis servers, a cluster and a server process start in here.
setDefaultTimeout(60_000)

const EMAIL = 'ready@example.com'
const PASSWORD = 'poured while polled'

let t: TestApp
let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer()
  t = await createTestApp('readiness', { REDIS_URL: redis.url })
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(async () => {
  await t.cleanup()
  await redis.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The test app with its real readiness checks, counting how often each runs. */
function countingApp() {
  const runs = { redis: 0, mysql: 0 }
  const real = t.services.deps.readiness
  const app = createApp({
    ...t.services.deps,
    readiness: {
      redis: () => {
        runs.redis++
        return real.redis!()
      },
      mysql: () => {
        runs.mysql++
        return real.mysql!()
      },
    },
  })
  return { app, runs }
}

describe('GET /readyz under a flood', () => {
  test('600 concurrent checks cost one check of each dependency, and the answer is reused for about a second', async () => {
    const { app, runs } = countingApp()
    const answers = await Promise.all(Array.from({ length: 600 }, () => app.request('/readyz')))
    expect(answers.map((answer) => answer.status)).toEqual(Array(600).fill(200))
    expect(runs).toEqual({ redis: 1, mysql: 1 })
    expect(await answers[0]!.json()).toEqual({ status: 'ready', checks: { redis: 'ok', mysql: 'ok' } })

    await app.request('/readyz')
    expect(runs).toEqual({ redis: 1, mysql: 1 })
    await sleep(1100)
    await app.request('/readyz')
    expect(runs).toEqual({ redis: 2, mysql: 2 })
  })

  test('MySQL is checked on a connection of its own: a busy request pool does not make the instance unready', async () => {
    const { app } = countingApp()
    const pool = t.services.database.pool
    const busy = Promise.all(Array.from({ length: 10 }, () => pool.query('SELECT SLEEP(1.5)')))
    await sleep(100)
    const started = performance.now()
    const answer = await app.request('/readyz')
    expect(answer.status).toBe(200)
    expect(performance.now() - started).toBeLessThan(1000)
    await busy
  })

  test('logins keep working while 600 readiness checks arrive at once', async () => {
    const { app } = countingApp()
    const browsers = Array.from({ length: 4 }, () => new TestBrowser(app))
    await Promise.all(browsers.map((browser) => browser.get('/login')))
    const flood = Promise.all(Array.from({ length: 600 }, () => app.request('/readyz')))
    const logins = await Promise.all(
      browsers.map((browser) => browser.post('/login', { email: EMAIL, password: PASSWORD })),
    )
    expect(logins.map(({ response }) => response.status)).toEqual([303, 303, 303, 303])
    expect((await flood).every((answer) => answer.status === 200)).toBe(true)
  })

  test('/healthz does no I/O: it answers while Redis is frozen', async () => {
    redis.pause()
    try {
      const started = performance.now()
      const answer = await t.app.request('/healthz')
      expect(answer.status).toBe(200)
      expect(performance.now() - started).toBeLessThan(100)
    } finally {
      redis.resume()
    }
  })
})

describe('Redis eviction policy', () => {
  test('an evicting policy set while running makes the instance unready, naming the policy', async () => {
    const { app } = countingApp()
    expect((await app.request('/readyz')).status).toBe(200)
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru')
    try {
      await sleep(1100)
      const answer = await app.request('/readyz')
      expect(answer.status).toBe(503)
      expect(await answer.json()).toEqual({
        status: 'not ready',
        checks: { redis: 'evicting (maxmemory-policy volatile-lru)', mysql: 'ok' },
      })
    } finally {
      await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction')
    }
    await sleep(300)
    expect((await app.request('/readyz')).status).toBe(200)
  })

  test('the server refuses to start under allkeys-lru with a clear message, and starts with REDIS_ALLOW_EVICTION=true', async () => {
    const lru = await startRedisServer(['--maxmemory-policy', 'allkeys-lru'])
    const { prefix, database } = isolation('eviction')
    const env = { REDIS_URL: lru.url, REDIS_PREFIX: prefix, DATABASE_URL: `${SERVER_URL}/${database}` }
    try {
      const refused = startServerProcess(await freePort(), env)
      expect(await refused.child.exited).toBe(1)
      expect(refused.output()).toContain('Redis maxmemory-policy is allkeys-lru')
      expect(refused.output()).toContain('Set maxmemory-policy noeviction, or REDIS_ALLOW_EVICTION=true')

      const allowed = startServerProcess(await freePort(), { ...env, REDIS_ALLOW_EVICTION: 'true' })
      try {
        await allowed.waitUntilReady()
        expect(allowed.output()).toContain('REDIS_ALLOW_EVICTION=true: running although')
      } finally {
        await allowed.kill()
      }
    } finally {
      await lru.stop()
      await dropDatabase(database)
    }
  })

  test('on a Cluster every master is checked: one evicting master is enough to refuse', async () => {
    const cluster = await startRedisCluster(3)
    const client = createRedis({
      url: 'redis://127.0.0.1:6379',
      clusterNodes: cluster.servers.map((server) => ({ host: '127.0.0.1', port: server.port })),
      sentinelName: 'mymaster',
      prefix: 'taproomtest:eviction:',
      allowEviction: false,
    })
    try {
      await client.connect()
      await waitFor('every master known', async () => 'nodes' in client && client.nodes('master').length === 3)
      await assertNoEviction(client)
      await redisCli(cluster.servers[2]!.port, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu')
      const refused = await assertNoEviction(client).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(EvictionPolicyError)
      expect((refused as EvictionPolicyError).policies).toEqual(['allkeys-lfu'])
    } finally {
      client.disconnect()
      await cluster.stop()
    }
  })
})
