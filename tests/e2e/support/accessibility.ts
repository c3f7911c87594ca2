import { expect } from 'bun:test'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { AxeResults } from 'axe-core'
import type { Page } from 'playwright-core'
import type { Tab } from './tab.ts'

const AXE_SOURCE = readFileSync(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8')

/**
 * Runs axe-core on what the tab shows and fails on any violation, of any
 * impact (minor included), naming the rule and the elements.
 */
export async function expectAccessible(tab: Tab, screen: string): Promise<void> {
  const violations = tab.javaScript ? await axeViolations(tab.page) : await axeOnScriptedCopy(tab)
  expect({ screen, violations }).toEqual({ screen, violations: [] })
}

/*
 * axe goes in through page.evaluate (the DevTools protocol), not a <script>
 * tag: the page keeps its CSP of script-src 'self', which a context with
 * bypassCSP would switch off for the whole test, hiding the very violations
 * the console watch is there to catch.
 */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(`${AXE_SOURCE}\n;true`)
  const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run())
  return results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  )
}

/*
 * Chromium's renderer dies when a page loaded with scripting disabled runs a
 * microtask (even after scripting is turned back on over CDP), and axe runs on
 * promises. So a script-less screen is checked as an exact copy: its HTML with
 * the script tags removed, served at the same URL to a scripted context that
 * loads the same stylesheet.
 */
async function axeOnScriptedCopy(tab: Tab): Promise<string[]> {
  const html = (await tab.page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
  const url = tab.page.url()
  const browser = tab.context.browser()!
  const context = await browser.newContext({
    viewport: tab.page.viewportSize() ?? undefined,
    colorScheme: tab.colorScheme,
  })
  try {
    await context.route(
      (candidate) => candidate.href === url,
      (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
    )
    const page = await context.newPage()
    await page.goto(url)
    return await axeViolations(page)
  } finally {
    await context.close()
  }
}

/** Every rendered form control is named by a <label> with text (a `hidden` username field for password managers is not rendered). */
export async function expectLabelledInputs(page: Page): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('input:not([type="hidden"]), select, textarea')]
      .filter((input) => input.checkVisibility())
      .filter((input) => ![...(input.labels ?? [])].some((label) => label.textContent?.trim()))
      .map((input) => input.outerHTML),
  )
  expect(unlabelled).toEqual([])
}

/**
 * Tabs through a freshly loaded page and checks that every element taking the
 * keyboard focus draws a visible outline, and that the Tab order reaches every
 * focusable element; returns how many there were.
 */
export async function expectVisibleFocus(page: Page): Promise<number> {
  const focusable = await page.evaluate(
    () =>
      [
        ...document.querySelectorAll(
          'a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]:not([tabindex="-1"])',
        ),
      ].filter((element) => element.checkVisibility() && !(element as HTMLButtonElement).disabled).length,
  )
  const reached = new Set<string>()
  const unseen: string[] = []
  for (let step = 0; step < focusable; step++) {
    await page.keyboard.press('Tab')
    const focus = await page.evaluate(() => {
      const element = document.activeElement
      if (!element || element === document.body) return null
      const style = getComputedStyle(element)
      const index = [...document.querySelectorAll('*')].indexOf(element)
      const visible =
        element.matches(':focus-visible') && style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2
      return { visible, key: `${index}:${element.outerHTML.slice(0, 100)}` }
    })
    if (!focus) continue
    reached.add(focus.key)
    if (!focus.visible) unseen.push(focus.key)
  }
  expect(unseen).toEqual([])
  expect(reached.size).toBe(focusable)
  return focusable
}
