import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { TestBrowser } from './support/browser.ts'
import { outboxLink } from './support/outbox.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
let counter = 0
const freshEmail = () => `unicode${++counter}@example.com`

beforeAll(async () => {
  t = await createTestApp('passwordforms', { TRUST_PROXY: 'true' })
})
afterAll(() => t.cleanup())

async function browserFrom(ip: string) {
  const browser = new TestBrowser(t.app)
  browser.headers['x-forwarded-for'] = ip
  await browser.get('/login')
  return browser
}

/** Signs up in `browser` and follows the mailed link: the account exists and this browser is logged in. */
async function signUpVerified(browser: TestBrowser, email: string, password: string, confirm = password) {
  await browser.get('/signup')
  const { response } = await browser.post('/signup', { email, password, password_confirm: confirm })
  expect(response.status).toBe(200)
  await browser.get(await outboxLink(t, email, '/verify-email/'))
}

/* "Café crème brûlée 42" with precomposed (NFC) and decomposed (NFD) accents: the same password, typed on two systems. */
const NFC = 'Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e 42'
const NFD = NFC.normalize('NFD')

describe('Unicode passwords (NFKC, as NIST SP 800-63B-4 asks)', () => {
  test('a password set in NFC logs in when typed in NFD, and the other way round', async () => {
    expect(NFD).not.toBe(NFC)
    const email = freshEmail()
    const browser = await browserFrom('192.0.2.101')
    await signUpVerified(browser, email, NFC)
    const other = await browserFrom('192.0.2.102')
    expect((await other.post('/login', { email, password: NFD })).response.status).toBe(303)

    const second = freshEmail()
    await browser.post('/logout')
    await signUpVerified(browser, second, NFD, NFC)
    await other.get('/login')
    expect((await other.post('/login', { email: second, password: NFC })).response.status).toBe(303)
  })

  test('a hash made before normalisation (of the typed form) still logs in, and is re-hashed to the normalised form', async () => {
    const email = freshEmail()
    const typed = 'ｆｕｌｌｗｉｄｔｈ ｐａｓｓ ９'
    await t.services.users.create(email, await bcrypt.hash(typed, 4), { verifiedAt: new Date() })
    const browser = await browserFrom('192.0.2.103')
    expect((await browser.post('/login', { email, password: typed })).response.status).toBe(303)
    const after = (await t.services.users.findByEmail(email))!.passwordHash
    expect(await bcrypt.compare(typed.normalize('NFKC'), after)).toBe(true)
    expect(await bcrypt.compare(typed, after)).toBe(false)
    const again = await browserFrom('192.0.2.104')
    expect((await again.post('/login', { email, password: typed.normalize('NFKC') })).response.status).toBe(303)
  })

  test('a literal U+FFFD in a password is accepted; invalid UTF-8 is still refused', async () => {
    const email = freshEmail()
    const password = 'replacement \uFFFD character 7 kettle'
    const browser = await browserFrom('192.0.2.105')
    await signUpVerified(browser, email, password)
    const other = await browserFrom('192.0.2.106')
    expect((await other.post('/login', { email, password })).response.status).toBe(303)

    await other.get('/login')
    const raw = await other.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${other.csrfToken}&email=${encodeURIComponent(email)}&password=replacement%20%C3%28`,
    })
    expect(raw.status).toBe(422)
    expect(await raw.text()).toContain('Password must be valid UTF-8 text.')
  })
})

describe('a login against a hash that changed while bcrypt ran', () => {
  test('fails: the old password does not outlive a password change that lands mid-login', async () => {
    const slow = await createTestApp('hashreread')
    try {
      const email = 'poller@example.com'
      const user = await slow.services.users.create(email, await slow.services.hasher.hash('the old password 1'), {
        verifiedAt: new Date(),
      })
      // The login's bcrypt starts only once it has read the user row: the
      // password changes while that bcrypt runs, and it ends after the change.
      const hasher = slow.services.hasher
      const verifyTimed = hasher.verifyTimed.bind(hasher)
      const { promise: checking, resolve: reached } = Promise.withResolvers<void>()
      const { promise: changed, resolve: change } = Promise.withResolvers<void>()
      hasher.verifyTimed = async (password, hash, options) => {
        if (password !== 'the old password 1') return verifyTimed(password, hash, options)
        reached()
        const result = await verifyTimed(password, hash, options)
        await changed
        return result
      }
      const browser = new TestBrowser(slow.app)
      await browser.get('/login')
      const login = browser.post('/login', { email, password: 'the old password 1' })
      await checking
      await slow.services.users.replacePasswordHash(
        user.id,
        user.passwordHash,
        await bcrypt.hash('the new password 2', 4),
      )
      change()
      const { response, html } = await login
      expect(response.status).toBe(401)
      expect(html).toContain('Invalid email or password.')
      expect(slow.audit.find((e) => e.event === 'login_failure')?.reason).toBe('password_replaced')
    } finally {
      await slow.cleanup()
    }
  })
})
