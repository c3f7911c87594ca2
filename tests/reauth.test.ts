import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { safeNext } from '../src/routes/fresh-proof.tsx'
import { RedisSessionStore } from '../src/session/redis-store.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { awayFromStepEdge, codeAt } from './support/totp.ts'
import { waitUntil } from './support/wait-until.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'
const REAUTH_MS = 600_000

beforeAll(async () => {
  t = await createTestApp('reauth')
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  const email = `sudo${++counter}@example.com`
  return t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
}

async function signIn(email: string, ip = '127.0.0.1') {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  t.setSocketAddress(ip)
  expect((await browser.post('/login', { email, password: PASSWORD })).response.status).toBe(303)
  t.setSocketAddress('127.0.0.1')
  const id = panelOf((await browser.get('/')).html).sessionId!
  return { browser, id }
}

/** Signs the user in on two browsers and lets the proof age past REAUTH_SECONDS. */
async function staleWithAnother() {
  const user = await newUser()
  const other = await signIn(user.email)
  const { browser, id } = await signIn(user.email)
  await t.age(id, REAUTH_MS + 1000)
  await browser.get('/account/sessions')
  return { user, browser, id, other }
}

/** Changes the password from the password page, with the current one: the answer's status. */
async function changePassword(browser: TestBrowser): Promise<number> {
  await browser.get('/account/password')
  const { response } = await browser.post('/account/password', {
    current_password: PASSWORD,
    new_password: 'a brand new passphrase',
    new_password_confirm: 'a brand new passphrase',
  })
  return response.status
}

const sessionExists = async (id: string) => t.redis.exists(await t.sessionKey(id))
const currentSessionId = async (browser: TestBrowser) => panelOf((await browser.get('/')).html).sessionId!
const reauthForm = (html: string) => html.match(/<form id="reauth-form"[\s\S]*?<\/form>/)?.[0] ?? ''

describe('sensitive actions need a fresh proof of the password', () => {
  test('right after signing in, "log out everywhere else" goes through', async () => {
    const user = await newUser()
    const other = await signIn(user.email)
    const { browser } = await signIn(user.email)
    await browser.get('/account/sessions')
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    expect(await sessionExists(other.id)).toBe(0)
  })

  test('REAUTH_SECONDS later, a stale POST answers 403 with the "Confirm it\'s you" page and ends nothing', async () => {
    const { browser, other } = await staleWithAnother()
    const { response, html } = await browser.post('/account/sessions/revoke-others')
    expect(response.status).toBe(403)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(html).toContain('<html')
    expect(html).toContain('<h1 id="reauth-title">Confirm it&#39;s you</h1>')
    const form = reauthForm(html)
    expect(form).toContain('action="/account/confirm"')
    expect(form).toMatch(/<input[^>]*name="password"[^>]*type="password"/)
    expect(form).toContain('<input type="hidden" name="next" value="/account/sessions"/>')
    expect(await sessionExists(other.id)).toBe(1)

    const revokeOne = await browser.post(`/account/sessions/${other.id}/revoke`)
    expect(revokeOne.response.status).toBe(403)
    expect(await sessionExists(other.id)).toBe(1)
  })

  test('for htmx, the 403 is the form as a fragment that replaces the page content', async () => {
    const { browser, other } = await staleWithAnother()
    const { response, html } = await browser.post(`/account/sessions/${other.id}/revoke`, {}, { htmx: true })
    expect(response.status).toBe(403)
    expect(response.headers.get('hx-retarget')).toBe('#main')
    expect(response.headers.get('hx-reswap')).toBe('innerHTML')
    expect(html).not.toContain('<html')
    expect(html.startsWith('<section id="reauth"')).toBe(true)
    expect(reauthForm(html)).toContain('name="next" value="/account/sessions"')
  })

  test('an expired form (bad CSRF token) is not mistaken for it: its message goes to the notice region', async () => {
    const { browser, other } = await staleWithAnother()
    const forged = await browser.post(`/account/sessions/${other.id}/revoke`, { _csrf: 'forged' }, { htmx: true })
    expect(forged.response.status).toBe(403)
    expect(forged.response.headers.get('hx-retarget')).toBe('#flash')
    expect(forged.html).toContain('Your form has expired')
    expect(forged.html).not.toContain('reauth-form')
  })

  test('confirming the password marks the proof fresh and 303s to next; the action is then repeated, not replayed', async () => {
    const { user, browser, other } = await staleWithAnother()
    await browser.post('/account/sessions/revoke-others')
    const confirm = await browser.post('/account/confirm', { password: PASSWORD, next: '/account/sessions' })
    expect(confirm.response.status).toBe(303)
    expect(confirm.response.headers.get('location')).toBe('/account/sessions')
    expect(await sessionExists(other.id)).toBe(1)
    const renewed = await currentSessionId(browser)
    expect(t.audit.some((e) => e.event === 'reauthenticated' && e.userId === user.id && e.sessionId === renewed)).toBe(
      true,
    )

    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    expect(await sessionExists(other.id)).toBe(0)

    await t.age(renewed, REAUTH_MS + 1000)
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(403)
  })

  test('the proof is timed from the last password check, not from the session start', async () => {
    const { browser } = await staleWithAnother()
    await browser.post('/account/confirm', { password: PASSWORD, next: '/' })
    await t.age(await currentSessionId(browser), REAUTH_MS - 60_000)
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
  })

  test('confirming gives the session a new token and ID, the old cookie dead at once; all else stays, and forms drawn before still post', async () => {
    const { user, browser, id } = await staleWithAnother()
    await browser.post('/beer')
    const before = await t.redis.hgetall(await t.sessionKey(id))
    const oldCookie = new Map(browser.cookies)
    const oldToken = browser.csrfToken
    await browser.post('/account/confirm', { password: PASSWORD, next: '/account/sessions' })

    const renewed = await currentSessionId(browser)
    expect(renewed).not.toBe(id)
    expect(await t.onlyReplacedMark(id)).toBe(true)
    const after = await t.redis.hgetall(await t.sessionKey(renewed))
    // The same session under a new name: its count, sign-in and creation time (so its absolute deadline) stay.
    for (const field of ['c', 'b', 'u', 'm', 'k']) expect(after[field]).toBe(before[field]!)
    expect(Number(after.p)).toBeGreaterThan(Number(before.p))
    expect(await t.redis.zscore(t.indexKey(user.id), renewed)).toBe(before.c!)
    expect(await t.redis.zscore(t.indexKey(user.id), id)).toBeNull()

    // Whoever holds the old cookie holds nothing: not the session, let alone the fresh proof.
    const thief = new TestBrowser(t.app)
    for (const [name, value] of oldCookie) thief.cookies.set(name, value)
    expect(panelOf((await thief.get('/')).html).email).toBeUndefined()

    // A form another tab drew before the confirmation still posts, with its token, on the renewed session.
    browser.csrfToken = oldToken
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    // A token of some other session does not.
    const stranger = new TestBrowser(t.app)
    await stranger.get('/')
    expect(stranger.csrfToken).not.toBe('')
    browser.csrfToken = stranger.csrfToken
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(403)
  })

  test('a "Your sessions" list drawn before the confirmation still ends this session by its previous ID', async () => {
    const { browser, id } = await staleWithAnother()
    await browser.post('/account/confirm', { password: PASSWORD, next: '/account/sessions' })
    const renewed = await currentSessionId(browser)
    const { response } = await browser.post(`/account/sessions/${id}/revoke`)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    expect(await sessionExists(renewed)).toBe(0)
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })

  test('a confirmation whose session ended as it finished proves nothing: refused, and not audited as done', async () => {
    const { user, browser } = await staleWithAnother()
    const renew = RedisSessionStore.prototype.renew
    // Every session of the user ends (a reset elsewhere, say) just before the renewal runs.
    RedisSessionStore.prototype.renew = async function (this: RedisSessionStore, ref, newId) {
      await t.services.deps.sessions.endAll(user.id)
      return renew.call(this, ref, newId)
    }
    try {
      const { response } = await browser.post('/account/confirm', { password: PASSWORD, next: '/account/sessions' })
      expect(response.status).toBe(403)
      expect(response.headers.get('x-csrf-refused')).toBe('session-ended')
    } finally {
      RedisSessionStore.prototype.renew = renew
    }
    expect(t.audit.some((e) => e.event === 'reauthenticated' && e.userId === user.id)).toBe(false)
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })

  test('htmx confirmation: a wrong password swaps the form back in place; the right one answers HX-Redirect', async () => {
    const { browser } = await staleWithAnother()
    const wrong = await browser.post(
      '/account/confirm',
      { password: 'nope', next: '/account/sessions' },
      { htmx: true },
    )
    expect(wrong.response.status).toBe(401)
    expect(wrong.html.startsWith('<form id="reauth-form"')).toBe(true)
    expect(wrong.html).toContain('Invalid email or password.')
    expect(wrong.html).not.toContain('nope')
    const right = await browser.post(
      '/account/confirm',
      { password: PASSWORD, next: '/account/sessions' },
      { htmx: true },
    )
    expect(right.response.headers.get('hx-redirect')).toBe('/account/sessions')
  })

  test('a wrong password gets the login failure message, is audited, and leaves the proof stale', async () => {
    const { user, browser } = await staleWithAnother()
    const wrong = await browser.post('/account/confirm', { password: 'not my password', next: '/account/sessions' })
    expect(wrong.response.status).toBe(401)
    expect(reauthForm(wrong.html)).toContain('Invalid email or password.')
    expect(reauthForm(wrong.html)).toContain('name="next" value="/account/sessions"')
    const failure = t.audit.findLast((e) => e.event === 'login_failure' && e.userId === user.id)
    expect(failure?.reason).toBe('reauth_wrong_password')
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(403)
  })

  test('confirmation is throttled exactly like login, on the same counter', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email, '192.0.2.55')
    t.setSocketAddress('192.0.2.55')
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) {
        statuses.push((await browser.post('/account/confirm', { password: `guess ${i}`, next: '/' })).response.status)
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401])
      const throttled = await browser.post('/account/confirm', { password: PASSWORD, next: '/' })
      expect(throttled.response.status).toBe(429)
      expect(Number(throttled.response.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(throttled.html).toContain('Too many failed attempts. Try again in 15 minutes.')

      const login = new TestBrowser(t.app)
      await login.get('/login')
      const refused = await login.post('/login', { email: user.email, password: PASSWORD })
      expect(refused.response.status).toBe(429)
    } finally {
      t.setSocketAddress('127.0.0.1')
    }
  })

  test('a password change needs no separate confirmation: its current password is the proof, and it refreshes it', async () => {
    const { browser, other } = await staleWithAnother()
    expect(await changePassword(browser)).toBe(303)
    expect(await sessionExists(other.id)).toBe(0)
    await browser.get('/account/sessions')
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
  })

  test('logged out, /account/confirm sends the browser to /login; without the CSRF token it is refused', async () => {
    const stranger = new TestBrowser(t.app)
    await stranger.get('/')
    const { response } = await stranger.post('/account/confirm', { password: PASSWORD })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login')

    const user = await newUser()
    const { browser } = await signIn(user.email)
    const forged = await browser.post('/account/confirm', { password: PASSWORD, _csrf: 'forged' })
    expect(forged.response.status).toBe(403)
  })

  test('GET /account/confirm shows the form with a sanitized next', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const { response, html } = await browser.get('/account/confirm?next=%2F%2Fevil.example%2Fx')
    expect(response.status).toBe(200)
    expect(reauthForm(html)).toContain('name="next" value="/"')
  })
})

describe('with the authenticator app on, confirming is a full re-authentication', () => {
  /** A user with the app on, signed in with password and code, whose proof has gone stale. */
  async function staleWithApp() {
    await awayFromStepEdge()
    const user = await newUser()
    const factors = t.services.deps.secondFactors
    const secret = (await factors.startEnrolment(user.id))!
    const enrolledAt = Date.now() - 10 * 60_000
    const enrolled = await factors.confirmEnrolment(user.id, codeAt(secret, enrolledAt), enrolledAt)
    if (!enrolled.ok) throw new Error(enrolled.reason)
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    await browser.post('/login', { email: user.email, password: PASSWORD })
    await browser.get('/login/verify')
    expect((await browser.post('/login/verify', { code: codeAt(secret, Date.now() - 30_000) })).response.status).toBe(
      303,
    )
    const id = panelOf((await browser.get('/')).html).sessionId!
    await t.age(id, REAUTH_MS + 1000)
    await browser.get('/account/security')
    return { user, browser, id, secret, recoveryCodes: enrolled.recoveryCodes }
  }

  test('the form asks for a code too; the password alone, or with a wrong code, proves nothing', async () => {
    const { user, browser } = await staleWithApp()
    const stale = await browser.post('/account/security/recovery-codes')
    expect(stale.response.status).toBe(403)
    expect(reauthForm(stale.html)).toContain('name="code"')
    expect(stale.html).toContain('enter your password and a code from your authenticator app again')

    const alone = await browser.post('/account/confirm', { password: PASSWORD, next: '/account/security' })
    expect(alone.response.status).toBe(422)
    expect(alone.html).toContain('Code is required.')
    const wrong = await browser.post('/account/confirm', { password: PASSWORD, code: '000000', next: '/' })
    expect(wrong.response.status).toBe(401)
    expect(wrong.html).toContain('That code is not right.')
    expect(t.audit.some((e) => e.event === 'login_failure' && e.userId === user.id && e.reason === 'reauth_code')).toBe(
      true,
    )
    expect((await browser.post('/account/security/recovery-codes')).response.status).toBe(403)
  })

  test('a wrong password with a right code is the login failure message, and the code is not spent', async () => {
    const { browser, secret } = await staleWithApp()
    const code = codeAt(secret)
    const wrong = await browser.post('/account/confirm', { password: 'not the password', code, next: '/' })
    expect(wrong.response.status).toBe(401)
    expect(wrong.html).toContain('Invalid email or password.')
    const right = await browser.post('/account/confirm', { password: PASSWORD, code, next: '/account/security' })
    expect(right.response.status).toBe(303)
    expect((await browser.post('/account/security/recovery-codes')).response.status).toBe(200)
  })

  test('a password change proves the password only: it does not refresh the proof', async () => {
    const { browser } = await staleWithApp()
    expect(await changePassword(browser)).toBe(303)
    await browser.get('/account/security')
    const stale = await browser.post('/account/security/recovery-codes')
    expect(stale.response.status).toBe(403)
    expect(reauthForm(stale.html)).toContain('name="code"')
  })

  test('the password and a current code, or a recovery code, make the proof fresh; a recovery code is mailed about', async () => {
    const { user, browser, recoveryCodes } = await staleWithApp()
    const confirmed = await browser.post('/account/confirm', {
      password: PASSWORD,
      code: recoveryCodes[0]!,
      next: '/account/security',
    })
    expect(confirmed.response.status).toBe(303)
    expect(confirmed.response.headers.get('location')).toBe('/account/security')
    const renewed = await currentSessionId(browser)
    expect(
      t.audit.some(
        (e) => e.event === 'reauthenticated' && e.sessionId === renewed && e.reason === 'password+recovery-code',
      ),
    ).toBe(true)
    await waitUntil(() =>
      (t.services.mail.outbox?.list() ?? []).some(
        (mail) => mail.to === user.email && mail.text.includes('A recovery code was used to confirm it was you.'),
      ),
    )
    expect((await browser.post('/account/security/recovery-codes')).response.status).toBe(200)
  })
})

describe('next is a path on this site, or /', () => {
  test.each([
    ['/account/sessions', '/account/sessions'],
    ['/account/sessions?tab=2#row', '/account/sessions?tab=2'],
    ['/a/../login', '/'],
    ['https://evil.example/steal', '/'],
    ['//evil.example/steal', '/'],
    ['/\\evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/\t/evil.example', '/'],
    ['/.//evil.example/x', '/'],
    ['/%2e//evil.example/x', '/'],
    ['/a/..//evil.example/z', '/'],
    ['/..//evil.example', '/'],
    ['/ok\r\nSet-Cookie: x=1', '/'],
    ['', '/'],
    [`/${'a'.repeat(3000)}`, '/'],
  ])('%p → %p', (candidate, expected) => {
    expect(safeNext(candidate)).toBe(expected)
  })

  test('a foreign next in the form lands on /', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const confirm = await browser.post('/account/confirm', { password: PASSWORD, next: '//evil.example/' })
    expect(confirm.response.status).toBe(303)
    expect(confirm.response.headers.get('location')).toBe('/')
    const repeated = await browser.post('/account/confirm', { password: PASSWORD, next: ['/a', '/b'] })
    expect(repeated.response.headers.get('location')).toBe('/')
  })
})
