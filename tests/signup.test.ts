import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const PASSWORD = 'blue kettle 47 lamp'

beforeAll(async () => {
  t = await createTestApp('signup', { BCRYPT_COST: '5' })
})
afterAll(() => t.cleanup())

let counter = 0
const freshEmail = () => `new.user${++counter}@example.com`

async function signupPage() {
  const browser = new TestBrowser(t.app)
  const page = await browser.get('/signup')
  return { browser, ...page }
}

async function signUp(email: string, password = PASSWORD, confirm = password, options: { htmx?: boolean } = {}) {
  const { browser } = await signupPage()
  const result = await browser.post('/signup', { email, password, password_confirm: confirm }, options)
  return { browser, ...result }
}

describe('GET /signup', () => {
  test('shows form#signup-form with email, password, password_confirm and _csrf', async () => {
    const { response, html } = await signupPage()
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('vary')).toContain('HX-Request')
    const form = html.match(/<form id="signup-form"[\s\S]*?<\/form>/)![0]
    for (const name of ['email', 'password', 'password_confirm', '_csrf']) expect(form).toContain(`name="${name}"`)
    expect(form).toContain('method="post" action="/signup"')
    expect(form).toContain('hx-post="/signup"')
    expect(form).toContain('autocomplete="new-password"')
  })

  test('the nav offers Sign Up when logged out and "Your sessions" when logged in', async () => {
    const { browser, html } = await signupPage()
    expect(html).toContain('<a href="/signup" aria-current="page">Sign Up</a>')
    expect(html).not.toContain('Your sessions')
    await browser.post('/signup', { email: freshEmail(), password: PASSWORD, password_confirm: PASSWORD })
    const after = (await browser.get('/')).html
    expect(after).toContain('<a href="/account/sessions">Your sessions</a>')
    expect(after).not.toContain('Sign Up</a>')
  })
})

describe('POST /signup success', () => {
  test('creates the user lower-cased with a bcrypt hash of BCRYPT_COST, logs in on a regenerated session, 303 to /', async () => {
    const { browser } = await signupPage()
    await browser.post('/beer')
    const before = panelOf((await browser.get('/signup')).html)
    const { response } = await browser.post('/signup', {
      email: '  Grace.Hopper@Example.COM ',
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')

    const user = (await t.services.users.findByEmail('grace.hopper@example.com'))!
    expect(user.email).toBe('grace.hopper@example.com')
    expect(bcrypt.getRounds(user.passwordHash)).toBe(5)
    expect(await bcrypt.compare(PASSWORD, user.passwordHash)).toBe(true)

    const { html } = await browser.get('/')
    const after = panelOf(html)
    expect(after.email).toBe('grace.hopper@example.com')
    expect(after.sessionId).not.toBe(before.sessionId)
    expect(after.beers).toBe(1)
    expect(await t.redis.exists(await t.sessionKey(before.sessionId))).toBe(0)
    expect(await t.redis.zscore(t.indexKey(user.id), after.sessionId!)).not.toBeNull()
  })

  test('the new account logs in with its password', async () => {
    const email = freshEmail()
    await signUp(email)
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const { response } = await browser.post('/login', { email, password: PASSWORD })
    expect(response.status).toBe(303)
  })

  test('htmx: 204 with HX-Redirect to /', async () => {
    const { response } = await signUp(freshEmail(), PASSWORD, PASSWORD, { htmx: true })
    expect(response.status).toBe(204)
    expect(response.headers.get('hx-redirect')).toBe('/')
    expect(response.headers.get('location')).toBeNull()
  })

  test('writes one audit line with the new session and user, without the email or password', async () => {
    const start = t.audit.length
    const email = freshEmail()
    const { browser } = await signUp(email)
    const user = (await t.services.users.findByEmail(email))!
    const events = t.audit.slice(start)
    expect(events.map((event) => event.event)).toEqual(['signup'])
    expect(events[0]!.userId).toBe(user.id)
    expect(events[0]!.sessionId).toBe(panelOf((await browser.get('/')).html).sessionId!)
    expect(JSON.stringify(events)).not.toContain(email)
    expect(JSON.stringify(events)).not.toContain(PASSWORD)
  })
})

describe('POST /signup validation', () => {
  for (const weak of ['password', 'password123', 'qwertyuiop']) {
    test(`refuses the guessable password "${weak}" with 422 and a field message`, async () => {
      const email = freshEmail()
      const { response, html } = await signUp(email, weak)
      expect(response.status).toBe(422)
      expect(html).toContain('This password is too common or too easy to guess.')
      expect(html).toContain(`value="${email}"`)
      expect(html).not.toContain(weak === 'password' ? 'value="password"' : weak)
      expect(await t.services.users.findByEmail(email)).toBeUndefined()
    })
  }

  test('refuses a password made from the email address', async () => {
    const { response, html } = await signUp('margaret.hamilton@example.com', 'margarethamilton')
    expect(response.status).toBe(422)
    expect(html).toContain('not based on your email address')
  })

  test('field messages for a bad email, a short password and a mismatched confirmation', async () => {
    const bad = await signUp('not-an-email', 'short', 'short')
    expect(bad.response.status).toBe(422)
    expect(bad.html).toContain('Enter a valid email address.')
    expect(bad.html).toContain('Password must be at least 8 characters.')
    const mismatch = await signUp(freshEmail(), PASSWORD, `${PASSWORD}!`)
    expect(mismatch.response.status).toBe(422)
    expect(mismatch.html).toContain('Passwords do not match.')
  })

  test('passwords over 72 bytes are refused, never cut short', async () => {
    const long = 'ü'.repeat(37)
    const { response, html } = await signUp(freshEmail(), long)
    expect(response.status).toBe(422)
    expect(html).toContain('Password must be at most 72 bytes.')
  })

  test('htmx: 422 answers only the form, swapped in place', async () => {
    const { response, html } = await signUp(freshEmail(), 'password', 'password', { htmx: true })
    expect(response.status).toBe(422)
    expect(html.startsWith('<form id="signup-form"')).toBe(true)
    expect(html).not.toContain('<html')
  })

  test('without the CSRF token: 403 and no account', async () => {
    const { browser } = await signupPage()
    const email = freshEmail()
    const { response } = await browser.post('/signup', {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
      _csrf: '',
    })
    expect(response.status).toBe(403)
    expect(await t.services.users.findByEmail(email)).toBeUndefined()
  })
})

describe('duplicate email', () => {
  test('409 with a message on the form, whatever the case of the address; the first account is untouched', async () => {
    const email = freshEmail()
    await signUp(email)
    const original = (await t.services.users.findByEmail(email))!
    const { response, html, browser } = await signUp(email.toUpperCase(), 'another strong phrase 12')
    expect(response.status).toBe(409)
    expect(html).toContain('<form id="signup-form"')
    expect(html).toContain('An account with this email already exists.')
    expect(html).toContain('<html')
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
    expect((await t.services.users.findByEmail(email))!.passwordHash).toBe(original.passwordHash)
  })

  test('htmx: 409 with just the form', async () => {
    const email = freshEmail()
    await signUp(email)
    const { response, html } = await signUp(email, PASSWORD, PASSWORD, { htmx: true })
    expect(response.status).toBe(409)
    expect(html.startsWith('<form id="signup-form"')).toBe(true)
    expect(html).toContain('An account with this email already exists.')
  })

  test('two sign-ups racing for one address: one account, one 303 and one 409', async () => {
    const email = freshEmail()
    const [first, second] = await Promise.all([signUp(email), signUp(email)])
    expect([first.response.status, second.response.status].sort()).toEqual([303, 409])
  })
})
