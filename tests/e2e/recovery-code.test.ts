import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { codeAt, turnOnAuthenticatorApp } from '../support/totp.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
/** Older than a proof of presence lasts (REAUTH_SECONDS, 10 minutes here). */
const STALE_MS = 60 * 60_000

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

type TwoStepUser = { id: string; email: string; secret: string; recoveryCodes: string[] }

/** How the code field looks and what has the focus, after the verify form came back. */
const codeFieldState = (page: Page) =>
  page.evaluate(() => {
    const input = document.querySelector<HTMLInputElement>('#field-code')!
    return {
      focused: document.activeElement === input,
      ariaInvalid: input.getAttribute('aria-invalid'),
      borderWidth: getComputedStyle(input).borderTopWidth,
    }
  })

describeInBrowser('recovery codes and the second step, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  let users = 0
  let address = 0

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2erecovery')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  /** A user with the authenticator app on, enrolled with a code of a step no test uses. */
  async function createTwoStepUser(): Promise<TwoStepUser> {
    const email = `two-step${++users}@example.com`
    const user = await served.services.users.create(email, await served.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    const { secret, recoveryCodes } = await turnOnAuthenticatorApp(served.services.deps.secondFactors, user.id)
    // Each user's attempts come from its own address, so the login throttle of one test cannot meet another's.
    served.setSocketAddress(`10.8.0.${++address}`)
    return { id: user.id, email, secret, recoveryCodes }
  }

  /** The password step, landing on "One more step". */
  async function passwordStep(tab: Tab, email: string): Promise<void> {
    await tab.page.goto('/login')
    await submitLogin(tab.page, email, PASSWORD)
    await tab.page.waitForURL(`${served.baseUrl}/login/verify`)
  }

  async function submitCode(page: Page, code: string): Promise<void> {
    await page.locator('#verify-form').getByLabel('Code').fill(code)
    await page.locator('#verify-form').getByRole('button', { name: 'Verify' }).click()
  }

  test('a wrong code at the second step is shown on the code field, which is drawn as invalid and takes the focus', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      const user = await createTwoStepUser()
      await passwordStep(tab, user.email)
      await expectAccessible(tab, 'second step with JavaScript')
      tab.allowStatus(401)
      await submitCode(page, '000000')
      const error = page.locator('#field-code-error')
      await error.waitFor()
      expect(await error.textContent()).toBe('That code is not right. Check your app and try again.')
      expect(await error.isVisible()).toBe(true)
      await expectAccessible(tab, 'second step, wrong code')
      // As every other form's invalid field (see .field.invalid in public/styles.css, and FormField's autofocus).
      expect(await codeFieldState(page)).toEqual({ focused: true, ariaInvalid: 'true', borderWidth: '2px' })
    }))

  test('a recovery code typed in lower case signs in, says how many are left and logs the other browser out', async () => {
    const user = await createTwoStepUser()
    const tab = await openTab(browser, served.baseUrl, { javaScript: true })
    const other = await openTab(browser, served.baseUrl, { javaScript: true })
    try {
      const { page } = tab
      await passwordStep(other, user.email)
      await submitCode(other.page, codeAt(user.secret))
      await other.page.waitForURL(`${served.baseUrl}/`)

      await passwordStep(tab, user.email)
      await submitCode(page, user.recoveryCodes[2]!.toLowerCase())
      await page.waitForURL(`${served.baseUrl}/`)
      expect(await page.locator('#flash').textContent()).toContain(
        'Signed in with a recovery code; 9 left. Other browsers were logged out.',
      )
      expect((await readPanel(page)).email).toBe(user.email)
      await expectAccessible(tab, 'signed in with a recovery code')

      await page.goto('/account/sessions')
      expect(await page.locator('[data-current="true"] [data-sign-in-method]').textContent()).toContain('Recovery code')
      await other.page.goto('/')
      expect((await readPanel(other.page)).email).toBeUndefined()
    } finally {
      await Promise.all([tab.close(), other.close()])
    }
  })

  test('a used recovery code is refused at the next sign-in', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      const user = await createTwoStepUser()
      await passwordStep(tab, user.email)
      await submitCode(page, user.recoveryCodes[0]!)
      await page.waitForURL(`${served.baseUrl}/`)
      await page.getByRole('navigation').getByRole('button', { name: 'Log Out' }).click()
      await page.locator('#session-panel:not([data-user-email])').waitFor()

      tab.allowStatus(401)
      await passwordStep(tab, user.email)
      await submitCode(page, user.recoveryCodes[0]!)
      await page.locator('#field-code-error').waitFor()
      expect(page.url()).toBe(`${served.baseUrl}/login/verify`)
      await page.goto('/')
      expect((await readPanel(page)).email).toBeUndefined()
    }))

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`an account locked by wrong codes sends the second step back to one whole login page, saying why once (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const user = await createTwoStepUser()
        // Wrong codes from elsewhere (21 > MAX_ACCOUNT_FAILURES) lock the account's second step.
        for (let i = 0; i < 21; i++)
          await served.services.deps.secondFactors.verifyAtSignIn(user.id, '000000', Date.now())

        await passwordStep(tab, user.email)
        tab.allowStatus(429)
        await submitCode(page, codeAt(user.secret))
        await page.getByText('Too many wrong codes. Log in again.').waitFor()
        await page.locator('#login-form').waitFor()
        if (javaScript) expect(page.url()).toBe(`${served.baseUrl}/login`)
        // One page: not a login page nested inside the second step's.
        expect(await page.locator('h1').allTextContents()).toEqual(['Log In'])
        expect(await page.locator('nav').count()).toBe(1)
        expect(await page.locator('main').count()).toBe(1)
        expect(await page.locator('#verify-form').count()).toBe(0)
        // Said once (the notice above the form), not again in the form.
        expect(await page.getByText('Too many wrong codes. Log in again.').count()).toBe(1)
        await expectAccessible(tab, `second step locked (${mode})`)
        await page.goto('/')
        expect((await readPanel(page)).email).toBeUndefined()
      }))
  }

  test('five wrong codes end the pending sign-in: the login page says why, and the password is asked again', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      const user = await createTwoStepUser()
      await passwordStep(tab, user.email)
      tab.allowStatus(401)
      for (let attempt = 1; attempt < 5; attempt++) {
        const answer = page.waitForResponse((response) => response.url().endsWith('/login/verify'))
        await submitCode(page, `00000${attempt}`)
        expect((await answer).status()).toBe(401)
      }
      await submitCode(page, '000005')
      await page.waitForURL(`${served.baseUrl}/login`)
      await page.getByText('Too many wrong codes. Log in again.').waitFor()
      expect(await page.getByText('Too many wrong codes. Log in again.').isVisible()).toBe(true)
      await expectAccessible(tab, 'pending sign-in ended by wrong codes')
      await page.goto('/login/verify')
      await page.waitForURL(`${served.baseUrl}/login`)
    }))

  test('a stale proof asks for the password and a code; a wrong code is refused, a recovery code confirms', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      const user = await createTwoStepUser()
      await passwordStep(tab, user.email)
      await submitCode(page, codeAt(user.secret))
      await page.waitForURL(`${served.baseUrl}/`)
      const { sessionId } = await readPanel(page)
      await page.goto('/account/security')
      await served.ageProof(sessionId!, STALE_MS)

      tab.allowStatus(403)
      await page.getByRole('button', { name: 'Make new recovery codes' }).click()
      const form = page.locator('#reauth-form')
      await form.waitFor()
      expect(await page.locator('#reauth').textContent()).toContain('and a code from your authenticator app')
      expect(await form.getByLabel('Code').isVisible()).toBe(true)
      await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'password')
      await expectAccessible(tab, "confirm it's you, password and code")

      tab.allowStatus(401)
      await form.getByLabel('Password').fill(PASSWORD)
      await form.getByLabel('Code').fill('000000')
      await form.getByRole('button', { name: 'Confirm' }).click()
      const alert = page.locator('#reauth-form [role="alert"]')
      await alert.filter({ hasText: 'That code is not right.' }).waitFor()
      expect(await alert.isVisible()).toBe(true)
      await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'alert')
      await expectAccessible(tab, "confirm it's you, wrong code")

      await page.locator('#reauth-form').getByLabel('Password').fill(PASSWORD)
      await page.locator('#reauth-form').getByLabel('Code').fill(user.recoveryCodes[5]!)
      await page.locator('#reauth-form').getByRole('button', { name: 'Confirm' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security`)
      expect(await page.locator('#recovery-codes-left').textContent()).toContain('Recovery codes left: 9 of 10.')

      // Repeated within the seconds the proof lasts: it goes through.
      await page.getByRole('button', { name: 'Make new recovery codes' }).click()
      await page.getByRole('heading', { name: 'Your new recovery codes' }).waitFor()
      const newCodes = await page.locator('#recovery-codes code').allTextContents()
      expect(newCodes).toHaveLength(10)
      expect(newCodes).not.toContain(user.recoveryCodes[0]!)
    }))
})
