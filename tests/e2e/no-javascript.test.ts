import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin, waitForBeers } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const EMAIL = 'grace@example.com'
const PASSWORD = 'correct horse battery'

setDefaultTimeout(SCENARIO_TIMEOUT_MS)

describeInBrowser('the core flows with JavaScript disabled, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, served.baseUrl, { javaScript: false }, scenario)

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2enojs')])
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  test('no script runs; Pour Another posts, is redirected home (Post/Redirect/Get) and counts up', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      expect(await page.evaluate(() => 'htmx' in window)).toBe(false)
      const { sessionId } = await readPanel(page)
      await expectAccessible(tab, 'home without JavaScript')
      for (let pour = 1; pour <= 3; pour++) {
        const loaded = page.waitForEvent('load')
        await page.getByRole('button', { name: 'Pour Another' }).click()
        await loaded
        await waitForBeers(page, pour)
        expect((await page.locator('.beer-name').textContent())?.trim()).not.toBe('')
      }
      expect(page.url()).toBe(`${served.baseUrl}/`)
      const panel = await readPanel(page)
      expect(panel.sessionId).toBe(sessionId)
      expect(panel.text).toContain('Beers viewed in this session: 3')
      expect(await page.locator('[data-countdown]').textContent()).toMatch(/^\d+:\d\d$/)
      await expectAccessible(tab, 'after a pour without JavaScript')
      // Refresh neither pours again nor shows the beer twice; Back works.
      await page.reload()
      expect((await readPanel(page)).beers).toBe(3)
      expect(await page.locator('.beer-name').count()).toBe(0)
      expect(await page.locator('.beer-placeholder').textContent()).toBe('Your beer will appear here.')
      const back = await page.goBack()
      expect(back?.status()).toBe(200)
      expect((await readPanel(page)).beers).toBe(3)
    }))

  test('a wrong password comes back as a full page with the error, the email kept and the password cleared', () =>
    run(async (tab) => {
      const { page } = tab
      tab.allowStatus(401)
      await page.goto('/login')
      const answer = page.waitForResponse(
        (response) => response.url().endsWith('/login') && response.request().method() === 'POST',
      )
      await submitLogin(page, EMAIL, 'not the password')
      expect((await answer).status()).toBe(401)
      await page.waitForLoadState()
      expect(await page.locator('#login-form [role="alert"]').textContent()).toBe('Invalid email or password.')
      expect(await page.getByLabel('Email').inputValue()).toBe(EMAIL)
      expect(await page.getByLabel('Password').inputValue()).toBe('')
      await expectAccessible(tab, 'login error without JavaScript')
    }))

  test('logging in shows the email; logging out shows "Not logged in" with a different session ID', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      const anonymous = await readPanel(page)
      const loggedIn = await logIn(tab, EMAIL, PASSWORD)
      expect(loggedIn.sessionId).not.toBe(anonymous.sessionId)
      await expectAccessible(tab, 'logged in without JavaScript')
      const loggedOut = await logOut(tab)
      expect(loggedOut.text).toContain('Not logged in')
      expect(loggedOut.sessionId).toBeDefined()
      expect(loggedOut.sessionId).not.toBe(loggedIn.sessionId)
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Log In' }).isVisible()).toBe(true)
    }))
})
