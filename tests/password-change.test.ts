import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const OLD_PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'green teapot 93 river'

beforeAll(async () => {
  t = await createTestApp('passwordchange', { LOGIN_MAX_FAILURES_PER_EMAIL_IP: '3' })
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  return t.services.users.create(`changer${++counter}@example.com`, await t.services.hasher.hash(OLD_PASSWORD), {
    verifiedAt: new Date(),
  })
}

async function signIn(email: string, password = OLD_PASSWORD) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email, password })
  return { browser, response, id: panelOf((await browser.get('/')).html).sessionId! }
}

function change(browser: TestBrowser, current: string, next = NEW_PASSWORD, confirm = next, htmx = false) {
  return browser.post(
    '/account/password',
    { current_password: current, new_password: next, new_password_confirm: confirm },
    { htmx },
  )
}

const sessionKey = (id: string | undefined) => t.sessionKey(id)

describe('GET /account/password', () => {
  test('logged out: 303 to /login (htmx: 401 + HX-Redirect)', async () => {
    const browser = new TestBrowser(t.app)
    const plain = await browser.get('/account/password')
    expect(plain.response.status).toBe(303)
    expect(plain.response.headers.get('location')).toBe('/login?next=%2Faccount%2Fpassword')
    const htmx = await browser.request('/account/password', { headers: { 'hx-request': 'true' } })
    expect(htmx.status).toBe(401)
    expect(htmx.headers.get('hx-redirect')).toBe('/login')
  })

  test('shows the form with current_password, new_password, new_password_confirm and _csrf', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const { response, html } = await browser.get('/account/password')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const form = html.match(/<form id="password-form"[\s\S]*?<\/form>/)![0]
    for (const name of ['current_password', 'new_password', 'new_password_confirm', '_csrf'])
      expect(form).toContain(`name="${name}"`)
    expect(form).toContain('method="post" action="/account/password"')
  })
})

describe('POST /account/password refused', () => {
  test('logged out: 303 to /login and nothing changes', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const { response } = await change(browser, OLD_PASSWORD)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login')
    expect((await signIn(user.email)).response.status).toBe(303)
  })

  test('a wrong current password: 401 on the form; the password and the other sessions stay', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const other = await signIn(user.email)
    await me.browser.get('/account/password')
    const { response, html } = await change(me.browser, 'not my password')
    expect(response.status).toBe(401)
    expect(html).toContain('<form id="password-form"')
    expect(html).toContain('Your current password is incorrect.')
    expect(html).not.toContain(NEW_PASSWORD)
    expect(await t.redis.exists(await sessionKey(other.id))).toBe(1)
    expect(panelOf((await me.browser.get('/')).html).sessionId).toBe(me.id)
    expect((await signIn(user.email)).response.status).toBe(303)
  })

  test('htmx, wrong current password: 401 with just the form', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await me.browser.get('/account/password')
    const { response, html } = await change(me.browser, 'not my password', NEW_PASSWORD, NEW_PASSWORD, true)
    expect(response.status).toBe(401)
    expect(html.startsWith('<form id="password-form"')).toBe(true)
    expect(html).toContain('Your current password is incorrect.')
  })

  test('guessable or mismatched new passwords: 422 with field messages', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await me.browser.get('/account/password')
    for (const weak of ['password', 'password123', 'qwertyuiop']) {
      const { response, html } = await change(me.browser, OLD_PASSWORD, weak)
      expect(response.status).toBe(422)
      expect(html).toContain('This password is too common or too easy to guess.')
    }
    const mismatch = await change(me.browser, OLD_PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}?`)
    expect(mismatch.response.status).toBe(422)
    expect(mismatch.html).toContain('Passwords do not match.')
    expect((await signIn(user.email)).response.status).toBe(303)
  })

  test('guessing the current password is throttled like a login', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await me.browser.get('/account/password')
    for (let i = 0; i < 3; i++) expect((await change(me.browser, `guess number ${i}`)).response.status).toBe(401)
    const blocked = await change(me.browser, OLD_PASSWORD)
    expect(blocked.response.status).toBe(429)
    expect(blocked.response.headers.get('retry-after')).toMatch(/^\d+$/)
    const hash = (await t.services.users.findById(user.id))!.passwordHash
    expect(await bcrypt.compare(OLD_PASSWORD, hash)).toBe(true)
  })
})

describe('POST /account/password success', () => {
  test('re-hashes, ends every other session, regenerates this one and says so once', async () => {
    const user = await newUser()
    const bystander = await newUser()
    const me = await signIn(user.email)
    await me.browser.post('/beer')
    const others = [await signIn(user.email), await signIn(user.email)]
    const unrelated = await signIn(bystander.email)
    const oldCookie = me.browser.cookies.get('taproom_session')!
    await me.browser.get('/account/password')

    const { response } = await change(me.browser, OLD_PASSWORD)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/sessions')

    const hash = (await t.services.users.findById(user.id))!.passwordHash
    expect(await bcrypt.compare(NEW_PASSWORD, hash)).toBe(true)
    expect(bcrypt.getRounds(hash)).toBe(t.config.bcrypt.cost)

    for (const other of others) {
      expect(await t.redis.exists(await sessionKey(other.id))).toBe(0)
      expect(panelOf((await other.browser.get('/')).html).email).toBeUndefined()
    }
    expect(panelOf((await unrelated.browser.get('/')).html).email).toBe(bystander.email)

    const { html } = await me.browser.get('/account/sessions')
    expect(html).toContain('Password changed.')
    const panel = panelOf((await me.browser.get('/')).html)
    expect(panel.email).toBe(user.email)
    expect(panel.sessionId).not.toBe(me.id)
    expect(panel.beers).toBe(1)
    expect(await t.onlyReplacedMark(me.id)).toBe(true)
    expect(await t.redis.zrange(t.indexKey(user.id), '0', '-1')).toEqual([panel.sessionId!])

    const replay = await t.app.request('/', { headers: { cookie: `taproom_session=${oldCookie}` } })
    expect(panelOf(await replay.text()).email).toBeUndefined()
  })

  test('afterwards only the new password logs in', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await me.browser.get('/account/password')
    await change(me.browser, OLD_PASSWORD)
    expect((await signIn(user.email, OLD_PASSWORD)).response.status).toBe(401)
    expect((await signIn(user.email, NEW_PASSWORD)).response.status).toBe(303)
  })

  test('htmx: 204 with HX-Redirect', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await me.browser.get('/account/password')
    const { response } = await change(me.browser, OLD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD, true)
    expect(response.status).toBe(204)
    expect(response.headers.get('hx-redirect')).toBe('/account/sessions')
  })

  test('audits password_changed for the new session and session_revoked for each ended one, without secrets', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const other = await signIn(user.email)
    await me.browser.get('/account/password')
    const start = t.audit.length
    await change(me.browser, OLD_PASSWORD)
    const events = t.audit.slice(start)
    expect(events.map((event) => event.event).sort()).toEqual(['password_changed', 'session_revoked'])
    const revoked = events.find((event) => event.event === 'session_revoked')!
    expect(revoked.sessionId).toBe(other.id)
    const changed = events.find((event) => event.event === 'password_changed')!
    expect(changed.userId).toBe(user.id)
    expect(changed.sessionId).toBe(panelOf((await me.browser.get('/')).html).sessionId!)
    const text = JSON.stringify(events)
    expect(text).not.toContain(OLD_PASSWORD)
    expect(text).not.toContain(NEW_PASSWORD)
    expect(text).not.toContain(user.email)
  })
})
