import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { awayFromStepEdge, codeAt } from '../support/totp.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'correct horse battery'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/* What tests/e2e/second-factors.test.ts leaves out: a wrong setup code, resuming a setup, new recovery codes, turning the app off. */
describeInBrowser('the authenticator app without JavaScript, beyond the first setup, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eotpnojs')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('app-user', PASSWORD)

  const secretOn = async (tab: Tab) => (await tab.page.locator('#totp-secret').textContent())!.replaceAll(' ', '')

  /** Turns the app on with a code of 30 s ago (leaving this step's code unused) and returns the recovery codes. */
  async function turnOn(tab: Tab, secret: string): Promise<string[]> {
    await awayFromStepEdge(3000)
    await tab.page.getByLabel('Code from your app').fill(codeAt(secret, Date.now() - 30_000))
    await tab.page.getByRole('button', { name: 'Turn on' }).click()
    await tab.page.locator('#recovery-codes').waitFor()
    return tab.page.locator('#recovery-codes code').allTextContents()
  }

  /** From the security page (the login just now is a fresh proof) to the setup page; returns the key it shows. */
  async function startSetup(tab: Tab): Promise<string> {
    await tab.page.goto('/account/security')
    await tab.page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    await tab.page.waitForURL(`${served.baseUrl}/account/security/totp`)
    return secretOn(tab)
  }

  test('after a wrong setup code, "Continue setting up" shows the same key again, and it turns the app on', () =>
    inTab(browser, served.baseUrl, { javaScript: false }, async (tab) => {
      const { page } = tab
      await logIn(tab, await createUser(), PASSWORD)
      const secret = await startSetup(tab)

      tab.allowStatus(422)
      await page.getByLabel('Code from your app').fill(codeAt(secret) === '000000' ? '111111' : '000000')
      await page.getByRole('button', { name: 'Turn on' }).click()
      await page.locator('#field-code-error').waitFor()
      expect(await page.locator('#field-code-error').textContent()).toContain('That code is not right.')
      expect(await secretOn(tab)).toBe(secret)
      await expectAccessible(tab, 'authenticator setup, wrong code')

      // The app already holds this key: continuing must not swap it for another.
      await page.getByRole('link', { name: 'Back to Security' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security`)
      await page.getByRole('button', { name: 'Continue setting up' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security/totp`)
      expect(await secretOn(tab)).toBe(secret)
      expect(await turnOn(tab, secret)).toHaveLength(10)
    }))

  test('turning the app on logs out the other browser', async () => {
    const email = await createUser()
    const tab = await openTab(browser, served.baseUrl, { javaScript: false })
    const other = await openTab(browser, served.baseUrl, { javaScript: false })
    try {
      await logIn(other, email, PASSWORD)
      await logIn(tab, email, PASSWORD)
      expect(await turnOn(tab, await startSetup(tab))).toHaveLength(10)
      expect(await tab.page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'Authenticator app on: save your recovery codes',
      )
      await other.page.goto('/account/security')
      await other.page.waitForURL(/\/login/)
      await other.page.goto('/')
      expect((await readPanel(other.page)).email).toBeUndefined()
    } finally {
      await Promise.all([tab.close(), other.close()])
    }
  })

  test('new recovery codes void the old ones; turning the app off takes a right code, then the password alone signs in', () =>
    inTab(browser, served.baseUrl, { javaScript: false }, async (tab) => {
      const { page } = tab
      const email = await createUser()
      await logIn(tab, email, PASSWORD)
      const firstCodes = await turnOn(tab, await startSetup(tab))

      await page.getByRole('link', { name: 'I have saved them: back to Security' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security`)
      expect(await page.locator('#recovery-codes-left').textContent()).toContain('Recovery codes left: 10 of 10.')
      await expectAccessible(tab, 'security page, app on, without JavaScript')
      await page.getByRole('button', { name: 'Make new recovery codes' }).click()
      await page.getByRole('heading', { name: 'Your new recovery codes' }).waitFor()
      await expectAccessible(tab, 'new recovery codes')
      const newCodes = await page.locator('#recovery-codes code').allTextContents()
      expect(newCodes).toHaveLength(10)
      expect(newCodes.filter((code) => firstCodes.includes(code))).toEqual([])

      await page.goto('/account/security')
      tab.allowStatus(422)
      const disable = page.locator('#totp-disable-form')
      await disable.getByLabel('Code to turn it off').fill(firstCodes[0]!)
      await disable.getByRole('button', { name: 'Turn off the authenticator app' }).click()
      await page.getByText('That code is not right: the authenticator app is still on.').waitFor()
      await expectAccessible(tab, 'turning the app off, wrong code')

      await page.locator('#totp-disable-form').getByLabel('Code to turn it off').fill(newCodes[0]!)
      await page.locator('#totp-disable-form').getByRole('button', { name: 'Turn off the authenticator app' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security`)
      expect(await page.locator('#flash').textContent()).toContain('Authenticator app turned off.')
      await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor()

      // No second step any more: the password lands on the home page.
      await logOut(tab)
      expect((await logIn(tab, email, PASSWORD)).email).toBe(email)
    }))
})
