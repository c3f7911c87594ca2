import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { roundTrips } from './support/redis-stats.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp

beforeAll(async () => {
  t = await createTestApp('session', { SESSION_IDLE_SECONDS: '4' })
})
afterAll(() => t.cleanup())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a first visit', () => {
  test('gets a session, shown by its public ID, in a hardened cookie', async () => {
    const browser = new TestBrowser(t.app)
    const { response, html } = await browser.get('/')
    expect(response.status).toBe(200)
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('taproom_session='))!
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).toContain('Path=/')
    expect(cookie).not.toContain('Secure')
    const panel = panelOf(html)
    expect(panel.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(panel.expiresIn).toBe(4)
    expect(panel.beers).toBe(0)
    expect(html).toContain('No beers viewed yet in this session.')
    expect(html).toContain('Not logged in')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  test('stores only a hash of the token: nothing in the cookie appears in Redis', async () => {
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/')
    const cookieValue = browser.cookies.get('taproom_session')!
    const token = cookieValue.split('.')[0]!
    const { sessionId } = panelOf(html)
    expect(html).not.toContain(token)
    const key = await t.sessionKey(sessionId)
    expect(await t.redis.exists(key)).toBe(1)
    for (const stored of await t.keys()) {
      expect(stored).not.toContain(token)
      const type = await t.redis.type(stored)
      const values = type === 'hash' ? await t.redis.hgetall(stored) : {}
      expect(JSON.stringify(values)).not.toContain(token)
    }
    const ttl = await t.redis.pttl(key)
    expect(ttl).toBeGreaterThan(3000)
    expect(ttl).toBeLessThanOrEqual(4000)
  })
})

describe('a returning visitor', () => {
  test('keeps the same session, gets no new cookie and costs one Redis round trip', async () => {
    const browser = new TestBrowser(t.app)
    const first = panelOf((await browser.get('/')).html)
    let response!: Response
    let html = ''
    const trips = await roundTrips(t.redis, async () => {
      ;({ response, html } = await browser.get('/'))
    })
    expect(trips).toBe(1)
    expect(panelOf(html).sessionId).toBe(first.sessionId)
    expect(response.headers.getSetCookie().some((line) => line.startsWith('taproom_session='))).toBe(false)
  })

  test('a page view that changes nothing does not rewrite the session', async () => {
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    const key = await t.sessionKey(sessionId)
    const before = await t.redis.hgetall(key)
    const ttlBefore = await t.redis.pttl(key)
    await browser.get('/')
    expect(await t.redis.hgetall(key)).toEqual(before)
    // Within the first half of the idle period the TTL is left alone.
    expect(await t.redis.pttl(key)).toBeLessThanOrEqual(ttlBefore)
  })
})

describe('idle timeout', () => {
  test('activity slides the expiry once enough of it has passed; the panel shows the true TTL', async () => {
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    const key = await t.sessionKey(sessionId)
    await sleep(2100)
    const peek = panelOf((await browser.get('/session')).html)
    expect(peek.expiresIn).toBeLessThanOrEqual(2)
    expect(await t.redis.pttl(key)).toBeLessThan(2000)
    const view = panelOf((await browser.get('/')).html)
    expect(view.sessionId).toBe(sessionId)
    expect(view.expiresIn).toBe(4)
    const ttl = await t.redis.pttl(key)
    expect(ttl).toBeGreaterThan(3500)
    expect(Math.abs(view.expiresAt - (Date.now() + ttl))).toBeLessThan(1000)
  })

  test('GET /session reads without extending and without creating', async () => {
    const stranger = new TestBrowser(t.app)
    const before = (await t.keys()).length
    const { response, html } = await stranger.get('/session')
    expect(response.status).toBe(200)
    expect(html).not.toContain('<html')
    expect(response.headers.getSetCookie()).toEqual([])
    expect((await t.keys()).length).toBe(before)
  })

  test('an idle session expires and is replaced, with a notice', async () => {
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    await sleep(4200)
    const { html } = await browser.get('/')
    expect(panelOf(html).sessionId).not.toBe(sessionId)
    expect(html).toContain('Your session expired — a new one started.')
  })
})

describe('cookies a stranger sends', () => {
  const cases: Record<string, string> = {
    garbage: 'taproom_session=%%%not-a-token%%%',
    'valid shape, forged signature': `taproom_session=${'A'.repeat(32)}.${'B'.repeat(22)}`,
    'wrongly encoded': 'taproom_session=%E0%A4%A',
    empty: 'taproom_session=',
  }
  for (const [name, cookie] of Object.entries(cases)) {
    test(`${name}: treated as no session and replaced, never an error`, async () => {
      let response!: Response
      const trips = await roundTrips(t.redis, async () => {
        response = await t.app.request('/session', { headers: { cookie } })
      })
      expect(response.status).toBe(200)
      expect(trips).toBe(0)
      const page = await t.app.request('/', { headers: { cookie } })
      expect(page.status).toBe(200)
      expect(page.headers.getSetCookie().some((line) => line.startsWith('taproom_session='))).toBe(true)
    })
  }

  test('a session cookie sent twice gets a clear 400, not a silent logout, and its session lives on', async () => {
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    const value = browser.cookies.get('taproom_session')!
    const response = await t.app.request('/', {
      headers: { cookie: `taproom_session=${value}; taproom_session=planted-by-a-sibling` },
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('two session cookies')
    expect(response.headers.getSetCookie()).toEqual([])
    expect(panelOf((await browser.get('/')).html).sessionId).toBe(sessionId!)
  })

  test('a Cookie header over 8 KB gets a clear 400, and costs no Redis command', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const value = browser.cookies.get('taproom_session')!
    let response!: Response
    const trips = await roundTrips(t.redis, async () => {
      response = await t.app.request('/', { headers: { cookie: `taproom_session=${value}; big=${'x'.repeat(8200)}` } })
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('more than 8 KB of cookies')
    expect(trips).toBe(0)
  })

  test('a tampered token (one character changed) is rejected', async () => {
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    const value = browser.cookies.get('taproom_session')!
    const tampered = (value[0] === 'A' ? 'B' : 'A') + value.slice(1)
    const response = await t.app.request('/', { headers: { cookie: `taproom_session=${tampered}` } })
    expect(panelOf(await response.text()).sessionId).not.toBe(sessionId)
  })
})

describe('requests that need no session', () => {
  test('static files and /healthz cost zero Redis commands, with or without a session', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const trips = await roundTrips(t.redis, async () => {
      for (const path of [
        '/healthz',
        '/static/styles.css',
        '/static/htmx.min.js',
        '/static/app.js',
        '/static/nope.js',
      ]) {
        const response = await browser.request(path)
        expect(response.status).toBe(path === '/static/nope.js' ? 404 : 200)
        await response.arrayBuffer()
      }
    })
    expect(trips).toBe(0)
  })

  test('an unknown path costs nothing without a session, and one read (for the nav) with one', async () => {
    const stranger = await roundTrips(t.redis, async () => {
      expect((await t.app.request('/no-such-page')).status).toBe(404)
    })
    expect(stranger).toBe(0)
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    const before = await t.redis.hgetall(await t.sessionKey(sessionId))
    const visitor = await roundTrips(t.redis, async () => {
      expect((await browser.request('/no-such-page')).status).toBe(404)
    })
    expect(visitor).toBe(1)
    expect(await t.redis.hgetall(await t.sessionKey(sessionId))).toEqual(before)
  })
})
