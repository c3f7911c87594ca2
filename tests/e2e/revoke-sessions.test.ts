import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { outboxLink } from '../support/outbox.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, type Tab } from './support/tab.ts'

const PASSWORD = 'harbour lantern gently 29'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

const shownIds = (page: Page) =>
  page.locator('#sessions-list tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session-id')))

const noSidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)

describeInBrowser('"Your sessions", in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2erevokesessions')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  /** A session of `email` in a scriptless client; the client and the session's id. */
  async function otherSession(email: string) {
    const client = new TestBrowser(served.app)
    await client.get('/login')
    await client.post('/login', { email, password: PASSWORD })
    return { client, id: panelOf((await client.get('/')).html).sessionId! }
  }

  async function linksFor(tab: Tab, email: string) {
    // A reset link asked for from the login page of another browser, and an email change asked for here.
    await served.services.deps.recovery.requestPasswordReset({ email, ip: '127.0.0.1', requestId: 'revoke-test' })
    const reset = await outboxLink(served, email, '/password/reset/')
    const newEmail = `moved-${email}`
    await tab.page.goto('/account/email')
    await tab.page.locator('#email-form').getByLabel('New email address').fill(newEmail)
    await tab.page.locator('#email-form').getByRole('button', { name: 'Send Confirmation Link' }).click()
    await tab.page.locator('#inbox-notice').waitFor()
    const move = await outboxLink(served, newEmail, '/account/email/confirm/')
    return { reset, move, newEmail }
  }

  for (const javaScript of [true, false]) {
    for (const phone of [false, true]) {
      // Two of the four: with JavaScript on a desktop, without it on a phone.
      if (javaScript === phone) continue
      const mode = `${javaScript ? 'with' : 'without'} JavaScript, ${phone ? 'phone' : 'desktop'}`

      test(`revoke one, then "Log out everywhere else": the list, the flash and the links left (${mode})`, () =>
        inTab(browser, served.baseUrl, { javaScript, phone }, async (tab) => {
          const { page } = tab
          const email = await served.createUser('revoker', PASSWORD)
          const first = await otherSession(email)
          const second = await otherSession(email)
          const mine = (await logIn(tab, email, PASSWORD)).sessionId!
          const { reset, move, newEmail } = await linksFor(tab, email)
          await page.goto('/account/sessions')
          expect((await shownIds(page)).sort()).toEqual([first.id, second.id, mine].sort())
          expect(await noSidewaysScroll(page)).toBe(true)

          let disabledWhileInFlight: boolean[] = []
          let busyLabel = ''
          if (javaScript) {
            await page.route(
              '**/account/sessions/*/revoke',
              async (route) => {
                disabledWhileInFlight = await page
                  .locator('#sessions-list button')
                  .evaluateAll((buttons) => buttons.map((button) => (button as HTMLButtonElement).disabled))
                busyLabel = (await page.locator(`[data-session-id="${first.id}"] button`).textContent())?.trim() ?? ''
                await route.continue()
              },
              { times: 1 },
            )
          }
          await page
            .locator(`[data-session-id="${first.id}"]`)
            .getByRole('button', { name: /revoke/i })
            .click()
          await page.locator('#flash', { hasText: 'Session revoked. That browser is logged out.' }).waitFor()
          await page.locator(`[data-session-id="${first.id}"]`).waitFor({ state: 'detached' })
          if (javaScript) {
            // Two Revoke buttons (the own row has a link) and "Log out everywhere else", all waiting.
            expect(disabledWhileInFlight).toEqual([true, true, true])
            expect(busyLabel).toBe('Revoking…')
          }
          expect((await shownIds(page)).sort()).toEqual([second.id, mine].sort())
          expect(await page.locator('#sessions-count').textContent()).toBe('2 active sessions.')
          expect(await page.locator('#sessions-list button:disabled').count()).toBe(0)
          await expectAccessible(tab, `sessions after a revoke (${mode})`)

          // The revoked browser is logged out.
          expect(panelOf((await first.client.get('/')).html).email).toBeUndefined()

          await page.getByRole('button', { name: 'Log out everywhere else' }).click()
          await page.locator('#flash', { hasText: 'Logged out of 1 other session.' }).waitFor()
          expect(await page.locator('#flash').textContent()).not.toContain('Session revoked')
          await page.getByText('No other browser is logged in to your account.').waitFor()
          expect(await shownIds(page)).toEqual([mine])
          expect(await page.locator('#sessions-count').textContent()).toBe('One active session.')
          expect(await noSidewaysScroll(page)).toBe(true)
          await expectAccessible(tab, `sessions after logging out the others (${mode})`)
          expect(panelOf((await second.client.get('/')).html).email).toBeUndefined()

          // The links asked for before the revoke no longer work.
          tab.allowStatus(400)
          await page.goto(reset)
          await page.locator('#link-error').waitFor()
          await page.goto(move)
          await page.locator('#link-error').waitFor()
          expect(await served.services.users.findByEmail(newEmail)).toBeUndefined()
          expect((await served.services.users.findByEmail(email))?.email).toBe(email)
        }))
    }
  }

  test('revoking a session that ended meanwhile (with JavaScript): the list catches up and the flash says so', () =>
    inTab(browser, served.baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      const email = await served.createUser('late', PASSWORD)
      const other = await otherSession(email)
      const mine = (await logIn(tab, email, PASSWORD)).sessionId!
      await page.goto('/account/sessions')
      await other.client.post('/logout')
      tab.allowStatus(404)
      await page
        .locator(`[data-session-id="${other.id}"]`)
        .getByRole('button', { name: /revoke/i })
        .click()
      await page.locator('#flash', { hasText: 'That session had already ended.' }).waitFor()
      expect(await shownIds(page)).toEqual([mine])
      expect(await page.locator('h1').textContent()).toContain('Your sessions')
    }))
})
