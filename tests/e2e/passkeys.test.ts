import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { Secret, TOTP } from 'otpauth'
import type { Browser } from 'playwright-core'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin } from './support/flows.ts'
import { inTab } from './support/tab.ts'
import { type VirtualCredential, virtualAuthenticator, withoutAutofill } from './support/webauthn.ts'

const EMAIL = 'passkey@example.com'
const TWO_STEP_EMAIL = 'twostep@example.com'
const CAREFUL_EMAIL = 'careful@example.com'
const PASSWORD = 'correct horse battery'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

describeInBrowser('passkeys, in Chromium with a virtual authenticator', () => {
  let browser: Browser
  let t: TestApp
  let server: ReturnType<typeof Bun.serve>
  let baseUrl: string
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, baseUrl, {}, scenario)

  beforeAll(async () => {
    // WebAuthn refuses IP addresses as relying party IDs, so the browser uses
    // localhost, and APP_URL (which passkeys are bound to) says so.
    let app: TestApp['app'] | undefined
    server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request, bun) => app!.fetch(request, bun) })
    baseUrl = `http://localhost:${server.port}`
    ;[browser, t] = await Promise.all([launchChromium(), createTestApp('e2epasskeys', { APP_URL: baseUrl })])
    app = t.app
    await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    await t.services.users.create(TWO_STEP_EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    await t.services.users.create(CAREFUL_EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop(true)
    await t?.cleanup()
  })

  let registered: VirtualCredential | undefined

  test('register a passkey from the security page, then sign in with it alone', () =>
    run(async (tab) => {
      const { page } = tab
      const { cdp, authenticatorId } = await virtualAuthenticator(page)
      await logIn(tab, EMAIL, PASSWORD)

      await page.goto('/account/security')
      await expectAccessible(tab, 'security page')
      expect(await page.locator('[data-passkey-fallback]').isHidden()).toBe(true)
      await page.getByLabel('Passkey name').fill('Test laptop')
      await page.getByRole('button', { name: 'Add a passkey' }).click()
      await page.locator('#flash', { hasText: 'Passkey "Test laptop" added.' }).waitFor()
      expect(await page.locator('.passkey strong').allTextContents()).toEqual(['Test laptop'])

      const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
        credentials: VirtualCredential[]
      }
      expect(credentials).toHaveLength(1)
      expect(credentials[0]!.isResidentCredential).toBe(true)
      expect(credentials[0]!.rpId).toBe('localhost')

      // Autofill (conditional mediation): the email field offers the passkey; the
      // virtual authenticator picks it at once, so the page signs in by itself.
      await logOut(tab)
      await page.goto('/login')
      await page.waitForURL(`${baseUrl}/`)
      await page.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
      expect((await readPanel(page)).email).toBe(EMAIL)

      // The button, in a browser without passkey autofill (so nothing else can answer first).
      await logOut(tab)
      await withoutAutofill(page)
      const optionRequests: string[] = []
      page.on('request', (request) => {
        if (request.url().endsWith('/login/passkey/options')) optionRequests.push(request.url())
      })
      await page.goto('/login')
      expect(await page.getByLabel('Email').getAttribute('autocomplete')).toBe('username webauthn')
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await page.waitForURL(`${baseUrl}/`)
      await page.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
      expect(optionRequests.length).toBe(1)
      const panel = await readPanel(page)
      const stored = await t.redis.hgetall(await t.sessionKey(panel.sessionId))
      expect(stored.k).toBe('passkey')
      expect(Number(stored.p)).toBeGreaterThan(Date.now() - 60_000)

      const after = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
        credentials: VirtualCredential[]
      }
      registered = after.credentials[0]
      expect(registered!.signCount).toBeGreaterThan(credentials[0]!.signCount)

      await page.goto('/account/security')
      expect(await page.locator('.passkey').textContent()).toContain('last used just now')
    }))

  test('a cloned authenticator whose counter went backwards is refused', () =>
    run(async (tab) => {
      expect(registered).toBeDefined()
      const { page } = tab
      tab.allowStatus(401)
      const successesBefore = t.audit.filter((entry) => entry.event === 'login_success').length
      const { cdp, authenticatorId } = await virtualAuthenticator(page)
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...registered!, signCount: 0 } })
      await withoutAutofill(page)
      await page.goto('/login')
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await page
        .locator('#login-form [role="alert"], main [role="alert"]', { hasText: 'could not sign you in' })
        .first()
        .waitFor()
      expect((await readPanel(page)).email).toBeUndefined()
      expect(t.audit.some((entry) => entry.event === 'login_failure' && entry.reason === 'passkey_counter')).toBe(true)
      // The copied passkey is removed: neither copy signs in again, however high its counter climbs.
      const [rows] = (await t.services.database.pool.query('SELECT COUNT(*) AS n FROM passkeys')) as unknown as [
        { n: number }[],
      ]
      expect(Number(rows[0]!.n)).toBe(0)
      expect(t.audit.some((entry) => entry.event === 'passkey_removed' && entry.reason === 'passkey_counter')).toBe(
        true,
      )
      expect(await page.locator('#passkey-login-form').getAttribute('data-passkey-autofill')).toBeNull()
      const second = page.waitForResponse(
        (response) => response.url().endsWith('/login/passkey') && response.request().method() === 'POST',
      )
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      expect((await second).status()).toBe(401)
      await page.locator('main [role="alert"]', { hasText: 'could not sign you in' }).first().waitFor()
      expect((await readPanel(page)).email).toBeUndefined()
      // Refused as unknown now, and no attempt in this test signed anyone in.
      expect(t.audit.at(-1)).toMatchObject({ event: 'login_failure', reason: 'passkey_failed' })
      expect(t.audit.filter((entry) => entry.event === 'login_success').length).toBe(successesBefore)
    }))

  test('after a password, a passkey is the second step too', () =>
    run(async (tab) => {
      const { page } = tab
      await virtualAuthenticator(page)
      await logIn(tab, TWO_STEP_EMAIL, PASSWORD)
      await page.goto('/account/security')
      await page.getByLabel('Passkey name').fill('Phone')
      await page.getByRole('button', { name: 'Add a passkey' }).click()
      await page.locator('#flash', { hasText: 'Passkey "Phone" added.' }).waitFor()
      // The authenticator app goes on too, so a password alone no longer signs in.
      const user = (await t.services.users.findByEmail(TWO_STEP_EMAIL))!
      const factors = t.services.deps.secondFactors
      const secret = (await factors.startEnrolment(user.id))!
      const enrolled = await factors.confirmEnrolment(
        user.id,
        TOTP.generate({ secret: Secret.fromBase32(secret) }),
        Date.now(),
      )
      expect(enrolled.ok).toBe(true)
      await logOut(tab)

      // Without autofill, so the login page cannot sign in with the passkey before the password does.
      await withoutAutofill(page)
      await page.goto('/login')
      await submitLogin(page, TWO_STEP_EMAIL, PASSWORD)
      await page.waitForURL(`${baseUrl}/login/verify`)
      await expectAccessible(tab, 'second step with a passkey')
      await page.getByRole('button', { name: 'Use a passkey instead' }).click()
      await page.waitForURL(`${baseUrl}/`)
      await page.locator(`#session-panel[data-user-email="${TWO_STEP_EMAIL}"]`).waitFor()
      const { sessionId } = await readPanel(page)
      expect((await t.redis.hgetall(await t.sessionKey(sessionId))).k).toBe('passkey')
    }))

  test('a stale session confirms it is the user with a passkey, from the link in the swapped-in form', () =>
    run(async (tab) => {
      const { page } = tab
      await virtualAuthenticator(page)
      await withoutAutofill(page)
      await logIn(tab, CAREFUL_EMAIL, PASSWORD)
      await page.goto('/account/security')
      await page.getByLabel('Passkey name').fill('Desk key')
      await page.getByRole('button', { name: 'Add a passkey' }).click()
      await page.locator('#flash', { hasText: 'Passkey "Desk key" added.' }).waitFor()
      // Another browser signs in after the passkey was added (which logged others out), so there is one to log out.
      const other = await browser.newContext()
      const otherPage = await other.newPage()
      await otherPage.goto(`${baseUrl}/login`)
      await submitLogin(otherPage, CAREFUL_EMAIL, PASSWORD)
      await otherPage.waitForURL(`${baseUrl}/`)
      await other.close()
      await page.goto('/')
      const sessionId = (await readPanel(page)).sessionId!
      await t.age(sessionId, t.config.reauthSeconds * 1000 + 1000)

      await page.goto('/account/sessions')
      tab.allowStatus(403)
      await page.getByRole('button', { name: 'Log out everywhere else' }).click()
      await page.locator('#reauth-form').waitFor()
      expect(page.url()).toBe(`${baseUrl}/account/sessions`)
      await page.getByRole('link', { name: 'Use a passkey instead' }).click()
      await page.waitForURL(`${baseUrl}/account/confirm?next=%2Faccount%2Fsessions`)
      await expectAccessible(tab, 'confirm it is you, with a passkey offered')
      const provedBefore = Number((await t.redis.hgetall(await t.sessionKey(sessionId))).p)
      const auditBefore = t.audit.length
      await page.getByRole('button', { name: 'Use a passkey instead' }).click()
      await page.waitForURL(`${baseUrl}/account/sessions`)
      const confirmations = t.audit.slice(auditBefore).filter((entry) => entry.event === 'reauthenticated')
      expect(confirmations.map((entry) => entry.reason)).toEqual(['passkey'])
      // Confirming moved the session to a new token and ID, with a fresh proof.
      const renewed = String(confirmations[0]!.sessionId)
      expect(renewed).not.toBe(sessionId)
      expect(await t.onlyReplacedMark(sessionId)).toBe(true)
      const provedAfter = Number((await t.redis.hgetall(await t.sessionKey(renewed))).p)
      expect(provedAfter).toBeGreaterThan(provedBefore)

      // Repeated now, the action goes through.
      await page.getByRole('button', { name: 'Log out everywhere else' }).click()
      await page.getByText('Logged out of 1 other session.').waitFor()
      expect(await page.locator('#reauth-form').count()).toBe(0)
    }))
})
