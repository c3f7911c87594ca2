import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, submitLogin } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, type Tab, type TabOptions } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/** The activity table: each row's event, its four cells' text and the exact time in its title. */
const activityRows = (page: Page) =>
  page.locator('#activity-list tbody tr').evaluateAll((rows: HTMLElement[]) =>
    rows.map((row) => ({
      event: row.dataset.event,
      cells: [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()),
      title: row.querySelector('time')?.getAttribute('title') ?? '',
    })),
  )

/** How far the page scrolls sideways: 0 when nothing is wider than the viewport. */
const sidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)

describeInBrowser('the activity page after a failed and a good sign-in, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  let users = 0

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2eactivity')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  /** A wrong password, then the right one (failed attempts are grouped per day and address, not per device), in this tab; then the Activity link in the nav. */
  async function failThenSignIn(tab: Tab): Promise<string> {
    const email = `watched${++users}@example.com`
    await served.services.users.create(email, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    tab.allowStatus(401)
    await tab.page.goto('/login')
    await submitLogin(tab.page, email, 'not the password')
    await tab.page.getByText('Invalid email or password.').waitFor()
    await logIn(tab, email, PASSWORD)
    await served.services.deps.activity.settled()
    await tab.page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click()
    await tab.page.waitForURL(`${served.baseUrl}/account/activity`)
    return email
  }

  const cases: { label: string; options: TabOptions }[] = [
    { label: 'with JavaScript', options: { javaScript: true } },
    { label: 'without JavaScript', options: { javaScript: false } },
    { label: 'on a phone, light theme', options: { javaScript: true, phone: true, colorScheme: 'light' } },
  ]

  for (const { label, options } of cases) {
    test(`lists the sign-in above the failed attempt, each with when and from which address, the sign-in with its device (${label})`, () =>
      inTab(browser, served.baseUrl, options, async (tab) => {
        const { page } = tab
        const email = await failThenSignIn(tab)
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Account activity')
        expect(await page.locator('#activity-list').textContent()).not.toContain('undefined')
        expect(await page.locator('main').textContent()).toContain(email)
        expect(
          await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).getAttribute('aria-current'),
        ).toBe('page')
        expect(await page.locator('#activity-list caption').textContent()).toMatch(/^The last 2 events of \d+ days\.$/)

        const rows = await activityRows(page)
        expect(rows.map((row) => row.event)).toEqual(['login_success', 'login_failure'])
        const [signedIn, failed] = rows as [(typeof rows)[0], (typeof rows)[0]]
        expect(signedIn.cells[1]).toBe('Signed in')
        expect(signedIn.cells[2]).toMatch(/^Chrome.* on Linux$/)
        expect(failed.cells[1]).toBe('Failed sign-in attempt')
        for (const row of rows) {
          // Moments ago: a slow browser may take more than the ten seconds that still read "just now".
          expect(row.cells[0]).toMatch(/^(just now|\d\d seconds ago)$/)
          expect(row.title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
          expect(row.cells[3]).toBe('127.0.0.1')
        }
        await expectAccessible(tab, `account activity (${label})`)
        expect(await sidewaysScroll(page)).toBe(0)
      }))
  }
})
