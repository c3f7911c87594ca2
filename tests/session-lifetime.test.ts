import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SessionTokens } from '../src/session/token.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { roundTrips } from './support/redis-stats.ts'
import { createTestApp, TEST_SECRET, type TestApp } from './support/test-app.ts'

let t: TestApp

beforeAll(async () => {
  t = await createTestApp('lifetime', { SESSION_ABSOLUTE_SECONDS: '7200', SESSION_IDLE_SECONDS: '1800' })
})
afterAll(() => t.cleanup())

describe('absolute timeout', () => {
  test('a session ends at its absolute deadline even while active, and the user sees they were logged out', async () => {
    const email = 'marathon@example.com'
    await t.services.users.create(email, await t.services.hasher.hash('all day long'), { verifiedAt: new Date() })
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    expect((await browser.post('/login', { email, password: 'all day long' })).response.status).toBe(303)
    const { html } = await browser.get('/')
    const { sessionId } = panelOf(html)
    expect(panelOf(html).email).toBe(email)
    for (let step = 0; step < 4; step++) {
      await t.age(sessionId!, 30 * 60 * 1000 - 1000)
      expect(panelOf((await browser.get('/')).html).sessionId).toBe(sessionId)
    }
    await t.age(sessionId!, 5 * 60 * 1000)
    const after = await browser.get('/')
    expect(panelOf(after.html).sessionId).not.toBe(sessionId)
    expect(after.html).toContain('Your session expired — a new one started.')
    expect(after.html).toContain('Not logged in')
    expect(panelOf(after.html).email).toBeUndefined()
    expect(await t.redis.exists(await t.sessionKey(sessionId))).toBe(0)
  })

  test('the idle expiry never reaches past the absolute deadline', async () => {
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/')
    const { sessionId } = panelOf(html)
    await t.age(sessionId!, 7200 * 1000 - 10 * 60 * 1000)
    const view = panelOf((await browser.get('/')).html)
    expect(view.sessionId).toBe(sessionId)
    expect(view.expiresIn).toBeLessThanOrEqual(600)
    expect(await t.redis.pttl(await t.sessionKey(sessionId))).toBeLessThanOrEqual(600_000)
  })
})

describe('secret rotation', () => {
  test('cookies signed with an older secret still work; new ones are signed with the first', () => {
    const old = new SessionTokens(['old-secret-old-secret-old-secret-0'])
    const rotated = new SessionTokens(['new-secret-new-secret-new-secret-1', 'old-secret-old-secret-old-secret-0'])
    const retired = new SessionTokens(['new-secret-new-secret-new-secret-1'])
    const issued = old.create()
    expect(rotated.verify(issued.cookieValue)?.id).toBe(issued.id)
    expect(retired.verify(issued.cookieValue)).toBeNull()
    expect(rotated.verifyCsrfToken(issued.id, old.csrfTokenFor(issued.id))).toBe(true)
    expect(retired.verifyCsrfToken(issued.id, old.csrfTokenFor(issued.id))).toBe(false)
    const fresh = rotated.create()
    expect(retired.verify(fresh.cookieValue)?.id).toBe(fresh.id)
  })

  test('an app restarted with a rotated SESSION_SECRET keeps everyone logged in', async () => {
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/')
    const { sessionId } = panelOf(html)
    const restarted = await createTestApp('lifetime-rotated', {
      SESSION_SECRET: `brand-new-secret-0123456789abcdef, ${TEST_SECRET}`,
      REDIS_PREFIX: t.config.redis.prefix,
    })
    try {
      const again = new TestBrowser(restarted.app)
      for (const [name, value] of browser.cookies) again.cookies.set(name, value)
      expect(panelOf((await again.get('/')).html).sessionId).toBe(sessionId)
      expect((await again.post('/beer', { _csrf: browser.csrfToken })).response.status).toBe(303)
    } finally {
      await restarted.closeKeepingKeys()
    }
  })

  test('a cookie that fails the signature check costs no Redis command', async () => {
    const forged = new SessionTokens(['attacker-secret-attacker-secret-00']).create()
    let response!: Response
    const trips = await roundTrips(t.redis, async () => {
      response = await t.app.request('/session', { headers: { cookie: `taproom_session=${forged.cookieValue}` } })
    })
    expect(response.status).toBe(200)
    expect(trips).toBe(0)
  })
})
