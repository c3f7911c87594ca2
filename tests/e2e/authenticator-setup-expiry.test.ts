import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { awayFromStepEdge, codeAt } from '../support/totp.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, type Tab } from './support/tab.ts'

const PASSWORD = 'juniper anchor softly 61'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

const noSidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)

describeInBrowser('an authenticator app setup that ran out of time, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2esetupexpiry')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  async function ageSetup(email: string, minutes = 16) {
    const user = await served.services.users.findByEmail(email)
    await served.services.database.pool.query(
      `UPDATE totp_credentials SET created_at = created_at - INTERVAL ${minutes} MINUTE WHERE user_id = ?`,
      [user!.id],
    )
  }

  async function startSetup(tab: Tab): Promise<string> {
    await tab.page.goto('/account/security')
    await tab.page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    await tab.page.waitForURL(`${tab.baseUrl}/account/security/totp`)
    return (await tab.page.locator('#totp-secret').textContent())!.replaceAll(' ', '')
  }

  for (const javaScript of [true, false]) {
    for (const phone of [false, true]) {
      // Two of the four: with JavaScript on a desktop, without it on a phone.
      if (javaScript === phone) continue
      const mode = `${javaScript ? 'with' : 'without'} JavaScript, ${phone ? 'phone' : 'desktop'}`

      test(`the setup page says 15 minutes; after them a reload lands on Security saying so (${mode})`, () =>
        inTab(browser, served.baseUrl, { javaScript, phone }, async (tab) => {
          const { page } = tab
          const email = await served.createUser('reload', PASSWORD)
          await logIn(tab, email, PASSWORD)
          await startSetup(tab)
          expect(await page.locator('main').textContent()).toContain('within 15 minutes')
          expect(await noSidewaysScroll(page)).toBe(true)
          await ageSetup(email)
          await page.reload()
          await page.waitForURL(`${served.baseUrl}/account/security`)
          expect(await page.locator('#flash').textContent()).toContain('That setup ran out of time')
          expect(await page.getByRole('button', { name: 'Continue setting up' }).count()).toBe(0)
          await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor()
          await expectAccessible(tab, `security after an expired setup (${mode})`)
          // The notice is one-time: a second look at Security no longer shows it.
          await page.reload()
          expect(await page.locator('#flash').textContent()).not.toContain('ran out of time')
        }))

      test(`a code confirmed after 15 minutes: flash on Security, then a new key turns the app on (${mode})`, () =>
        inTab(browser, served.baseUrl, { javaScript, phone }, async (tab) => {
          const { page } = tab
          await awayFromStepEdge(8000)
          const email = await served.createUser('late', PASSWORD)
          await logIn(tab, email, PASSWORD)
          const old = await startSetup(tab)
          await ageSetup(email)
          await page.getByLabel('Code from your app').fill(codeAt(old))
          await page.getByRole('button', { name: 'Turn on' }).click()
          await page.waitForURL(`${served.baseUrl}/account/security`)
          await page.locator('#flash', { hasText: 'That setup ran out of time' }).waitFor()
          expect(await page.locator('#flash').textContent()).toContain('Start again and scan the new code.')
          expect(await page.locator('#flash').isVisible()).toBe(true)
          expect(await noSidewaysScroll(page)).toBe(true)
          const user = await served.services.users.findByEmail(email)
          expect((await served.services.deps.secondFactors.status(user!.id, Date.now())).totp).toBe('off')

          const fresh = await startSetup(tab)
          expect(fresh).not.toBe(old)
          // "Set up" after being told to start again: nothing more to say about the old key.
          expect(await page.locator('#flash').textContent()).not.toContain('ran out of time')
          await awayFromStepEdge(3000)
          await page.getByLabel('Code from your app').fill(codeAt(fresh, Date.now() - 30_000))
          await page.getByRole('button', { name: 'Turn on' }).click()
          await page.locator('#recovery-codes').waitFor()
          expect(await page.locator('#recovery-codes code').count()).toBe(10)
          expect((await served.services.deps.secondFactors.status(user!.id, Date.now())).totp).toBe('on')
        }))
    }
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'
    test(`"Continue setting up" on a Security page left open past the 15 minutes says the key is new (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = await served.createUser('stale-continue', PASSWORD)
        await logIn(tab, email, PASSWORD)
        const old = await startSetup(tab)
        await page.getByRole('link', { name: 'Back to Security' }).click()
        await page.waitForURL(`${served.baseUrl}/account/security`)
        await ageSetup(email)
        // The page still offers to continue: the user expects the key the app scanned.
        await page.getByRole('button', { name: 'Continue setting up' }).click()
        await page.waitForURL(`${served.baseUrl}/account/security/totp`)
        const shown = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '')
        expect(shown).not.toBe(old)
        // The app's codes for the scanned key would be refused: the page says this key is new.
        expect(await page.locator('#flash').textContent()).toContain('so this is a new key')
      }))
  }

  test('a setup 14 minutes old is still shown and confirmed with its key', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      await awayFromStepEdge(8000)
      const email = await served.createUser('early', PASSWORD)
      await logIn(tab, email, PASSWORD)
      const secret = await startSetup(tab)
      await ageSetup(email, 14)
      await page.goto('/account/security')
      await page.getByRole('button', { name: 'Continue setting up' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security/totp`)
      expect((await page.locator('#totp-secret').textContent())!.replaceAll(' ', '')).toBe(secret)
      await page.getByLabel('Code from your app').fill(codeAt(secret))
      await page.getByRole('button', { name: 'Turn on' }).click()
      await page.locator('#recovery-codes').waitFor()
    }))
})
