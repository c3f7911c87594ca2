import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page, Route } from 'playwright-core'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { waitUntil } from '../support/wait-until.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, submitLogin, waitForBeers } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, type Tab } from './support/tab.ts'

const PASSWORD = 'copper kettle slowly 58'
const PROXY_NOTICE = 'The server is not answering right now'
const UNREACHABLE_NOTICE = 'Could not reach the server.'

setDefaultTimeout(SCENARIO_TIMEOUT_MS)

/** What nginx answers when the app behind it is down or too slow: no X-Request-Id, a page of its own. */
function nginxErrorPage(route: Route, status: 502 | 504, reason: string) {
  return route.fulfill({
    status,
    contentType: 'text/html',
    headers: { server: 'nginx' },
    body: `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  })
}

/** Answers the next POST to `path` in place of the app with `answer`; every other request passes. */
async function interceptNextPost(page: Page, path: string, answer: (route: Route) => Promise<void>) {
  await page.route(
    (url) => url.pathname === path,
    (route) => (route.request().method() === 'POST' ? answer(route) : route.continue()),
    { times: 1 },
  )
}

/** The id on every session row the list shows. */
function shownSessionIds(page: Page): Promise<(string | null)[]> {
  return page
    .locator('#sessions-list tbody tr')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session-id')))
}

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

  /** Like inTab, but accepts console lines matching `expected` (the failure under test logs its own). */
  async function inTabExpecting(expected: RegExp, scenario: (tab: Tab) => Promise<void>) {
    const tab = await openTab(browser, served.baseUrl)
    try {
      await scenario(tab)
    } finally {
      await tab.context.close()
    }
    expect(tab.problems().filter((line) => !expected.test(line))).toEqual([])
  }

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
    inTabExpecting(/ERR_CONNECTION_RESET|htmx:error/, async ({ page }) => {
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
})
