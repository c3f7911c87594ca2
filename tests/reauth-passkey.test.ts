import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SecondFactorRepository } from '../src/db/second-factors.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { softwarePasskey } from './support/software-passkey.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { turnOnAuthenticatorApp } from './support/totp.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'
const REAUTH_MS = 600_000
const CONFIRM_OPTIONS = '/account/confirm/passkey/options'
const REFUSED = 'That passkey could not confirm it was you.'

beforeAll(async () => {
  t = await createTestApp('reauthpasskey', { LOGIN_MAX_FAILURES_PER_EMAIL_IP: '5', LOGIN_MAX_FAILURES_PER_IP: '8' })
})
afterAll(() => t.cleanup())

let counter = 0
/** A user with a passkey, signed in on a browser (from an address of its own) whose proof is stale. */
async function staleKeyholder({ app = false } = {}) {
  const user = await t.services.users.create(`stale${++counter}@example.com`, await t.services.hasher.hash(PASSWORD), {
    verifiedAt: new Date(),
  })
  const key = await softwarePasskey(t, user.id)
  t.setSocketAddress(`10.30.0.${counter}`)
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  expect((await browser.post('/login/passkey', { response: await key.assertion(browser) })).response.status).toBe(303)
  if (app) {
    await turnOnAuthenticatorApp(t.services.deps.secondFactors, user.id)
  }
  const id = panelOf((await browser.get('/')).html).sessionId!
  await t.age(id, REAUTH_MS + 1000)
  return { user, key, browser, id }
}

const stillStale = async (browser: TestBrowser) =>
  (await browser.post('/account/sessions/revoke-others')).response.status === 403

describe('confirming it is you with a passkey', () => {
  test('the full "Confirm it\'s you" page offers the passkey form and its scripts; the htmx fragment links to that page', async () => {
    const { browser } = await staleKeyholder()
    await browser.get('/account/sessions')
    const page = await browser.post('/account/sessions/revoke-others')
    expect(page.response.status).toBe(403)
    expect(page.html).toMatch(/<form id="reauth-passkey-form"[^>]*action="\/account\/confirm\/passkey"/)
    expect(page.html).toContain(`data-options="${CONFIRM_OPTIONS}"`)
    expect(page.html).toContain('passkeys.js')
    expect(page.html).toContain('webauthn.min.js')
    expect(page.html).toContain('or use a passkey')

    const fragment = await browser.post('/account/sessions/revoke-others', {}, { htmx: true })
    expect(fragment.response.status).toBe(403)
    expect(fragment.html).not.toContain('reauth-passkey-form')
    expect(fragment.html).toContain('<a href="/account/confirm?next=%2Faccount%2Fsessions">Use a passkey instead</a>')
    const linked = await browser.get('/account/confirm?next=%2Faccount%2Fsessions')
    expect(linked.html).toContain('id="reauth-passkey-form"')
  })

  test('an account without a passkey is offered none, and asking for a challenge answers 409', async () => {
    const user = await t.services.users.create('nokey@example.com', await t.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    t.setSocketAddress('10.31.0.1')
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    await browser.post('/login', { email: user.email, password: PASSWORD })
    const { html } = await browser.get('/account/confirm?next=/')
    expect(html).toContain('id="reauth-form"')
    expect(html).not.toContain('reauth-passkey-form')
    expect(html).not.toContain('passkeys.js')
    const options = await browser.request(CONFIRM_OPTIONS, {
      method: 'POST',
      headers: { 'x-csrf-token': browser.csrfToken },
    })
    expect(options.status).toBe(409)
    expect(((await options.json()) as { error: string }).error).toContain('no passkey')
  })

  test('the options name only the user’s own passkeys; the answer marks the proof fresh and 303s to next', async () => {
    const { user, key, browser, id } = await staleKeyholder()
    // Another account's passkey exists beside it.
    await staleKeyholder()
    const reply = await browser.request(CONFIRM_OPTIONS, {
      method: 'POST',
      headers: { 'x-csrf-token': browser.csrfToken },
    })
    const { options } = (await reply.json()) as {
      options: { allowCredentials: { id: string }[]; userVerification: string }
    }
    expect(options.allowCredentials.map((credential) => credential.id)).toEqual([key.passkey.credentialId])
    expect(options.userVerification).toBe('required')

    expect(await stillStale(browser)).toBe(true)
    const confirm = await browser.post('/account/confirm/passkey', {
      response: await key.assertion(browser, CONFIRM_OPTIONS),
      next: '/account/sessions',
    })
    expect(confirm.response.status).toBe(303)
    expect(confirm.response.headers.get('location')).toBe('/account/sessions')
    expect(await stillStale(browser)).toBe(false)
    // As with the password, the session moved to a new token and ID; the audit names the new one.
    const renewed = panelOf((await browser.get('/')).html).sessionId!
    expect(renewed).not.toBe(id)
    expect(await t.onlyReplacedMark(id)).toBe(true)
    const audited = t.audit.filter((e) => e.event === 'reauthenticated' && e.userId === user.id)
    expect(audited.map((e) => [e.sessionId, e.reason])).toEqual([[renewed, 'passkey']])
  })

  test('with the authenticator app on, the passkey alone is a full re-authentication: no code is asked', async () => {
    const { key, browser } = await staleKeyholder({ app: true })
    const { html } = await browser.get('/account/confirm?next=/')
    expect(html).toContain('name="code"')
    const confirm = await browser.post('/account/confirm/passkey', {
      response: await key.assertion(browser, CONFIRM_OPTIONS),
      next: '/',
    })
    expect(confirm.response.status).toBe(303)
    expect(await stillStale(browser)).toBe(false)
  })

  test('another account’s passkey confirms nothing, even answering this session’s challenge', async () => {
    const mine = await staleKeyholder()
    const theirs = await staleKeyholder()
    // Their key signs the challenge given to my session.
    const response = await theirs.key.assertion(mine.browser, CONFIRM_OPTIONS)
    const refused = await mine.browser.post('/account/confirm/passkey', { response, next: '/' })
    expect(refused.response.status).toBe(401)
    // Refused before anything of it was checked or recorded: their passkey's use is as it was.
    const stored = await new SecondFactorRepository(t.services.database.db).findPasskey(theirs.key.passkey.credentialId)
    expect(stored?.counter).toBe(1)
    expect(refused.html).toContain(REFUSED)
    expect(refused.html).toContain('id="reauth-passkey-form"')
    expect(await stillStale(mine.browser)).toBe(true)
    expect(t.audit.some((e) => e.userId === mine.user.id && e.reason === 'reauth_passkey_failed')).toBe(true)
  })

  test('a sign-in challenge cannot confirm, and a confirming answer is used once', async () => {
    const { key, browser } = await staleKeyholder()
    const signInAnswer = await key.assertion(browser, '/login/passkey/options')
    const crossed = await browser.post('/account/confirm/passkey', { response: signInAnswer, next: '/' })
    expect(crossed.response.status).toBe(401)
    expect(await stillStale(browser)).toBe(true)

    const answer = await key.assertion(browser, CONFIRM_OPTIONS)
    expect((await browser.post('/account/confirm/passkey', { response: answer, next: '/' })).response.status).toBe(303)
    const replayed = await browser.post('/account/confirm/passkey', { response: answer, next: '/' })
    expect(replayed.response.status).toBe(401)
    expect(replayed.html).toContain(REFUSED)
  })

  test('an empty or garbled answer is a 422 or 401 with the page’s words, never a 500', async () => {
    const { browser } = await staleKeyholder()
    const empty = await browser.post('/account/confirm/passkey', { response: '', next: '/' })
    expect(empty.response.status).toBe(422)
    expect(empty.html).toContain('Using a passkey needs JavaScript.')
    const forged = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key' })
    const cases: [string, number][] = [
      ['{', 401],
      ['[]', 401],
      [forged, 401],
      ['x'.repeat(12_001), 422],
    ]
    for (const [response, status] of cases) {
      const answer = await browser.post('/account/confirm/passkey', { response, next: '/' })
      expect({ response: response.slice(0, 20), status: answer.response.status }).toEqual({
        response: response.slice(0, 20),
        status,
      })
    }
    expect(await stillStale(browser)).toBe(true)
  })

  test('failed answers spend the address’s passkey budget: then 429 with Retry-After, and a genuine one is not looked at', async () => {
    const { key, browser } = await staleKeyholder()
    const forged = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key' })
    for (let attempt = 1; attempt <= 5; attempt++) {
      const { response } = await browser.post('/account/confirm/passkey', { response: forged, next: '/' })
      expect({ attempt, status: response.status }).toEqual({ attempt, status: 401 })
    }
    const refused = await browser.post('/account/confirm/passkey', {
      response: await key.assertion(browser, CONFIRM_OPTIONS),
      next: '/',
    })
    expect(refused.response.status).toBe(429)
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.html).toContain('Too many failed attempts.')
    expect(await stillStale(browser)).toBe(true)
  })

  test('an answer from a copied passkey (its counter went back) removes it and ends every session of the user', async () => {
    const { user, key, browser, id } = await staleKeyholder()
    const elsewhere = new TestBrowser(t.app)
    await elsewhere.get('/login')
    expect((await elsewhere.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(303)
    const elsewhereId = panelOf((await elsewhere.get('/')).html).sessionId!
    const repository = new SecondFactorRepository(t.services.database.db)
    const stored = (await repository.findPasskey(key.passkey.credentialId))!
    // Another copy of the key has signed far ahead of this one.
    expect(await repository.recordPasskeyUse(stored.id, stored.counter, stored.counter + 1000)).toBe(true)
    const answer = await browser.post('/account/confirm/passkey', {
      response: await key.assertion(browser, CONFIRM_OPTIONS),
      next: '/',
    })
    expect(answer.response.status).toBe(303)
    expect(answer.response.headers.get('location')).toBe('/login')
    expect(await repository.findPasskey(key.passkey.credentialId)).toBeUndefined()
    expect(await t.redis.exists(await t.sessionKey(id))).toBe(0)
    expect(await t.redis.exists(await t.sessionKey(elsewhereId))).toBe(0)
    const login = await browser.get('/login')
    expect(login.html).toContain('That passkey was used from two devices')
    expect(t.audit.some((e) => e.event === 'passkey_removed' && e.userId === user.id)).toBe(true)
  })

  test('signed out, both routes send the browser to log in and confirm nothing', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const options = await browser.request(CONFIRM_OPTIONS, {
      method: 'POST',
      headers: { 'x-csrf-token': browser.csrfToken },
    })
    // The page's script asked: JSON it can follow, not a redirect fetch would follow into HTML.
    expect(options.status).toBe(401)
    expect(await options.json()).toEqual({
      error: 'Your session has ended. Log in again.',
      redirect: '/login?next=%2Faccount%2Fconfirm',
    })
    const confirm = await browser.post('/account/confirm/passkey', { response: '{}', next: '/' })
    expect(confirm.response.status).toBe(303)
    expect(confirm.response.headers.get('location')).toStartWith('/login')
  })
})
