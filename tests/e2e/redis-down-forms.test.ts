import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, startRedisServer } from '../support/redis-server.ts'
import { waitUntil } from '../support/wait-until.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { comesIntoView } from './support/failures.ts'
import { logIn } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { openTab } from './support/tab.ts'

const PASSWORD = 'copper kettle slowly 58'
const STORE_DOWN = 'The session store is temporarily unavailable.'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/* A private redis-server, stopped mid-scenario: the app's own 503 answers, which carry X-Request-Id. */
describeInBrowser("the app's own 503 when Redis fails, in Chromium", () => {
  let browser: Browser
  let served: ServedApp
  let redis: RedisServer

  beforeAll(async () => {
    redis = await startRedisServer()
    ;[browser, served] = await Promise.all([
      launchChromium(),
      serveTestApp('e2eredisdownforms', { REDIS_URL: redis.url }),
    ])
  })
  afterAll(async () => {
    await browser?.close()
    if (redis && !redis.running) await redis.start()
    await served?.close()
    await redis?.stop()
  })

  // On a phone, where a long page puts the notice region out of view.
  const phone = true

  test(`a revoke and a password change answered 503 show the store's message in #flash and keep the page (phone)`, async () => {
    if (!redis.running) await redis.start()
    // After a restart the app's client reconnects on its own schedule.
    await waitUntil(async () => (await fetch(`${served.baseUrl}/login`)).status === 200, 30_000)
    const email = await served.createUser('down-', PASSWORD)
    const client = new TestBrowser(served.app)
    await client.get('/login')
    await client.post('/login', { email, password: PASSWORD })
    const other = panelOf((await client.get('/')).html).sessionId!
    // More sessions, so the list is taller than a phone's screen and the flash region above it out of view.
    for (let i = 0; i < 3; i++) {
      const more = new TestBrowser(served.app)
      await more.get('/login')
      await more.post('/login', { email, password: PASSWORD })
    }
    const tab = await openTab(browser, served.baseUrl, { phone })
    try {
      const { page } = tab
      await logIn(tab, email, PASSWORD)
      await page.goto('/account/sessions')
      const second = await tab.context.newPage()
      await second.goto('/account/password')
      await redis.stop()

      await page
        .locator(`[data-session-id="${other}"]`)
        .getByRole('button', { name: /revoke/i })
        .click()
      await page.locator('#flash', { hasText: STORE_DOWN }).waitFor()
      expect(await comesIntoView(page, '#flash')).toBe(true)
      expect(await page.locator('#flash').textContent()).not.toContain('not answering')
      expect(await page.locator('#sessions-list tbody tr').count()).toBe(5)
      // The buttons come back once the request is over (htmx may settle first).
      await page.waitForFunction(() => document.querySelectorAll('#sessions-list button:disabled').length === 0)

      const form = second.locator('#password-form')
      await form.getByLabel('Current password').fill(PASSWORD)
      await form.getByLabel('New password', { exact: true }).fill('quiet meadow lantern 72')
      await form.getByLabel('Confirm new password').fill('quiet meadow lantern 72')
      await form.getByRole('button', { name: 'Change Password' }).click()
      await second.locator('#flash', { hasText: STORE_DOWN }).waitFor()
      expect(await second.locator('#password-form').count()).toBe(1)
      await form.getByRole('button', { name: 'Change Password' }).and(second.locator(':enabled')).waitFor()
    } finally {
      await tab.context.close()
      if (!redis.running) await redis.start()
    }
    expect(tab.problems().filter((line) => !/status of 503/.test(line))).toEqual([])
  })
})
