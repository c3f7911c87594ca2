import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { waitUntil } from '../support/wait-until.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin, submitSignUpForm } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, PHONE, type Tab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
const OTHER_PASSWORD = 'velvet compass drifting 35'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

describeInBrowser('sign-up, email change and deletion, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  let n = 0

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eaccountedges')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  async function submitSignUp(tab: Tab, email: string, password = PASSWORD): Promise<void> {
    await tab.page.goto('/signup')
    await submitSignUpForm(tab.page, email, password)
  }

  /** Every mail to `to` so far, oldest first. */
  const mailsTo = (to: string) =>
    [...(served.services.mail.outbox?.list() ?? [])].filter((mail) => mail.to === to).reverse()

  for (const javaScript of [true, false]) {
    for (const phone of [false, true]) {
      // Two of the four: with JavaScript on a desktop, without it on a phone.
      if (javaScript === phone) continue
      const mode = `${javaScript ? 'with' : 'without'} JavaScript, ${phone ? 'phone' : 'desktop'}`
      const tag = `${javaScript ? 'js' : 'nojs'}-${phone ? 'phone' : 'desk'}`

      test(`signing up twice with one address (another password the second time): the first link signs in with the first password (${mode})`, () =>
        inTab(browser, served.baseUrl, { javaScript, phone }, async (tab) => {
          const { page } = tab
          const email = `twice-${tag}@example.com`
          await submitSignUp(tab, email)
          const link = await outboxLink(served, email, '/verify-email/')
          await submitSignUp(tab, email, OTHER_PASSWORD)
          await waitUntil(() => mailsTo(email).length >= 2)
          await page.goto(link)
          await page.waitForURL(`${served.baseUrl}/`)
          await page.locator(`#session-panel[data-user-email="${email}"]`).waitFor()
          expect(await page.locator('#flash').textContent()).toContain('Welcome!')
          await logOut(tab)
          expect((await logIn(tab, email, PASSWORD)).email).toBe(email)
        }))

      test(`signing up two addresses in one browser, the newer link used first: the first link still signs in (${mode})`, () =>
        inTab(browser, served.baseUrl, { javaScript, phone }, async (tab) => {
          const { page } = tab
          const first = `older-${tag}@example.com`
          const second = `newer-${tag}@example.com`
          await submitSignUp(tab, first)
          await submitSignUp(tab, second, OTHER_PASSWORD)
          const firstLink = await outboxLink(served, first, '/verify-email/')
          const secondLink = await outboxLink(served, second, '/verify-email/')
          await page.goto(secondLink)
          await page.waitForURL(`${served.baseUrl}/`)
          await page.locator(`#session-panel[data-user-email="${second}"]`).waitFor()
          await page.goto(firstLink)
          // What it shows instead: "This link was opened in a browser other than the one that signed up."
          expect(await page.locator('main').textContent()).not.toContain(
            'opened in a browser other than the one that signed up',
          )
          await page.waitForURL(`${served.baseUrl}/`)
          await page.locator(`#session-panel[data-user-email="${first}"]`).waitFor()
        }))

      // On a desktop this is tests/e2e/account-email.test.ts and delete-account.test.ts: here on a phone only.
      if (phone)
        test(`email change requested and confirmed in the same browser, then the account deleted (${mode})`, async () => {
          const email = await served.createUser(`mover-${tag}-`, PASSWORD)
          const newEmail = `moved-${tag}-${++n}@example.com`
          const tab = await openTab(browser, served.baseUrl, { javaScript, phone })
          const other = await openTab(browser, served.baseUrl, { javaScript, phone })
          try {
            const { page } = tab
            await logIn(other, email, PASSWORD)
            await logIn(tab, email, PASSWORD)
            await page.goto('/account/email')
            await page.locator('#email-form').getByLabel('New email address').fill(newEmail)
            await page.locator('#email-form').getByRole('button', { name: 'Send Confirmation Link' }).click()
            await page.locator('#inbox-notice', { hasText: `We sent a link to ${newEmail}.` }).waitFor()
            const link = await outboxLink(served, newEmail, '/account/email/confirm/')
            await page.goto(link)
            await page.waitForURL(`${served.baseUrl}/account/email`)
            expect(await page.locator('#flash').textContent()).toContain(`Your email is now ${newEmail}.`)
            await expectAccessible(tab, `email changed (${mode})`)
            await other.page.goto('/account/sessions')
            await other.page.waitForURL(/\/login/)

            await page.goto('/account/delete')
            const form = page.locator('#delete-account-form')
            await form.getByLabel(`Type ${newEmail} to confirm`).fill(newEmail)
            await form.getByRole('button', { name: 'Delete my account' }).click()
            await page.waitForURL(`${served.baseUrl}/`)
            expect(await page.locator('#flash').textContent()).toContain('Your account was deleted.')
            expect(await served.services.users.findByEmail(newEmail)).toBeUndefined()
            tab.allowStatus(401)
            await page.goto('/login')
            await submitLogin(page, newEmail, PASSWORD)
            await page.getByText('Invalid email or password.').waitFor()
            expect((await readPanel(page)).email).toBeUndefined()
          } finally {
            await Promise.all([tab.close(), other.close()])
          }
        })
    }
  }

  test('on a phone, a long (real-world) address does not push the email change and delete forms off screen', () =>
    inTab(browser, served.baseUrl, { phone: true }, async (tab) => {
      const { page } = tab
      const email = 'alexandra.konstantinopoulou@cambridgeshire.gov.uk'
      await served.services.users.create(email, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
      await logIn(tab, email, PASSWORD)
      const overflow: Record<string, number> = {}
      for (const path of ['/account/email', '/account/delete']) {
        await page.goto(path)
        overflow[path] = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        )
      }
      const button = await page.getByRole('button', { name: 'Delete my account' }).boundingBox()
      expect({ overflow, buttonRight: Math.round(button!.x + button!.width) <= PHONE.width }).toEqual({
        overflow: { '/account/email': 0, '/account/delete': 0 },
        buttonRight: true,
      })
    }))
})
