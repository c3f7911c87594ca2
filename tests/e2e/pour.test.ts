import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { readPanel, waitForBeers } from './support/flows.ts'
import { screenshot } from './support/screenshots.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab } from './support/tab.ts'

setDefaultTimeout(SCENARIO_TIMEOUT_MS)

describeInBrowser('home page and pouring, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, served.baseUrl, {}, scenario)

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2epour')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  test('home loads with the heading, the Pour Another button and a session panel', () =>
    run(async (tab) => {
      const { page } = tab
      const response = await page.goto('/')
      expect(response?.status()).toBe(200)
      // The console watch only means something if the page runs under the strict policy.
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
      expect(response?.headers()['content-security-policy']).not.toContain('unsafe')
      await expect(page.locator('h1').textContent()).resolves.toBe('Click To Generate a Craft Beer Name!')
      expect(await page.getByRole('button', { name: 'Pour Another' }).isVisible()).toBe(true)
      const panel = await readPanel(page)
      expect(panel.sessionId).toMatch(/^[\w-]{16,}$/)
      expect(panel.beers).toBe(0)
      expect(panel.email).toBeUndefined()
      expect(panel.text).toContain(`Session ID: ${panel.sessionId}`)
      expect(panel.text).toContain('No beers viewed yet in this session.')
      expect(panel.text).toContain('Not logged in')
      await expectAccessible(tab, 'home')
      await screenshot(page, 'home')
    }))

  test('three pours swap in new beers and count to 3 without a full page load', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      const { sessionId } = await readPanel(page)
      let pageLoads = 0
      page.on('load', () => pageLoads++)
      const pourRequests: (string | undefined)[] = []
      page.on('request', (request) => {
        if (request.url().endsWith('/beer')) pourRequests.push(request.headers()['hx-request'])
      })
      await page.evaluate(() => {
        ;(window as unknown as { pageMarker: string }).pageMarker = 'set before the first pour'
      })

      const names: string[] = []
      for (let pour = 1; pour <= 3; pour++) {
        // The old name element is tagged so the wait below sees a newly swapped one, not a stale copy.
        await page.evaluate(() => document.querySelector('.beer-name')?.setAttribute('data-old', ''))
        await page.getByRole('button', { name: 'Pour Another' }).click()
        await waitForBeers(page, pour)
        await page.locator('.beer-name:not([data-old])').waitFor()
        names.push((await page.locator('.beer-name').textContent())!.trim())
        expect(await page.locator('.beer-style').textContent()).toMatch(/^[A-Za-z][^()]*$/)
        expect(await page.locator('.beer-name').count()).toBe(1)
      }

      expect(names.every((name) => name.length > 0)).toBe(true)
      expect(new Set(names).size).toBeGreaterThan(1)
      const panel = await readPanel(page)
      expect(panel.beers).toBe(3)
      expect(panel.text).toContain('Beers viewed in this session: 3')
      expect(panel.sessionId).toBe(sessionId)
      expect(await page.evaluate(() => (window as unknown as { pageMarker?: string }).pageMarker)).toBe(
        'set before the first pour',
      )
      expect(pageLoads).toBe(0)
      expect(pourRequests).toEqual(['true', 'true', 'true'])
      expect(page.url()).toBe(`${served.baseUrl}/`)
      await expectAccessible(tab, 'after a pour')
      await screenshot(page, 'after-pour')
    }))

  test('the countdown goes down in the page as minutes and seconds, without asking the server', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      const counter = page.locator('#session-panel [data-countdown]')
      const seconds = (clock: string | null) => {
        const [minutes, rest] = (clock ?? '').split(':')
        return Number(minutes) * 60 + Number(rest)
      }
      const shown = await counter.textContent()
      expect(shown).toMatch(/^\d+:\d\d$/)
      const first = seconds(shown)
      let requests = 0
      page.on('request', () => requests++)
      await page.waitForFunction((start) => {
        const [minutes, rest] = (document.querySelector('#session-panel [data-countdown]')?.textContent ?? '').split(
          ':',
        )
        return Number(minutes) * 60 + Number(rest) < start
      }, first)
      const clock = await counter.textContent()
      expect(clock).toMatch(/^\d+:[0-5]\d$/)
      const later = seconds(clock)
      expect(later).toBeLessThan(first)
      expect(later).toBeGreaterThan(first - 5)
      expect(await page.locator('#session-panel .countdown').textContent()).toBe(`Session expires in ${clock}`)
      expect(requests).toBe(0)
    }))

  test('How it works refreshes its view of the Redis record in place after a pour', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/how-it-works')
      const marker = await page.evaluate(
        () => ((window as unknown as { pageMarker?: string }).pageMarker = 'still this page'),
      )
      const beers = page.locator('#session-inspector tr[data-field="b"] td:nth-child(2)')
      expect(await beers.count()).toBe(0)
      await page.getByRole('button', { name: 'Pour a beer' }).click()
      await page.waitForFunction(
        () => document.querySelector('#session-inspector tr[data-field="b"] td:nth-child(2)')?.textContent === '1',
      )
      await page.getByRole('button', { name: 'Pour a beer' }).click()
      await page.waitForFunction(
        () => document.querySelector('#session-inspector tr[data-field="b"] td:nth-child(2)')?.textContent === '2',
      )
      expect(await page.evaluate(() => (window as unknown as { pageMarker?: string }).pageMarker)).toBe(marker)
      await expectAccessible(tab, 'how it works')
    }))
})
