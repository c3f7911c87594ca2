import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { readPanel } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const OLD_PASSWORD = 'amber lantern quietly 47'
const NEW_PASSWORD = 'copper kettle softly 81'

setDefaultTimeout(SCENARIO_TIMEOUT_MS)

/*
 * The pages that carry a mailed token send Referrer-Policy: no-referrer, and a
 * browser then sends `Origin: null` with their form posts: only a real
 * browser shows whether those forms still work.
 */
describeInBrowser('mailed links, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  let users = 0

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2ereset')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`forgot password: the mailed link's form sets the new password and signs in (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = `forgetful${++users}@example.com`
        await served.services.users.create(email, await served.services.hasher.hash(OLD_PASSWORD), {
          verifiedAt: new Date(),
        })
        await page.goto('/login')
        await page.getByRole('link', { name: 'Forgot your password?' }).click()
        await page.getByLabel('Email').fill(email)
        await page.getByRole('button', { name: 'Send Reset Link' }).click()
        await page.getByText('If an account exists for that address').waitFor()

        await page.goto(await outboxLink(served, email, '/password/reset/'))
        await page.waitForURL(`${served.baseUrl}/password/reset`)
        await expectAccessible(tab, `choose a new password (${mode})`)
        await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
        await page.getByLabel('Confirm new password').fill(NEW_PASSWORD)
        await page.getByRole('button', { name: 'Set New Password' }).click()
        await page.waitForURL(`${served.baseUrl}/`)
        expect((await readPanel(page)).email).toBe(email)
      }))
  }
})
