import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SecondFactorRepository } from '../src/db/second-factors.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { softwareRegistration } from './support/software-passkey.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { awayFromStepEdge, codeAt, secretOnPage } from './support/totp.ts'
import { waitUntil } from './support/wait-until.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'
let clockOffset = 0

beforeAll(async () => {
  t = await createTestApp('securitypage', {}, { now: () => Date.now() + clockOffset })
})
afterAll(() => t.cleanup())

const sessionHash = async (id: string) => t.redis.hgetall(await t.sessionKey(id))

let counter = 0
async function newUser() {
  t.setSocketAddress(`10.8.0.${++counter}`)
  return t.services.users.create(`security${counter}@example.com`, await t.services.hasher.hash(PASSWORD), {
    verifiedAt: new Date(),
  })
}

async function signIn(email: string) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  await browser.post('/login', { email, password: PASSWORD })
  const id = panelOf((await browser.get('/')).html).sessionId!
  return { browser, id }
}

/** Signs in twice (two browsers), turns the app on in the first; returns both and the secret. */
async function withAuthenticatorApp() {
  await awayFromStepEdge()
  const user = await newUser()
  const other = await signIn(user.email)
  const { browser, id } = await signIn(user.email)
  await browser.get('/account/security')
  const setup = await browser.post('/account/security/totp/setup')
  expect(setup.response.headers.get('location')).toBe('/account/security/totp')
  const page = await browser.get('/account/security/totp')
  const secret = secretOnPage(page.html)
  const confirmed = await browser.post('/account/security/totp/confirm', { code: codeAt(secret) })
  return { user, browser, id, other, secret, page, confirmed }
}

describe('GET /account/security', () => {
  test('logged out: to /login', async () => {
    const { response } = await new TestBrowser(t.app).get('/account/security')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?next=%2Faccount%2Fsecurity')
  })

  test('shows the app off, no passkeys, and a passkey form that says it needs JavaScript', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const { response, html } = await browser.get('/account/security')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(html).toContain('<strong>Off.</strong>')
    expect(html).toContain('No passkeys yet.')
    expect(html).toContain('Adding a passkey needs JavaScript')
    expect(html).toMatch(/<form id="passkey-add-form"[^>]*hidden/)
  })
})

describe('turning the authenticator app on', () => {
  test('QR code as inline SVG, base32 secret and otpauth URI; a current code turns it on and shows 10 codes once', async () => {
    const { user, page, confirmed, secret, browser, id, other } = await withAuthenticatorApp()
    expect(page.response.status).toBe(200)
    expect(page.html).toMatch(/<figure class="qr"[^>]*><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(page.html).toContain(
      `otpauth://totp/Taproom:${encodeURIComponent(user.email)}?issuer=Taproom&amp;secret=${secret}&amp;algorithm=SHA1&amp;digits=6&amp;period=30`,
    )
    expect(confirmed.response.status).toBe(200)
    const codes = [...confirmed.html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((m) => m[1])
    expect(codes).toHaveLength(10)
    expect(confirmed.html).toContain('download="taproom-recovery-codes.txt"')
    expect(confirmed.html).toContain(encodeURIComponent(codes[0]!))

    // The other browser was logged out; this one stays.
    expect(await sessionHash(other.id)).toEqual({})
    expect((await sessionHash(id)).u).toBe(user.id)
    const security = await browser.get('/account/security')
    expect(security.html).toContain('<strong>On.</strong>')
    expect(security.html).toMatch(/Recovery codes left: <strong>10<\/strong>/)
    expect(t.audit.some((entry) => entry.event === 'totp_enabled' && entry.userId === user.id)).toBe(true)
    await waitUntil(() =>
      (t.services.mail.outbox?.list() ?? []).some(
        (mail) => mail.to === user.email && mail.subject === 'How you sign in to Taproom changed',
      ),
    )
    // Neither the secret nor a recovery code is ever in a log line or an audit record.
    const written = `${JSON.stringify(t.audit)}\n${t.logs.join('\n')}`
    for (const value of [secret, ...codes]) expect(written).not.toContain(value!)
  })

  test('confirming with no enrolment under way goes back to Security; an empty code is a 422', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    for (const form of [{}, { code: '' }, { code: '123456' }] as Record<string, string>[]) {
      const { response } = await browser.post('/account/security/totp/confirm', form)
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/account/security')
    }
    await browser.post('/account/security/totp/setup')
    const empty = await browser.post('/account/security/totp/confirm', {})
    expect(empty.response.status).toBe(422)
    expect(empty.html).toContain('Code is required.')
  })

  test('a wrong code keeps it off, with a message', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    await browser.post('/account/security/totp/setup')
    const { response, html } = await browser.post('/account/security/totp/confirm', { code: '000000' })
    expect(response.status).toBe(422)
    expect(html).toContain('That code is not right.')
    expect((await browser.get('/account/security')).html).toContain('Continue setting up')
  })

  test('"Continue setting up" keeps the key of the unfinished setup: an app that scanned it still gives right codes', async () => {
    await awayFromStepEdge()
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    await browser.post('/account/security/totp/setup')
    const scanned = secretOnPage((await browser.get('/account/security/totp')).html)
    await browser.get('/account/security')
    await browser.post('/account/security/totp/setup')
    expect(secretOnPage((await browser.get('/account/security/totp')).html)).toBe(scanned)
    const { response } = await browser.post('/account/security/totp/confirm', { code: codeAt(scanned) })
    expect(response.status).toBe(200)
  })

  test('an unfinished setup lasts 15 minutes: then its key is neither shown, continued nor confirmed', async () => {
    await awayFromStepEdge()
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    await browser.post('/account/security/totp/setup')
    const setup = (await browser.get('/account/security/totp')).html
    expect(setup).toContain('within 15 minutes')
    const old = secretOnPage(setup)
    await t.services.database.pool.query(
      'UPDATE totp_credentials SET created_at = created_at - INTERVAL 16 MINUTE WHERE user_id = ?',
      [user.id],
    )
    const page = await browser.get('/account/security/totp')
    expect(page.response.status).toBe(303)
    expect(page.response.headers.get('location')).toBe('/account/security')
    const confirm = await browser.post('/account/security/totp/confirm', { code: codeAt(old) })
    expect(confirm.response.status).toBe(303)
    expect(confirm.response.headers.get('location')).toBe('/account/security')
    const security = (await browser.get('/account/security')).html
    expect(security).toContain('That setup ran out of time')
    expect(security).not.toContain('Continue setting up')
    expect((await t.services.deps.secondFactors.status(user.id, Date.now())).totp).toBe('off')

    await browser.post('/account/security/totp/setup')
    expect(secretOnPage((await browser.get('/account/security/totp')).html)).not.toBe(old)
  })

  test('a stale proof gets the "Confirm it\'s you" form (403), and neither the setup page nor the change', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    clockOffset = t.config.reauthSeconds * 1000 + 1000
    try {
      const stale = await browser.post('/account/security/totp/setup')
      expect(stale.response.status).toBe(403)
      expect(stale.html).toContain('name="password"')
      const page = await browser.get('/account/security/totp')
      expect(page.response.status).toBe(303)
      expect(page.response.headers.get('location')).toStartWith('/account/confirm?next=')
      const options = await browser.request('/account/security/passkeys/options', {
        method: 'POST',
        headers: { 'x-csrf-token': browser.csrfToken },
      })
      expect(options.status).toBe(403)
      expect(await options.json()).toEqual({
        error: 'Confirm it is you first.',
        redirect: '/account/confirm?next=%2Faccount%2Fsecurity',
      })
    } finally {
      clockOffset = 0
    }
    expect((await t.services.deps.secondFactors.status(user.id, Date.now())).totp).toBe('off')
  })
})

describe('recovery codes and turning the app off', () => {
  test('new codes void the old ones, log the other browsers out and tell the owner by mail', async () => {
    const { user, browser, confirmed, secret } = await withAuthenticatorApp()
    const old = confirmed.html.match(/<li><code>([0-9A-Z-]{11})<\/code><\/li>/)![1]!
    const other = await signIn(user.email)
    await other.browser.post('/login/verify', { code: codeAt(secret, Date.now() - 30_000) })
    const otherId = panelOf((await other.browser.get('/')).html).sessionId!
    expect((await sessionHash(otherId)).u).toBe(user.id)

    const { response, html } = await browser.post('/account/security/recovery-codes')
    expect(response.status).toBe(200)
    expect(html).toContain('Your earlier codes no longer work.')
    expect(html).toContain('1 other session was logged out.')
    expect(html).not.toContain(old)
    expect((await t.services.deps.secondFactors.verify(user.id, old, Date.now())).ok).toBe(false)
    expect(await sessionHash(otherId)).toEqual({})
    expect(t.audit.some((entry) => entry.event === 'recovery_codes_regenerated' && entry.userId === user.id)).toBe(true)
    await waitUntil(() =>
      (t.services.mail.outbox?.list() ?? []).some(
        (mail) => mail.to === user.email && mail.text.includes('New recovery codes were made for the sign-in'),
      ),
    )
  })

  test('a code already used (here, to turn the app on) is refused as used, not as wrong', async () => {
    const { browser, secret } = await withAuthenticatorApp()
    const again = await browser.post('/account/security/totp/disable', { code: codeAt(secret) })
    expect(again.response.status).toBe(422)
    expect(again.html).toContain('That code has just been used: wait for the next one in your app.')
  })

  test('turning it off needs a current code or a recovery code, and logs the other browsers out', async () => {
    const { user, browser, secret } = await withAuthenticatorApp()
    const wrong = await browser.post('/account/security/totp/disable', { code: '123456' })
    expect(wrong.response.status).toBe(422)
    expect(wrong.html).toContain('the authenticator app is still on')
    const later = await signIn(user.email)
    // Signing in again needs the app now: the second browser stops at the second step.
    expect((await later.browser.get('/account/sessions')).response.headers.get('location')).toBe('/login/verify')
    await later.browser.post('/login/verify', { code: codeAt(secret, Date.now() - 30_000) })
    const laterId = panelOf((await later.browser.get('/')).html).sessionId!
    expect((await sessionHash(laterId)).k).toBe('password+app')

    const off = await browser.post('/account/security/totp/disable', { code: codeAt(secret, Date.now() + 30_000) })
    expect(off.response.status).toBe(303)
    const { html } = await browser.get('/account/security')
    expect(html).toContain('Authenticator app turned off. 1 other session was logged out.')
    expect(await sessionHash(laterId)).toEqual({})
    expect(t.audit.some((entry) => entry.event === 'totp_disabled' && entry.userId === user.id)).toBe(true)
  })
})

describe('guessing codes on the security page', () => {
  test('wrong codes to turn the app off count against the account: after 20, even a right one waits', async () => {
    const { user, browser, secret } = await withAuthenticatorApp()
    for (let attempt = 0; attempt < 20; attempt++) {
      const wrong = await browser.post('/account/security/totp/disable', { code: String(100000 + attempt) })
      expect(wrong.response.status).toBe(422)
    }
    const locked = await browser.post('/account/security/totp/disable', { code: codeAt(secret, Date.now() + 30_000) })
    expect(locked.response.status).toBe(429)
    expect(Number(locked.response.headers.get('retry-after'))).toBeGreaterThan(800)
    expect(locked.html).toContain('Too many wrong codes.')
    expect((await t.services.deps.secondFactors.status(user.id, Date.now())).totp).toBe('on')
  })
})

describe('passkeys on the security page', () => {
  test('registration options: resident key and user verification required, RP ID from APP_URL, single-use challenge', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    const response = await browser.request('/account/security/passkeys/options', {
      method: 'POST',
      headers: { 'x-csrf-token': browser.csrfToken },
    })
    expect(response.status).toBe(200)
    const { options } = await response.json()
    expect(options.rp).toEqual({ name: 'Taproom', id: new URL(t.config.appUrl).hostname })
    expect(options.user.name).toBe(user.email)
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' })
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{40,}$/)

    const garbage = await browser.post('/account/security/passkeys', { name: 'Laptop', response: '{"id":"x"}' })
    expect(garbage.response.status).toBe(400)
    expect(garbage.html).toContain('The passkey could not be verified.')
    // Well formed, but signed over a challenge this session was never given.
    const b64 = (value: string) => Buffer.from(value).toString('base64url')
    const forged = JSON.stringify({
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(JSON.stringify({ type: 'webauthn.create', challenge: 'x'.repeat(43), origin: 'x' })),
        attestationObject: 'AAAA',
      },
    })
    const unknown = await browser.post('/account/security/passkeys', { name: 'Laptop', response: forged })
    expect(unknown.response.status).toBe(400)
    expect(unknown.html).toContain('The passkey request expired.')
    const noScript = await browser.post('/account/security/passkeys', { name: 'Laptop', response: '' })
    expect(noScript.response.status).toBe(422)
    expect(noScript.html).toContain('Using a passkey needs JavaScript.')
  })

  test('a registration keeps only the transports WebAuthn names, so no list of them overflows its column', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    const register = async (name: string, transports: string[]) => {
      const response = await softwareRegistration(t, browser, transports)
      const added = await browser.post('/account/security/passkeys', { name, response })
      expect(added.response.status).toBe(303)
      const passkeys = await new SecondFactorRepository(t.services.database.db).listPasskeys(user.id)
      return passkeys.find((passkey) => passkey.name === name)?.transports
    }
    // Eight names of 32 characters, the most the form takes, joined would not fit the column's 255.
    expect(
      await register(
        'Laptop',
        Array.from({ length: 8 }, (_, i) => `${i}`.repeat(32)),
      ),
    ).toBe('')
    expect(await register('Phone', ['internal', 'hybrid', 'internal', 'carrier-pigeon'])).toBe('internal,hybrid')
  })

  test("renaming or removing another user's passkey is a 404; names are checked", async () => {
    const owner = await newUser()
    const passkey = await new SecondFactorRepository(t.services.database.db).addPasskey({
      userId: owner.id,
      credentialId: 'Y3JlZGVudGlhbC1vZi10aGUtb3duZXI',
      publicKey: 'AA',
      counter: 0,
      transports: '',
      name: 'Owner key',
      backedUp: false,
    })
    const stranger = await newUser()
    const { browser } = await signIn(stranger.email)
    await browser.get('/account/security')
    const rename = await browser.post(`/account/security/passkeys/${passkey!.id}/rename`, { name: 'Mine now' })
    expect(rename.response.status).toBe(404)
    const remove = await browser.post(`/account/security/passkeys/${passkey!.id}/remove`)
    expect(remove.response.status).toBe(404)
    expect((await browser.post('/account/security/passkeys/not-an-id/remove')).response.status).toBe(404)

    const mine = await signIn(owner.email)
    await mine.browser.get('/account/security')
    const bad = await mine.browser.post(`/account/security/passkeys/${passkey!.id}/rename`, { name: ' ' })
    expect(bad.response.status).toBe(422)
    expect(bad.html).toContain('Give the passkey a name.')
    // A right-to-left override would make the name read as something else on this page and in mails.
    const reversed = await mine.browser.post(`/account/security/passkeys/${passkey!.id}/rename`, {
      name: 'Work \u202Epotpal',
    })
    expect(reversed.response.status).toBe(422)
    expect(reversed.html).toContain('A passkey name cannot contain control or formatting characters.')
    const good = await mine.browser.post(`/account/security/passkeys/${passkey!.id}/rename`, { name: 'Work laptop' })
    expect(good.response.status).toBe(303)
    expect((await mine.browser.get('/account/security')).html).toContain('<strong>Work laptop</strong>')
    const removed = await mine.browser.post(`/account/security/passkeys/${passkey!.id}/remove`)
    expect(removed.response.status).toBe(303)
    expect((await mine.browser.get('/account/security')).html).toContain('Passkey &quot;Work laptop&quot; removed.')
    expect(t.audit.some((entry) => entry.event === 'passkey_removed' && entry.userId === owner.id)).toBe(true)
  })
})
