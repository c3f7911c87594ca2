import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, readPanel, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
/** LOGIN_MAX_FAILURES_PER_EMAIL_IP's default: the attempt after this many failures is refused. */
const FAILURES_ALLOWED = 5

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/** Waits for the answer to the next POST to `path` and returns its status. */
const nextPostStatus = (page: Page, path: string) =>
  page
    .waitForResponse((response) => response.url().endsWith(path) && response.request().method() === 'POST')
    .then((response) => response.status())

/** The message the form shows in its alert, once it reads `text`, checked to be really on screen. */
async function expectVisibleAlert(page: Page, formId: string, text: string): Promise<void> {
  const alert = page.locator(`#${formId} [role="alert"]`)
  await alert.filter({ hasText: text }).waitFor()
  expect(await alert.isVisible()).toBe(true)
  const box = await alert.boundingBox()
  expect(box?.height ?? 0).toBeGreaterThan(0)
  await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'alert')
}

describeInBrowser('refused attempts, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2ethrottle')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('guessed', PASSWORD)

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'

    test(`after ${FAILURES_ALLOWED} wrong passwords the login form shows "Too many failed attempts", even for the right one (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = await createUser()
        tab.allowStatus(401)
        tab.allowStatus(429)
        await page.goto('/login')
        for (let attempt = 1; attempt <= FAILURES_ALLOWED; attempt++) {
          const status = nextPostStatus(page, '/login')
          await submitLogin(page, email, `wrong guess ${attempt}`)
          expect(await status).toBe(401)
          await expectVisibleAlert(page, 'login-form', 'Invalid email or password.')
        }

        const status = nextPostStatus(page, '/login')
        await submitLogin(page, email, PASSWORD)
        expect(await status).toBe(429)
        await expectVisibleAlert(page, 'login-form', 'Too many failed attempts. Try again in 15 minutes.')
        expect(await page.locator('#login-form [role="alert"]').textContent()).toBe(
          'Too many failed attempts. Try again in 15 minutes.',
        )
        expect(await page.getByLabel('Email').inputValue()).toBe(email)
        expect(page.url()).toBe(`${served.baseUrl}/login`)
        await expectAccessible(tab, `login throttled (${mode})`)
        await page.goto('/')
        expect((await readPanel(page)).email).toBeUndefined()
      }))

    test(`after ${FAILURES_ALLOWED} wrong current passwords the password change form shows "Too many failed attempts" (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        const email = await createUser()
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        tab.allowStatus(401)
        tab.allowStatus(429)
        const form = page.locator('#password-form')
        const submit = async (current: string) => {
          await form.getByLabel('Current password').fill(current)
          await form.getByLabel('New password', { exact: true }).fill('copper kettle whistles 83')
          await form.getByLabel('Confirm new password').fill('copper kettle whistles 83')
          await form.getByRole('button', { name: 'Change Password' }).click()
        }
        for (let attempt = 1; attempt <= FAILURES_ALLOWED; attempt++) {
          const status = nextPostStatus(page, '/account/password')
          await submit(`wrong guess ${attempt}`)
          expect(await status).toBe(401)
          await page.locator('#field-current_password-error').waitFor()
        }

        const status = nextPostStatus(page, '/account/password')
        await submit(PASSWORD)
        expect(await status).toBe(429)
        await expectVisibleAlert(page, 'password-form', 'Too many failed attempts. Try again in 15 minutes.')
        await expectAccessible(tab, `password change throttled (${mode})`)
        expect(
          await served.services.hasher.verify(PASSWORD, (await served.services.users.findByEmail(email))!.passwordHash),
        ).toBe(true)
      }))
  }

  test('with JavaScript, sign-up errors found by the server are shown beside their fields, the email kept', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      tab.allowStatus(422)
      await page.goto('/signup')
      const form = page.locator('#signup-form')
      let pageLoads = 0
      page.on('load', () => pageLoads++)
      const signUp = async (email: string, password: string) => {
        const status = nextPostStatus(page, '/signup')
        await form.getByLabel('Email').fill(email)
        await form.locator('[name="password"]').fill(password)
        await form.locator('[name="password_confirm"]').fill(password)
        await form.getByRole('button', { name: 'Sign Up' }).click()
        expect(await status).toBe(422)
      }

      await signUp('someone@localhost', PASSWORD)
      await page.locator('#field-email-error').waitFor()
      expect(await page.locator('#field-email-error').textContent()).toBe('Enter a valid email address.')
      await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'email')
      await expectAccessible(tab, 'sign up, invalid email')

      await signUp('new-drinker@example.com', 'short')
      await page.locator('#field-password-error', { hasText: 'at least 8 characters' }).waitFor()
      expect(await page.locator('#field-email-error').count()).toBe(0)

      await signUp('new-drinker@example.com', 'password123')
      const weak = page.locator('#field-password-error', { hasText: 'too common' })
      await weak.waitFor()
      expect(await weak.isVisible()).toBe(true)
      expect(await form.getByLabel('Email').inputValue()).toBe('new-drinker@example.com')
      await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'password')
      await expectAccessible(tab, 'sign up, weak password')
      expect(pageLoads).toBe(0)
      expect(await served.services.users.findByEmail('new-drinker@example.com')).toBeUndefined()
    }))
})
