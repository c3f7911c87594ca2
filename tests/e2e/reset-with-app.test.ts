import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { awayFromStepEdge, codeAt, turnOnAuthenticatorApp } from '../support/totp.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const OLD_PASSWORD = 'amber lantern quietly 47'
const NEW_PASSWORD = 'copper kettle softly 81'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/*
 * The mailed link proves the address, not the second factor: an account with
 * the authenticator app on must still pass /login/verify after a reset.
 */
describeInBrowser('forgot password with the authenticator app on, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  let users = 0

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eresetapp')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  /** A user with the authenticator app on, enrolled with a code of a step no test uses. */
  async function createTwoStepUser(): Promise<{ email: string; secret: string }> {
    const email = `two-step-reset${++users}@example.com`
    const user = await served.services.users.create(email, await served.services.hasher.hash(OLD_PASSWORD), {
      verifiedAt: new Date(),
    })
    const { secret } = await turnOnAuthenticatorApp(served.services.deps.secondFactors, user.id)
    return { email, secret }
  }

  /** Asks for a link, follows it and sets NEW_PASSWORD: the browser lands on the second step. */
  async function resetPassword(page: Page, email: string): Promise<void> {
    await page.goto('/password/forgot')
    await page.getByLabel('Email').fill(email)
    await page.getByRole('button', { name: 'Send Reset Link' }).click()
    await page.getByText('If an account exists for that address').waitFor()
    await page.goto(await outboxLink(served, email, '/password/reset/'))
    await page.waitForURL(`${served.baseUrl}/password/reset`)
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Set New Password' }).click()
    await page.waitForURL(`${served.baseUrl}/login/verify`)
  }

  async function submitCode(page: Page, code: string): Promise<void> {
    await page.locator('#verify-form').getByLabel('Code').fill(code)
    await page.locator('#verify-form').getByRole('button', { name: 'Verify' }).click()
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`after the new password the browser is signed in only once a code passes the second step (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        await awayFromStepEdge()
        const { email, secret } = await createTwoStepUser()
        await resetPassword(page, email)
        expect(await page.locator('h1').allTextContents()).toEqual(['One more step'])
        expect(await page.locator('#verify-form').count()).toBe(1)
        await expectAccessible(tab, `second step after a reset (${mode})`)
        // Not signed in yet: the home page shows no user.
        await page.goto('/')
        expect((await readPanel(page)).email).toBeUndefined()

        // A wrong code is refused and signs nobody in.
        tab.allowStatus(401)
        await page.goto('/login/verify')
        await submitCode(page, '000000')
        await page.locator('#field-code-error').waitFor()
        expect(await page.locator('#field-code-error').textContent()).toBe(
          'That code is not right. Check your app and try again.',
        )

        await submitCode(page, codeAt(secret))
        await page.waitForURL(`${served.baseUrl}/`)
        const panel = await readPanel(page)
        expect(panel.email).toBe(email)
        await expectAccessible(tab, `signed in after a reset and a code (${mode})`)
        const stored = await served.redis.hgetall(await served.sessionKey(panel.sessionId))
        expect(stored.k).toBe('password+app')
      }))
  }

  test('after a reset, the second step says the password was changed, as the home page does without the app', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      await awayFromStepEdge()
      const { email, secret } = await createTwoStepUser()
      await resetPassword(page, email)
      expect(page.url()).toBe(`${served.baseUrl}/login/verify`)
      expect(await page.locator('#flash').textContent()).toContain(
        'Your password was changed. Every other session was logged out.',
      )
      await submitCode(page, codeAt(secret))
      await page.waitForURL(`${served.baseUrl}/`)
      expect((await readPanel(page)).email).toBe(email)
    }))

  test('the reset logs out a browser that was signed in, and the old password no longer passes the first step', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      await awayFromStepEdge()
      const { email, secret } = await createTwoStepUser()
      // Signed in before the reset, with the password and a code.
      await page.goto('/login')
      await submitLogin(page, email, OLD_PASSWORD)
      await page.waitForURL(`${served.baseUrl}/login/verify`)
      await awayFromStepEdge(3000)
      await submitCode(page, codeAt(secret, Date.now() - 30_000))
      await page.waitForURL(`${served.baseUrl}/`)
      expect((await readPanel(page)).email).toBe(email)

      await inTab(browser, served.baseUrl, { javaScript: true }, (other) => resetPassword(other.page, email))

      await page.goto('/')
      expect((await readPanel(page)).email).toBeUndefined()
      tab.allowStatus(401)
      await page.goto('/login')
      await submitLogin(page, email, OLD_PASSWORD)
      await page.getByText('Invalid email or password.').waitFor()
      expect(page.url()).toBe(`${served.baseUrl}/login`)
    }))
})
