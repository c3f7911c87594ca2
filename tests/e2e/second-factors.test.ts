import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { awayFromStepEdge, codeAt } from '../support/totp.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const EMAIL = 'otp@example.com'
const PASSWORD = 'correct horse battery'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

describeInBrowser('the authenticator app with JavaScript disabled, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, served.baseUrl, { javaScript: false }, scenario)

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eotp')])
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  test('turn it on from the QR page, save the recovery codes, sign in with a code, then with a recovery code', () =>
    run(async (tab) => {
      const { page } = tab
      tab.allowStatus(401)
      await logIn(tab, EMAIL, PASSWORD)
      await page.goto('/account/security')
      expect(await page.locator('[data-passkey-fallback]').textContent()).toContain('needs JavaScript')
      await expectAccessible(tab, 'security page without JavaScript')
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
      await page.waitForURL(`${served.baseUrl}/account/security/totp`)
      expect(await page.locator('figure.qr svg').count()).toBe(1)
      await expectAccessible(tab, 'authenticator setup')
      const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '')
      await awayFromStepEdge(3000)
      await page.getByLabel('Code from your app').fill(codeAt(secret, Date.now() - 30_000))
      await page.getByRole('button', { name: 'Turn on' }).click()
      await page.locator('#recovery-codes').waitFor()
      const codes = await page.locator('#recovery-codes code').allTextContents()
      expect(codes).toHaveLength(10)
      expect(await page.getByRole('link', { name: 'Download' }).getAttribute('download')).toBe(
        'taproom-recovery-codes.txt',
      )
      await expectAccessible(tab, 'recovery codes')

      await logOut(tab)
      await page.goto('/login')
      await submitLogin(page, EMAIL, PASSWORD)
      await page.waitForURL(`${served.baseUrl}/login/verify`)
      await expectAccessible(tab, 'second step')
      await page.getByLabel('Code').fill('000000')
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.locator('#verify-form .field-error', { hasText: 'That code is not right.' }).waitFor()
      await page.getByLabel('Code').fill(codeAt(secret))
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.waitForURL(`${served.baseUrl}/`)
      expect((await readPanel(page)).email).toBe(EMAIL)

      await logOut(tab)
      await page.goto('/login')
      await submitLogin(page, EMAIL, PASSWORD)
      await page.waitForURL(`${served.baseUrl}/login/verify`)
      await page.getByLabel('Code').fill(codes[3]!)
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.waitForURL(`${served.baseUrl}/`)
      expect(await page.locator('#flash').textContent()).toContain('Signed in with a recovery code; 9 left.')
      await page.goto('/account/sessions')
      expect(await page.locator('[data-current="true"] [data-sign-in-method]').textContent()).toContain('Recovery code')
    }))
})
