import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import type { Browser, Response } from 'playwright-core'
import { outboxLink } from '../support/outbox.ts'
import { expectAccessible } from './support/accessibility.ts'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { logIn, readPanel } from './support/flows.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, type Tab } from './support/tab.ts'

const PASSWORD = 'amber lantern quietly 47'
const NEW_PASSWORD = 'copper kettle softly 81'

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/** A token of the mailed links' shape (32 random bytes, base64url) that no mail ever held. */
const unknownToken = () => randomBytes(32).toString('base64url')

type DeadEnd = { status: number; heading: string; message: string; wayOn: { link: string; path: string } }

/*
 * Pages a user lands on by mistake: each says what happened in one readable
 * page (one heading, one main), passes axe, and has a link that leads on to
 * a working page.
 */
describeInBrowser('dead ends, in Chromium', () => {
  let browser: Browser
  let served: ServedApp

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2edeadends')])
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  const createUser = () => served.createUser('lost', PASSWORD)

  async function expectDeadEnd(tab: Tab, response: Response | null, screen: string, expected: DeadEnd) {
    const { page } = tab
    expect(response?.status()).toBe(expected.status)
    expect(await page.locator('h1').allTextContents()).toEqual([expected.heading])
    expect(await page.locator('main').count()).toBe(1)
    expect(await page.locator('main [role="alert"]').allTextContents()).toEqual([expected.message])
    await expectAccessible(tab, screen)
    const onward = page.waitForResponse((answer) => new URL(answer.url()).pathname === expected.wayOn.path)
    await page.locator('main').getByRole('link', { name: expected.wayOn.link }).click()
    expect((await onward).status()).toBe(200)
    await page.waitForURL(`${served.baseUrl}${expected.wayOn.path}`)
  }

  /** Fills in and sends the sign-up form; returns the text of the answer's main content. */
  async function signUp(tab: Tab, email: string): Promise<{ status: number; url: string; text: string }> {
    const { page } = tab
    await page.goto('/signup')
    const form = page.locator('#signup-form')
    await form.getByLabel('Email').fill(email)
    await form.locator('[name="password"]').fill(PASSWORD)
    await form.locator('[name="password_confirm"]').fill(PASSWORD)
    const answer = page.waitForResponse(
      (response) => response.url().endsWith('/signup') && response.request().method() === 'POST',
    )
    await form.getByRole('button', { name: 'Sign Up' }).click()
    const status = (await answer).status()
    await page.locator('#inbox-notice').waitFor()
    const text = (await page.locator('main').textContent())?.replace(/\s+/g, ' ').trim() ?? ''
    return { status, url: page.url(), text }
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'
    const invalidLink = 'This link is invalid or has expired.'

    test(`an unknown or used sign-up link gets the 400 page, which leads on (to the login, or home when signed in) (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        tab.allowStatus(400)
        const wayOn = { link: 'Log in to get a new link', path: '/login' }
        const unknown = await page.goto(`/verify-email/${unknownToken()}`)
        await expectDeadEnd(tab, unknown, `unknown sign-up link (${mode})`, {
          status: 400,
          heading: 'Link invalid',
          message: invalidLink,
          wayOn,
        })

        const email = `signed-up-${javaScript ? 'js' : 'nojs'}@example.com`
        await signUp(tab, email)
        const link = await outboxLink(served, email, '/verify-email/')
        await page.goto(link)
        await page.waitForURL(`${served.baseUrl}/`)
        expect((await readPanel(page)).email).toBe(email)
        // Opened again (a second click in the mail): the link is used up, and signed in there is nothing to ask for.
        const used = await page.goto(link)
        await expectDeadEnd(tab, used, `used sign-up link (${mode})`, {
          status: 400,
          heading: 'Link invalid',
          message: invalidLink,
          wayOn: { link: 'Back to the home page', path: '/' },
        })
      }))

    test(`an unknown or used password-reset link gets the 400 page, which leads on to asking for a new one (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        tab.allowStatus(400)
        const wayOn = { link: 'Ask for a new link', path: '/password/forgot' }
        const unknown = await page.goto(`/password/reset/${unknownToken()}`)
        await expectDeadEnd(tab, unknown, `unknown reset link (${mode})`, {
          status: 400,
          heading: 'Link invalid',
          message: invalidLink,
          wayOn,
        })

        const email = await createUser()
        await page.getByLabel('Email').fill(email)
        await page.getByRole('button', { name: 'Send Reset Link' }).click()
        await page.getByText('If an account exists for that address').waitFor()
        const link = await outboxLink(served, email, '/password/reset/')
        await page.goto(link)
        await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
        await page.getByLabel('Confirm new password').fill(NEW_PASSWORD)
        await page.getByRole('button', { name: 'Set New Password' }).click()
        await page.waitForURL(`${served.baseUrl}/`)
        expect((await readPanel(page)).email).toBe(email)

        const used = await page.goto(link)
        await expectDeadEnd(tab, used, `used reset link (${mode})`, {
          status: 400,
          heading: 'Link invalid',
          message: invalidLink,
          wayOn,
        })
      }))

    test(`an email change to an address taken meanwhile gets the 409 page, changes nothing and leads on to another try (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        tab.allowStatus(409)
        const email = await createUser()
        const wanted = `wanted-${javaScript ? 'js' : 'nojs'}@example.com`
        await logIn(tab, email, PASSWORD)
        await page.goto('/account/email')
        await page.getByLabel('New email address').fill(wanted)
        await page.getByRole('button', { name: 'Send Confirmation Link' }).click()
        await page.locator('#inbox-notice').waitFor()
        const link = await outboxLink(served, wanted, '/account/email/confirm/')
        // Someone else signs up with the address before the link is followed.
        await served.services.users.create(wanted, await served.services.hasher.hash(PASSWORD), {
          verifiedAt: new Date(),
        })

        const taken = await page.goto(link)
        await expectDeadEnd(tab, taken, `address taken (${mode})`, {
          status: 409,
          heading: 'Address taken',
          message: 'That address now belongs to another account, so your email was not changed.',
          wayOn: { link: 'Choose another address', path: '/account/email' },
        })
        expect(await page.locator('#email-form strong').textContent()).toBe(email)
        expect((await served.services.users.findByEmail(email))?.email).toBe(email)
        await page.goto('/')
        expect((await readPanel(page)).email).toBe(email)
      }))

    test(`a URL that does not exist gets the 404 page, which leads home (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        tab.allowStatus(404)
        const response = await tab.page.goto('/no/such/page')
        await expectDeadEnd(tab, response, `not found (${mode})`, {
          status: 404,
          heading: 'Not found',
          message: 'There is no page at this address.',
          wayOn: { link: 'Back to the home page', path: '/' },
        })
        expect(await tab.page.getByRole('button', { name: 'Pour Another' }).isVisible()).toBe(true)
      }))

    test(`signing up with a registered address gets the same answer as a new one, and its owner is told by mail (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const registered = await createUser()
        const fresh = `fresh-${javaScript ? 'js' : 'nojs'}@example.com`
        const forNew = await signUp(tab, fresh)
        await expectAccessible(tab, `sign-up answer for a new address (${mode})`)
        await tab.context.clearCookies()
        const forRegistered = await signUp(tab, registered)
        await expectAccessible(tab, `sign-up answer for a registered address (${mode})`)
        expect(forRegistered).toEqual(forNew)
        expect(forRegistered.text).toContain('Check your inbox: we sent a link to finish signing up.')

        await outboxLink(served, fresh, '/verify-email/')
        const deadline = Date.now() + 10_000
        const toOwner = () => served.services.mail.outbox?.list().filter((mail) => mail.to === registered) ?? []
        while (toOwner().length === 0 && Date.now() < deadline) await Bun.sleep(20)
        expect(toOwner().map((mail) => mail.subject)).toEqual(['Someone tried to sign up with your address'])
        // The address still belongs to its owner, who still logs in with the old password.
        expect((await logIn(tab, registered, PASSWORD)).email).toBe(registered)
      }))
  }
})
