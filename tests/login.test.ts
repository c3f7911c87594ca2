import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { keyedEmailHash } from '../src/auth/email-hash.ts'
import { DEMO_EMAIL } from '../src/db/seed.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, TEST_SECRET, type TestApp } from './support/test-app.ts'

let t: TestApp
const EMAIL = 'ada@example.com'
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('login')
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

async function loggedIn(email = EMAIL, password = PASSWORD) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const result = await browser.post('/login', { email, password })
  return { browser, ...result }
}

describe('GET /login', () => {
  test('shows the form with email, password and the CSRF field', async () => {
    const { response, html } = await new TestBrowser(t.app).get('/login')
    expect(response.status).toBe(200)
    const form = html.match(/<form id="login-form"[\s\S]*?<\/form>/)![0]
    expect(form).toContain('name="email"')
    expect(form).toContain('name="password"')
    expect(form).toContain('name="_csrf"')
    expect(html).toContain('<label for="field-email">Email</label>')
  })
})

describe('POST /login', () => {
  test('success: 303 to /, a regenerated session carrying the beer count, the email in the panel', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    await browser.post('/beer')
    await browser.post('/beer')
    const before = panelOf((await browser.get('/login')).html)
    const oldCookie = browser.cookies.get('taproom_session')!
    const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('vary')).toBe('HX-Request')
    const { html } = await browser.get('/')
    const after = panelOf(html)
    expect(after.sessionId).not.toBe(before.sessionId)
    expect(after.beers).toBe(2)
    expect(after.email).toBe(EMAIL)
    expect(html).toContain(`Logged in as: ${EMAIL}`)
    expect(await t.onlyReplacedMark(before.sessionId)).toBe(true)
    const replay = await t.app.request('/', { headers: { cookie: `taproom_session=${oldCookie}` } })
    const replayed = panelOf(await replay.text())
    expect(replayed.sessionId).not.toBe(before.sessionId)
    expect(replayed.email).toBeUndefined()
  })

  test('emails are matched case-insensitively', async () => {
    const { response } = await loggedIn('  ADA@Example.com ', PASSWORD)
    expect(response.status).toBe(303)
  })

  test('htmx: 204 with HX-Redirect instead of a redirect fetch would follow', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD }, { htmx: true })
    expect(response.status).toBe(204)
    expect(response.headers.get('hx-redirect')).toBe('/')
  })

  test('wrong password and unknown email: the same 401 page, email kept, password cleared', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const wrong = await browser.post('/login', { email: EMAIL, password: 'not the password' })
    const unknown = await browser.post('/login', { email: 'nobody@example.com', password: 'not the password' })
    for (const [{ response, html }, email] of [
      [wrong, EMAIL],
      [unknown, 'nobody@example.com'],
    ] as const) {
      expect(response.status).toBe(401)
      expect(html).toContain('Invalid email or password.')
      expect(html).toContain(`value="${email}"`)
      expect(html).not.toContain('not the password')
      expect(html).toContain('<html')
    }
  })

  test('htmx failure: just the form, 401, with the message', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const { response, html } = await browser.post('/login', { email: EMAIL, password: 'nope' }, { htmx: true })
    expect(response.status).toBe(401)
    expect(html.startsWith('<form id="login-form"')).toBe(true)
    expect(html).toContain('Invalid email or password.')
  })

  test('malformed input: 422 with field messages', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const { response, html } = await browser.post('/login', { email: 'not-an-email', password: '' })
    expect(response.status).toBe(422)
    expect(html).toContain('Enter a valid email address.')
    expect(html).toContain('Password is required.')
  })

  test('the original tutorial\'s $2y$ hash of "password" logs in', async () => {
    const { response, browser } = await loggedIn(DEMO_EMAIL, 'password')
    expect(response.status).toBe(303)
    expect(panelOf((await browser.get('/')).html).email).toBe(DEMO_EMAIL)
  })

  test('without a session cookie the form is refused (403), not crashed', async () => {
    const response = await t.app.request('/login', {
      method: 'POST',
      body: new URLSearchParams({ email: EMAIL, password: PASSWORD }),
    })
    expect(response.status).toBe(403)
  })
})

describe('logout', () => {
  test('GET /logout only shows a button', async () => {
    const { browser } = await loggedIn()
    const { response, html } = await browser.get('/logout')
    expect(response.status).toBe(200)
    expect(html).toContain('<form id="logout-form" method="post" action="/logout" class="button-row">')
    expect(panelOf((await browser.get('/')).html).email).toBe(EMAIL)
  })

  test('POST /logout deletes the session, expires the cookie, 303 to / with a fresh session', async () => {
    const { browser } = await loggedIn()
    const { html } = await browser.get('/')
    const { sessionId } = panelOf(html)
    const { response } = await browser.post('/logout')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    const cleared = response.headers.getSetCookie().find((line) => line.startsWith('taproom_session='))!
    expect(cleared).toContain('Max-Age=0')
    expect(response.headers.get('clear-site-data')).toBe('"cache", "storage"')
    expect(await t.redis.exists(await t.sessionKey(sessionId))).toBe(0)
    const next = await browser.get('/')
    const panel = panelOf(next.html)
    expect(panel.sessionId).not.toBe(sessionId)
    expect(next.html).toContain('Not logged in')
    expect(next.html).toContain('Logged out.')
  })

  test('htmx logout answers with HX-Redirect', async () => {
    const { browser } = await loggedIn()
    await browser.get('/')
    const { response } = await browser.post('/logout', {}, { htmx: true })
    expect(response.headers.get('hx-redirect')).toBe('/')
  })

  test('a logout racing pours never brings the session back', async () => {
    for (let round = 0; round < 10; round++) {
      const { browser } = await loggedIn()
      const { sessionId } = panelOf((await browser.get('/')).html)
      const cookie = browser.cookies.get('taproom_session')!
      const csrf = browser.csrfToken
      const pour = () =>
        t.app.request('/beer', {
          method: 'POST',
          body: new URLSearchParams({ _csrf: csrf }),
          headers: {
            cookie: `taproom_session=${cookie}`,
            'content-type': 'application/x-www-form-urlencoded',
            'hx-request': 'true',
          },
        })
      const responses = await Promise.all([
        pour(),
        pour(),
        browser.post('/logout').then(({ response }) => response),
        pour(),
        pour(),
      ])
      expect(responses.every((response) => response.status < 500)).toBe(true)
      expect(await t.redis.exists(await t.sessionKey(sessionId))).toBe(0)
    }
  })
})

describe('audit trail', () => {
  test('login success, failure and logout each write one line without secrets', async () => {
    const start = t.audit.length
    const { browser } = await loggedIn()
    await browser.get('/')
    await browser.post('/login', { email: EMAIL, password: 'wrong password' })
    await browser.post('/login', { email: 'nobody@example.com', password: 'wrong password' })
    await browser.post('/logout')
    const events = t.audit.slice(start)
    expect(events.map((event) => event.event)).toEqual(['login_success', 'login_failure', 'login_failure', 'logout'])
    expect(events[1]!.reason).toBe('wrong_password')
    expect(events[2]!.reason).toBe('unknown_email')
    const emailHash = keyedEmailHash(TEST_SECRET)
    expect(events[1]!.emailHash).toBe(emailHash(EMAIL))
    expect(events[2]!.emailHash).toBe(emailHash('nobody@example.com'))
    // Keyed: the plain SHA-256 of the address, which anyone could compute from a list of emails, is not it.
    const unkeyed = createHash('sha256').update(EMAIL).digest('base64url')
    expect(unkeyed.startsWith(String(events[1]!.emailHash).slice(0, 8))).toBe(false)
    expect(keyedEmailHash('another-secret-of-enough-length-0000')(EMAIL)).not.toBe(events[1]!.emailHash)
    for (const event of events) expect(Math.abs(Date.parse(String(event.time)) - Date.now())).toBeLessThan(60_000)
    const text = JSON.stringify(events)
    expect(text).not.toContain(PASSWORD)
    expect(text).not.toContain(EMAIL)
    for (const token of browser.cookies.values()) expect(text).not.toContain(token.split('.')[0]!)
    for (const event of events) {
      expect(event.requestId).toBeTruthy()
      expect(event.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(event.ip).toBe('127.0.0.1')
    }
  })
})
