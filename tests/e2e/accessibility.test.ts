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
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
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

  test('a pour is announced by one status line, not the re-rendered panel; the flash stays a status region', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      const expected = {
        '#beer': { live: null, role: null },
        '#session-panel': { live: null, role: null },
        '#pour-status': { live: null, role: 'status' },
        '#flash': { live: 'polite', role: 'status' },
      }
      for (const [selector, region] of Object.entries(expected))
        expect(await liveRegion(page, selector)).toEqual(region)
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await waitForBeers(page, 1)
      for (const [selector, region] of Object.entries(expected))
        expect(await liveRegion(page, selector)).toEqual(region)
      const status = (await page.locator('#pour-status').textContent()) ?? ''
      const name = (await page.locator('.beer-name').textContent())?.trim()
      const style = (await page.locator('.beer-style').textContent())?.trim()
      expect(status).toBe(
        `Poured: ${name}, ${/^[aeiou]/i.test(style ?? '') ? 'an' : 'a'} ${style}. 1 beer this session.`,
      )
      expect(status).not.toContain((await page.locator('#session-panel').getAttribute('data-session-id'))!)
      // The countdown ticks every second; announcing each tick would drown out everything else.
      expect(await page.locator('[data-countdown]').getAttribute('aria-live')).toBe('off')
    }))
})
