import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { ServiceUnavailableError } from '../../src/unavailable.ts'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { waitFor } from '../support/redis-server.ts'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts'
import { createTestApp, dropDatabase, isolation, type TestApp } from '../support/test-app.ts'
import { databaseUrlVia, mysqlAddress } from './support/services.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// The app reaches MariaDB only through a proxy this file switches off.
let t: TestApp
let mysql: TcpProxy
const { database } = isolation('mysqldown')
const EMAIL = 'outage@example.com'
const PASSWORD = 'still pouring'

beforeAll(async () => {
  mysql = await startTcpProxy(mysqlAddress())
  // As many logins in flight as the pool has connections (see the hang test below).
  t = await createTestApp('mysqldown', { DATABASE_URL: databaseUrlVia(mysql, database), LOGIN_MAX_CONCURRENT: '10' })
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})

afterAll(async () => {
  await mysql.start()
  await t.cleanup()
  await mysql.stop()
  await dropDatabase(database)
})

const POOL_SIZE = 10

/** Opens every connection the pool may hold, as a busy app has when MySQL hangs. */
async function fillPool() {
  await Promise.all(Array.from({ length: POOL_SIZE }, () => t.services.database.pool.query('SELECT SLEEP(0.05)')))
}

/** Readiness once it answers `status`: its answer is reused for up to a second, so a change shows within about two. */
async function readinessBecomes(status: number): Promise<Response> {
  let last = await t.app.request('/readyz')
  await waitFor(
    `/readyz to answer ${status}`,
    async () => {
      last = await t.app.request('/readyz')
      return last.status === status
    },
    2500,
  )
  return last
}

async function loggedIn() {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
  expect(response.status).toBe(303)
  await browser.get('/')
  return browser
}

describe('MySQL down', () => {
  test('logged-in users keep pouring and seeing their panel; login says "temporarily unavailable" on the form', async () => {
    const user = await loggedIn()
    await user.post('/beer', {}, { htmx: true })
    const visitor = new TestBrowser(t.app)
    await visitor.get('/login')

    await mysql.stop()
    try {
      const home = await user.get('/')
      expect(home.response.status).toBe(200)
      expect(home.html).toContain(`Logged in as: ${EMAIL}`)
      const pours = await Promise.all(Array.from({ length: 5 }, () => user.post('/beer', {}, { htmx: true })))
      expect(pours.map(({ response }) => response.status)).toEqual([200, 200, 200, 200, 200])
      expect(pours.map(({ html }) => panelOf(html).beers).sort()).toEqual([2, 3, 4, 5, 6])
      const panel = await user.get('/session')
      expect(panel.response.status).toBe(200)
      expect(panelOf(panel.html)).toMatchObject({ beers: 6, email: EMAIL })
      expect((await user.get('/account/sessions')).response.status).toBe(200)

      const started = performance.now()
      const login = await visitor.post('/login', { email: EMAIL, password: PASSWORD })
      expect(performance.now() - started).toBeLessThan(3000)
      expect(login.response.status).toBe(503)
      expect(login.response.headers.get('retry-after')).toBe('5')
      const form = login.html.match(/<form id="login-form"[\s\S]*?<\/form>/)?.[0] ?? ''
      expect(form).toContain('temporarily unavailable')
      expect(form).toContain(`value="${EMAIL}"`)
      expect(form).not.toContain(PASSWORD)
      expect(login.html).toContain('<html')

      const unavailable = t.audit.find((event) => event.event === 'login_failure' && event.reason === 'unavailable')
      expect(String(unavailable?.error)).toContain('database unavailable')

      const htmxLogin = await visitor.post('/login', { email: EMAIL, password: PASSWORD }, { htmx: true })
      expect(htmxLogin.response.status).toBe(503)
      expect(htmxLogin.html.startsWith('<form id="login-form"')).toBe(true)
      expect(htmxLogin.html).toContain('temporarily unavailable')

      // Sign-up only queues its work, which retries until MySQL is back: the
      // answer is the usual one, never a 500, and never shows the password.
      await visitor.get('/signup')
      const strong = 'quartz lanterns drift over harbour'
      const signup = await visitor.post('/signup', {
        email: 'new@example.com',
        password: strong,
        password_confirm: strong,
      })
      expect(signup.response.status).toBe(200)
      expect(signup.html).toContain('Check your inbox: we sent a link to finish signing up.')
      expect(signup.html).not.toContain(strong)

      const ready = await readinessBecomes(503)
      expect(((await ready.json()) as { checks: unknown }).checks).toEqual({ redis: 'ok', mysql: 'unavailable' })

      const logout = await user.post('/logout')
      expect(logout.response.status).toBe(303)
      expect((await user.get('/')).html).toContain('Not logged in')
    } finally {
      await mysql.start()
    }

    await waitFor(
      'logins to work again',
      async () => {
        const { response } = await visitor.post('/login', { email: EMAIL, password: PASSWORD })
        return response.status === 303
      },
      5000,
    )
    expect(panelOf((await visitor.get('/')).html).email).toBe(EMAIL)
    await readinessBecomes(200)
    expect(t.errors.some((line) => line.includes('"stack"'))).toBe(false)
  })

  test('a MySQL that stops answering: login answers 503 on the form within the 3 s query timeout, and hung connections are dropped', async () => {
    const user = await loggedIn()
    const visitor = new TestBrowser(t.app)
    await visitor.get('/login')
    const counts = async () => {
      const keys = await t.redis.keys(`${t.config.redis.prefix}rl:*`)
      return new Map(await Promise.all(keys.map(async (key) => [key, await t.redis.get(key)] as const)))
    }
    // The sign-up in the test before counted (it was answered), so compare with what was there.
    const before = await counts()

    await fillPool()
    mysql.freeze()
    try {
      // As many logins as the pool has connections, so each hung one is tried;
      // each for another email, since parallel attempts at one email are throttled.
      const started = performance.now()
      const logins = await Promise.all(
        Array.from({ length: POOL_SIZE }, (_, i) =>
          visitor.post('/login', { email: `hung${i}@example.com`, password: PASSWORD }, { htmx: true }),
        ),
      )
      expect(performance.now() - started).toBeLessThan(4500)
      for (const { response, html } of logins) {
        expect(response.status).toBe(503)
        expect(html).toContain('temporarily unavailable')
      }
      // An attempt that got no verdict does not count against the throttle.
      const after = await counts()
      expect(after.size).toBeGreaterThan(before.size)
      for (const [key, value] of after) expect([key, value]).toEqual([key, before.get(key) ?? '0'])
      expect((await user.post('/beer', {}, { htmx: true })).response.status).toBe(200)

      // New connections work again while the old ones stay hung: a login must
      // not be handed one of those.
      await mysql.start()
      const { response } = await visitor.post('/login', { email: EMAIL, password: PASSWORD })
      expect(response.status).toBe(303)
    } finally {
      mysql.thaw()
    }
  })

  test('a transaction on a MySQL that stops answering fails within the 3 s bound, and its connection is not lost to the pool', async () => {
    const user = await t.services.users.create('hung-transaction@example.com', 'x'.repeat(60), {
      verifiedAt: new Date(),
    })
    await fillPool()
    mysql.freeze()
    try {
      const started = performance.now()
      // Turning the authenticator app on is a transaction (SELECT … FOR UPDATE, then INSERT).
      const outcome = await Promise.race([
        t.services.deps.secondFactors.startEnrolment(user.id).then(
          () => 'succeeded',
          (error) => error,
        ),
        Bun.sleep(8000).then(() => 'still waiting after 8 s'),
      ])
      expect(outcome).toBeInstanceOf(ServiceUnavailableError)
      expect(performance.now() - started).toBeLessThan(4500)
    } finally {
      mysql.thaw()
    }
    await mysql.start()
    // All ten connections are usable at once: none is held by the failed transaction.
    const started = performance.now()
    await Promise.all(Array.from({ length: POOL_SIZE }, () => t.services.database.pool.query('SELECT SLEEP(1.5)')))
    expect(performance.now() - started).toBeLessThan(2500)
    expect(await t.services.deps.secondFactors.startEnrolment(user.id)).toMatch(/^[A-Z2-7]{32}$/)
  })

  test('readiness checks during the hang answer 503 in about a second and do not use up the pool', async () => {
    const visitor = new TestBrowser(t.app)
    await visitor.get('/login')
    await fillPool()
    mysql.freeze()
    try {
      // An answer from before the hang may be reused for up to a second.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const started = performance.now()
      const checks = await Promise.all(Array.from({ length: POOL_SIZE + 2 }, () => t.app.request('/readyz')))
      expect(checks.map((check) => check.status)).toEqual(Array.from({ length: POOL_SIZE + 2 }, () => 503))
      expect(performance.now() - started).toBeLessThan(2000)
    } finally {
      mysql.thaw()
    }
    await mysql.start()
    const { response } = await visitor.post('/login', { email: EMAIL, password: PASSWORD })
    expect(response.status).toBe(303)
  })
})
