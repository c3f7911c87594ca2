import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, logOut, readPanel } from './support/flows.ts'
import { inTab, openTab, type Tab } from './support/tab.ts'
import { type VirtualCredential, virtualAuthenticator, withoutAutofill } from './support/webauthn.ts'

const PASSWORD = 'amber lantern quietly 47'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

describeInBrowser('managing passkeys on the security page, in Chromium', () => {
  let browser: Browser
  let t: TestApp
  let server: ReturnType<typeof Bun.serve>
  let baseUrl: string
  let users = 0

  beforeAll(async () => {
    // WebAuthn refuses IP addresses as relying party IDs: the browser uses localhost.
    let app: TestApp['app'] | undefined
    server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request, bun) => app!.fetch(request, bun) })
    baseUrl = `http://localhost:${server.port}`
    ;[browser, t] = await Promise.all([launchChromium(), createTestApp('e2epasskeymanage', { APP_URL: baseUrl })])
    app = t.app
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop(true)
    await t?.cleanup()
  })

  /** A new user who added a passkey named `name` in a browser since logged out; returns the authenticator's copy. */
  async function userWithPasskey(name: string): Promise<{ email: string; credential: VirtualCredential }> {
    const email = `keyholder${++users}@example.com`
    await t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    const tab = await openTab(browser, baseUrl, { javaScript: true })
    try {
      const { cdp, authenticatorId } = await virtualAuthenticator(tab.page)
      await logIn(tab, email, PASSWORD)
      await tab.page.goto('/account/security')
      await tab.page.getByLabel('Passkey name').fill(name)
      await tab.page.getByRole('button', { name: 'Add a passkey' }).click()
      await tab.page.locator('#flash', { hasText: `Passkey "${name}" added.` }).waitFor()
      const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
        credentials: VirtualCredential[]
      }
      expect(credentials).toHaveLength(1)
      await logOut(tab)
      return { email, credential: credentials[0]! }
    } finally {
      await tab.close()
    }
  }

  /** The names the security page lists. */
  const listedNames = (page: Page) => page.locator('.passkey strong').allTextContents()

  /** The user's passkey names as stored. */
  async function storedNames(email: string): Promise<string[]> {
    const user = (await t.services.users.findByEmail(email))!
    return (await t.services.deps.secondFactors.status(user.id, Date.now())).passkeys.map((passkey) => passkey.name)
  }

  async function rename(page: Page, from: string, to: string): Promise<void> {
    await page.getByLabel(`New name for ${from}`).fill(to)
    await page.locator('.passkey', { hasText: from }).getByRole('button', { name: 'Rename' }).click()
  }

  /** Tries the passkey on the login page of a fresh browser; the panel's email afterwards. */
  async function signInWith(credential: VirtualCredential, { refused }: { refused: boolean }) {
    let email: string | undefined
    await inTab(browser, baseUrl, { javaScript: true }, async (tab) => {
      const { page } = tab
      if (refused) tab.allowStatus(401)
      await virtualAuthenticator(page, credential)
      await withoutAutofill(page)
      await page.goto('/login')
      const answer = page.waitForResponse(
        (response) => response.url().endsWith('/login/passkey') && response.request().method() === 'POST',
      )
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      if (refused) {
        expect((await answer).status()).toBe(401)
        await page.locator('main [role="alert"]', { hasText: 'could not sign you in' }).first().waitFor()
      } else {
        await page.waitForURL(`${baseUrl}/`)
      }
      await page.goto('/')
      email = (await readPanel(page)).email
    })
    return email
  }

  /*
   * The rename and remove forms are plain posts (no htmx), which take the same
   * path with and without JavaScript: each case runs in one mode, and the
   * modes are shared out between them.
   */
  const modeOf = (javaScript: boolean) => (javaScript ? 'with JavaScript' : 'without JavaScript')

  test(`renaming a passkey shows the new name and keeps it signing in (${modeOf(true)})`, async () => {
    const javaScript = true
    const mode = modeOf(javaScript)
    const { email, credential } = await userWithPasskey('Old laptop')
    await inTab(browser, baseUrl, { javaScript }, async (tab) => {
      const { page } = tab
      await logIn(tab, email, PASSWORD)
      await page.goto('/account/security')
      await expectAccessible(tab, `security page with a passkey (${mode})`)
      await rename(page, 'Old laptop', 'Work laptop')
      await page.waitForURL(`${baseUrl}/account/security`)
      await page.locator('#flash', { hasText: 'Passkey renamed to "Work laptop".' }).waitFor()
      expect(await listedNames(page)).toEqual(['Work laptop'])
      expect(await page.getByLabel('New name for Work laptop').inputValue()).toBe('Work laptop')
      await expectAccessible(tab, `passkey renamed (${mode})`)
    })
    expect(await storedNames(email)).toEqual(['Work laptop'])
    expect(await signInWith(credential, { refused: false })).toBe(email)
  })

  for (const [problem, typed, message, javaScript] of [
    ['a blank', '    ', 'Give the passkey a name.', false],
    ['an over-long', 'x'.repeat(65), 'A passkey name can be at most 64 characters.', true],
  ] as const) {
    const mode = modeOf(javaScript)
    test(`${problem} new passkey name is shown beside the rename field, which is marked invalid and takes the focus (${mode})`, async () => {
      const { email } = await userWithPasskey('Phone')
      await inTab(browser, baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        tab.allowStatus(422)
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/security')
        // As a browser that does not enforce maxlength (or a paste past it) would send it.
        await page.getByLabel('New name for Phone').evaluate((input) => input.removeAttribute('maxlength'))
        const answer = page.waitForResponse((response) => response.url().endsWith('/rename'))
        await rename(page, 'Phone', typed)
        expect((await answer).status()).toBe(422)
        await page.getByText(message).waitFor()
        expect(await page.getByText(message).count()).toBe(1)
        const field = await page.evaluate(() => {
          const input = document.querySelector<HTMLInputElement>('.passkey input[name="name"]')!
          const described = (input.getAttribute('aria-describedby') ?? '')
            .split(/\s+/)
            .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
          return { invalid: input.getAttribute('aria-invalid'), described, focused: document.activeElement === input }
        })
        expect(field).toEqual({ invalid: 'true', described: expect.arrayContaining([message]), focused: true })
        expect(await listedNames(page)).toEqual(['Phone'])
        await expectAccessible(tab, `${problem} passkey name refused (${mode})`)
      })
      expect(await storedNames(email)).toEqual(['Phone'])
    })
  }
  test(`removing a passkey logs the other browser out, and the passkey no longer signs in (${modeOf(false)})`, async () => {
    const javaScript = false
    const mode = modeOf(javaScript)
    const { email, credential } = await userWithPasskey('Desk key')
    const tab = await openTab(browser, baseUrl, { javaScript })
    const other = await openTab(browser, baseUrl, { javaScript: true })
    try {
      const { page } = tab
      await logIn(other, email, PASSWORD)
      await logIn(tab, email, PASSWORD)
      await page.goto('/account/security')
      await page.getByRole('button', { name: 'Remove Desk key' }).click()
      await page.waitForURL(`${baseUrl}/account/security`)
      await page.locator('#flash', { hasText: 'Passkey "Desk key" removed. 1 other session was logged out.' }).waitFor()
      expect(await listedNames(page)).toEqual([])
      expect(await page.getByText('No passkeys yet.').isVisible()).toBe(true)
      await expectAccessible(tab, `passkey removed (${mode})`)
      await page.goto('/')
      expect((await readPanel(page)).email).toBe(email)

      await other.page.goto('/')
      expect((await readPanel(other.page)).email).toBeUndefined()
    } finally {
      await Promise.all([tab.close(), other.close()])
    }
    expect(await storedNames(email)).toEqual([])
    expect(await signInWith(credential, { refused: true })).toBeUndefined()
  })

  test('with a stale proof, Remove asks to confirm it is you and removes nothing until it is repeated', async () => {
    const { email } = await userWithPasskey('Old phone')
    await inTab(browser, baseUrl, { javaScript: true }, async (tab: Tab) => {
      const { page } = tab
      const { sessionId } = await logIn(tab, email, PASSWORD)
      await page.goto('/account/security')
      await t.age(sessionId!, t.config.reauthSeconds * 1000 + 1000)

      tab.allowStatus(403)
      await page.getByRole('button', { name: 'Remove Old phone' }).click()
      const form = page.locator('#reauth-form')
      await form.waitFor()
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe("Confirm it's you")
      await expectAccessible(tab, 'confirm before removing a passkey')
      expect(await storedNames(email)).toEqual(['Old phone'])

      await form.getByLabel('Password').fill(PASSWORD)
      await form.getByRole('button', { name: 'Confirm' }).click()
      await page.waitForURL(`${baseUrl}/account/security`)
      expect(await listedNames(page)).toEqual(['Old phone'])

      await page.getByRole('button', { name: 'Remove Old phone' }).click()
      await page.locator('#flash', { hasText: 'Passkey "Old phone" removed.' }).waitFor()
      expect(await listedNames(page)).toEqual([])
      await expectAccessible(tab, 'passkey removed after confirming')
    })
    expect(await storedNames(email)).toEqual([])
  })
})
