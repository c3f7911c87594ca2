import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

// A visitor's session costs Redis memory until it expires, so a client that
// never returns its cookie (a script) may only make a few, and each lives
// briefly until the browser shows it keeps cookies.
let t: TestApp

beforeAll(async () => {
  t = await createTestApp('anonymous', { NEW_SESSIONS_PER_IP_PER_MINUTE: '5' })
})
afterAll(() => t.cleanup())

const sessionCookieOf = (response: Response) =>
  response.headers.getSetCookie().find((line) => line.startsWith(`${t.services.sessions.cookieName}=`))

describe('a new visitor', () => {
  test('gets a short first TTL, slid to the full idle time once the browser sends the cookie back', async () => {
    t.setSocketAddress('192.0.2.10')
    const browser = new TestBrowser(t.app)
    const first = panelOf((await browser.get('/')).html)
    const key = await t.sessionKey(first.sessionId)
    expect(await t.redis.pttl(key)).toBeLessThanOrEqual(t.config.session.firstVisitSeconds * 1000)
    expect(first.expiresIn).toBeLessThanOrEqual(t.config.session.firstVisitSeconds)
    const back = panelOf((await browser.get('/')).html)
    expect(back.sessionId).toBe(first.sessionId!)
    expect(await t.redis.pttl(key)).toBeGreaterThan((t.config.session.idleSeconds - 5) * 1000)
    expect(back.expiresIn).toBeGreaterThan(t.config.session.idleSeconds - 5)
  })

  test('the cookie outlives the absolute deadline by an hour, so the first request after any expiry can say so', async () => {
    t.setSocketAddress('192.0.2.11')
    const response = await t.app.request('/')
    const maxAge = Number(/Max-Age=(\d+)/.exec(sessionCookieOf(response)!)?.[1])
    expect(maxAge).toBeGreaterThanOrEqual(t.config.session.absoluteSeconds + 3600)
  })
})

describe('new sessions per client address', () => {
  test('past the limit a client still gets the page, without a new session in Redis or a cookie', async () => {
    t.setSocketAddress('198.51.100.7')
    const before = (await t.keys()).length
    const answers = await Promise.all(Array.from({ length: 12 }, () => t.app.request('/')))
    expect(answers.map((response) => response.status)).toEqual(answers.map(() => 200))
    const withCookie = answers.filter((response) => sessionCookieOf(response) !== undefined)
    expect(withCookie.length).toBe(5)
    for (const response of answers) expect(await response.text()).toContain('id="session-panel"')
    expect((await t.keys()).length - before).toBe(5)

    // Another address is counted on its own; an IPv6 client by its /64.
    t.setSocketAddress('198.51.100.8')
    expect(sessionCookieOf(await t.app.request('/'))).toBeDefined()
    t.setSocketAddress('2001:db8:1:2::1')
    for (let i = 0; i < 5; i++) expect(sessionCookieOf(await t.app.request('/'))).toBeDefined()
    t.setSocketAddress('2001:db8:1:2:ffff::9')
    expect(sessionCookieOf(await t.app.request('/'))).toBeUndefined()
  })

  test('a returning browser is not counted: its session lives on whatever its address did', async () => {
    t.setSocketAddress('203.0.113.5')
    const browser = new TestBrowser(t.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    for (let i = 0; i < 10; i++) await t.app.request('/')
    expect(panelOf((await browser.get('/')).html).sessionId).toBe(sessionId!)
    expect((await browser.post('/beer', {}, { htmx: true })).response.status).toBe(200)
  })
})
