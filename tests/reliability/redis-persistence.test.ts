import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { freePort, type RedisServer, redisServer, waitFor } from '../support/redis-server.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// A private Redis with the append-only file on, as the README recommends for production.
let dir: string
let redis: RedisServer
let t: TestApp

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taproom-aof-'))
  redis = redisServer(await freePort(), ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir])
  await redis.start()
  t = await createTestApp('aof', { REDIS_URL: redis.url, REDIS_CLUSTER_NODES: '' })
})

afterAll(async () => {
  await t.cleanup()
  await redis.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('Redis with AOF persistence', () => {
  test('a crashed and restarted Redis still has every session: same ID, same count, same user, still expiring', async () => {
    const email = 'durable@example.com'
    await t.services.users.create(email, await t.services.hasher.hash('written to disk'), { verifiedAt: new Date() })
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    await browser.post('/login', { email, password: 'written to disk' })
    await browser.get('/')
    for (let i = 0; i < 3; i++) await browser.post('/beer', {}, { htmx: true })
    const before = panelOf((await browser.get('/session')).html)

    await redis.stop()
    expect((await browser.get('/')).response.status).toBe(503)
    await redis.start()

    await waitFor('the app to serve again', async () => (await browser.get('/session')).response.status === 200, 5000)
    const after = panelOf((await browser.get('/session')).html)
    expect(after).toMatchObject({ sessionId: before.sessionId, beers: 3, email })
    expect(after.expiresIn).toBeGreaterThan(0)
    expect(after.expiresIn).toBeLessThanOrEqual(before.expiresIn)
    const { html } = await browser.post('/beer', {}, { htmx: true })
    expect(panelOf(html).beers).toBe(4)
  })
})
