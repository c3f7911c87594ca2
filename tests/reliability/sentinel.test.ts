import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { parseEnv } from '../../src/env.ts'
import { closeRedis, connectRedis, createRedis } from '../../src/redis/client.ts'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisSentinel, redisCli, startRedisSentinel, waitFor } from '../support/redis-server.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// The app finds its master through a sentinel (REDIS_SENTINELS), and follows a failover.
let sentinel: RedisSentinel
let t: TestApp

beforeAll(async () => {
  sentinel = await startRedisSentinel('taproom')
  t = await createTestApp('sentinel', {
    REDIS_SENTINELS: sentinel.sentinels,
    REDIS_SENTINEL_NAME: 'taproom',
    REDIS_CLUSTER_NODES: '',
  })
})

afterAll(async () => {
  await t?.cleanup()
  await sentinel?.stop()
})

describe('Redis Sentinel', () => {
  test('sessions live on the master the sentinel names; after a failover the same session carries on', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    for (let i = 0; i < 3; i++) await browser.post('/beer', {}, { htmx: true })
    const { sessionId } = panelOf((await browser.get('/')).html)
    const key = await t.sessionKey(sessionId)
    expect((await redisCli(sentinel.master.port, 'EXISTS', key)).trim()).toBe('1')
    await waitFor(
      'the replica to hold the session',
      async () => (await redisCli(sentinel.replica.port, 'EXISTS', key)).trim() === '1',
    )

    // The sentinel refuses (NOGOODSLAVE) until it has fresh INFO from the replica.
    await waitFor(
      'the sentinel to start a failover',
      async () => (await redisCli(sentinel.port, 'SENTINEL', 'FAILOVER', sentinel.name)).trim() === 'OK',
    )
    await waitFor('the sentinel to name the replica as master', async () =>
      (await redisCli(sentinel.port, 'SENTINEL', 'get-master-addr-by-name', sentinel.name)).includes(
        String(sentinel.replica.port),
      ),
    )
    // Writes racing the switch may still reach the demoted master and be lost
    // with it (Sentinel replication is asynchronous); the session itself lives on.
    const failedOver = performance.now()
    await waitFor(
      'pours to land on the new master',
      async () => {
        const { response, html } = await browser.post('/beer', {}, { htmx: true })
        const stored = (await redisCli(sentinel.replica.port, 'HGET', key, 'b')).trim()
        return response.status === 200 && stored === String(panelOf(html).beers)
      },
      5000,
    )
    expect(performance.now() - failedOver).toBeLessThan(5000)

    const { html } = await browser.get('/')
    expect(panelOf(html).sessionId).toBe(sessionId)
    expect(panelOf(html).beers).toBeGreaterThanOrEqual(4)
    expect((await t.app.request('/readyz')).status).toBe(200)
  })

  test('a closed client leaves no connection to the sentinel behind', async () => {
    // The sentinel's connections that are subscribed to something, by connection id.
    const subscribers = async () =>
      new Set(
        (await redisCli(sentinel.port, 'CLIENT', 'LIST'))
          .split('\n')
          .filter((line) => /cmd=subscribe/.test(line))
          .map((line) => /\bid=(\d+)/.exec(line)?.[1]),
      )
    const before = await subscribers()
    const client = createRedis(
      parseEnv({ NODE_ENV: 'test', REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_NAME: sentinel.name }).redis,
    )
    let closed = false
    try {
      await connectRedis(client)
      // It watches the sentinel for failovers on a connection of its own.
      let own: string[] = []
      await waitFor('the client to subscribe to failovers', async () => {
        own = [...(await subscribers())].filter((id) => !before.has(id)) as string[]
        return own.length > 0
      })
      await closeRedis(client)
      closed = true
      // Left open, that connection outlives the client: once the sentinel is
      // gone it reconnects every minute, each time an "Unhandled error event".
      await waitFor(
        'its subscription to be gone',
        async () => {
          const now = await subscribers()
          return own.every((id) => !now.has(id))
        },
        3000,
      )
    } finally {
      if (!closed) client.disconnect()
    }
  })
})
