import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn } from './support/flows.ts'
import { screenshot } from './support/screenshots.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, PHONE } from './support/tab.ts'

const EMAIL = 'phone@example.com'
const PASSWORD = 'correct horse battery'
const VISITOR_PAGES = ['/', '/login', '/signup', '/logout', '/how-it-works']
const USER_PAGES = ['/', '/account/sessions', '/account/password', '/how-it-works', '/logout']

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 4)

/** How far the page scrolls sideways: 0 when nothing is wider than the viewport. */
const sidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)

/** WCAG's relative luminance contrast of two computed colours. */
function contrast(a: string, b: string): number {
  const luminance = (color: string) => {
    const [r, g, bl] = color
      .match(/\d+(\.\d+)?/g)!
      .slice(0, 3)
      .map(Number) as [number, number, number]
    const channel = (v: number) => {
      const c = v / 255
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    }
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(bl)
  }
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (light + 0.05) / (dark + 0.05)
}

describeInBrowser('phones, keyboard-free checks and both colour themes, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2ephone')])
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  for (const colorScheme of ['dark', 'light'] as const) {
    for (const phone of [false, true]) {
      const where = `${colorScheme} theme, ${phone ? 'phone' : 'desktop'}`
      test(`axe finds nothing on any page, for visitors and users (${where})`, () =>
        inTab(browser, served.baseUrl, { colorScheme, phone }, async (tab) => {
          const { page } = tab
          for (const path of VISITOR_PAGES) {
            await page.goto(path)
            await expectAccessible(tab, `${path} (${where})`)
            expect({ path, sideways: await sidewaysScroll(page) }).toEqual({ path, sideways: 0 })
          }
          await logIn(tab, EMAIL, PASSWORD)
          for (const path of USER_PAGES) {
            await page.goto(path)
            await expectAccessible(tab, `${path} logged in (${where})`)
            expect({ path, sideways: await sidewaysScroll(page) }).toEqual({ path, sideways: 0 })
          }
        }))
    }
  }

  test('prefers-color-scheme: light gives a light page with the same contrast as the dark one', async () => {
    const colours: Record<string, { ratio: number; background: string }> = {}
    for (const colorScheme of ['dark', 'light'] as const) {
      await inTab(browser, served.baseUrl, { colorScheme }, async (tab) => {
        await tab.page.goto('/')
        const { text, background } = await tab.page.evaluate(() => {
          const style = getComputedStyle(document.body)
          return { text: style.color, background: style.backgroundColor }
        })
        colours[colorScheme] = { ratio: contrast(text, background), background }
      })
    }
    expect(colours.light!.background).not.toBe(colours.dark!.background)
    expect(contrast(colours.light!.background, 'rgb(255, 255, 255)')).toBeLessThan(1.2)
    expect(colours.light!.ratio).toBeGreaterThanOrEqual(colours.dark!.ratio * 0.95)
  })

  test('on a phone "Your sessions" is a stack of cards: every Revoke button whole on screen, no sideways scroll', async () => {
    const others = await Promise.all([0, 1].map(() => openTab(browser, served.baseUrl)))
    try {
      for (const other of others) await logIn(other, EMAIL, PASSWORD)
      await inTab(browser, served.baseUrl, { phone: true }, async (tab) => {
        const { page } = tab
        await logIn(tab, EMAIL, PASSWORD)
        await page.goto('/account/sessions')
        expect(await sidewaysScroll(page)).toBe(0)
        const buttons = page.locator('#sessions-list button')
        expect(await buttons.count()).toBeGreaterThanOrEqual(2)
        for (const box of await buttons.evaluateAll((all) => all.map((button) => button.getBoundingClientRect()))) {
          expect(box.left).toBeGreaterThanOrEqual(0)
          expect(box.right).toBeLessThanOrEqual(PHONE.width)
        }
        const row = page.locator('#sessions-list tbody tr').first()
        expect(await row.evaluate((element) => getComputedStyle(element).display)).toBe('block')
        expect(
          await row
            .locator('td')
            .first()
            .evaluate((cell) => getComputedStyle(cell, '::before').content),
        ).toBe('"Device: "')
        await screenshot(page, 'phone-your-sessions')
      })
    } finally {
      await Promise.all(others.map((other) => other.context.close()))
    }
  })

  test('on a phone How it works fits the screen, its diagram text stays legible, and a legend names the arrows', () =>
    inTab(browser, served.baseUrl, { phone: true }, async (tab) => {
      const { page } = tab
      await page.goto('/how-it-works')
      expect(await sidewaysScroll(page)).toBe(0)
      const diagram = await page.evaluate(() => {
        const shown = [...document.querySelectorAll<SVGSVGElement>('svg.diagram')].filter((svg) =>
          svg.checkVisibility(),
        )
        const svg = shown[0]!
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width
        const label = svg.querySelector('.message-label')!
        return {
          shown: shown.length,
          name: svg.getAttribute('class'),
          labelPx: Number.parseFloat(getComputedStyle(label).fontSize) * scale,
        }
      })
      expect(diagram.shown).toBe(1)
      expect(diagram.name).toContain('diagram-narrow')
      expect(diagram.labelPx).toBeGreaterThanOrEqual(11)
      const legend = await page.locator('.diagram-legend li').allTextContents()
      expect(legend.map((item) => item.trim())).toEqual([
        'the app asks Redis',
        'the app answers the browser',
        'the browser asks the app',
      ])
      await screenshot(page, 'phone-how-it-works')
    }))

  test('on a desktop How it works shows the wide diagram at a legible size', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      await page.goto('/how-it-works')
      const labelPx = await page.evaluate(() => {
        const svg = [...document.querySelectorAll<SVGSVGElement>('svg.diagram')].find((each) => each.checkVisibility())!
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width
        return Number.parseFloat(getComputedStyle(svg.querySelector('.message-label')!).fontSize) * scale
      })
      expect(labelPx).toBeGreaterThanOrEqual(10)
    }))
})
