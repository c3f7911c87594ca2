import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, redisCli, startRedisServer } from '../support/redis-server.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

// Real servers start and fill up in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(60_000)

// The app on a private redis-server with noeviction, whose maxmemory the test drops below what it uses.
let redis: RedisServer
let t: TestApp
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  redis = await startRedisServer(['--maxmemory-policy', 'noeviction'])
  t = await createTestApp('redisfull', { REDIS_URL: redis.url, REDIS_CLUSTER_NODES: '' })
})

afterAll(async () => {
  await t?.cleanup()
  await redis?.stop()
})

/** Sets maxmemory well below what Redis uses now: every write that needs memory is refused, deletes still work. */
async function fill() {
  const used = Number(/used_memory:(\d+)/.exec(await redisCli(redis.port, 'INFO', 'memory'))![1])
  expect((await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', String(used - 256 * 1024))).trim()).toBe('OK')
  await expect(t.redis.set(`${t.config.redis.prefix}probe`, 'x')).rejects.toThrow(/OOM/)
}

describe('logout while Redis is full', () => {
  test('answers that the user is logged out (the session did end), not a 503', async () => {
    const user = await t.services.users.create('full@example.com', await t.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    expect((await browser.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(303)
    const { sessionId } = panelOf((await browser.get('/')).html)
    await fill()

    const { response, html } = await browser.post('/logout')
    expect(response.status).toBe(200)
    expect(html).toContain('Logged out.')
    expect(html).toContain('You are logged out.')
    const cleared = response.headers.getSetCookie().find((line) => line.startsWith('taproom_session='))
    expect(cleared).toContain('Max-Age=0')
    expect(await t.redis.exists(await t.sessionKey(sessionId))).toBe(0)
  })
})
