import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Secret, TOTP } from 'otpauth'
import { SecondFactorRepository } from '../src/db/second-factors.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { softwarePasskey } from './support/software-passkey.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

const PASSWORD = 'correct horse battery'
const PER_IP = 8
const THROTTLED = 'Too many failed attempts. Try again in 15 minutes.'
/** Well-formed enough to reach the checks, signed by nothing. */
const FORGED = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key' })

let t: TestApp

beforeAll(async () => {
  t = await createTestApp('passkeythrottle', {
    LOGIN_MAX_FAILURES_PER_EMAIL_IP: '5',
    LOGIN_MAX_FAILURES_PER_IP: String(PER_IP),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  })
})
afterAll(() => t.cleanup())

let counter = 0
async function ownerWithPasskey() {
  const email = `keyholder${++counter}@example.com`
  const user = await t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  return { user, key: await softwarePasskey(t, user.id) }
}

/** A fresh browser on the login page, from `address`. */
async function loginPage(address: string) {
  t.setSocketAddress(address)
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  return browser
}

describe('passkey sign-in is throttled per client address', () => {
  test('failed assertions spend the per-IP budget before any is checked; beyond it 429, Retry-After and the login’s words', async () => {
    const { key } = await ownerWithPasskey()
    const browser = await loginPage('10.20.0.1')
    for (let attempt = 1; attempt <= 5; attempt++) {
      const { response, html } = await browser.post('/login/passkey', { response: FORGED })
      expect({ attempt, status: response.status }).toEqual({ attempt, status: 401 })
      expect(html).toContain('That passkey could not sign you in.')
    }
    const refused = await browser.post('/login/passkey', { response: FORGED })
    expect(refused.response.status).toBe(429)
    const retryAfter = Number(refused.response.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(14 * 60)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(refused.html).toContain(THROTTLED)
    expect(refused.html).toMatch(/<form id="login-form"/)

    // Even a genuine assertion is not looked at now: the passkey is never checked, so its use is not recorded.
    const genuine = await browser.post('/login/passkey', { response: await key.assertion(browser) })
    expect(genuine.response.status).toBe(429)
    const stored = await new SecondFactorRepository(t.services.database.db).findPasskey(key.passkey.credentialId)
    expect(stored?.lastUsedAt).toBeNull()
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
    expect(t.audit.filter((entry) => entry.ip === '10.20.0.1' && entry.reason === 'throttled')).toHaveLength(2)
  })

  test('the budget is the one passwords spend: after five failed passkeys, the address has three password attempts left', async () => {
    const browser = await loginPage('10.20.0.2')
    for (let attempt = 1; attempt <= 5; attempt++) await browser.post('/login/passkey', { response: FORGED })
    // Each guess at an address of its own, so only the address's budget is shared.
    const guess = (n: number) => browser.post('/login', { email: `nobody${n}@example.com`, password: PASSWORD })
    for (let attempt = 1; attempt <= PER_IP - 5; attempt++) {
      expect({ attempt, status: (await guess(attempt)).response.status }).toEqual({ attempt, status: 401 })
    }
    expect((await guess(PER_IP)).response.status).toBe(429)
  })

  test('sign-ins that succeed spend nothing', async () => {
    const { user, key } = await ownerWithPasskey()
    t.setSocketAddress('10.20.0.3')
    for (let signIn = 1; signIn <= PER_IP + 2; signIn++) {
      const browser = await loginPage('10.20.0.3')
      const { response } = await browser.post('/login/passkey', { response: await key.assertion(browser) })
      expect({ signIn, status: response.status }).toEqual({ signIn, status: 303 })
      expect(panelOf((await browser.get('/')).html).email).toBe(user.email)
    }
  })

  test('a stranger cannot lock the owner out: the account cap and a spent address leave the owner’s passkey working', async () => {
    const { user, key } = await ownerWithPasskey()
    const stranger = await loginPage('10.20.1.1')
    for (let guess = 1; guess <= 3; guess++)
      await stranger.post('/login', { email: user.email, password: `guess ${guess}` })
    for (let attempt = 1; attempt <= PER_IP; attempt++) await stranger.post('/login/passkey', { response: FORGED })

    const owner = await loginPage('10.20.2.1')
    // The account cap is spent for browsers the account does not know, as for any password...
    expect((await owner.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(429)
    // ...but a passkey cannot be guessed, so no account cap stands in its way.
    const { response } = await owner.post('/login/passkey', { response: await key.assertion(owner) })
    expect(response.status).toBe(303)
    expect(panelOf((await owner.get('/')).html).email).toBe(user.email)
  })

  test('while a password waits for its second step, a refused passkey leaves the code form on the page', async () => {
    const { user } = await ownerWithPasskey()
    const factors = t.services.deps.secondFactors
    const secret = (await factors.startEnrolment(user.id))!
    const confirmedAt = Date.now() - 10 * 60_000
    const code = TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: confirmedAt })
    expect((await factors.confirmEnrolment(user.id, code, confirmedAt)).ok).toBe(true)

    const browser = await loginPage('10.20.3.1')
    expect((await browser.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(303)
    await browser.get('/login/verify')
    for (let attempt = 1; attempt <= 5; attempt++) await browser.post('/login/passkey', { response: FORGED })
    const { response, html } = await browser.post('/login/passkey', { response: FORGED })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(html).toMatch(/<form id="verify-form"/)
    expect(html).toContain(THROTTLED)
  })
})
