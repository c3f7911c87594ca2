import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { EXPIRED_NOTICE } from '../src/session/request-session.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { outboxLink } from './support/outbox.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('flash')
})
afterAll(() => t.cleanup())

let counter = 0
async function signedIn() {
  const email = `flashy${++counter}@example.com`
  await t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  await browser.post('/login', { email, password: PASSWORD })
  const id = panelOf((await browser.get('/')).html).sessionId!
  return { browser, email, id }
}

/** The flash region of a page: its opening tag and the message inside it. */
function flashOf(html: string) {
  const match = html.match(/(<div id="flash"[^>]*>)([\s\S]*?)<\/div>/)
  return { tag: match?.[1] ?? '', message: match?.[2]?.replace(/<[^>]+>/g, '').trim() ?? '' }
}

/** Asserts the next page shows `message` in the live region, and the page after it does not. */
async function expectShownOnce(browser: TestBrowser, message: string, path = '/') {
  const first = flashOf((await browser.get(path)).html)
  expect(first.message).toBe(message)
  expect(first.tag).toContain('aria-live="polite"')
  expect(first.tag).toContain('role="status"')
  expect(flashOf((await browser.get(path)).html).message).toBe('')
}

describe('flash messages are shown once, on the next page, in an aria-live region', () => {
  test('"Logged out." after logging out (for clients that keep the fresh session despite Clear-Site-Data)', async () => {
    const { browser } = await signedIn()
    await browser.post('/logout')
    await expectShownOnce(browser, 'Logged out.')
  })

  test('"Logged out." after revoking this browser\'s own session', async () => {
    const { browser, id } = await signedIn()
    await browser.get('/account/sessions')
    await browser.post(`/account/sessions/${id}/revoke`)
    await expectShownOnce(browser, 'Logged out.')
  })

  test('"Password changed."', async () => {
    const { browser } = await signedIn()
    await browser.get('/account/password')
    await browser.post('/account/password', {
      current_password: PASSWORD,
      new_password: 'green teapot 93 river',
      new_password_confirm: 'green teapot 93 river',
    })
    await expectShownOnce(browser, 'Password changed.')
  })

  test('"Password changed." also after an htmx submission, which leaves by HX-Redirect', async () => {
    const { browser } = await signedIn()
    await browser.get('/account/password')
    const { response } = await browser.post(
      '/account/password',
      {
        current_password: PASSWORD,
        new_password: 'green teapot 93 river',
        new_password_confirm: 'green teapot 93 river',
      },
      { htmx: true },
    )
    expect(response.headers.get('hx-redirect')).toBe('/account/sessions')
    await expectShownOnce(browser, 'Password changed.', '/account/sessions')
  })

  test('"Your session expired — a new one started."', async () => {
    const { browser, id } = await signedIn()
    await t.redis.del(await t.sessionKey(id))
    await expectShownOnce(browser, EXPIRED_NOTICE)
  })

  test('an expired session sent to the login page by a guarded page hears about it there', async () => {
    const { browser, id } = await signedIn()
    await t.redis.del(await t.sessionKey(id))
    const { response } = await browser.get('/account/sessions')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?next=%2Faccount%2Fsessions')
    await expectShownOnce(browser, EXPIRED_NOTICE, '/login')
  })

  test('the welcome after following the sign-up link', async () => {
    const browser = new TestBrowser(t.app)
    const email = `welcome${++counter}@example.com`
    await browser.get('/signup')
    await browser.post('/signup', { email, password: 'blue kettle 47 lamp', password_confirm: 'blue kettle 47 lamp' })
    expect((await browser.get(await outboxLink(t, email, '/verify-email/'))).response.status).toBe(303)
    await expectShownOnce(browser, 'Welcome! Your email is verified and your account is ready.')
  })

  test('the notice after revoking a session without JavaScript', async () => {
    const me = await signedIn()
    const other = new TestBrowser(t.app)
    await other.get('/login')
    await other.post('/login', { email: me.email, password: PASSWORD })
    const otherId = panelOf((await other.get('/')).html).sessionId!
    await me.browser.get('/account/sessions')
    await me.browser.post(`/account/sessions/${otherId}/revoke`)
    await expectShownOnce(me.browser, 'Session revoked. That browser is logged out.', '/account/sessions')
  })

  test('pages that show a notice are sent no-store, so the browser does not keep them for Back', async () => {
    const { browser } = await signedIn()
    await browser.post('/logout')
    const { response } = await browser.get('/')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })
})
