import { expect } from 'bun:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'

export type TabOptions = {
  javaScript?: boolean
  /** A phone's screen (390×844, the test phone) instead of a desktop window. */
  phone?: boolean
  colorScheme?: 'dark' | 'light'
  timezoneId?: string
  locale?: string
}

/** The phone every phone test uses: an iPhone 12–15 sized viewport. */
export const PHONE = { width: 390, height: 844 }

/** One browser context with one page, watched for anything the console reports. */
export type Tab = {
  page: Page
  context: BrowserContext
  baseUrl: string
  javaScript: boolean
  colorScheme: 'dark' | 'light'
  /** Accepts the network error line Chromium logs for a response with this status (the 401 of a failed login is by contract). */
  allowStatus(status: number): void
  /** Console errors and warnings (CSP violations among them) and uncaught page errors so far. */
  problems(): string[]
  /** Closes the context and fails if the console reported anything. */
  close(): Promise<void>
}

const VIEWPORT = { width: 1024, height: 768 }
const ACTION_TIMEOUT_MS = 10_000

/** A fresh context (own cookies, own storage) on the shared browser. */
export async function openTab(
  browser: Browser,
  baseUrl: string,
  { javaScript = true, phone = false, colorScheme = 'dark', timezoneId, locale }: TabOptions = {},
): Promise<Tab> {
  const context = await browser.newContext({
    javaScriptEnabled: javaScript,
    viewport: phone ? PHONE : VIEWPORT,
    isMobile: phone,
    hasTouch: phone,
    baseURL: baseUrl,
    colorScheme,
    timezoneId,
    locale,
  })
  context.setDefaultTimeout(ACTION_TIMEOUT_MS)
  const problems: string[] = []
  const allowed = new Set<number>()
  context.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return
    const status = message.text().match(/the server responded with a status of (\d{3})/)?.[1]
    if (status && allowed.has(Number(status))) return
    problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`)
  })
  context.on('weberror', (error) => problems.push(`page error: ${error.error().message}`))
  const page = await context.newPage()
  return {
    page,
    context,
    baseUrl,
    javaScript,
    colorScheme,
    allowStatus: (status) => void allowed.add(status),
    problems: () => [...problems],
    async close() {
      await context.close()
      expect(problems).toEqual([])
    },
  }
}

/** Runs a scenario in its own tab, then checks the console; on failure the console is printed to explain it. */
export async function inTab(
  browser: Browser,
  baseUrl: string,
  options: TabOptions,
  scenario: (tab: Tab) => Promise<void>,
) {
  const tab = await openTab(browser, baseUrl, options)
  try {
    await scenario(tab)
  } catch (error) {
    if (tab.problems().length > 0) console.error(`[e2e] browser console:\n${tab.problems().join('\n')}`)
    await tab.context.close()
    throw error
  }
  await tab.close()
}
