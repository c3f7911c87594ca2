import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

// Idle 10 s: the warning shows 2 s before expiry (a fifth, shorter than 60 s);
// the expiry slides at most every 5 s (half the idle time).
let t: TestApp
let short: TestApp
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  ;[t, short] = await Promise.all([
    createTestApp('extend', { SESSION_IDLE_SECONDS: '10', SESSION_ABSOLUTE_SECONDS: '3600' }),
    createTestApp('extendfinal', { SESSION_IDLE_SECONDS: '10', SESSION_ABSOLUTE_SECONDS: '10' }),
  ])
})
afterAll(() => Promise.all([t.cleanup(), short.cleanup()]))

let counter = 0
async function signIn(app: TestApp) {
  const email = `stay${++counter}@example.com`
  await app.services.users.create(email, await app.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  const browser = new TestBrowser(app.app)
  await browser.get('/login')
  expect((await browser.post('/login', { email, password: PASSWORD })).response.status).toBe(303)
  const id = panelOf((await browser.get('/')).html).sessionId!
  return { browser, id, email }
}

const ttl = async (app: TestApp, id: string) => app.redis.pttl(await app.sessionKey(id))
const timeoutOf = (html: string) => html.match(/<div id="session-timeout"[^>]*>/)?.[0] ?? ''

describe('the timeout warning on every signed-in page', () => {
  test('signed-in pages carry #session-timeout, hidden, with its seconds and threshold; anonymous pages do not', async () => {
    const { browser } = await signIn(t)
    for (const path of ['/', '/account/sessions', '/account/password', '/account/activity', '/account/delete']) {
      const tag = timeoutOf((await browser.get(path)).html)
      expect(tag).toContain('role="alertdialog"')
      expect(tag).toContain('hidden')
      expect(tag).toContain('data-warn-seconds="2"')
      expect(Number(tag.match(/data-expires-in="(\d+)"/)?.[1])).toBeGreaterThan(0)
      expect(tag).not.toContain('data-final')
    }
    const anonymous = new TestBrowser(t.app)
    expect(timeoutOf((await anonymous.get('/')).html)).toBe('')
  })

  test('a minute before, when the idle timeout is long', async () => {
    const long = await createTestApp('extendlong')
    try {
      const email = 'long@example.com'
      await long.services.users.create(email, await long.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
      const browser = new TestBrowser(long.app)
      await browser.get('/login')
      await browser.post('/login', { email, password: PASSWORD })
      expect(timeoutOf((await browser.get('/')).html)).toContain('data-warn-seconds="60"')
    } finally {
      await long.cleanup()
    }
  })

  test('when the absolute deadline ends the session, the warning says so and offers to log in again', async () => {
    const { browser } = await signIn(short)
    const { html } = await browser.get('/account/sessions')
    expect(timeoutOf(html)).toContain('data-final="true"')
    const dialog = html.match(/<div id="session-timeout"[\s\S]*?<\/div><\/div>/)?.[0] ?? ''
    expect(dialog).toContain('cannot be extended')
    expect(dialog).not.toContain('Stay signed in')
    expect(dialog).toContain('href="/login"')
  })
})

describe('POST /session/extend', () => {
  test('"Stay signed in" slides the idle expiry and answers the panel and the warning out of band', async () => {
    const { browser, id } = await signIn(t)
    await Bun.sleep(6000)
    const before = await ttl(t, id)
    expect(before).toBeLessThan(4500)
    const { response, html } = await browser.post('/session/extend', {}, { htmx: true })
    expect(response.status).toBe(200)
    expect(await ttl(t, id)).toBeGreaterThan(9000)
    expect(html).toContain('<section id="session-panel"')
    expect(html).toMatch(/<div id="session-timeout"[^>]*hx-swap-oob="true"/)
    expect(Number(timeoutOf(html).match(/data-expires-in="(\d+)"/)?.[1])).toBeGreaterThanOrEqual(9)
  }, 15_000)

  test('never past the absolute deadline', async () => {
    const { browser, id } = await signIn(short)
    await Bun.sleep(6000)
    await browser.post('/session/extend', {}, { htmx: true })
    expect(await ttl(short, id)).toBeLessThan(4500)
  }, 15_000)

  test('without JavaScript it 303s back to the page it came from', async () => {
    const { browser } = await signIn(t)
    const { response } = await browser.post(
      '/session/extend',
      {},
      { headers: { referer: 'http://localhost/account/sessions', host: 'localhost' } },
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/sessions')
  })

  test('needs the CSRF token, and a signed-in session', async () => {
    const { browser, id } = await signIn(t)
    const forged = await browser.post('/session/extend', { _csrf: 'forged' }, { htmx: true })
    expect(forged.response.status).toBe(403)
    const anonymous = new TestBrowser(t.app)
    await anonymous.get('/')
    const refused = await anonymous.post('/session/extend', {}, { htmx: true })
    expect(refused.response.status).toBe(401)
    expect(refused.response.headers.get('hx-redirect')).toBe('/login')
    expect(await ttl(t, id)).toBeGreaterThan(0)
  })

  test('GET /session stays a read that extends nothing', async () => {
    const { browser, id } = await signIn(t)
    await Bun.sleep(6000)
    const before = await ttl(t, id)
    await browser.get('/session', { 'hx-request': 'true' })
    expect(await ttl(t, id)).toBeLessThanOrEqual(before)
  }, 15_000)
})
