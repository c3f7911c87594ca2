import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Hono } from 'hono'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { verificationLinkFrom } from '../support/outbox.ts'
import { freePort } from '../support/redis-server.ts'
import { type ServerProcess, startServerProcess } from '../support/server-process.ts'
import { dropIsolation, isolation, redisEnv, SERVER_URL } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// Two app processes on their own ports, sharing one Redis prefix and one
// database, as behind a load balancer.
const { prefix, database } = isolation('twoinstances')
const EMAIL = 'twice@example.com'
const PASSWORD = 'quartz lanterns drift over harbour'

let a: ServerProcess
let b: ServerProcess

beforeAll(async () => {
  // Both start at once on an empty database, as a fresh deployment does.
  const env = { REDIS_PREFIX: prefix, DATABASE_URL: `${SERVER_URL}/${database}`, ...redisEnv() }
  ;[a, b] = await Promise.all([freePort(), freePort()]).then(([portA, portB]) => [
    startServerProcess(portA, env),
    startServerProcess(portB, env),
  ])
  await Promise.all([a.waitUntilReady(30_000), b.waitUntilReady(30_000)])
  const { via } = balancedBrowser()
  await via(b).get('/signup')
  const signup = await via(b).post('/signup', { email: EMAIL, password: PASSWORD, password_confirm: PASSWORD })
  expect(signup.response.status).toBe(200)
  // Either instance's worker may have sent the verification mail: look in both outboxes.
  expect((await via(a).get(await verificationLinkFrom([a.url, b.url]))).response.status).toBe(303)
})

afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()])
  await dropIsolation({ prefix, database })
})

/** One browser (one cookie jar) whose requests go to whichever instance `via` names. */
function balancedBrowser() {
  let target: ServerProcess = a
  const browser = new TestBrowser({
    request: ((path: string, init?: RequestInit) =>
      fetch(target.url + path, { ...init, redirect: 'manual' })) as Hono['request'],
  })
  return {
    browser,
    via(instance: ServerProcess) {
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
