import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
/** Older than a proof of presence lasts (REAUTH_SECONDS, 10 minutes here). */
const STALE_MS = 60 * 60_000

setDefaultTimeout(SCENARIO_TIMEOUT_MS + 10_000)

describeInBrowser('"Confirm it\'s you", in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2ereauth')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('careful', PASSWORD)

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`a stale "log out everywhere else" asks for the password, then goes through when repeated (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = await createUser()
        const other = await browser.newContext()
        try {
          const otherPage = await other.newPage()
          await otherPage.goto(`${served.baseUrl}/login`)
          await otherPage.getByLabel('Email').fill(email)
          await otherPage.getByLabel('Password').fill(PASSWORD)
          await otherPage.locator('#login-form').getByRole('button', { name: 'Log In' }).click()
          await otherPage.waitForURL(`${served.baseUrl}/`)

          const { sessionId } = await logIn(tab, email, PASSWORD)
          await page.goto('/account/sessions')
          await served.ageProof(sessionId!, STALE_MS)
          tab.allowStatus(403)
          await page.getByRole('button', { name: 'Log out everywhere else' }).click()

          const form = page.locator('#reauth-form')
          await form.waitFor()
          expect(await page.getByRole('heading', { name: "Confirm it's you" }).isVisible()).toBe(true)
          expect(await form.locator('input[name="next"]').inputValue()).toBe('/account/sessions')
          if (javaScript) {
            // Swapped in place of the page's content, the password field ready to type in.
            expect(page.url()).toBe(`${served.baseUrl}/account/sessions`)
            await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'password')
          }
          await expectAccessible(tab, `confirm it's you (${mode})`)
          expect(await page.locator('#sessions-list tbody tr').count()).toBe(0)

          tab.allowStatus(401)
          await form.getByLabel('Password').fill('not the password')
          await form.getByRole('button', { name: 'Confirm' }).click()
          await page.getByText('Invalid email or password.').waitFor()

          await page.locator('#reauth-form').getByLabel('Password').fill(PASSWORD)
          await page.locator('#reauth-form').getByRole('button', { name: 'Confirm' }).click()
          await page.waitForURL(`${served.baseUrl}/account/sessions`)
          await page.locator('#sessions-list').waitFor()
          expect(await page.locator('#sessions-list tbody tr').count()).toBe(2)

          // Repeated within the seconds the proof lasts: it goes through.
          await page.getByRole('button', { name: 'Log out everywhere else' }).click()
          await page.getByText('Logged out of 1 other session.').waitFor()
          await otherPage.goto(`${served.baseUrl}/account/sessions`)
          await otherPage.waitForURL(/\/login/)
        } finally {
          await other.close()
        }
      }))
  }
})
