import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
const NEW_PASSWORD = 'copper kettle whistles 83'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/** Fills the three fields of /account/password and submits them. */
async function submitChange(page: Page, current: string, next: string, confirm = next): Promise<void> {
  const form = page.locator('#password-form')
  await form.getByLabel('Current password').fill(current)
  await form.getByLabel('New password', { exact: true }).fill(next)
  await form.getByLabel('Confirm new password').fill(confirm)
  await form.getByRole('button', { name: 'Change Password' }).click()
}

const focusedFieldName = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('name') ?? null)

describeInBrowser('changing the password, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2epassword')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('changer', PASSWORD)

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`a wrong current password is shown beside its field, which takes the focus, and changes nothing (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = await createUser()
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        await expectAccessible(tab, `change password (${mode})`)

        tab.allowStatus(401)
        await submitChange(page, 'not the password', NEW_PASSWORD)
        const error = page.locator('#field-current_password-error')
        await error.waitFor()
        expect(await error.textContent()).toBe('Your current password is incorrect.')
        expect(await error.isVisible()).toBe(true)
        expect(await page.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true')
        expect(page.url()).toBe(`${served.baseUrl}/account/password`)
        expect(await focusedFieldName(page)).toBe('current_password')
        await expectAccessible(tab, `change password, wrong current password (${mode})`)

        await logOut(tab)
        expect((await logIn(tab, email, PASSWORD)).email).toBe(email)
      }))

    test(`a common new password and a mismatched confirmation are each shown beside their field (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = await createUser()
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        tab.allowStatus(422)

        await submitChange(page, PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`)
        const mismatch = page.locator('#field-new_password_confirm-error')
        await mismatch.waitFor()
        expect(await mismatch.textContent()).toBe('Passwords do not match.')
        expect(await focusedFieldName(page)).toBe('new_password_confirm')
        await expectAccessible(tab, `change password, mismatched confirmation (${mode})`)

        await submitChange(page, PASSWORD, 'password123')
        const weak = page.locator('#field-new_password-error')
        await weak.waitFor()
        expect(await weak.textContent()).toContain('too common')
        expect(await page.locator('#field-new_password_confirm-error').count()).toBe(0)
        expect(await focusedFieldName(page)).toBe('new_password')
        await expectAccessible(tab, `change password, weak new password (${mode})`)

        await logOut(tab)
        expect((await logIn(tab, email, PASSWORD)).email).toBe(email)
      }))

    test(`a good change says so, logs the other browser out, and only the new password logs in (${mode})`, async () => {
      const email = await createUser()
      const tab = await openTab(browser, served.baseUrl, { javaScript })
      const other = await openTab(browser, served.baseUrl, { javaScript })
      try {
        const { page } = tab
        await logIn(other, email, PASSWORD)
        const before = await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        await submitChange(page, PASSWORD, NEW_PASSWORD)

        await page.waitForURL(`${served.baseUrl}/account/sessions`)
        expect(await page.locator('#flash').textContent()).toContain('Password changed.')
        await expectAccessible(tab, `password changed (${mode})`)
        expect(await page.locator('#sessions-list tbody tr').count()).toBe(1)
        await page.goto('/')
        const after = await readPanel(page)
        expect(after.email).toBe(email)
        expect(after.sessionId).not.toBe(before.sessionId)

        await other.page.goto('/account/sessions')
        await other.page.waitForURL(/\/login/)
        await other.page.goto('/')
        expect((await readPanel(other.page)).email).toBeUndefined()

        other.allowStatus(401)
        await other.page.goto('/login')
        await submitLogin(other.page, email, PASSWORD)
        await other.page.getByText('Invalid email or password.').waitFor()
        expect((await logIn(other, email, NEW_PASSWORD)).email).toBe(email)
      } finally {
        await Promise.all([tab.close(), other.close()])
      }
    })
  }
})
