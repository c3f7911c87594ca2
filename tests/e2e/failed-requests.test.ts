import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page, Route } from 'playwright-core'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'copper kettle slowly 58'
const NEW_PASSWORD = 'quiet meadow lantern 72'
const PROXY_NOTICE = 'The server is not answering right now (error 502)'
const UNREACHABLE_NOTICE = 'Could not reach the server.'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

function nginx502(route: Route) {
  return route.fulfill({
    status: 502,
    contentType: 'text/html',
    headers: { server: 'nginx' },
    body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
  })
}

type Failure = { name: string; notice: string; answer: (route: Route) => Promise<void>; console: RegExp }
const FAILURES: Failure[] = [
  {
    name: 'network cut',
    notice: UNREACHABLE_NOTICE,
    answer: (route) => route.abort('connectionreset'),
    console: /ERR_CONNECTION_RESET|htmx:error/,
  },
  { name: "proxy's 502", notice: PROXY_NOTICE, answer: nginx502, console: /status of 502/ },
]

/** Answers the next POST whose path matches in place of the app. */
async function failNextPost(page: Page, path: RegExp, answer: (route: Route) => Promise<void>) {
  await page.route(
    (url) => path.test(url.pathname),
    (route) => (route.request().method() === 'POST' ? answer(route) : route.continue()),
    { times: 1 },
  )
}

/** Whether the element is within the visible part of the page. */
const inView = (page: Page, selector: string) =>
  page.locator(selector).evaluate((element) => {
    const box = element.getBoundingClientRect()
    return box.bottom > 0 && box.top < window.innerHeight && box.height > 0
  })

describeInBrowser('forms whose request fails, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([
      launchChromium(),
      serveTestApp('e2efailedrequests', { LOGIN_MAX_CONCURRENT: '1' }),
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  async function inTabExpecting(phone: boolean, expected: RegExp, scenario: (tab: Tab) => Promise<void>) {
    const tab = await openTab(browser, served.baseUrl, { phone })
    try {
      await scenario(tab)
    } finally {
      await tab.context.close()
    }
    expect(tab.problems().filter((line) => !expected.test(line))).toEqual([])
  }

  async function otherSession(email: string): Promise<string> {
    const client = new TestBrowser(served.app)
    await client.get('/login')
    await client.post('/login', { email, password: PASSWORD })
    return panelOf((await client.get('/')).html).sessionId!
  }

  {
    // On a phone, where a long page puts the notice region out of view.
    const phone = true
    const where = phone ? 'phone' : 'desktop'
    for (const failure of FAILURES) {
      test(`password change, ${failure.name}: notice in #flash, the form and its fields kept, nothing changed (${where})`, () =>
        inTabExpecting(phone, failure.console, async (tab) => {
          const { page } = tab
          const email = await served.createUser('changer', PASSWORD)
          await logIn(tab, email, PASSWORD)
          await page.goto('/account/password')
          const title = await page.title()
          await failNextPost(page, /^\/account\/password$/, failure.answer)
          const form = page.locator('#password-form')
          await form.getByLabel('Current password').fill(PASSWORD)
          await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
          await form.getByLabel('Confirm new password').fill(NEW_PASSWORD)
          await form.getByRole('button', { name: 'Change Password' }).click()
          await page.locator('#flash', { hasText: failure.notice }).waitFor()
          expect(await page.title()).toBe(title)
          expect(await page.locator('body').textContent()).not.toContain('Bad Gateway')
          expect(await form.getByLabel('New password', { exact: true }).inputValue()).toBe(NEW_PASSWORD)
          await form.getByRole('button', { name: 'Change Password' }).and(page.locator(':enabled')).waitFor()
          expect(await inView(page, '#flash p')).toBe(true)
          // Sent again, it goes through.
          await form.getByRole('button', { name: 'Change Password' }).click()
          await page.waitForURL(`${served.baseUrl}/account/sessions`)
          expect(await page.locator('#flash').textContent()).toContain('Password changed.')
        }))

      test(`revoke, ${failure.name}: notice in #flash, the list kept and usable (${where})`, () =>
        inTabExpecting(phone, failure.console, async (tab) => {
          const { page } = tab
          const email = await served.createUser('revoker', PASSWORD)
          const others = [await otherSession(email), await otherSession(email), await otherSession(email)]
          await logIn(tab, email, PASSWORD)
          await page.goto('/account/sessions')
          await failNextPost(page, /\/revoke$/, failure.answer)
          // The lowest row with a Revoke button: on a phone the list is taller than the screen.
          const target = page.locator('#sessions-list tbody tr:not([data-current])').last()
          expect(others).toContain((await target.getAttribute('data-session-id'))!)
          await target.getByRole('button', { name: /revoke/i }).click()
          await page.locator('#flash', { hasText: failure.notice }).waitFor()
          expect(await page.locator('#sessions-list tbody tr').count()).toBe(4)
          expect(await page.locator('#sessions-list button:disabled').count()).toBe(0)
          expect((await target.getByRole('button', { name: /revoke/i }).textContent())?.trim()).toBe('Revoke')
          expect(await page.locator('#sessions-list[aria-busy]').count()).toBe(0)
          const noticeInView = await inView(page, '#flash p')
          await target.getByRole('button', { name: /revoke/i }).click()
          await page.locator('#flash', { hasText: 'Session revoked.' }).waitFor()
          expect(await page.locator('#sessions-list tbody tr').count()).toBe(3)
          expect(noticeInView).toBe(true)
        }))

      test(`log out everywhere else, ${failure.name}: notice in #flash, the list kept (${where})`, () =>
        inTabExpecting(phone, failure.console, async (tab) => {
          const { page } = tab
          const email = await served.createUser('everywhere', PASSWORD)
          await otherSession(email)
          await otherSession(email)
          await otherSession(email)
          await logIn(tab, email, PASSWORD)
          await page.goto('/account/sessions')
          await failNextPost(page, /revoke-others$/, failure.answer)
          await page.getByRole('button', { name: 'Log out everywhere else' }).click()
          await page.locator('#flash', { hasText: failure.notice }).waitFor()
          expect(await page.locator('#sessions-list tbody tr').count()).toBe(4)
          expect(await page.locator('#sessions-list button:disabled').count()).toBe(0)
          const noticeInView = await inView(page, '#flash p')
          await page.getByRole('button', { name: 'Log out everywhere else' }).click()
          await page.locator('#flash', { hasText: 'Logged out of 3 other sessions.' }).waitFor()
          expect(noticeInView).toBe(true)
        }))

      test(`delete account, ${failure.name}: notice in #flash, the form kept, the account kept (${where})`, () =>
        inTabExpecting(phone, failure.console, async (tab) => {
          const { page } = tab
          const email = await served.createUser('deleter', PASSWORD)
          await logIn(tab, email, PASSWORD)
          await page.goto('/account/delete')
          await failNextPost(page, /^\/account\/delete$/, failure.answer)
          const form = page.locator('#delete-account-form')
          await form.getByLabel(`Type ${email} to confirm`).fill(email)
          await form.getByRole('button', { name: 'Delete my account' }).click()
          await page.locator('#flash', { hasText: failure.notice }).waitFor()
          expect(await form.getByLabel(`Type ${email} to confirm`).inputValue()).toBe(email)
          expect(await served.services.users.findByEmail(email)).toBeDefined()
          expect(await inView(page, '#flash p')).toBe(true)
        }))

      test(`sign-up, ${failure.name}: notice in #flash, the form kept (${where})`, () =>
        inTabExpecting(phone, failure.console, async (tab) => {
          const { page } = tab
          await page.goto('/signup')
          await failNextPost(page, /^\/signup$/, failure.answer)
          const form = page.locator('#signup-form')
          await form.getByLabel('Email').fill(`failing-${phone}-${failure.name.length}@example.com`)
          await form.locator('[name="password"]').fill(PASSWORD)
          await form.locator('[name="password_confirm"]').fill(PASSWORD)
          await form.getByRole('button', { name: 'Sign Up' }).click()
          await page.locator('#flash', { hasText: failure.notice }).waitFor()
          expect(await page.locator('#signup-form').count()).toBe(1)
          expect(await inView(page, '#flash p')).toBe(true)
        }))
    }

    test(`after a network cut, the next answer (a wrong current password) no longer shows "Could not reach the server" (${where})`, () =>
      inTabExpecting(phone, /ERR_CONNECTION_RESET|htmx:error|status of 401/, async (tab) => {
        const { page } = tab
        const email = await served.createUser('stale-notice', PASSWORD)
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        await failNextPost(page, /^\/account\/password$/, (route) => route.abort('connectionreset'))
        const form = page.locator('#password-form')
        await form.getByLabel('Current password').fill('not the password')
        await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
        await form.getByLabel('Confirm new password').fill(NEW_PASSWORD)
        await form.getByRole('button', { name: 'Change Password' }).click()
        await page.locator('#flash', { hasText: UNREACHABLE_NOTICE }).waitFor()

        await form.getByRole('button', { name: 'Change Password' }).click()
        await page.locator('#field-current_password-error').waitFor()
        // The server answered: the page should not still say it could not be reached.
        expect(await page.locator('#flash').textContent()).not.toContain(UNREACHABLE_NOTICE)
      }))

    test(`the app's own 503 (too busy) still swaps the password form in, with its message (${where})`, () =>
      inTabExpecting(phone, /status of 503/, async (tab) => {
        const { page } = tab
        const email = await served.createUser('busy', PASSWORD)
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        const { promise, resolve } = Promise.withResolvers<void>()
        const held = served.services.deps.credentialGate.run(() => promise)
        try {
          const form = page.locator('#password-form')
          await form.getByLabel('Current password').fill(PASSWORD)
          await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
          await form.getByLabel('Confirm new password').fill(NEW_PASSWORD)
          await form.getByRole('button', { name: 'Change Password' }).click()
          await page.locator('#password-form', { hasText: 'The server is busy.' }).waitFor()
        } finally {
          resolve()
          await held
        }
        expect(await page.locator('#flash').textContent()).not.toContain('not answering')
      }))
  }
})
