import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible, expectLabelledInputs, expectVisibleFocus } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, waitForBeers } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const EMAIL = 'linus@example.com'
const PASSWORD = 'correct horse battery'
const PUBLIC_SCREENS = ['/', '/login', '/signup', '/logout', '/how-it-works']
const ACCOUNT_SCREENS = ['/', '/account/sessions', '/account/password', '/how-it-works', '/logout']

setDefaultTimeout(SCENARIO_TIMEOUT_MS)

async function liveRegion(page: Page, selector: string) {
  return page.locator(selector).evaluate((element) => ({
    live: element.getAttribute('aria-live'),
    role: element.getAttribute('role'),
  }))
}

describeInBrowser('accessibility, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, served.baseUrl, {}, scenario)

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2ea11y')])
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD))
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  test('every screen for a visitor: no serious axe violations, labelled inputs, visible keyboard focus', () =>
    run(async (tab) => {
      for (const path of PUBLIC_SCREENS) {
        await tab.page.goto(path)
        await expectAccessible(tab, path)
        await expectLabelledInputs(tab.page)
        expect(await expectVisibleFocus(tab.page)).toBeGreaterThan(2)
      }
    }))

  test('every screen for a logged-in user: no serious axe violations, labelled inputs, visible keyboard focus', () =>
    run(async (tab) => {
      await logIn(tab, EMAIL, PASSWORD)
      for (const path of ACCOUNT_SCREENS) {
        await tab.page.goto(path)
        await expectAccessible(tab, `${path} (logged in)`)
        await expectLabelledInputs(tab.page)
        expect(await expectVisibleFocus(tab.page)).toBeGreaterThan(2)
      }
    }))

  test('the not-found page passes axe too', () =>
    run(async (tab) => {
      tab.allowStatus(404)
      const response = await tab.page.goto('/no-such-page')
      expect(response?.status()).toBe(404)
      await expectAccessible(tab, 'not found')
      expect(await expectVisibleFocus(tab.page)).toBeGreaterThan(0)
    }))

  test('the beer result, the session panel and the flash are live regions, and stay so after a pour', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      const expected = {
        '#beer': { live: 'polite', role: null },
        '#session-panel': { live: 'polite', role: null },
        '#flash': { live: 'polite', role: 'status' },
      }
      for (const [selector, region] of Object.entries(expected))
        expect(await liveRegion(page, selector)).toEqual(region)
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await waitForBeers(page, 1)
      for (const [selector, region] of Object.entries(expected))
        expect(await liveRegion(page, selector)).toEqual(region)
      // The countdown ticks every second; announcing each tick would drown out everything else.
      expect(await page.locator('[data-countdown]').getAttribute('aria-live')).toBe('off')
    }))
})
