import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { waitUntil } from '../support/wait-until.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { openTab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
const NEW_PASSWORD = 'copper kettle whistles 83'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 3)

async function submitChange(page: Page, current: string, next: string): Promise<void> {
  const form = page.locator('#password-form')
  await form.getByLabel('Current password').fill(current)
  await form.getByLabel('New password', { exact: true }).fill(next)
  await form.getByLabel('Confirm new password').fill(next)
  await form.getByRole('button', { name: 'Change Password' }).click()
}

describeInBrowser('a password change while another tab logs out everywhere else, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2epasswordrace')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  for (const javaScript of [true, false]) {
    for (const phone of [false, true]) {
      // Two of the four: with JavaScript on a desktop, without it on a phone.
      if (javaScript === phone) continue
      const mode = `${javaScript ? 'with' : 'without'} JavaScript, ${phone ? 'phone' : 'desktop'}`

      test(`the change stands and the browser lands on /login saying so (${mode})`, async () => {
        const email = await served.createUser('racer', PASSWORD)
        const tab = await openTab(browser, served.baseUrl, { javaScript, phone })
        const elsewhere = await openTab(browser, served.baseUrl, { javaScript, phone })
        try {
          const { page } = tab
          await logIn(elsewhere, email, PASSWORD)
          await logIn(tab, email, PASSWORD)
          // A second tab of the same browser (same cookies).
          const second = await tab.context.newPage()
          await second.goto('/account/sessions')
          await page.goto('/account/password')

          // The change is held at its write, after it has ended the other sessions.
          const users = served.services.deps.users
          const original = users.replacePasswordHash
          const { promise: released, resolve: release } = Promise.withResolvers<void>()
          let reached = false
          let clicked: Promise<void> = Promise.resolve()
          users.replacePasswordHash = async (...args: Parameters<typeof original>) => {
            reached = true
            await released
            return original.apply(users, args)
          }
          try {
            // Without JavaScript the click waits for the answer's page, held here: not awaited until released.
            clicked = submitChange(page, PASSWORD, NEW_PASSWORD)
            await waitUntil(() => reached, 10_000)
            await second.getByRole('button', { name: 'Log out everywhere else' }).click()
            await second.locator('#flash', { hasText: /Logged out of|No other browser/ }).waitFor()
          } finally {
            release()
            users.replacePasswordHash = original
          }
          await clicked

          await page.waitForURL(`${served.baseUrl}/login`)
          await page
            .locator('#flash', { hasText: 'Your password was changed, and every session was logged out meanwhile' })
            .waitFor()
          expect(await page.locator('#flash').isVisible()).toBe(true)
          expect(await page.locator('#login-form').count()).toBe(1)
          await expectAccessible(tab, `password changed, logged out meanwhile (${mode})`)
          await page.goto('/')
          expect((await readPanel(page)).email).toBeUndefined()

          // The other browser was logged out, and only the new password logs in.
          await elsewhere.page.goto('/account/sessions')
          await elsewhere.page.waitForURL(/\/login/)
          elsewhere.allowStatus(401)
          await elsewhere.page.goto('/login')
          await submitLogin(elsewhere.page, email, PASSWORD)
          await elsewhere.page.getByText('Invalid email or password.').waitFor()
          expect((await logIn(tab, email, NEW_PASSWORD)).email).toBe(email)
          await second.close()
        } finally {
          await Promise.all([tab.close(), elsewhere.close()])
        }
      })
    }
  }
})
