import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { describeInBrowser, launchChromium, SCENARIO_TIMEOUT_MS } from './support/chromium.ts'
import { interceptNextPost, nginxErrorPage } from './support/failures.ts'
import { logIn, readPanel, submitLogin, waitForBeers } from './support/flows.ts'
import { screenshot } from './support/screenshots.ts'
import { type ServedApp, serveTestApp } from './support/served-app.ts'
import { inTab, openTab, type Tab } from './support/tab.ts'

/** The page's count of refreshes of the How it works inspector, kept by the test. */
type InspectorSwaps = Window & { inspectorSwaps?: number }

const EMAIL = 'truth@example.com'
const PASSWORD = 'correct horse battery'
const SLOW_MS = 2500

setDefaultTimeout(SCENARIO_TIMEOUT_MS * 2)

/** Holds every request to `path` for the 2.5 s of latency; counts them. */
async function slowNetwork(page: Page, path: string, method = 'POST') {
  const seen = { requests: 0 }
  await page.route(
    (url) => url.pathname === path,
    async (route) => {
      if (route.request().method() !== method) return route.continue()
      seen.requests++
      await new Promise((resolve) => setTimeout(resolve, SLOW_MS))
      await route.continue()
    },
  )
  return seen
}

const ENDED_ELSEWHERE = 'You were logged out: this session was ended from another browser.'

/** The statuses of the pours this page sends from now on, in order. */
function pourStatuses(page: Page): number[] {
  const statuses: number[] = []
  page.on('response', (response) => {
    if (response.url().endsWith('/beer')) statuses.push(response.status())
  })
  return statuses
}

const navLinks = (page: Page) =>
  page.locator('#site-nav').evaluate((nav) => [...nav.querySelectorAll('a, button')].map((item) => item.textContent))

describeInBrowser('pages that tell the truth and answer at once, in Chromium', () => {
  let browser: Browser
  let served: ServedApp
  const run = (scenario: Parameters<typeof inTab>[3]) => inTab(browser, served.baseUrl, {}, scenario)

  beforeAll(async () => {
    ;[browser, served] = await Promise.all([launchChromium(), serveTestApp('e2etruth')])
    await served.services.users.create(EMAIL, await served.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })

  test('every page renders in standards mode (a doctype), for visitors and users', () =>
    run(async (tab) => {
      const { page } = tab
      for (const path of ['/', '/login', '/signup', '/logout', '/how-it-works']) {
        await page.goto(path)
        expect({ path, mode: await page.evaluate(() => document.compatMode) }).toEqual({ path, mode: 'CSS1Compat' })
      }
      await logIn(tab, EMAIL, PASSWORD)
      for (const path of ['/', '/account/sessions', '/account/password', '/how-it-works']) {
        await page.goto(path)
        expect({ path, mode: await page.evaluate(() => document.compatMode) }).toEqual({ path, mode: 'CSS1Compat' })
      }
    }))

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'
    test(`logging out shows "Logged out." in the browser (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        await logIn(tab, EMAIL, PASSWORD)
        const answer = page.waitForResponse((response) => response.request().method() === 'POST')
        await page.getByRole('navigation').getByRole('button', { name: 'Log Out' }).click()
        expect((await (await answer).allHeaders())['clear-site-data']).toBe('"cache", "storage"')
        await page.waitForURL(`${served.baseUrl}/`)
        expect((await page.locator('#flash').textContent())?.trim()).toBe('Logged out.')
        expect(await navLinks(page)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
        // The notice is shown once.
        await page.reload()
        expect((await page.locator('#flash').textContent())?.trim()).toBe('')
      }))
  }

  test('a look at the session answered after a pour does not roll the panel back to the count before it', () =>
    inTab(browser, served.baseUrl, {}, async (tab) => {
      const { page } = tab
      await page.goto('/')
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#session-panel[data-beers-viewed="1"]').waitFor()
      // Coming back to the tab by clicking Pour: the look (on focus) is answered only after the pour.
      const { promise: poured, resolve: pourAnswered } = Promise.withResolvers<void>()
      await page.route(
        (url) => url.pathname === '/session',
        async (route) => {
          const response = await route.fetch()
          await poured
          await route.fulfill({ response })
        },
        { times: 1 },
      )
      const looked = page.waitForResponse((response) => new URL(response.url()).pathname === '/session')
      await page.evaluate(() => window.dispatchEvent(new Event('focus')))
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#session-panel[data-beers-viewed="2"]').waitFor()
      pourAnswered()
      await looked
      await page.waitForTimeout(300)
      const panel = await readPanel(page)
      expect(panel.beers).toBe(2)
      expect(await served.redis.hget(await served.sessionKey(panel.sessionId), 'b')).toBe('2')
    }))

  test('the logout page offers Cancel beside Log Out; Cancel keeps the session', () =>
    run(async (tab) => {
      const { page } = tab
      const { sessionId } = await logIn(tab, EMAIL, PASSWORD)
      await page.goto('/logout')
      const form = page.locator('#logout-form')
      expect(await form.getByRole('button', { name: 'Log Out' }).isVisible()).toBe(true)
      await form.getByRole('link', { name: 'Cancel' }).click()
      await page.waitForURL(`${served.baseUrl}/`)
      expect(await readPanel(page)).toMatchObject({ sessionId, email: EMAIL })
    }))

  test('on a slow network a pour disables its button, says "Pouring…", marks #beer busy, and a double click pours once', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/')
      expect(await page.locator('#beer .beer-placeholder').textContent()).toBe('Your beer will appear here.')
      const slow = await slowNetwork(page, '/beer')
      const button = page.locator('#beer-form button')
      await button.dblclick()
      await page.waitForFunction(() => document.querySelector('#beer-form button')?.textContent === 'Pouring…')
      expect(await button.isDisabled()).toBe(true)
      expect(await page.locator('#beer').getAttribute('aria-busy')).toBe('true')
      // A third click while it runs sends nothing either.
      await button.click({ force: true })
      await page.locator('#session-panel[data-beers-viewed="1"]').waitFor()
      await page.waitForFunction(() => document.querySelector('#beer-form button')?.textContent === 'Pour Another')
      expect(await button.isDisabled()).toBe(false)
      expect(await page.locator('#beer').getAttribute('aria-busy')).toBeNull()
      expect(slow.requests).toBe(1)
      expect(await page.locator('.beer-name').count()).toBe(1)
    }))

  test('on a slow network Log In says "Logging in…" until the next page arrives', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/login')
      await slowNetwork(page, '/login')
      await submitLogin(page, EMAIL, PASSWORD)
      const button = page.locator('#login-form button[type="submit"]')
      await page.waitForFunction(
        () => document.querySelector('#login-form button[type="submit"]')?.textContent === 'Logging in…',
      )
      expect(await button.isDisabled()).toBe(true)
      expect(await page.locator('#login-form').getAttribute('aria-busy')).toBe('true')
      await page.waitForURL(`${served.baseUrl}/`)
      await page.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
    }))

  test('a plain form (the nav Log Out) is busy too, and a second click sends nothing', () =>
    run(async (tab) => {
      const { page } = tab
      await logIn(tab, EMAIL, PASSWORD)
      let posts = 0
      page.on('request', (request) => {
        if (request.method() === 'POST') posts++
      })
      // Read in the same task as the clicks: a plain form's next page may replace this one at any moment after.
      const seen = await page.evaluate(() => {
        const button = document.querySelector<HTMLButtonElement>('#site-nav button')!
        let submits = 0
        document.addEventListener('submit', () => submits++)
        button.click()
        const busy = {
          label: button.textContent,
          disabled: button.disabled,
          main: document.getElementById('main')?.getAttribute('aria-busy'),
        }
        button.click()
        return { ...busy, submits }
      })
      expect(seen).toEqual({ label: 'Logging out…', disabled: true, main: 'true', submits: 1 })
      await page.waitForURL(`${served.baseUrl}/`)
      await page.locator('#flash p').waitFor()
      expect(posts).toBe(1)
    }))

  test('when the countdown reaches 0 the panel says the session ended and the nav stops offering the account', () =>
    run(async (tab) => {
      const { page } = tab
      // The pour at the end is refused first: its session has ended.
      tab.allowStatus(403)
      const { sessionId } = await logIn(tab, EMAIL, PASSWORD)
      // A page view would slide the expiry back; a tab coming back into view only looks (GET /session).
      await served.redis.pexpire(await served.sessionKey(sessionId), 3000)
      await page.evaluate(() => window.dispatchEvent(new Event('focus')))
      await page.waitForFunction(() => /^0:0[0-3]$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''))
      // Listened for from now: the focus's own look has been answered (the countdown shows it), and the
      // confirming look goes out a second after the countdown ends, maybe before the checks below are done.
      const confirmed = page.waitForResponse((response) => response.url().endsWith('/session'))
      await page.waitForFunction(() => document.querySelector('#session-panel')?.textContent?.includes('has ended'), {
        timeout: 8000,
      })
      const panel = await readPanel(page)
      expect(panel.text).not.toContain('Logged in as')
      expect(panel.text).toContain('Not logged in')
      expect(await navLinks(page)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
      // Confirmed by the server a second later: the same, from GET /session.
      await confirmed
      await page.waitForTimeout(100)
      expect(await navLinks(page)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
      expect((await readPanel(page)).text).toContain('Your session has ended.')
      // The next pour is refused, starts a new session and says the old one expired (it ran out:
      // nobody ended it), then pours again in the new session.
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#session-panel[data-beers-viewed="1"]').waitFor()
      expect((await page.locator('#flash').textContent())?.trim()).toBe('Your session expired — a new one started.')
    }))

  test('a pour that finds its session revoked is refused, yet the answer updates the nav, says why and shifts nothing; the retry pours once', () =>
    run(async (tab) => {
      const { page } = tab
      tab.allowStatus(403)
      const { sessionId } = await logIn(tab, EMAIL, PASSWORD)
      const top = () => page.locator('main').evaluate((main) => main.getBoundingClientRect().top)
      const before = await top()
      await served.redis.del(await served.sessionKey(sessionId))
      const statuses = pourStatuses(page)
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#session-panel:not([data-user-email])[data-beers-viewed="1"]').waitFor()
      expect((await page.locator('#flash').textContent())?.trim()).toBe(ENDED_ELSEWHERE)
      expect(await navLinks(page)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
      expect(await top()).toBe(before)
      expect(statuses).toEqual([403, 200])
    }))

  test('a pour after this session was revoked in another browser: the notice, the nav, and one beer in the new session', async () => {
    const [tab, other] = await Promise.all([openTab(browser, served.baseUrl), openTab(browser, served.baseUrl)])
    tab.allowStatus(403)
    try {
      const { page } = tab
      const { sessionId } = await logIn(tab, EMAIL, PASSWORD)
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await waitForBeers(page, 1)
      await logIn(other, EMAIL, PASSWORD)
      await other.page.goto('/account/sessions')
      const row = other.page.locator(`[data-session-id="${sessionId}"]`)
      await row.getByRole('button', { name: /revoke/i }).click()
      await row.waitFor({ state: 'detached' })

      const statuses = pourStatuses(page)
      await page.getByRole('button', { name: 'Pour Another' }).click()
      await page.locator('#session-panel:not([data-user-email])[data-beers-viewed="1"]').waitFor()
      await page.locator('.beer-name').waitFor()
      expect((await page.locator('#flash').textContent())?.trim()).toBe(ENDED_ELSEWHERE)
      expect(await page.locator('#flash').isVisible()).toBe(true)
      expect(await navLinks(page)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
      expect(statuses).toEqual([403, 200])
      const { sessionId: newId } = await readPanel(page)
      expect(newId).not.toBe(sessionId)
      expect(await served.redis.hget(await served.sessionKey(newId), 'b')).toBe('1')
      expect(await served.redis.exists(await served.sessionKey(sessionId))).toBe(0)
    } finally {
      await Promise.all([tab.close(), other.close()])
    }
  })

  test('two tabs: after logging in in one, the other catches up when it comes back into view, and its pour works', async () => {
    const tab = await openTab(browser, served.baseUrl)
    try {
      const first = tab.page
      const second = await tab.context.newPage()
      await second.goto('/')
      await first.goto('/login')
      await submitLogin(first, EMAIL, PASSWORD)
      await first.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
      expect(await navLinks(second)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
      // The second tab regains focus: it refreshes the panel, the nav and the CSRF token.
      await second.evaluate(() => window.dispatchEvent(new Event('focus')))
      await second.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
      expect(await navLinks(second)).toContain('Log Out')
      await second.getByRole('button', { name: 'Pour Another' }).click()
      await second.locator('.beer-name').waitFor()
      expect((await second.locator('#flash').textContent())?.trim()).toBe('')
      // And its plain forms post the new token too: the nav's Log Out works.
      await second.getByRole('navigation').getByRole('button', { name: 'Log Out' }).click()
      await second.waitForURL(`${served.baseUrl}/`)
      expect((await second.locator('#flash').textContent())?.trim()).toBe('Logged out.')
    } finally {
      await tab.close()
    }
  })

  test('two tabs: after logging out in one, the next pour in the other brings its nav up to date', async () => {
    const tab = await openTab(browser, served.baseUrl)
    tab.allowStatus(403)
    try {
      const first = tab.page
      await logIn(tab, EMAIL, PASSWORD)
      const second = await tab.context.newPage()
      await second.goto('/')
      expect(await navLinks(second)).toContain('Log Out')
      await first.getByRole('navigation').getByRole('button', { name: 'Log Out' }).click()
      await first.waitForURL(`${served.baseUrl}/`)
      // The second tab's form still holds the old token: the pour is refused, retried with a fresh one, and the nav follows.
      await second.getByRole('button', { name: 'Pour Another' }).click()
      await second.locator('.beer-name').waitFor()
      await second.waitForFunction(() => !document.querySelector('#site-nav')?.textContent?.includes('Log Out'))
      expect(await navLinks(second)).toEqual(['Home', 'How it works', 'Log In', 'Sign Up'])
    } finally {
      await tab.close()
    }
  })

  test('two tabs: a stale tab whose pour is refused for its token refreshes it and pours anyway', async () => {
    const tab = await openTab(browser, served.baseUrl)
    tab.allowStatus(403)
    try {
      const first = tab.page
      const second = await tab.context.newPage()
      await second.goto('/')
      await logIn({ ...tab, page: first } as Tab, EMAIL, PASSWORD)
      const statuses = pourStatuses(second)
      await second.getByRole('button', { name: 'Pour Another' }).click()
      await second.locator('.beer-name').waitFor()
      expect(statuses).toEqual([403, 200])
      expect(await second.locator('#beer').textContent()).not.toContain('expired')
      expect(await navLinks(second)).toContain('Log Out')
    } finally {
      await tab.close()
    }
  })

  test('two tabs: a stale login form refused for its token says so in plain words, and the next try works', async () => {
    const tab = await openTab(browser, served.baseUrl)
    tab.allowStatus(403)
    try {
      const first = tab.page
      const second = await tab.context.newPage()
      await second.goto('/login')
      await logIn({ ...tab, page: first } as Tab, EMAIL, PASSWORD)
      await first.getByRole('navigation').getByRole('button', { name: 'Log Out' }).click()
      await first.waitForURL(`${served.baseUrl}/`)
      await submitLogin(second, EMAIL, PASSWORD)
      await second.locator('#flash p').waitFor()
      expect(await second.locator('#flash').textContent()).toContain('This page was out of date')
      expect(await second.locator('#login-form').count()).toBe(1)
      await second.locator('#login-form').getByRole('button', { name: 'Log In' }).click()
      await second.waitForURL(`${served.baseUrl}/`)
      await second.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
    } finally {
      await tab.close()
    }
  })

  test('a login form whose session has ended says so and to try again, logs nobody in, and the next try works', () =>
    run(async (tab) => {
      const { page } = tab
      tab.allowStatus(403)
      await page.goto('/login')
      const { sessionId } = await readPanel(page)
      await served.redis.del(await served.sessionKey(sessionId))
      await submitLogin(page, EMAIL, PASSWORD)
      await page.waitForFunction(() => document.querySelector('#flash')?.textContent?.includes('try again'))
      expect((await page.locator('#flash').textContent())?.trim()).toBe(
        'Your session expired — a new one started. Nothing was changed: please try again.',
      )
      expect(page.url()).toBe(`${served.baseUrl}/login`)
      expect((await readPanel(page)).email).toBeUndefined()
      await page.locator('#login-form').getByRole('button', { name: 'Log In' }).click()
      await page.waitForURL(`${served.baseUrl}/`)
      await page.locator(`#session-panel[data-user-email="${EMAIL}"]`).waitFor()
    }))

  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'with JavaScript' : 'without JavaScript'
    test(`a page that required a login is where the login lands (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        await page.goto('/account/sessions')
        expect(page.url()).toBe(`${served.baseUrl}/login?next=%2Faccount%2Fsessions`)
        await submitLogin(page, EMAIL, PASSWORD)
        await page.waitForURL(`${served.baseUrl}/account/sessions`)
        expect(await page.locator('h1').textContent()).toBe('Your sessions')
      }))

    test(`a form error takes the focus: the summary, or the first invalid field, styled as invalid (${mode})`, () =>
      inTab(browser, served.baseUrl, { javaScript }, async (tab) => {
        const { page } = tab
        tab.allowStatus(401)
        tab.allowStatus(422)
        await page.goto('/login')
        await submitLogin(page, EMAIL, 'not the password')
        await page.locator('#login-form [role="alert"]').waitFor()
        await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'alert')
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Invalid email or password.')

        await page.goto('/signup')
        const form = page.locator('#signup-form')
        await form.getByLabel('Email').fill('someone-new@example.com')
        await form.locator('[name="password"]').fill('amber lantern quietly 47')
        await form.locator('[name="password_confirm"]').fill('a different one entirely')
        await form.getByRole('button', { name: 'Sign Up' }).click()
        await page.locator('#signup-form [aria-invalid="true"]').first().waitFor()
        await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true')
        const invalid = await page.evaluate(() => {
          const input = document.activeElement as HTMLInputElement
          const valid = document.querySelector<HTMLInputElement>('#signup-form input[name="email"]')!
          return {
            name: input.name,
            border: getComputedStyle(input).borderTopColor,
            validBorder: getComputedStyle(valid).borderTopColor,
            width: getComputedStyle(input).borderTopWidth,
          }
        })
        expect(invalid.name).toBe('password_confirm')
        expect(invalid.border).not.toBe(invalid.validBorder)
        expect(invalid.width).toBe('2px')
      }))
  }

  test('a skip link is the first stop and moves the focus to the main content; the nav marks the current page', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/how-it-works')
      await page.keyboard.press('Tab')
      const skip = await page.evaluate(() => ({
        text: document.activeElement?.textContent,
        visible: document.activeElement?.getBoundingClientRect().top ?? -1,
      }))
      expect(skip.text).toBe('Skip to main content')
      expect(skip.visible).toBeGreaterThanOrEqual(0)
      await page.keyboard.press('Enter')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main')
      expect(await page.locator('#site-nav [aria-current="page"]').textContent()).toBe('How it works')
    }))

  test('after a revoke the count follows the rows and the focus goes to the next row, then to the heading', async () => {
    const tabs = await Promise.all([0, 1, 2].map(() => openTab(browser, served.baseUrl)))
    try {
      for (const tab of tabs) await logIn(tab, EMAIL, PASSWORD)
      const { page } = tabs[0]!
      await page.goto('/account/sessions')
      const count = page.locator('#sessions-count')
      const rows = page.locator('#sessions-list tbody tr')
      const total = await rows.count()
      expect(await count.textContent()).toBe(`${total} active sessions.`)
      const firstOther = page.locator('#sessions-list tbody tr:not([data-current])').first()
      const index = await firstOther.evaluate((row) => [...row.parentElement!.children].indexOf(row))
      await firstOther.getByRole('button', { name: /revoke/i }).click()
      await page.locator(`#sessions-list[data-session-count="${total - 1}"]`).waitFor()
      expect(await count.textContent()).toBe(total - 1 === 1 ? 'One active session.' : `${total - 1} active sessions.`)
      const focused = await page.evaluate(() => {
        const row = document.activeElement?.closest('tr')
        return row ? [...row.parentElement!.children].indexOf(row) : document.activeElement?.id
      })
      expect(focused).toBe(index < total - 1 ? index : 'sessions-heading')
      await page.getByRole('button', { name: 'Log out everywhere else' }).click()
      await page.locator('#sessions-list[data-session-count="1"]').waitFor()
      expect(await count.textContent()).toBe('One active session.')
      await page.waitForFunction(() => document.activeElement?.id === 'sessions-heading')
    } finally {
      await Promise.all(tabs.map((tab) => tab.context.close()))
    }
  })

  test('session times read in the browser time zone and locale, with the UTC time in their title', () =>
    inTab(browser, served.baseUrl, { timezoneId: 'Asia/Kolkata', locale: 'en-GB' }, async (tab) => {
      const { page } = tab
      await logIn(tab, EMAIL, PASSWORD)
      await page.goto('/account/sessions')
      const time = page.locator('#sessions-list tbody tr[data-current] time[datetime]').first()
      const datetime = (await time.getAttribute('datetime'))!
      const expected = await page.evaluate(
        (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
        datetime,
      )
      expect(await time.textContent()).toBe(expected)
      expect(await time.textContent()).not.toContain('UTC')
      expect(await time.getAttribute('title')).toBe(`${datetime.slice(0, 19).replace('T', ' ')} UTC`)
      // India is UTC+5:30: the local text is not the UTC one.
      expect(expected).not.toContain(datetime.slice(11, 16))
    }))

  test('How it works teaches: changed fields marked after a pour, a live TTL, the cookie masked, a Try this list, each command explained', () =>
    run(async (tab) => {
      const { page } = tab
      await page.goto('/how-it-works')
      await page.getByRole('button', { name: 'Pour a beer' }).click()
      await page.waitForFunction(
        () => document.querySelector('#session-inspector tr[data-field="b"] td:nth-child(2)')?.textContent === '1',
      )
      await page.getByRole('button', { name: 'Pour a beer' }).click()
      // htmx puts the new record in, then (after its settle delay) fires after:swap, where app.js marks it:
      // the count alone can show before the marks do.
      await page.waitForFunction(() => {
        const row = document.querySelector<HTMLElement>('#session-inspector tr[data-field="b"]')
        return row?.querySelector('td:nth-child(2)')?.textContent === '2' && row.dataset.changed !== undefined
      })
      const beers = page.locator('#session-inspector tr[data-field="b"]')
      expect(await beers.getAttribute('data-changed')).toBe('changed')
      expect(await beers.locator('.changed-badge').textContent()).toBe('changed')
      expect(await page.locator('#session-inspector tr[data-field="c"]').getAttribute('data-changed')).toBeNull()

      // Counted after public/app.js has marked the fields: its listener was added first.
      await page.evaluate(() =>
        document.addEventListener('htmx:after:swap', (event) => {
          const counted = window as InspectorSwaps
          if ((event as CustomEvent).detail?.ctx?.target?.id === 'session-inspector')
            counted.inspectorSwaps = (counted.inspectorSwaps ?? 0) + 1
        }),
      )
      const afterNextRefresh = async (action: () => Promise<unknown>) => {
        const seen = await page.evaluate(() => (window as InspectorSwaps).inspectorSwaps ?? 0)
        await action()
        await page.waitForFunction((seen) => ((window as InspectorSwaps).inspectorSwaps ?? 0) > seen, seen)
      }
      // Coming back to the window refreshes the view; with nothing new, the last pour's marks stay.
      await afterNextRefresh(() => page.evaluate(() => window.dispatchEvent(new Event('focus'))))
      expect(await beers.getAttribute('data-changed')).toBe('changed')
      expect(await beers.locator('.changed-badge').count()).toBe(1)
      expect(await page.locator('#session-inspector tr[data-field="c"]').getAttribute('data-changed')).toBeNull()
      // A pour that fails (a proxy's 502) changed nothing, and its refresh says so: no marks.
      tab.allowStatus(502)
      await interceptNextPost(page, '/beer', (route) => nginxErrorPage(route, 502, 'Bad Gateway'))
      await afterNextRefresh(() => page.getByRole('button', { name: 'Pour a beer' }).click())
      expect(await page.locator('#session-inspector [data-changed]').count()).toBe(0)
      expect(await page.locator('#session-inspector tr[data-field="b"] td:nth-child(2)').textContent()).toBe('2')

      const ttl = page.locator('#session-inspector [data-count-from]')
      const first = Number(await ttl.textContent())
      await page.waitForFunction(
        (start) => Number(document.querySelector('#session-inspector [data-count-from]')?.textContent) < start,
        first,
      )

      const cookies = await tab.context.cookies()
      const session = cookies.find((cookie) => cookie.name === 'taproom_session')!
      const shown = (await page.locator('#cookie-view').textContent()) ?? ''
      expect(shown).toContain('taproom_session=‹')
      expect(shown).not.toContain(session.value.split('.')[0]!)
      expect(shown).toContain('HttpOnly')
      expect(shown).toContain('SameSite')

      expect(await page.locator('.try-this li').count()).toBeGreaterThanOrEqual(4)
      const commands = await page.locator('dl.commands dt').allTextContents()
      expect(commands).toContain('HINCRBY s:‹id› b 1')
      expect(commands).toContain('PTTL s:‹id›')
      expect(await page.locator('dl.commands dd').count()).toBe(commands.length)
      await screenshot(page, 'how-it-works')
    }))
})
