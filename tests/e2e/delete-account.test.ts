import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, readPanel, submitLogin, submitSignUpForm } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'

// Two browsers, a deletion, a failed login and a new sign-up per scenario.
setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

describeInBrowser('deleting the account, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2edelete')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('leaver', PASSWORD)

  /** Signs up with `email` and follows the mailed link: only a new account gets one. */
  async function signUpAgain(tab: Tab, email: string): Promise<void> {
    const { page } = tab
    await page.goto('/signup')
    await submitSignUpForm(page, email, PASSWORD)
    await page.goto(await outboxLink(served, email, '/verify-email/'))
    await page.waitForURL(`${served.baseUrl}/`)
    await page.locator(`#session-panel[data-user-email="${email}"]`).waitFor()
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`deleting the account logs it out everywhere, its login stops working and its email can sign up again (${mode})`, async () => {
      const email = await createUser()
      const tab = await openTab(browser, served.baseUrl, { javaScript })
      const other = await openTab(browser, served.baseUrl, { javaScript })
      try {
        const { page } = tab
        await logIn(other, email, PASSWORD)
        const session = await logIn(tab, email, PASSWORD)
        await page.goto('/account/sessions')
        await page.getByRole('link', { name: 'Delete your account' }).click()
        await page.waitForURL(`${served.baseUrl}/account/delete`)
        await expectAccessible(tab, `delete your account (${mode})`)

        const form = page.locator('#delete-account-form')
        tab.allowStatus(422)
        await form.getByLabel(`Type ${email} to confirm`).fill('someone-else@example.com')
        await form.getByRole('button', { name: 'Delete my account' }).click()
        await page.locator('#delete-account-form .field-error').waitFor()
        expect(await page.locator('#delete-account-form .field-error').textContent()).toBe(
          "That is not this account's email address.",
        )
        await expectAccessible(tab, `delete your account, wrong email (${mode})`)
        expect(await served.services.users.findByEmail(email)).toBeDefined()

        await page.locator('#delete-account-form').getByLabel(`Type ${email} to confirm`).fill(email)
        await page.locator('#delete-account-form').getByRole('button', { name: 'Delete my account' }).click()
        await page.waitForURL(`${served.baseUrl}/`)
        await page.locator('#session-panel:not([data-user-email])').waitFor()
        expect(await page.locator('#flash').textContent()).toContain('Your account was deleted.')
        expect((await readPanel(page)).sessionId).not.toBe(session.sessionId)
        await page.getByRole('navigation').getByRole('link', { name: 'Log In' }).waitFor()
        await expectAccessible(tab, `home after deleting the account (${mode})`)
        expect(await served.services.users.findByEmail(email)).toBeUndefined()

        // The other browser's next page finds it logged out.
        await other.page.goto('/account/sessions')
        await other.page.waitForURL(/\/login/)
        await other.page.goto('/')
        expect((await readPanel(other.page)).email).toBeUndefined()

        tab.allowStatus(401)
        await page.goto('/login')
        await submitLogin(page, email, PASSWORD)
        await page.getByText('Invalid email or password.').waitFor()
        expect(page.url()).toStartWith(`${served.baseUrl}/login`)

        await signUpAgain(tab, email)
        expect((await readPanel(page)).email).toBe(email)
      } finally {
        await Promise.all([tab.close(), other.close()])
      }
    })
  }
})
