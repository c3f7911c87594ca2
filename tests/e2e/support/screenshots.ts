import { copyFileSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/screenshots/', import.meta.url))
const DOCS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))

/**
 * Saves a full-page screenshot to artifacts/screenshots/ (ignored by git) on
 * every run; with UPDATE_SCREENSHOTS=1 it also replaces the committed copy in
 * docs/screenshots/, so ordinary runs leave the working tree clean.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = `${ARTIFACTS}${name}.png`
  // A pointer left over the last button clicked would show its hover colour.
  await page.mouse.move(0, 0)
  await page.screenshot({ path, fullPage: true, animations: 'disabled' })
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true })
    copyFileSync(path, `${DOCS}${name}.png`)
  }
}
