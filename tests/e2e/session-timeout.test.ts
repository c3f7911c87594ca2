import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium } from './support/chromium.ts'
import { logIn } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'

// Real idle timeouts run out in here: 15 s, with the warning 3 s before (a fifth).
setDefaultTimeout(60_000)

/** How often the warning took focus, and whether its text is in a live region that would repeat it every second. */
function watchAnnouncements(page: Page) {
  return page.evaluate(() => {
    const dialog = document.getElementById('session-timeout')!
    const seen = { focused: 0 }
    dialog.addEventListener('focusin', (event) => {
      if (!dialog.contains(event.relatedTarget as Node | null)) seen.focused++
    })
    ;(window as unknown as { timeoutSeen: typeof seen }).timeoutSeen = seen
  })
}

const announcements = (page: Page) =>
  page.evaluate(() => (window as unknown as { timeoutSeen: { focused: number } }).timeoutSeen.focused)

describeInBrowser('the session timeout warning, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  let clocked: ServedApp
  let final: ServedApp
  let users = 0

  beforeAll(async () => {
    ;[browser, served, clocked, final] = await Promise.all([
      launchChromium(),
      serveTestApp('e2etimeout', { SESSION_IDLE_SECONDS: '15' }),
      serveTestApp('e2etimeoutclock', { SESSION_IDLE_SECONDS: '300' }),
      serveTestApp('e2etimeoutfinal', { SESSION_IDLE_SECONDS: '300', SESSION_ABSOLUTE_SECONDS: '300' }),
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
    await clocked?.close()
    await final?.close()
  })

  async function createUser(app: ServedApp): Promise<string> {
    const email = `idler${++users}@example.com`
    await app.services.users.create(email, await app.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    return email
  }

  test('a minute before the idle expiry it appears, takes focus once, is accessible, and answers the keyboard', () =>
    inTab(browser, clocked.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await createUser(clocked)
      await page.clock.install()
      const { sessionId } = await logIn(tab, email, PASSWORD)
      await page.goto('/account/sessions')
      await watchAnnouncements(page)
      const dialog = page.getByRole('alertdialog', { name: 'Are you still there?' })
      expect(await dialog.isVisible()).toBe(false)
      // The page's clock runs ahead to just inside the last minute, and the real session is cut to match.
      await clocked.redis.pexpire(await clocked.sessionKey(sessionId!), 55_000)
      await page.clock.fastForward(245_000)
      await dialog.waitFor({ state: 'visible' })
      expect(await dialog.textContent()).toMatch(/Your session ends in (5\d|60) seconds\./)
      const stay = dialog.getByRole('button', { name: 'Stay signed in' })
      expect(await stay.evaluate((button) => button === document.activeElement)).toBe(true)
      expect(await dialog.evaluate((element) => element.closest('[aria-live]'))).toBeNull()
      await expectAccessible(tab, 'timeout warning')
      await page.clock.fastForward(3000)
      await page.waitForTimeout(300)
      expect(await announcements(page)).toBe(1)

      await page.keyboard.press('Enter')
      await dialog.waitFor({ state: 'hidden' })
      await page.waitForFunction(() => document.activeElement?.id === 'main')
      expect(await page.getByRole('navigation').getByRole('button', { name: 'Log Out' }).isVisible()).toBe(true)
    }))

  test('"Stay signed in" slides the real idle expiry; left alone, the warning says the session ended', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await createUser(served)
      const { sessionId } = await logIn(tab, email, PASSWORD)
      const ttl = async () => served.redis.pttl(await served.sessionKey(sessionId))
      await page.goto('/account/sessions')
      const dialog = page.getByRole('alertdialog', { name: 'Are you still there?' })
      await dialog.waitFor({ state: 'visible', timeout: 17_000 })
      expect(await ttl()).toBeLessThan(4000)
      await dialog.getByRole('button', { name: 'Stay signed in' }).click()
      await dialog.waitFor({ state: 'hidden' })
      expect(await ttl()).toBeGreaterThan(11_000)
      expect(page.url()).toBe(`${served.baseUrl}/account/sessions`)

      // Home counts down in its panel; the warning follows it, and at zero says the session ended.
      await page.goto('/')
      await dialog.getByText('Your session has ended.').waitFor({ timeout: 20_000 })
      expect(await dialog.isVisible()).toBe(true)
      expect(await dialog.getByRole('button', { name: 'Stay signed in' }).isVisible()).toBe(false)
      expect(await dialog.getByRole('link', { name: 'Log in again' }).isVisible()).toBe(true)
      expect(await page.evaluate(() => document.getElementById('session-panel')?.dataset.expiresIn)).toBe('0')
      await page.getByRole('navigation').getByRole('link', { name: 'Log In' }).waitFor()
    }))

  test('activity in another tab moves the expiry: this tab asks before warning, and stays quiet', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await createUser(served)
      await logIn(tab, email, PASSWORD)
      await page.goto('/account/sessions')
      const loadedAt = Date.now()
      const other = await tab.context.newPage()
      const reads: string[] = []
      page.on('request', (request) => reads.push(`${request.method()} ${new URL(request.url()).pathname}`))
      // Past half the idle time since the login (7.5 s), a page view in the other tab slides the
      // expiry: as early as that allows, so it lands well before this tab looks (3 s before the end).
      await other.waitForTimeout(8000 - (Date.now() - loadedAt))
      await other.goto(`${served.baseUrl}/account/activity`)
      await other.close()

      const dialog = page.getByRole('alertdialog', { name: 'Are you still there?' })
      await page.waitForTimeout(15_500 - (Date.now() - loadedAt))
      expect(await dialog.isVisible()).toBe(false)
      expect(reads).toContain('GET /session')
      expect(reads.filter((read) => read.startsWith('POST'))).toEqual([])
    }))

  test('logged out in another tab: the panel shows a visitor, and no warning comes for a session nobody is signed in to', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await createUser(served)
      await logIn(tab, email, PASSWORD)
      const other = await tab.context.newPage()
      await other.goto(`${served.baseUrl}/logout`)
      await other.locator('#logout-form button').click()
      await other.waitForURL(`${served.baseUrl}/`)
      await other.close()
      // Back in this tab: it catches up with the logout.
      await page.evaluate(() => window.dispatchEvent(new Event('focus')))
      await page.locator('#session-panel[data-session-id]:not([data-user-email])').waitFor()
      // Past where the signed-in session's warning would have come.
      await page.waitForTimeout(16_000)
      expect(await page.locator('#session-timeout').isVisible()).toBe(false)
    }))

  test('a home tab asks before warning; if it could not and said "ended", it takes that back once the server shows the session alive', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await createUser(served)
      await logIn(tab, email, PASSWORD)
      // The other tab keeps the session alive; this one cannot get GET /session answered at first.
      const other = await tab.context.newPage()
      await other.goto(`${served.baseUrl}/`)
      let stop = false
      const keepAlive = (async () => {
        while (!stop) {
          await other.getByRole('button', { name: 'Pour Another' }).click()
          await other.waitForTimeout(1500)
        }
      })()
      let looks = 0
      let unreachable = true
      tab.allowStatus(503)
      await page.route('**/session', (route) => {
        looks++
        return unreachable ? route.fulfill({ status: 503, body: 'proxy: upstream unavailable' }) : route.continue()
      })
      try {
        const dialog = page.locator('#session-timeout')
        await dialog.getByText('Your session has ended.').waitFor({ timeout: 20_000 })
        // The server answers again before app.js looks once more, a second after zero.
        unreachable = false
        await page.locator(`#session-panel[data-user-email="${email}"]`).waitFor({ timeout: 5000 })
        await dialog.waitFor({ state: 'hidden' })
        expect(await dialog.getByRole('button', { name: 'Stay signed in', includeHidden: true }).count()).toBe(1)
        expect(await dialog.textContent()).not.toContain('Your session has ended.')
        expect(looks).toBeGreaterThanOrEqual(2)

        // The next time, it asks first, finds the expiry moved by the other tab, and stays quiet.
        const before = looks
        await page.waitForTimeout(14_000)
        expect(looks).toBeGreaterThan(before)
        expect(await dialog.isVisible()).toBe(false)
      } finally {
        stop = true
        await keepAlive
      }
    }))

  test('when the absolute deadline ends the session, it says so and offers to log in again instead', () =>
    inTab(browser, final.baseUrl, {}, async (tab) => {
      const { page } = tab
      const email = await createUser(final)
      await page.clock.install()
      const { sessionId } = await logIn(tab, email, PASSWORD)
      await page.goto('/account/activity')
      const dialog = page.getByRole('alertdialog', { name: 'Are you still there?' })
      expect(await dialog.isVisible()).toBe(false)
      // The page's clock runs ahead to inside the last minute, and the real session is cut to match.
      await final.redis.pexpire(await final.sessionKey(sessionId!), 55_000)
      await page.clock.fastForward(245_000)
      await dialog.waitFor({ state: 'visible' })
      const text = (await dialog.textContent()) ?? ''
      expect(text).toMatch(/Your session ends in \d+ seconds\./)
      expect(text).toContain('cannot be extended: log in again to keep going')
      expect(await dialog.getByRole('button', { name: 'Stay signed in' }).count()).toBe(0)
      const login = dialog.getByRole('link', { name: 'Log in again' })
      expect(await login.evaluate((link) => link === document.activeElement)).toBe(true)
      await expectAccessible(tab, 'timeout warning at the absolute deadline')
    }))
})
