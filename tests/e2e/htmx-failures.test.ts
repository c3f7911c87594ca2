import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page, Route } from 'playwright-core'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { waitUntil } from '../support/wait-until.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { comesIntoView, inTabExpecting, interceptNextPost, nginxErrorPage } from './support/failures.ts'
import { logIn, submitLogin, waitForBeers } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, type Tab } from './support/tab.ts'

const PASSWORD = 'copper kettle slowly 58'
const PROXY_NOTICE = 'The server is not answering right now'
const UNREACHABLE_NOTICE = 'Could not reach the server.'
const NEW_PASSWORD = 'quiet meadow lantern 72'
const PROXY_502_NOTICE = 'The server is not answering right now (error 502)'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/** The id on every session row the list shows. */
function shownSessionIds(page: Page): Promise<(string | null)[]> {
  return page
    .locator('#sessions-list tbody tr')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session-id')))
}

type Failure = { name: string; notice: string; answer: (route: Route) => Promise<void>; console: RegExp }
const FAILURES: Failure[] = [
  {
    name: 'network cut',
    notice: UNREACHABLE_NOTICE,
    answer: (route) => route.abort('connectionreset'),
    console: /ERR_CONNECTION_RESET|htmx:error/,
  },
  {
    name: "proxy's 502",
    notice: PROXY_502_NOTICE,
    answer: (route) => nginxErrorPage(route, 502, 'Bad Gateway'),
    console: /status of 502/,
  },
]

describeInBrowser('htmx requests that fail, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([
      launchChromium(),
      serveTestApp('e2ehtmxfail', { LOGIN_MAX_CONCURRENT: '1' }),
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  /** A scenario on a phone, where a long page puts the notice region out of view; `expected` console lines allowed. */
  const onPhone = (expected: RegExp, scenario: (tab: Tab) => Promise<void>) =>
    inTabExpecting(browser, served.baseUrl, expected, scenario, { phone: true })

  /** A session of `email` in another (scriptless) client; its id. */
  async function otherSession(email: string): Promise<string> {
    const client = new TestBrowser(served.app)
    await client.get('/login')
    await client.post('/login', { email, password: PASSWORD })
    return panelOf((await client.get('/')).html).sessionId!
  }

  test("a proxy's 502 page in answer to a login leaves the form and the title, and says so in #flash", () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      tab.allowStatus(502)
      await page.goto('/login')
      const title = await page.title()
      await interceptNextPost(page, '/login', (route) => nginxErrorPage(route, 502, 'Bad Gateway'))
      await submitLogin(page, 'someone@example.com', PASSWORD)
      await page.locator('#flash', { hasText: PROXY_NOTICE }).waitFor()
      expect(await page.locator('#login-form').count()).toBe(1)
      expect(await page.getByLabel('Email').inputValue()).toBe('someone@example.com')
      expect(await page.locator('body').textContent()).not.toContain('Bad Gateway')
      expect(await page.title()).toBe(title)
      await page.locator('#login-form button[type="submit"]:not([disabled])').first().waitFor()
    }))

  test("a proxy's 504 page in answer to a pour does not land in #beer", () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      tab.allowStatus(504)
      await page.goto('/')
      const title = await page.title()
      const beer = await page.locator('#beer').innerHTML()
      await interceptNextPost(page, '/beer', (route) => nginxErrorPage(route, 504, 'Gateway Time-out'))
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#flash', { hasText: PROXY_NOTICE }).waitFor()
      expect(await page.locator('#beer').innerHTML()).toBe(beer)
      expect(await page.title()).toBe(title)
    }))

  test("the app's own 503 (too many logins at once) still swaps its busy form in", () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      tab.allowStatus(503)
      await page.goto('/login')
      const { promise, resolve } = Promise.withResolvers<void>()
      const held = served.services.deps.credentialGate.run(() => promise)
      try {
        await submitLogin(page, 'someone@example.com', PASSWORD)
        await page.locator('#login-form', { hasText: 'Too many people are logging in right now.' }).waitFor()
      } finally {
        resolve()
        await held
      }
      expect(await page.locator('#flash').textContent()).not.toContain(PROXY_NOTICE)
    }))

  test('a pour whose connection is cut says so in #flash, and the button works again', () =>
    inTabExpecting(browser, served.baseUrl, /ERR_CONNECTION_RESET|htmx:error/, async ({ page }) => {
      await page.goto('/')
      await interceptNextPost(page, '/beer', (route) => route.abort('connectionreset'))
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#flash', { hasText: UNREACHABLE_NOTICE }).waitFor()
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await waitForBeers(page, 1)
    }))

  test("How it works: Enter on the inspector's Refresh keeps the keyboard focus on Refresh", () =>
    inTab(browser, served.baseUrl, {}, async ({ page }) => {
      await page.goto('/how-it-works')
      await page.evaluate(() => document.getElementById('session-inspector')?.setAttribute('data-old', ''))
      await page.locator('#session-inspector').getByRole('link', { name: 'Refresh' }).focus()
      await page.keyboard.press('Enter')
      await page.locator('#session-inspector:not([data-old])').waitFor()
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('inspector-refresh')
    }))

  test('a pour changes the text of the #pour-status live region, not the element', () =>
    inTab(browser, served.baseUrl, {}, async ({ page }) => {
      await page.goto('/')
      await page.evaluate(() => Object.assign(document.getElementById('pour-status')!, { marker: 'before the pour' }))
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await waitForBeers(page, 1)
      const status = await page.evaluate(() => {
        const element = document.getElementById('pour-status') as HTMLElement & { marker?: string }
        return {
          marker: element.marker,
          text: element.textContent,
          count: document.querySelectorAll('#pour-status').length,
        }
      })
      expect(status).toEqual({
        marker: 'before the pour',
        text: expect.stringMatching(/^Poured: .+ 1 beer this session\.$/),
        count: 1,
      })
      expect(await page.locator('#pour-status').getAttribute('hx-swap-oob')).toBeNull()
    }))

  test("a revoke's notice goes into the same #flash element", () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await served.createUser('notified', PASSWORD)
      const other = await otherSession(email)
      await logIn(tab, email, PASSWORD)
      await page.goto('/account/sessions')
      await page.evaluate(() => Object.assign(document.getElementById('flash')!, { marker: 'before the revoke' }))
      await page
        .locator(`[data-session-id="${other}"]`)
        .getByRole('button', { name: /revoke/i })
        .click()
      await page.locator('#flash', { hasText: 'Session revoked.' }).waitFor()
      const flash = await page.evaluate(() => {
        const element = document.getElementById('flash') as HTMLElement & { marker?: string }
        return { marker: element.marker, role: element.getAttribute('role'), oob: element.getAttribute('hx-swap-oob') }
      })
      expect(flash).toEqual({ marker: 'before the revoke', role: 'status', oob: null })
    }))

  test('two Revoke clicks while the first answer is on its way leave the list as the server has it', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await served.createUser('revoker', PASSWORD)
      const first = await otherSession(email)
      const second = await otherSession(email)
      const mine = (await logIn(tab, email, PASSWORD)).sessionId!
      await page.goto('/account/sessions')
      expect((await shownSessionIds(page)).sort()).toEqual([first, second, mine].sort())

      let answered = 0
      page.on('requestfinished', (request) => {
        if (request.url().endsWith('/revoke')) answered++
      })
      await page.route('**/account/sessions/*/revoke', async (route) => {
        await Bun.sleep(500)
        await route.continue()
      })
      await page
        .locator(`[data-session-id="${first}"]`)
        .getByRole('button', { name: /revoke/i })
        .click()
      await page
        .locator(`[data-session-id="${second}"]`)
        .getByRole('button', { name: /revoke/i })
        .click()
      await waitUntil(() => answered === 2)
      await page.waitForFunction(() => !document.querySelector('#sessions-list [data-busy], #sessions-list[aria-busy]'))

      const server = await tab.context.request.get(`${served.baseUrl}/account/sessions`)
      const onServer = [...(await server.text()).matchAll(/<tr data-session-id="([^"]+)"/g)].map((match) => match[1]!)
      expect(onServer).toEqual([mine])
      expect(await shownSessionIds(page)).toEqual(onServer)
    }))

  for (const failure of FAILURES) {
    test(`password change, ${failure.name}: notice in #flash, the form and its fields kept, nothing changed (phone)`, () =>
      onPhone(failure.console, async (tab) => {
        const { page } = tab
        const email = await served.createUser('changer', PASSWORD)
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/password')
        const title = await page.title()
        await interceptNextPost(page, /^\/account\/password$/, failure.answer)
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
        expect(await comesIntoView(page, '#flash p')).toBe(true)
        // Sent again, it goes through.
        await form.getByRole('button', { name: 'Change Password' }).click()
        await page.waitForURL(`${served.baseUrl}/account/sessions`)
        expect(await page.locator('#flash').textContent()).toContain('Password changed.')
      }))

    test(`revoke, ${failure.name}: notice in #flash, the list kept and usable (phone)`, () =>
      onPhone(failure.console, async (tab) => {
        const { page } = tab
        const email = await served.createUser('revoker', PASSWORD)
        const others = [await otherSession(email), await otherSession(email), await otherSession(email)]
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/sessions')
        await interceptNextPost(page, /\/revoke$/, failure.answer)
        // The lowest row with a Revoke button: on a phone the list is taller than the screen.
        const target = page.locator('#sessions-list tbody tr:not([data-current])').last()
        expect(others).toContain((await target.getAttribute('data-session-id'))!)
        await target.getByRole('button', { name: /revoke/i }).click()
        await page.locator('#flash', { hasText: failure.notice }).waitFor()
        expect(await page.locator('#sessions-list tbody tr').count()).toBe(4)
        expect(await page.locator('#sessions-list button:disabled').count()).toBe(0)
        expect((await target.getByRole('button', { name: /revoke/i }).textContent())?.trim()).toBe('Revoke')
        expect(await page.locator('#sessions-list[aria-busy]').count()).toBe(0)
        const noticeInView = await comesIntoView(page, '#flash p')
        await target.getByRole('button', { name: /revoke/i }).click()
        await page.locator('#flash', { hasText: 'Session revoked.' }).waitFor()
        expect(await page.locator('#sessions-list tbody tr').count()).toBe(3)
        expect(noticeInView).toBe(true)
      }))

    test(`log out everywhere else, ${failure.name}: notice in #flash, the list kept (phone)`, () =>
      onPhone(failure.console, async (tab) => {
        const { page } = tab
        const email = await served.createUser('everywhere', PASSWORD)
        await otherSession(email)
        await otherSession(email)
        await otherSession(email)
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/sessions')
        await interceptNextPost(page, /revoke-others$/, failure.answer)
        await page.getByRole('button', { name: 'Log out everywhere else' }).click()
        await page.locator('#flash', { hasText: failure.notice }).waitFor()
        expect(await page.locator('#sessions-list tbody tr').count()).toBe(4)
        expect(await page.locator('#sessions-list button:disabled').count()).toBe(0)
        const noticeInView = await comesIntoView(page, '#flash p')
        await page.getByRole('button', { name: 'Log out everywhere else' }).click()
        await page.locator('#flash', { hasText: 'Logged out of 3 other sessions.' }).waitFor()
        expect(noticeInView).toBe(true)
      }))

    test(`delete account, ${failure.name}: notice in #flash, the form kept, the account kept (phone)`, () =>
      onPhone(failure.console, async (tab) => {
        const { page } = tab
        const email = await served.createUser('deleter', PASSWORD)
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/delete')
        await interceptNextPost(page, /^\/account\/delete$/, failure.answer)
        const form = page.locator('#delete-account-form')
        await form.getByLabel(`Type ${email} to confirm`).fill(email)
        await form.getByRole('button', { name: 'Delete my account' }).click()
        await page.locator('#flash', { hasText: failure.notice }).waitFor()
        expect(await form.getByLabel(`Type ${email} to confirm`).inputValue()).toBe(email)
        expect(await served.services.users.findByEmail(email)).toBeDefined()
        expect(await comesIntoView(page, '#flash p')).toBe(true)
      }))

    test(`sign-up, ${failure.name}: notice in #flash, the form kept (phone)`, () =>
      onPhone(failure.console, async (tab) => {
        const { page } = tab
        await page.goto('/signup')
        await interceptNextPost(page, /^\/signup$/, failure.answer)
        const form = page.locator('#signup-form')
        await form.getByLabel('Email').fill(`failing-${FAILURES.indexOf(failure)}@example.com`)
        await form.locator('[name="password"]').fill(PASSWORD)
        await form.locator('[name="password_confirm"]').fill(PASSWORD)
        await form.getByRole('button', { name: 'Sign Up' }).click()
        await page.locator('#flash', { hasText: failure.notice }).waitFor()
        expect(await page.locator('#signup-form').count()).toBe(1)
        expect(await comesIntoView(page, '#flash p')).toBe(true)
      }))
  }

  test(`after a network cut, the next answer (a wrong current password) no longer shows "Could not reach the server" (phone)`, () =>
    onPhone(/ERR_CONNECTION_RESET|htmx:error|status of 401/, async (tab) => {
      const { page } = tab
      const email = await served.createUser('stale-notice', PASSWORD)
      await logIn(tab, email, PASSWORD)
      await page.goto('/account/password')
      await interceptNextPost(page, /^\/account\/password$/, (route) => route.abort('connectionreset'))
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

  test(`the app's own 503 (too busy) still swaps the password form in, with its message (phone)`, () =>
    onPhone(/status of 503/, async (tab) => {
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
})
