import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { REPLACED_MARK } from '../src/session/fields.ts'
import { RedisSessionStore } from '../src/session/redis-store.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('replaced')
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  const email = `replaced${++counter}@example.com`
  return t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
}

/** A copy of the browser as it was: a request it sent before the answer that changed its cookie arrived. */
function inFlight(browser: TestBrowser): TestBrowser {
  const copy = new TestBrowser(t.app)
  for (const [name, value] of browser.cookies) copy.cookies.set(name, value)
  copy.csrfToken = browser.csrfToken
  return copy
}

const sessionCookieOf = (response: Response) =>
  response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${t.services.deps.sessions.cookieName}=`))

async function login(browser: TestBrowser, email: string): Promise<void> {
  await browser.get('/login')
  expect((await browser.post('/login', { email, password: PASSWORD })).response.status).toBe(303)
}

describe('a request sent with the cookie a new session has just replaced', () => {
  test('a page view is served without a session of its own: no cookie, so the browser stays signed in', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    const visitorId = panelOf((await browser.get('/')).html).sessionId!
    const before = inFlight(browser)
    await login(browser, user.email)

    const { response, html } = await before.get('/')
    expect(response.status).toBe(200)
    expect(sessionCookieOf(response)).toBeUndefined()
    // Shown as a visitor, under an ID that is neither the old one nor stored anywhere.
    const shown = panelOf(html)
    expect(shown.email).toBeUndefined()
    expect(shown.sessionId).not.toBe(visitorId)
    expect(await t.redis.exists(await t.sessionKey(shown.sessionId))).toBe(0)
    // The old key holds only the marker, for seconds.
    const oldKey = await t.sessionKey(visitorId)
    expect(Object.keys(await t.redis.hgetall(oldKey))).toEqual([REPLACED_MARK])
    const ttl = await t.redis.pttl(oldKey)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(10_000)

    expect(panelOf((await browser.get('/')).html).email).toBe(user.email)
  })

  test('a pour with its token is refused as a stale token: nothing counted, no cookie, and the new session pours', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const before = inFlight(browser)
    await login(browser, user.email)

    const { response } = await before.post('/beer', {}, { htmx: true })
    expect(response.status).toBe(403)
    expect(response.headers.get('x-csrf-refused')).toBe('token')
    expect(sessionCookieOf(response)).toBeUndefined()

    const { html } = await browser.get('/')
    expect(panelOf(html).beers).toBe(0)
    expect((await browser.post('/beer', {}, { htmx: true })).response.status).toBe(200)
    expect(panelOf((await browser.get('/')).html).beers).toBe(1)
  })

  test('after "Confirm it\'s you" renews the session, the old cookie starts no session either', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await login(browser, user.email)
    await browser.get('/account/confirm')
    const before = inFlight(browser)
    const { response } = await browser.post('/account/confirm', { password: PASSWORD, next: '/account/sessions' })
    expect(response.status).toBe(303)

    const stale = await before.get('/')
    expect(stale.response.status).toBe(200)
    expect(sessionCookieOf(stale.response)).toBeUndefined()
    expect(panelOf(stale.html).email).toBeUndefined()
    const logout = await before.post('/logout')
    expect(logout.response.status).toBe(403)
    expect(sessionCookieOf(logout.response)).toBeUndefined()

    expect(panelOf((await browser.get('/')).html).email).toBe(user.email)
  })

  test('"Confirm it\'s you" sent twice at once: one renews, the other is refused as a stale token, and neither logs the browser out', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await login(browser, user.email)
    await browser.get('/account/confirm')
    const tabs = [inFlight(browser), inFlight(browser)]
    const answers = await Promise.all(
      tabs.map((tab) => tab.post('/account/confirm', { password: PASSWORD, next: '/account/sessions' })),
    )
    const statuses = answers.map(({ response }) => response.status).sort()
    expect(statuses).toEqual([303, 403])
    const refused = answers.find(({ response }) => response.status === 403)!.response
    expect(refused.headers.get('x-csrf-refused')).toBe('token')
    expect(sessionCookieOf(refused)).toBeUndefined()
    // One cookie jar in a real browser: it holds what the renewal set, and nothing replaced it.
    const renewed = tabs[answers.findIndex(({ response }) => response.status === 303)]!
    expect(panelOf((await renewed.get('/')).html).email).toBe(user.email)
  })

  test('revoking an ID a password change replaced moments ago ends nothing and audits nothing', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await login(browser, user.email)
    const oldId = panelOf((await browser.get('/')).html).sessionId!
    await browser.get('/account/password')
    const changed = await browser.post('/account/password', {
      current_password: PASSWORD,
      new_password: 'a brand new passphrase',
      new_password_confirm: 'a brand new passphrase',
    })
    expect(changed.response.status).toBe(303)
    await browser.get('/account/sessions')
    const { response } = await browser.post(`/account/sessions/${oldId}/revoke`, {}, { htmx: true })
    expect(response.status).toBe(404)
    expect(t.audit.filter((entry) => entry.event === 'session_revoked' && entry.sessionId === oldId)).toEqual([])
    expect(await t.onlyReplacedMark(oldId)).toBe(true)
  })

  test('once the marker is gone the old cookie is an ended session again: a new visitor session, with the notice', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    const visitorId = panelOf((await browser.get('/')).html).sessionId!
    const before = inFlight(browser)
    await login(browser, user.email)
    await t.redis.del(await t.sessionKey(visitorId))

    const { response, html } = await before.get('/')
    expect(sessionCookieOf(response)).toBeDefined()
    expect(html).toContain('Your session expired')
  })

  test('a logout leaves no marker: the old cookie then gets a new session as any ended one does', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await login(browser, user.email)
    const signedInId = panelOf((await browser.get('/')).html).sessionId!
    const before = inFlight(browser)
    expect((await browser.post('/logout')).response.status).toBe(303)

    expect(await t.redis.exists(await t.sessionKey(signedInId))).toBe(0)
    const { response } = await before.get('/')
    expect(sessionCookieOf(response)).toBeDefined()
  })
})

describe('the replaced marker in the store', () => {
  test('reads as replaced, and neither update nor take turns it back into a session', async () => {
    const store = new RedisSessionStore(t.redis, t.config.redis.prefix, {
      idleMs: 60_000,
      absoluteMs: 600_000,
      maxSessionsPerUser: 10,
      localClock: () => performance.now(),
    })
    const id = `marker-${crypto.randomUUID()}`
    await store.create(id, { beers: 3 }, 60_000)
    expect(await store.take({ id }, { replacing: true })).toMatchObject({ beers: 3 })

    expect(await store.read({ id })).toMatchObject({ session: null, replaced: true })
    expect(await store.touch({ id }, { consumeFlash: true, increment: 'beers' })).toEqual({ status: 'replaced' })
    expect(await store.update({ id }, { flash: 'hello' })).toBe(false)
    expect(await store.take({ id }, { replacing: true })).toBe('replaced')
    const key = `${t.config.redis.prefix}s:${id}`
    expect(Object.keys(await t.redis.hgetall(key))).toEqual([REPLACED_MARK])
    await t.redis.del(key)
  })
})
