import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createApp } from '../src/app.ts'
import { redisSessionStore } from '../src/session/redis-store.ts'
import { createSessions } from '../src/session/sessions.ts'
import type { SessionStore, StoreFactory } from '../src/session/store.ts'
import { ServiceUnavailableError } from '../src/unavailable.ts'
import { TestBrowser } from './support/browser.ts'
import { captureLogs, createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp

beforeAll(async () => {
  t = await createTestApp('errors')
})
afterAll(() => t.cleanup())

/** The test app's sessions over its real Redis store, with the named store calls failing the way `failure` says. */
function sessionsFailing(names: (keyof SessionStore)[], failure: () => Error) {
  const real = redisSessionStore(t.redis, { prefix: t.config.redis.prefix })
  const failing: StoreFactory = (policy) => {
    const store = real(policy)
    return new Proxy(store, {
      get: (target, name: keyof SessionStore) =>
        names.includes(name)
          ? async () => {
              throw failure()
            }
          : target[name].bind(target),
    })
  }
  return createSessions({ store: failing, secrets: t.config.session.secrets })
}

/** The same app over a session store whose touch() and create() fail the way `failure` says. */
function appWithFailingStore(failure: () => Error) {
  const { logger, errors } = captureLogs()
  const app = createApp({ ...t.services.deps, sessions: sessionsFailing(['touch', 'create'], failure), logger })
  return { app, errors }
}

describe('error pages', () => {
  test('unknown path → 404 page', async () => {
    const response = await t.app.request('/definitely/not/here')
    expect(response.status).toBe(404)
    const html = await response.text()
    expect(html).toContain('<html')
    expect(html).toContain('There is no page at this address.')
  })

  test('error pages keep the nav: Log In for visitors, Log Out for a logged-in user', async () => {
    const visitor = new TestBrowser(t.app)
    await visitor.get('/')
    const anonymous = (await visitor.get('/no/such/page')).html
    expect(anonymous).toContain('href="/login"')
    expect(anonymous).not.toContain('action="/logout"')

    const email = 'lost@example.com'
    await t.services.users.create(email, await t.services.hasher.hash('wandering around'), { verifiedAt: new Date() })
    const user = new TestBrowser(t.app)
    await user.get('/login')
    await user.post('/login', { email, password: 'wandering around' })
    const { response, html } = await user.get('/no/such/page')
    expect(response.status).toBe(404)
    expect(html).toContain('action="/logout"')
    expect(html).not.toContain('href="/login"')
  })

  test('an unexpected error → 500 page without stack or internals; logged with its request id', async () => {
    const { app, errors } = appWithFailingStore(() => new Error('secret internal detail at /srv/app.ts:12'))
    const response = await app.request('/')
    expect(response.status).toBe(500)
    const html = await response.text()
    expect(html).toContain('Something went wrong on our side.')
    expect(html).not.toContain('secret internal detail')
    expect(html).not.toContain('.ts:')
    const requestId = response.headers.get('x-request-id')!
    expect(html).toContain(requestId)
    expect(errors.some((line) => line.includes(requestId) && line.includes('secret internal detail'))).toBe(true)
  })

  test('Redis unreachable → 503 page with Retry-After', async () => {
    const { app } = appWithFailingStore(() => new ServiceUnavailableError('redis', new Error('Connection is closed.')))
    const response = await app.request('/')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    expect(await response.text()).toContain('The session store is temporarily unavailable.')
  })

  test('a login whose sign-in fails in Redis leaves no signed-in session behind, and clears the cookie of the session it replaced', async () => {
    const sessions = sessionsFailing(
      ['signIn'],
      () => new ServiceUnavailableError('redis', new Error('Connection is closed.')),
    )
    const app = createApp({ ...t.services.deps, sessions })
    const email = 'unindexed@example.com'
    const user = await t.services.users.create(email, await t.services.hasher.hash('half way there'), {
      verifiedAt: new Date(),
    })
    const browser = new TestBrowser(app)
    await browser.get('/login')
    const { response } = await browser.post('/login', { email, password: 'half way there' })
    expect(response.status).toBe(503)
    const sessionCookies = response.headers.getSetCookie().filter((line) => line.startsWith('taproom_session='))
    expect(sessionCookies.at(-1)).toContain('Max-Age=0')
    for (const key of await t.keys()) {
      if (key.includes(':s:')) expect(await t.redis.hget(key, 'u')).not.toBe(user.id)
    }
  })

  test('htmx requests get a fragment, not a whole page, for errors', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const { response, html } = await browser.post('/beer', { _csrf: 'wrong' }, { htmx: true })
    expect(response.status).toBe(403)
    expect(html).not.toContain('<html')
    expect(html).toContain('Reload the page and try again.')
  })

  test('if no beer can be made, the page says so like the original', async () => {
    const app = createApp({ ...t.services.deps, pourBeer: () => Promise.reject(new Error('generator down')) })
    const browser = new TestBrowser(app)
    await browser.get('/')
    const { response, html } = await browser.post('/beer', {}, { htmx: true })
    expect(response.status).toBe(200)
    expect(html).toContain('Error, please try again')
  })

  test('without JavaScript, a pour from How it works that made no beer goes home, which says so', async () => {
    const app = createApp({ ...t.services.deps, pourBeer: () => Promise.reject(new Error('generator down')) })
    const browser = new TestBrowser(app)
    await browser.get('/how-it-works')
    const { response } = await browser.post('/beer', { back: '/how-it-works' })
    expect(response.headers.get('location')).toBe('/')
    expect((await browser.get('/')).html).toContain('Error, please try again')
  })
})

describe('health', () => {
  test('/healthz → 200; /readyz → 200 naming each check', async () => {
    expect((await t.app.request('/healthz')).status).toBe(200)
    const ready = await t.app.request('/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', mysql: 'ok' } })
  })

  test('/readyz → 503 naming the failing check', async () => {
    const app = createApp({
      ...t.services.deps,
      readiness: { ...t.services.deps.readiness, mysql: () => Promise.reject(new Error('down')) },
    })
    const response = await app.request('/readyz')
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ status: 'not ready', checks: { redis: 'ok', mysql: 'unavailable' } })
  })
})
