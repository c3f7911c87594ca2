import { expect } from 'bun:test'
import type { Page } from 'playwright-core'
import type { Tab } from './tab.ts'

export type Panel = { sessionId: string | undefined; beers: number; email: string | undefined; text: string }

/** What the session panel says right now. */
export function readPanel(page: Page): Promise<Panel> {
  return page.locator('#session-panel').evaluate((panel: HTMLElement) => ({
    sessionId: panel.dataset.sessionId,
    beers: Number(panel.dataset.beersViewed),
    email: panel.dataset.userEmail,
    text: panel.textContent?.replace(/\s+/g, ' ').trim() ?? '',
  }))
}

/** Waits until the panel counts this many beers. */
export async function waitForBeers(page: Page, beers: number): Promise<void> {
  await page.locator(`#session-panel[data-beers-viewed="${beers}"]`).waitFor()
}

/**
 * Fills and submits the login form on the page. With JavaScript htmx posts it
 * and follows HX-Redirect; without, the browser posts it and follows the 303.
 */
export async function submitLogin(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.locator('#login-form').getByRole('button', { name: 'Log In' }).click()
}

/** Fills in and sends the sign-up form the page shows, and waits for its "Check your inbox" notice. */
export async function submitSignUpForm(page: Page, email: string, password: string): Promise<void> {
  const form = page.locator('#signup-form')
  await form.getByLabel('Email').fill(email)
  await form.locator('[name="password"]').fill(password)
  await form.locator('[name="password_confirm"]').fill(password)
  await form.getByRole('button', { name: 'Sign Up' }).click()
  await page.locator('#inbox-notice').waitFor()
}

/** Logs in and waits for the home page to show the email in the panel. */
export async function logIn(tab: Tab, email: string, password: string): Promise<Panel> {
  await tab.page.goto('/login')
  await submitLogin(tab.page, email, password)
  await tab.page.waitForURL(`${tab.baseUrl}/`)
  await tab.page.locator(`#session-panel[data-user-email="${email}"]`).waitFor()
  const panel = await readPanel(tab.page)
  expect(panel.text).toContain(`Logged in as: ${email}`)
  return panel
}

/** Logs out with the nav's Log Out button and waits for the fresh session's page. */
export async function logOut(tab: Tab): Promise<Panel> {
  const { page } = tab
  await page.getByRole('navigation').getByRole('button', { name: 'Log Out' }).click()
  await page.waitForURL(`${tab.baseUrl}/`)
  await page.locator('#session-panel:not([data-user-email])').waitFor()
  return readPanel(page)
}
