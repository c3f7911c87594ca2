import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Hono } from 'hono'
import { getConnInfo } from 'hono/bun'
import { createApp } from '../../src/app.ts'
import { createAuditLog } from '../../src/audit.ts'
import { prepare } from '../../src/boot.ts'
import { createServices, type Services } from '../../src/deps.ts'
import { parseEnv } from '../../src/env.ts'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { dropDatabase, isolation, redisEnv, scanKeys, SERVER_URL, TEST_SECRET, WORKER_URL } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// Two app instances, each with its own connections, served on their own
// ports, sharing one Redis prefix and one database, as behind a load balancer.
const { prefix, database } = isolation('twoinstances')
const EMAIL = 'twice@example.com'
const PASSWORD = 'one app, two doors'

type Instance = { url: string; services: Services; close(): Promise<void> }

async function startInstance(): Promise<Instance> {
  const config = parseEnv({
    NODE_ENV: 'test',
    DATABASE_URL: `${SERVER_URL}/${database}`,
    REDIS_PREFIX: prefix,
    SESSION_SECRET: TEST_SECRET,
    BCRYPT_COST: '4',
    BCRYPT_WORKERS: '1',
    ...redisEnv(),
  })
  const services = createServices(config, {
    workerUrl: WORKER_URL,
    socketAddress: (c) => getConnInfo(c).remote.address,
    audit: createAuditLog(() => {}),
    logError: () => {},
  })
  await prepare(config, services)
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: createApp(services.deps).fetch })
  return {
    url: `http://127.0.0.1:${server.port}`,
    services,
    async close() {
      await server.stop(true)
      await services.close()
    },
  }
}

let a: Instance
let b: Instance

beforeAll(async () => {
  // Both start at once on an empty database, as a fresh deployment does.
  ;[a, b] = await Promise.all([startInstance(), startInstance()])
  await a.services.users.create(EMAIL, await a.services.hasher.hash(PASSWORD))
})

afterAll(async () => {
  const keys = await scanKeys(a.services.redis, `${prefix}*`)
  await Promise.all(keys.map((key) => a.services.redis.del(key)))
  await Promise.all([a.close(), b.close()])
  await dropDatabase(database)
})

/** One browser (one cookie jar) whose requests go to whichever instance `via` names. */
function balancedBrowser() {
  let target = a
  const browser = new TestBrowser({
    request: ((path: string, init?: RequestInit) => fetch(target.url + path, { ...init, redirect: 'manual' })) as Hono['request'],
  })
  return {
    browser,
    via(instance: Instance) {
      target = instance
      return browser
    },
  }
}

describe('two instances sharing Redis and MySQL', () => {
  test('log in on one, the other sees it; log out on the second, the first sees it', async () => {
    const { via } = balancedBrowser()
    await via(a).get('/login')
    expect((await via(a).post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(303)
    const onA = panelOf((await via(a).get('/')).html)
    const onB = panelOf((await via(b).get('/')).html)
    expect(onA.email).toBe(EMAIL)
    expect(onB).toMatchObject({ email: EMAIL, sessionId: onA.sessionId })

    expect((await via(b).post('/logout')).response.status).toBe(303)
    const { html } = await via(a).get('/')
    expect(html).toContain('Not logged in')
    expect(panelOf(html).sessionId).not.toBe(onA.sessionId)
  })

  test('a cookie logged out on one instance is dead on the other', async () => {
    const { browser, via } = balancedBrowser()
    await via(b).get('/login')
    await via(b).post('/login', { email: EMAIL, password: PASSWORD })
    const stale = new Map(browser.cookies)
    await via(b).get('/')
    await via(a).post('/logout')
    for (const [name, value] of stale) browser.cookies.set(name, value)
    const replay = panelOf((await via(b).get('/')).html)
    expect(replay.email).toBeUndefined()
  })

  test('pours alternating between the instances count exactly, one at a time and all at once', async () => {
    const { via } = balancedBrowser()
    await via(a).get('/')
    for (let i = 1; i <= 10; i++) {
      const { html } = await via(i % 2 ? a : b).post('/beer', {}, { htmx: true })
      expect(panelOf(html).beers).toBe(i)
    }
    const concurrent = await Promise.all(
      Array.from({ length: 40 }, (_, i) => via(i % 2 ? a : b).post('/beer', {}, { htmx: true })),
    )
    expect(concurrent.map(({ html }) => panelOf(html).beers).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 11),
    )
    expect(panelOf((await via(b).get('/session')).html).beers).toBe(50)
  })
})
