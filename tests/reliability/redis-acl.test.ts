import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, redisCli, startRedisServer } from '../support/redis-server.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// The least-privilege Redis user the README recommends: its own key prefix,
// plain reads, writes and scripts, nothing administrative.
const PREFIX = 'taproomacl:'
const ACL = [`~${PREFIX}*`, '-@all', '+@read', '+@write', '+@scripting', '+@connection', '+info', '+time']
let redis: RedisServer
let t: TestApp

beforeAll(async () => {
  redis = await startRedisServer()
  expect((await redisCli(redis.port, 'ACL', 'SETUSER', 'taproom', 'on', '>acl-test-password', ...ACL)).trim()).toBe(
    'OK',
  )
  t = await createTestApp('acl', {
    REDIS_URL: `redis://taproom:acl-test-password@127.0.0.1:${redis.port}`,
    REDIS_PREFIX: PREFIX,
    REDIS_CLUSTER_NODES: '',
  })
})

afterAll(async () => {
  await t.cleanup()
  await redis.stop()
})

describe('a Redis user limited to the prefix', () => {
  test('is enough for every session operation, the throttle and readiness', async () => {
    const email = 'acl@example.com'
    await t.services.users.create(email, await t.services.hasher.hash('least privilege'), { verifiedAt: new Date() })
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    expect((await browser.post('/login', { email, password: 'wrong password' })).response.status).toBe(401)
    expect((await browser.post('/login', { email, password: 'least privilege' })).response.status).toBe(303)
    await browser.get('/')
    const { html } = await browser.post('/beer', {}, { htmx: true })
    expect(panelOf(html)).toMatchObject({ beers: 1, email })
    expect((await browser.get('/account/sessions')).response.status).toBe(200)
    expect((await browser.post('/logout')).response.status).toBe(303)
    expect((await t.app.request('/readyz')).status).toBe(200)
    expect(t.errors).toEqual([])
  })

  test('the same user cannot touch a key outside the prefix', async () => {
    await expect(t.redis.set('elsewhere:key', '1')).rejects.toThrow(/NOPERM/)
  })
})
