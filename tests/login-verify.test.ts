import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DEVICE_COOKIE } from '../src/auth/device-cookie.ts'
import { MAX_CONSECUTIVE_FAILURES } from '../src/auth/second-factors.ts'
import { APP_LOCKED } from '../src/routes/second-step.tsx'
import { panelOf, TestBrowser } from './support/browser.ts'
import { softwarePasskey } from './support/software-passkey.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { codeAt, turnOnAuthenticatorApp } from './support/totp.ts'
import { waitUntil } from './support/wait-until.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'
let clockOffset = 0

beforeAll(async () => {
  t = await createTestApp('loginverify', {}, { now: () => Date.now() + clockOffset })
})
afterAll(() => t.cleanup())

const sessionHash = async (id: string) => t.redis.hgetall(await t.sessionKey(id))

let counter = 0
let address = 0
/** A user with the authenticator app on; each gets its own client IP so throttles do not meet. */
async function twoStepUser() {
  const user = await t.services.users.create(`verify${++counter}@example.com`, await t.services.hasher.hash(PASSWORD), {
    verifiedAt: new Date(),
  })
  const { secret, recoveryCodes } = await turnOnAuthenticatorApp(t.services.deps.secondFactors, user.id)
  t.setSocketAddress(`10.9.0.${++address}`)
  return { user, secret, recoveryCodes }
}

async function passwordStep(email: string) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const anonymous = panelOf((await browser.get('/')).html).sessionId!
  const { response } = await browser.post('/login', { email, password: PASSWORD })
  const { html } = await browser.get('/login/verify')
  return { browser, response, anonymous, pendingId: panelOf(html).sessionId ?? sessionIdOf(browser) }
}

/* The public session ID is the SHA-256 of the cookie's token; the panel is not on every page, so read it off How it works. */
function sessionIdOf(browser: TestBrowser): string {
  return [...browser.cookies.values()][0]!
}

async function currentSessionId(browser: TestBrowser): Promise<string> {
  return panelOf((await browser.get('/')).html).sessionId!
}

describe('a right password for an account with an authenticator app', () => {
  test('makes the session pending: regenerated, holding only the user and a 5-minute deadline', async () => {
    const { user } = await twoStepUser()
    const { browser, response, anonymous } = await passwordStep(user.email)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login/verify')
    const pendingId = await currentSessionId(browser)
    expect(pendingId).not.toBe(anonymous)
    expect(await t.onlyReplacedMark(anonymous)).toBe(true)
    const stored = await sessionHash(pendingId)
    expect(stored.pu).toBe(user.id)
    expect(Number(stored.pt) - Date.now()).toBeGreaterThan(4 * 60_000)
    expect(Number(stored.pt) - Date.now()).toBeLessThanOrEqual(5 * 60_000)
    expect(stored.u).toBeUndefined()
    expect(stored.m).toBeUndefined()
    // When the password check began: the second step is refused if the user's sessions end after it.
    expect(Number(stored.p)).toBeLessThanOrEqual(Number(stored.c))
    expect(await t.redis.exists(t.indexKey(user.id))).toBe(0)
    expect(t.audit.some((entry) => entry.event === 'second_factor_required' && entry.userId === user.id)).toBe(true)
  })

  test('a pending session reaches nothing but /login/verify and logout', async () => {
    const { user } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    for (const path of ['/account/sessions', '/account/password', '/account/security', '/account/activity']) {
      const { response } = await browser.get(path)
      expect({ path, status: response.status, location: response.headers.get('location') }).toEqual({
        path,
        status: 303,
        location: '/login/verify',
      })
    }
    const htmx = await browser.request('/account/sessions', { headers: { 'hx-request': 'true' } })
    expect(htmx.status).toBe(401)
    expect(htmx.headers.get('hx-redirect')).toBe('/login/verify')
    for (const path of ['/account/sessions/revoke-others', '/account/password', '/account/security/totp/setup']) {
      const { response } = await browser.post(path, {})
      expect({ path, status: response.status }).toEqual({ path, status: 303 })
      expect(response.headers.get('location')).toBe('/login/verify')
    }
    const home = panelOf((await browser.get('/')).html)
    expect(home.email).toBeUndefined()
    const verify = await browser.get('/login/verify')
    expect(verify.response.status).toBe(200)
    expect(verify.html).toMatch(/<form id="verify-form"[^>]*action="\/login\/verify"/)
    expect(verify.html).toContain('name="code"')
    expect(verify.html).toContain('autocomplete="one-time-code"')
    const logout = await browser.post('/logout')
    expect(logout.response.status).toBe(303)
    expect((await browser.get('/login/verify')).response.headers.get('location')).toBe('/login')
  })

  test('a current code signs in: regenerated again, logged in, proof time and "password+app" recorded', async () => {
    const { user, secret } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    const pendingId = await currentSessionId(browser)
    const { response } = await browser.post('/login/verify', { code: codeAt(secret) })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    const signedInId = await currentSessionId(browser)
    expect(signedInId).not.toBe(pendingId)
    expect(await t.onlyReplacedMark(pendingId)).toBe(true)
    const stored = await sessionHash(signedInId)
    expect(stored.u).toBe(user.id)
    expect(stored.k).toBe('password+app')
    expect(Math.abs(Number(stored.p) - Date.now())).toBeLessThan(10_000)
    expect(stored.pu).toBeUndefined()
    const sessions = await browser.get('/account/sessions')
    expect(sessions.response.status).toBe(200)
    // "Your sessions" says how each session signed in.
    expect(sessions.html).toMatch(/<td [^>]*data-sign-in-method="password\+app">Password \+ app<\/td>/)
    const success = t.audit.find((entry) => entry.event === 'login_success' && entry.userId === user.id)
    expect(success?.reason).toBe('password+app')
  })

  test('works as one htmx form too: a wrong code swaps the form back in with its message', async () => {
    const { user } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    const { response, html } = await browser.post('/login/verify', { code: '000000' }, { htmx: true })
    expect(response.status).toBe(401)
    expect(html).toStartWith('<form id="verify-form"')
    expect(html).toContain('That code is not right.')
  })

  test('a code accepted once is refused at the next sign-in within its step; two steps away is refused', async () => {
    const { user, secret } = await twoStepUser()
    const code = codeAt(secret)
    const first = await passwordStep(user.email)
    expect((await first.browser.post('/login/verify', { code })).response.status).toBe(303)

    const second = await passwordStep(user.email)
    const replay = await second.browser.post('/login/verify', { code })
    expect(replay.response.status).toBe(401)
    expect(replay.html).toContain('That code has just been used.')
    const farAhead = await second.browser.post('/login/verify', { code: codeAt(secret, Date.now() + 65_000) })
    expect(farAhead.response.status).toBe(401)
    expect(farAhead.html).toContain('That code is not right.')
    expect(panelOf((await second.browser.get('/')).html).email).toBeUndefined()
  })

  test('five wrong codes end the pending state and count in the login throttle', async () => {
    const { user, secret } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect((await browser.post('/login/verify', { code: '000000' })).response.status).toBe(401)
    }
    const fifth = await browser.post('/login/verify', { code: '000000' })
    expect(fifth.response.status).toBe(303)
    expect(fifth.response.headers.get('location')).toBe('/login')
    const { html } = await browser.get('/login')
    expect(html).toContain('Too many wrong codes. Log in again.')
    // Back to the password, and not even a right code helps this pending session now.
    expect((await browser.post('/login/verify', { code: codeAt(secret) })).response.headers.get('location')).toBe(
      '/login',
    )
    // The five wrong codes used up this email and address's five login attempts.
    const again = await browser.post('/login', { email: user.email, password: PASSWORD })
    expect(again.response.status).toBe(429)
    expect(t.audit.filter((entry) => entry.userId === user.id && entry.reason === 'wrong_second_factor')).toHaveLength(
      5,
    )
  })

  test('after 100 wrong codes in a row for the account, app codes are refused with a way out; a recovery code signs in', async () => {
    const { user, secret, recoveryCodes } = await twoStepUser()
    // 100 wrong codes since the last passed second step, as five windows of 20 would leave them.
    const consecutiveKey = `${t.config.redis.prefix}mfa:{${user.id}}:consecutive`
    await t.redis.set(consecutiveKey, String(MAX_CONSECUTIVE_FAILURES))
    const { browser } = await passwordStep(user.email)
    const refused = await browser.post('/login/verify', { code: codeAt(secret) })
    expect(refused.response.status).toBe(403)
    expect(refused.html).toContain(APP_LOCKED)
    expect(t.audit.some((entry) => entry.userId === user.id && entry.reason === 'second_factor_app_locked')).toBe(true)
    // The pending sign-in is still there for a recovery code (or a passkey).
    const recovered = await browser.post('/login/verify', { code: recoveryCodes[0]! })
    expect(recovered.response.status).toBe(303)
    expect(panelOf((await browser.get('/')).html).email).toBe(user.email)
    expect(await t.redis.exists(consecutiveKey)).toBe(0)

    // A passkey, which no wrong code locks, starts the count again too.
    await t.redis.set(consecutiveKey, String(MAX_CONSECUTIVE_FAILURES))
    const key = await softwarePasskey(t, user.id)
    const byPasskey = (await passwordStep(user.email)).browser
    expect((await byPasskey.post('/login/verify', { code: codeAt(secret) })).response.status).toBe(403)
    const passkeyed = await byPasskey.post('/login/passkey', { response: await key.assertion(byPasskey) })
    expect(passkeyed.response.status).toBe(303)
    expect(await t.redis.exists(consecutiveKey)).toBe(0)
  })

  test('the second step has 5 minutes', async () => {
    const { user, secret } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    clockOffset = 5 * 60_000 + 1000
    try {
      const late = await browser.post('/login/verify', { code: codeAt(secret) })
      expect(late.response.status).toBe(303)
      expect(late.response.headers.get('location')).toBe('/login')
    } finally {
      clockOffset = 0
    }
    expect((await browser.get('/login')).html).toContain('That took too long. Log in again.')
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })

  test('a recovery code works once, signs in as "recovery-code" and logs out every other browser', async () => {
    const { user, secret, recoveryCodes } = await twoStepUser()
    const other = await passwordStep(user.email)
    await other.browser.post('/login/verify', { code: codeAt(secret) })
    const otherId = await currentSessionId(other.browser)
    expect((await sessionHash(otherId)).u).toBe(user.id)

    const { browser } = await passwordStep(user.email)
    const { response } = await browser.post('/login/verify', { code: recoveryCodes[0]!.toLowerCase() })
    expect(response.status).toBe(303)
    const home = (await browser.get('/')).html
    expect(home).toContain('Signed in with a recovery code; 9 left. Other browsers were logged out.')
    expect((await sessionHash(panelOf(home).sessionId!)).k).toBe('recovery-code')
    expect(await sessionHash(otherId)).toEqual({})
    expect((await browser.get('/account/sessions')).html).toMatch(
      /<td [^>]*data-sign-in-method="recovery-code">Recovery code<\/td>/,
    )
    expect(t.audit.some((entry) => entry.event === 'recovery_code_used' && entry.userId === user.id)).toBe(true)
    // Whoever holds a code may not be the owner: the owner is told by mail.
    await waitUntil(() =>
      (t.services.mail.outbox?.list() ?? []).some(
        (mail) =>
          mail.to === user.email &&
          mail.subject === 'How you sign in to Taproom changed' &&
          mail.text.includes('A recovery code was used to sign in.'),
      ),
    )

    const again = await passwordStep(user.email)
    const reused = await again.browser.post('/login/verify', { code: recoveryCodes[0]! })
    expect(reused.response.status).toBe(401)
    expect((await again.browser.post('/login/verify', { code: recoveryCodes[1]! })).response.status).toBe(303)
  })

  test('hostile input to the code field gets a clear 422', async () => {
    const { user } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    for (const code of [['1', '2'], 'x'.repeat(33), '', 'a\u0000b']) {
      const { response, html } = await browser.post('/login/verify', { code })
      expect(response.status).toBe(422)
      expect(html).toContain('field-code-error')
    }
  })
})

describe('next: the page that asked for the login comes after the second step', () => {
  async function passwordStepFrom(next: string, email: string) {
    const browser = new TestBrowser(t.app)
    await browser.get(`/login?next=${encodeURIComponent(next)}`)
    const { response } = await browser.post('/login', { email, password: PASSWORD, next })
    expect(response.headers.get('location')).toBe('/login/verify')
    await browser.get('/login/verify')
    return browser
  }

  test('a right code goes on to it', async () => {
    const { user, secret } = await twoStepUser()
    const browser = await passwordStepFrom('/account/security?from=login', user.email)
    const { response } = await browser.post('/login/verify', { code: codeAt(secret) })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/security?from=login')
    expect((await browser.get('/account/security')).response.status).toBe(200)
  })

  test('so do a recovery code and a passkey', async () => {
    const { user, recoveryCodes } = await twoStepUser()
    const byCode = await passwordStepFrom('/account/sessions', user.email)
    const coded = await byCode.post('/login/verify', { code: recoveryCodes[0]! })
    expect(coded.response.headers.get('location')).toBe('/account/sessions')

    const key = await softwarePasskey(t, user.id)
    const byPasskey = await passwordStepFrom('/account/activity', user.email)
    const passkeyed = await byPasskey.post('/login/passkey', { response: await key.assertion(byPasskey) })
    expect(passkeyed.response.status).toBe(303)
    expect(passkeyed.response.headers.get('location')).toBe('/account/activity')
    expect(panelOf((await byPasskey.get('/')).html).email).toBe(user.email)
  })

  test('anything but a path on this site is dropped at the password step: the second step lands on /', async () => {
    const hostile = [
      '//evil.example',
      'https://evil.example/account',
      '/.//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '/login',
    ]
    for (const next of hostile) {
      const { user, secret } = await twoStepUser()
      const browser = await passwordStepFrom(next, user.email)
      const { response } = await browser.post('/login/verify', { code: codeAt(secret) })
      expect({ next, location: response.headers.get('location') }).toEqual({ next, location: '/' })
    }
  })
})

describe('an account without an authenticator app', () => {
  test('signs in with the password alone, as before', async () => {
    const user = await t.services.users.create('single@example.com', await t.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    t.setSocketAddress('10.9.1.1')
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const { response } = await browser.post('/login', { email: user.email, password: PASSWORD })
    expect(response.headers.get('location')).toBe('/')
    expect((await sessionHash(await currentSessionId(browser))).k).toBe('password')
  })
})

describe('passkey sign-in, as a stranger sends it', () => {
  test('options: any passkey of this site may answer, with user verification required', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const response = await browser.request('/login/passkey/options', {
      method: 'POST',
      headers: { 'x-csrf-token': browser.csrfToken },
    })
    expect(response.status).toBe(200)
    const { options } = await response.json()
    expect(options).toMatchObject({ rpId: new URL(t.config.appUrl).hostname, userVerification: 'required' })
    expect(options.allowCredentials ?? []).toEqual([])
  })

  test('a missing, repeated, malformed, unknown or oversized answer is refused with a clear message', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const cases: [Record<string, string | string[]>, number, string][] = [
      [{}, 401, 'Passkey response is required.'],
      [{ response: '' }, 401, 'Using a passkey needs JavaScript.'],
      [{ response: ['{}', '{}'] }, 401, 'must be sent once'],
      [{ response: 'not json' }, 401, 'That passkey could not sign you in.'],
      [{ response: JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key' }) }, 401, 'could not sign you in'],
      [{ response: 'x'.repeat(20_000) }, 413, 'too large'],
    ]
    for (const [form, status, message] of cases) {
      const { response, html } = await browser.post('/login/passkey', form)
      expect({ form: Object.keys(form), status: response.status }).toEqual({ form: Object.keys(form), status })
      expect(html).toContain(message)
    }
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })
})

describe('passkey sign-in from the login page', () => {
  test('carries next, a path on this site only, like the password', async () => {
    const user = await t.services.users.create('keyed@example.com', await t.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    t.setSocketAddress('10.9.1.1')
    const key = await softwarePasskey(t, user.id)
    for (const [next, location] of [
      ['/account/sessions', '/account/sessions'],
      ['//evil.example', '/'],
    ] as const) {
      const browser = new TestBrowser(t.app)
      const page = await browser.get(`/login?next=${encodeURIComponent(next)}`)
      const passkeyForm = page.html.match(/<form id="passkey-login-form"[\s\S]*?<\/form>/)![0]
      expect(passkeyForm.includes(`name="next" value="${next}"`)).toBe(next === location)
      const { response } = await browser.post('/login/passkey', { response: await key.assertion(browser), next })
      expect({ next, status: response.status, location: response.headers.get('location') }).toEqual({
        next,
        status: 303,
        location,
      })
    }
  })
})

describe('the browser becomes one the account knows only once the whole sign-in is done', () => {
  test('no device cookie after the password; one after the code', async () => {
    const { user, secret } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    expect(browser.cookies.get(DEVICE_COOKIE)).toBeUndefined()
    expect((await browser.post('/login/verify', { code: codeAt(secret) })).response.status).toBe(303)
    expect(browser.cookies.get(DEVICE_COOKIE)).toBeDefined()
  })
})

describe("a second step left waiting while the user's sessions end", () => {
  test('a passkey no longer finishes it: its proof began at the password', async () => {
    const { user } = await twoStepUser()
    const key = await softwarePasskey(t, user.id)
    const { browser } = await passwordStep(user.email)
    await t.services.deps.sessions.endAll(user.id)
    const { response } = await browser.post('/login/passkey', { response: await key.assertion(browser) })
    expect(response.status).toBe(401)
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
    expect(
      t.audit.some((e) => e.event === 'login_failure' && e.userId === user.id && e.reason === 'credentials_changed'),
    ).toBe(true)
  })
})

describe('after the second step', () => {
  test('a password change keeps saying how this browser signed in', async () => {
    const { user, secret } = await twoStepUser()
    const { browser } = await passwordStep(user.email)
    await browser.post('/login/verify', { code: codeAt(secret) })
    await browser.get('/account/password')
    const { response } = await browser.post('/account/password', {
      current_password: PASSWORD,
      new_password: 'a brand new kettle 77 lamp',
      new_password_confirm: 'a brand new kettle 77 lamp',
    })
    expect(response.status).toBe(303)
    expect((await sessionHash(await currentSessionId(browser))).k).toBe('password+app')
  })
})
