import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin } from './support/flows.ts'
import { screenshot } from './support/screenshots.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const EMAIL = 'ada@example.com'
const PASSWORD = 'correct horse battery'

setDefaultTimeout(SCENARIO_TIMEOUT_MS)

describeInBrowser('logging in and out, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, served.baseUrl, {}, scenario)

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2elogin')])
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  test('a wrong password shows the inline error in place, keeps the email and clears the password', () =>
    run(async (tab) => {
      const { page } = tab
      tab.allowStatus(401)
      await page.goto('/login')
      await expectAccessible(tab, 'login')
      let pageLoads = 0
      page.on('load', () => pageLoads++)
      const answer = page.waitForResponse(
        (response) => response.url().endsWith('/login') && response.request().method() === 'POST',
      )
      await submitLogin(page, EMAIL, 'not the password')
      expect((await answer).status()).toBe(401)
      const error = page.locator('#login-form [role="alert"]')
      await error.waitFor()
      expect(await error.textContent()).toBe('Invalid email or password.')
      expect(await page.getByLabel('Email').inputValue()).toBe(EMAIL)
      expect(await page.getByLabel('Password').inputValue()).toBe('')
      expect(page.url()).toBe(`${served.baseUrl}/login`)
      expect(pageLoads).toBe(0)
      expect((await readPanel(page)).email).toBeUndefined()
      await expectAccessible(tab, 'login error')
      await screenshot(page, 'login-error')
    }))

  test('logging in lands on home with the email in the panel and a new session ID', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      const before = await readPanel(page)
      const after = await logIn(tab, EMAIL, PASSWORD)
      expect(after.email).toBe(EMAIL)
      expect(after.sessionId).not.toBe(before.sessionId)
      expect(await page.getByRole('navigation').getByRole('button', { name: 'Log Out' }).isVisible()).toBe(true)
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Log In' }).count()).toBe(0)
      await expectAccessible(tab, 'logged in')
      await screenshot(page, 'logged-in')
    }))

  test('logging out returns to "Not logged in" with a different session ID', () =>
    run(async (tab) => {
      const { page } = tab
      const loggedIn = await logIn(tab, EMAIL, PASSWORD)
      const after = await logOut(tab)
      expect(after.email).toBeUndefined()
      expect(after.text).toContain('Not logged in')
      expect(after.sessionId).toBeDefined()
      expect(after.sessionId).not.toBe(loggedIn.sessionId)
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Log In' }).isVisible()).toBe(true)
      await expectAccessible(tab, 'logged out')
    }))

  test('the logout page asks first; its button logs out', () =>
    run(async (tab) => {
      const { page } = tab
      const loggedIn = await logIn(tab, EMAIL, PASSWORD)
      await page.goto('/logout')
      expect((await readPanel(page)).email).toBe(EMAIL)
      await expectAccessible(tab, 'logout page')
      await page.locator('#logout-form').getByRole('button', { name: 'Log Out' }).click()
      await page.waitForURL(`${served.baseUrl}/`)
      const after = await readPanel(page)
      expect(after.email).toBeUndefined()
      expect(after.sessionId).not.toBe(loggedIn.sessionId)
    }))
})
