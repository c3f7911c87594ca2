import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { EXPIRED_NOTICE } from '../src/session/request-session.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { roundTrips } from './support/redis-stats.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const EMAIL = 'curious@example.com'
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('howitworks')
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

const sessionKey = (id: string | undefined) => t.sessionKey(id)

/** The inspector's data attributes. */
function inspectorOf(html: string) {
  const tag = html.match(/<section id="session-inspector"[^>]*>/)?.[0] ?? ''
  const attribute = (name: string) => tag.match(new RegExp(` ${name}="([^"]*)"`))?.[1]
  return {
    found: tag !== '',
    tag,
    sessionId: attribute('data-session-id'),
    key: attribute('data-session-key'),
    ttl: Number(attribute('data-ttl')),
    idleDeadline: Number(attribute('data-idle-deadline')),
    absoluteDeadline: Number(attribute('data-absolute-deadline')),
    indexKey: attribute('data-index-key'),
    indexScore: attribute('data-index-score'),
  }
}

/** field -> value as the inspector's table shows them. */
function fieldsOf(html: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const match of html.matchAll(
    /<tr data-field="([^"]+)"><td><code>[^<]*<\/code><\/td><td><code>([^<]*)<\/code>/g,
  )) {
    fields[match[1]!] = match[2]!
  }
  return fields
}

async function visitor() {
  const browser = new TestBrowser(t.app)
  const { html } = await browser.get('/')
  return { browser, id: panelOf(html).sessionId! }
}

async function loggedIn() {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  await browser.post('/login', { email: EMAIL, password: PASSWORD })
  return { browser, id: panelOf((await browser.get('/')).html).sessionId! }
}

describe('GET /how-it-works', () => {
  test('a first visit gets a session, like any first page view, and sees it', async () => {
    const browser = new TestBrowser(t.app)
    const { response, html } = await browser.get('/how-it-works')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('vary')).toContain('HX-Request')
    const inspector = inspectorOf(html)
    expect(inspector.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(await t.redis.exists(await sessionKey(inspector.sessionId!))).toBe(1)
    expect(browser.cookies.get('taproom_session')).toBeDefined()
  })

  test('shows the Redis key by public ID, every stored field with its value, the TTL and both deadlines', async () => {
    const { browser, id } = await visitor()
    await browser.post('/beer')
    await browser.post('/beer')
    const { html } = await browser.get('/how-it-works')
    const inspector = inspectorOf(html)
    expect(inspector.sessionId).toBe(id)
    expect(inspector.key).toBe(await sessionKey(id))
    expect(html).toContain(`<code class="redis-key">${await sessionKey(id)}</code>`)
    expect(fieldsOf(html)).toEqual(await t.redis.hgetall(await sessionKey(id)))
    expect(fieldsOf(html).b).toBe('2')

    const pttl = await t.redis.pttl(await sessionKey(id))
    expect(Math.abs(inspector.ttl - pttl / 1000)).toBeLessThanOrEqual(1)
    expect(Math.abs(inspector.idleDeadline - (Date.now() + pttl))).toBeLessThan(1000)
    const created = Number((await t.redis.hget(await sessionKey(id), 'c'))!)
    expect(inspector.absoluteDeadline).toBe(created + t.config.session.absoluteSeconds * 1000)
    expect(html).toContain('Idle deadline')
    expect(html).toContain('Absolute deadline')
    expect(html).toContain('Not logged in, so this session is in no per-user index.')
    expect(inspector.indexKey).toBeUndefined()
  })

  test('never shows the token or anything else the cookie holds', async () => {
    const { browser } = await visitor()
    const { html } = await browser.get('/how-it-works')
    const [token, signature] = browser.cookies.get('taproom_session')!.split('.')
    expect(html).not.toContain(token!)
    expect(html).not.toContain(signature!)
  })

  test('logged in: shows the per-user index entry as Redis holds it', async () => {
    const { browser, id } = await loggedIn()
    const user = (await t.services.users.findByEmail(EMAIL))!
    const { html } = await browser.get('/how-it-works')
    const inspector = inspectorOf(html)
    const indexKey = t.indexKey(user.id)
    expect(inspector.indexKey).toBe(indexKey)
    expect(inspector.indexScore).toBe((await t.redis.zscore(indexKey, id))!)
    expect(html).toContain(`<code class="redis-key">${indexKey}</code>`)
    expect(fieldsOf(html).u).toBe(user.id)
    expect(fieldsOf(html).m).toBe(EMAIL)
  })

  test('reading it never extends the session, never rewrites it and leaves a pending flash in place', async () => {
    const { browser, id } = await visitor()
    await t.redis.pexpire(await sessionKey(id), 600_000)
    await t.redis.hset(await sessionKey(id), 'f', 'A notice for later.')
    const before = await t.redis.hgetall(await sessionKey(id))

    const page = await browser.get('/how-it-works')
    const fragment = await browser.get('/how-it-works', { 'hx-request': 'true' })
    expect(inspectorOf(page.html).sessionId).toBe(id)
    expect(fieldsOf(fragment.html).f).toBe('A notice for later.')
    expect(page.response.headers.getSetCookie()).toEqual([])
    expect(await t.redis.pttl(await sessionKey(id))).toBeLessThanOrEqual(600_000)
    expect(await t.redis.hgetall(await sessionKey(id))).toEqual(before)

    const home = await browser.get('/')
    expect(home.html).toContain('A notice for later.')
    expect(await t.redis.pttl(await sessionKey(id))).toBeGreaterThan(600_000)
  })

  test('a page view costs two Redis round trips at most (peek, plus the index entry when logged in)', async () => {
    const anonymous = await visitor()
    expect(await roundTrips(t.redis, () => anonymous.browser.get('/how-it-works'))).toBe(1)
    const member = await loggedIn()
    expect(await roundTrips(t.redis, () => member.browser.get('/how-it-works'))).toBe(2)
  })

  test('an expired cookie starts a new session and says so', async () => {
    const { browser, id } = await visitor()
    await t.redis.del(await sessionKey(id))
    const { html } = await browser.get('/how-it-works')
    expect(inspectorOf(html).sessionId).not.toBe(id)
    expect(html).toContain(EXPIRED_NOTICE)
    expect(fieldsOf(html).f).toBeUndefined()
  })

  test('explains with an inline sequence diagram and loads nothing from another origin', async () => {
    const { browser } = await visitor()
    const { html } = await browser.get('/how-it-works')
    const svg = html.match(/<svg class="diagram diagram-wide"[\s\S]*?<\/svg>/)?.[0] ?? ''
    const narrow = html.match(/<svg class="diagram diagram-narrow"[\s\S]*?<\/svg>/)?.[0] ?? ''
    for (const step of ['First visit', 'Pour', 'Log in: regenerate', 'Log out: destroy']) {
      expect(svg).toContain(step)
      expect(narrow).toContain(step)
    }
    expect(svg).toContain('role="img"')
    expect(html).not.toMatch(/<style|style="/)
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^(\/(?!\/)|data:|#)/)

    const stylesheet = html.match(/<link rel="stylesheet" href="(\/static\/how-it-works\.css\?v=[^"]+)"/)![1]!
    const css = await t.app.request(stylesheet)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toContain('text/css')
  })
})

describe('refreshing in place (htmx)', () => {
  test('the fragment is the inspector alone, set to refresh after each action and on focus', async () => {
    const { browser } = await visitor()
    const { response, html } = await browser.get('/how-it-works', { 'hx-request': 'true' })
    expect(response.status).toBe(200)
    expect(html.startsWith('<section id="session-inspector"')).toBe(true)
    expect(html).not.toContain('<html')
    const { tag } = inspectorOf(html)
    expect(tag).toContain('hx-get="/how-it-works"')
    expect(tag).toContain('hx-trigger="htmx:after:request from:#how-actions, focus from:window"')
    expect(tag).toContain('hx-swap="outerHTML"')
    const page = (await browser.get('/how-it-works')).html
    expect(page).toMatch(/<div id="how-actions"[\s\S]*?hx-post="\/beer"/)
  })

  test('after a pour the fragment shows the new count', async () => {
    const { browser } = await visitor()
    await browser.get('/how-it-works')
    await browser.post('/beer', {}, { htmx: true })
    const { html } = await browser.get('/how-it-works', { 'hx-request': 'true' })
    expect(fieldsOf(html).b).toBe('1')
  })

  test('after logging in and out it follows the session: a new ID each time, the last without a user', async () => {
    const { browser, id } = await visitor()
    await browser.get('/login')
    await browser.post('/login', { email: EMAIL, password: PASSWORD })
    const afterLogin = inspectorOf((await browser.get('/how-it-works', { 'hx-request': 'true' })).html)
    expect(afterLogin.sessionId).not.toBe(id)
    expect(afterLogin.indexScore).toBeDefined()
    await browser.get('/logout')
    const { response } = await browser.post('/logout', {}, { htmx: true })
    expect(response.headers.get('hx-redirect')).toBe('/')
    // Logout leaves a fresh anonymous session holding the "Logged out." notice.
    const afterLogout = inspectorOf((await browser.get('/how-it-works', { 'hx-request': 'true' })).html)
    expect(afterLogout.sessionId).not.toBe(afterLogin.sessionId)
    expect(afterLogout.sessionId).not.toBe('')
    expect(afterLogout.indexScore).toBeUndefined()
  })

  test('a fragment request without a session starts none', async () => {
    const response = await t.app.request('/how-it-works', { headers: { 'hx-request': 'true' } })
    expect(response.status).toBe(200)
    expect(response.headers.getSetCookie()).toEqual([])
    expect(await response.text()).toContain('no live session')
  })
})
