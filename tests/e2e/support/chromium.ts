import { describe } from 'bun:test'
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's chromium package: Playwright's own browser download cannot run here. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

const available = existsSync(CHROMIUM_PATH)
let warned = false

/**
 * describe() for browser tests: skipped, with one line saying why, when
 * Chromium is not installed — unless REQUIRE_BROWSER=1 (as in CI), where a
 * missing browser must fail the run rather than pass it with fewer tests.
 */
export function describeInBrowser(label: string, body: () => void): void {
  if (!available && process.env.REQUIRE_BROWSER === '1') {
    throw new Error(`${CHROMIUM_PATH} not found, and REQUIRE_BROWSER=1: install it (apt-get install chromium)`)
  }
  if (!available && !warned) {
    warned = true
    console.warn(`[e2e] skipping browser tests: ${CHROMIUM_PATH} not found (apt-get install chromium)`)
  }
  describe.skipIf(!available)(label, body)
}

/**
 * Headless Chromium with the flags this machine needs. Playwright gives every
 * launch a fresh temporary --user-data-dir and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Per-test limit for browser scenarios: a whole flow with several page loads, well past bun's 5 s default. */
export const SCENARIO_TIMEOUT_MS = 20_000
