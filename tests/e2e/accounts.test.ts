import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitSignUpForm } from './support/flows.ts'
import { screenshot } from './support/screenshots.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'

// Two or three browsers logging in, revoking and pouring: more than one scenario's worth on a loaded machine.
setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

describeInBrowser('accounts, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eaccounts')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('drinker', PASSWORD)

  /** Fills in and sends the sign-up form of the page the tab shows, and waits for "Check your inbox". */
  async function submitSignUp(tab: Tab, email: string): Promise<void> {
    await submitSignUpForm(tab.page, email, PASSWORD)
    expect(await tab.page.locator('#inbox-notice').textContent()).toContain('Check your inbox')
  }

  /** Signs up, then follows the link from the mail as shown in the dev outbox. */
  async function signUp(tab: Tab, email: string): Promise<void> {
    await submitSignUp(tab, email)
    await outboxLink(served, email, '/verify-email/')
    await tab.page.goto('/dev/mail')
    await tab.page.locator('#dev-mail li', { hasText: email }).first().locator('a[href*="/verify-email/"]').click()
    await tab.page.waitForURL(`${served.baseUrl}/`)
    await tab.page.locator(`#session-panel[data-user-email="${email}"]`).waitFor()
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`sign up, log out, then log in with the new account (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = `new-${javaScript ? 'js' : 'nojs'}@example.com`
        await page.goto('/signup')
        await expectAccessible(tab, `sign up (${mode})`)
        await signUp(tab, email)
        expect((await readPanel(page)).text).toContain(`Logged in as: ${email}`)
        expect(await page.getByRole('navigation').getByRole('link', { name: 'Your sessions' }).isVisible()).toBe(true)
        expect((await logOut(tab)).email).toBeUndefined()
        const panel = await logIn(tab, email, PASSWORD)
        expect(panel.email).toBe(email)
      }))

    test(`a sign-up link opened in another browser asks for a click before it acts (${mode})`, async () => {
      const email = `elsewhere-${javaScript ? 'js' : 'nojs'}@example.com`
      const signer = await openTab(browser, served.baseUrl, { javaScript })
      const other = await openTab(browser, served.baseUrl, { javaScript })
      try {
        await signer.page.goto('/signup')
        await submitSignUp(signer, email)
        const link = await outboxLink(served, email, '/verify-email/')
        await other.page.goto(link)
        await other.page.locator('#confirm-link-form').waitFor()
        await expectAccessible(other, `confirm a link opened elsewhere (${mode})`)
        expect((await served.services.users.findByEmail(email))!.emailVerifiedAt).toBeNull()
        await other.page.getByRole('button', { name: 'Confirm my email' }).click()
        await other.page.waitForURL(`${served.baseUrl}/login`)
        await other.page.getByText('Your email is confirmed.').waitFor()
        expect((await served.services.users.findByEmail(email))!.emailVerifiedAt).toBeInstanceOf(Date)
        await other.page.goto('/')
        expect((await readPanel(other.page)).email).toBeUndefined()
      } finally {
        await signer.close()
        await other.close()
      }
    })

    test(`revoking a session from "Your sessions" logs that browser out on its next click (${mode})`, async () => {
      const email = await createUser()
      const revoked = await openTab(browser, served.baseUrl, { javaScript })
      const revoker = await openTab(browser, served.baseUrl, { javaScript })
      // The revoked browser's pour is refused (its session has ended): with JavaScript it is retried in the new one.
      revoked.allowStatus(403)
      try {
        const revokedSession = await logIn(revoked, email, PASSWORD)
        const revokerSession = await logIn(revoker, email, PASSWORD)
        const { page } = revoker
        await page.goto('/account/sessions')
        const rows = page.locator('[data-session-id]')
        expect(await rows.count()).toBe(2)
        expect(await page.locator('[data-current="true"]').getAttribute('data-session-id')).toBe(
          revokerSession.sessionId!,
        )
        const target = page.locator(`[data-session-id="${revokedSession.sessionId}"]`)
        expect(await target.getAttribute('data-current')).toBeNull()
        await expectAccessible(revoker, `your sessions (${mode})`)
        if (javaScript) await screenshot(page, 'your-sessions')

        let pageLoads = 0
        page.on('load', () => pageLoads++)
        await target.getByRole('button', { name: /revoke/i }).click()
        await target.waitFor({ state: 'detached' })
        expect(await rows.count()).toBe(1)
        expect(await page.locator('[data-current="true"]').count()).toBe(1)
        if (javaScript) expect(pageLoads).toBe(0)
        await expectAccessible(revoker, `your sessions after a revoke (${mode})`)

        await revoked.page.getByRole('button', { name: 'Pour Another' }).click()
        if (!javaScript) {
          // Nothing was poured: the answer says why, with the nav of the new session; home shows it.
          await revoked.page.getByRole('heading', { name: 'Your session had ended' }).waitFor()
          expect(await revoked.page.getByRole('alert').textContent()).toContain('send the form again')
          await revoked.page.getByRole('navigation').getByRole('link', { name: 'Log In' }).waitFor()
          await revoked.page.goto('/')
        }
        await revoked.page.locator('#session-panel:not([data-user-email])').waitFor()
        const after = await readPanel(revoked.page)
        expect(after.text).toContain('Not logged in')
        expect(after.sessionId).not.toBe(revokedSession.sessionId)
        await revoker.page.goto('/')
        expect(await readPanel(revoker.page)).toMatchObject({ sessionId: revokerSession.sessionId, email })
      } finally {
        await Promise.all([revoked.close(), revoker.close()])
      }
    })
  }
})
