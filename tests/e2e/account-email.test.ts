import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'

// Two browsers, a mail and several logins per scenario.
setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/*
 * The confirmation link's page is sent with Referrer-Policy: no-referrer:
 * only a real browser shows that its way on to the login works.
 */
describeInBrowser('changing the email, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eemail')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('mover', PASSWORD)

  /** Asks for the change from /account/email (the login just now is a fresh proof) and returns the mailed link. */
  async function requestChange(tab: Tab, oldEmail: string, newEmail: string, mode: string): Promise<string> {
    const { page } = tab
    await page.goto('/account/email')
    const form = page.locator('#email-form')
    expect(await form.locator('strong').textContent()).toBe(oldEmail)
    await expectAccessible(tab, `change your email (${mode})`)
    await form.getByLabel('New email address').fill(newEmail)
    await form.getByRole('button', { name: 'Send Confirmation Link' }).click()
    await page.locator('#inbox-notice').waitFor()
    expect(await page.locator('#inbox-notice').textContent()).toContain(`We sent a link to ${newEmail}.`)
    await expectAccessible(tab, `confirmation link sent (${mode})`)
    expect((await served.services.users.findByEmail(oldEmail))?.email).toBe(oldEmail)
    return outboxLink(served, newEmail, '/account/email/confirm/')
  }

  /** The old address no longer logs in; the new one does. */
  async function expectOnlyNewEmailLogsIn(tab: Tab, oldEmail: string, newEmail: string): Promise<void> {
    tab.allowStatus(401)
    await tab.page.goto('/login')
    await submitLogin(tab.page, oldEmail, PASSWORD)
    await tab.page.getByText('Invalid email or password.').waitFor()
    expect((await logIn(tab, newEmail, PASSWORD)).email).toBe(newEmail)
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`the mailed link followed in the same browser moves the email at once and keeps it logged in (${mode})`, async () => {
      const oldEmail = await createUser()
      const newEmail = `moved-here-${javaScript ? 'js' : 'nojs'}@example.com`
      const tab = await openTab(browser, served.baseUrl, { javaScript })
      try {
        const { page } = tab
        const session = await logIn(tab, oldEmail, PASSWORD)
        const link = await requestChange(tab, oldEmail, newEmail, mode)

        await page.goto(link)
        await page.waitForURL(`${served.baseUrl}/account/email`)
        expect(await page.locator('#flash').textContent()).toContain(
          `Your email is now ${newEmail}. Every other session was logged out.`,
        )
        expect(await page.locator('#email-form strong').textContent()).toBe(newEmail)
        await expectAccessible(tab, `email changed (${mode})`)

        await page.goto('/')
        expect(await readPanel(page)).toMatchObject({ sessionId: session.sessionId, email: newEmail })
        expect(await served.services.users.findByEmail(oldEmail)).toBeUndefined()
        await logOut(tab)
        await expectOnlyNewEmailLogsIn(tab, oldEmail, newEmail)
      } finally {
        await tab.close()
      }
    })

    test(`the mailed link opened in another browser changes nothing until the account logs in there, then moves the email and logs out everywhere else (${mode})`, async () => {
      const oldEmail = await createUser()
      const newEmail = `moved-elsewhere-${javaScript ? 'js' : 'nojs'}@example.com`
      const asker = await openTab(browser, served.baseUrl, { javaScript })
      const other = await openTab(browser, served.baseUrl, { javaScript })
      try {
        await logIn(asker, oldEmail, PASSWORD)
        const link = await requestChange(asker, oldEmail, newEmail, mode)

        await other.page.goto(link)
        expect(await other.page.getByRole('heading', { level: 1 }).textContent()).toBe(
          'Log in to confirm your new email',
        )
        await expectAccessible(other, `log in to confirm the new email (${mode})`)
        // Opening the link changed nothing: only a login to the account, in this browser, lets it act.
        expect((await served.services.users.findByEmail(oldEmail))?.email).toBe(oldEmail)

        await other.page.getByRole('link', { name: 'Log in to confirm' }).click()
        await other.page.waitForURL(/\/login\?next=/)
        await submitLogin(other.page, oldEmail, PASSWORD)
        await other.page.waitForURL(`${served.baseUrl}/account/email`)
        expect(await other.page.locator('#flash').textContent()).toContain(
          `Your email is now ${newEmail}. Every other session was logged out.`,
        )
        expect((await served.services.users.findByEmail(newEmail))?.email).toBe(newEmail)

        // The browser that asked was logged out with every other session.
        await asker.page.goto('/account/email')
        await asker.page.waitForURL(/\/login/)
        await asker.page.goto('/')
        expect((await readPanel(asker.page)).email).toBeUndefined()

        await expectOnlyNewEmailLogsIn(other, oldEmail, newEmail)
      } finally {
        await Promise.all([asker.close(), other.close()])
      }
    })
  }
})
