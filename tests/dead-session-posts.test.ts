import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { EXPIRED_NOTICE } from '../src/session/request-session.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

/*
 * A CSRF token is an HMAC of its session's ID, so it still matches the cookie
 * after the session is gone. A state-changing request whose session has ended
 * (revoked from another browser, expired) is refused like a missing token:
 * nothing is applied, and the answer starts the new session the page needs.
 */

let t: TestApp
const PASSWORD = 'correct horse battery'
let users = 0

beforeAll(async () => {
  t = await createTestApp('deadposts')
})
afterAll(() => t.cleanup())

async function newUser() {
  const email = `dead${++users}@example.com`
  const user = await t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  return { id: user.id, email }
}

/** A browser logged in as `email`, on the home page; returns its session ID. */
async function loggedIn(email: string) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  await browser.post('/login', { email, password: PASSWORD })
  const { html } = await browser.get('/')
  const { sessionId } = panelOf(html)
  expect(panelOf(html).email).toBe(email)
  return { browser, id: sessionId! }
}

const navOf = (html: string) => html.match(/<nav id="site-nav"[\s\S]*?<\/nav>/)?.[0] ?? ''
const sessionCookie = (browser: TestBrowser) => [...browser.cookies].find(([name]) => name.includes('session'))?.[1]
const csrfOf = (html: string) => html.match(/data-csrf-token="([^"]+)"/)?.[1]

/** Checks the htmx answer of a refused request: what happened, the new session's panel and the nav, out of band. */
function expectSessionEndedFragment(response: Response, html: string, oldId: string) {
  expect(response.status).toBe(403)
  expect(response.headers.get('x-csrf-refused')).toBe('session-ended')
  expect(response.headers.get('hx-retarget')).toBe('#flash')
  expect(html).toStartWith(`<p>${EXPIRED_NOTICE}</p>`)
  const panel = panelOf(html)
  expect(panel.oob).toBe(true)
  expect(panel.sessionId).toBeDefined()
  expect(panel.sessionId).not.toBe(oldId)
  expect(panel.email).toBeUndefined()
  expect(panel.beers).toBe(0)
  expect(navOf(html)).toContain('hx-swap-oob="true"')
  expect(navOf(html)).toContain('Log In')
  expect(navOf(html)).not.toContain('Log Out')
  return panel.sessionId!
}

describe('a pour whose session has ended', () => {
  test('revoked from another browser: 403, nothing counted, a new session with the nav and the notice; the retry counts once', async () => {
    const user = await newUser()
    const lost = await loggedIn(user.email)
    await lost.browser.post('/beer', {}, { htmx: true })
    const other = await loggedIn(user.email)
    await other.browser.get('/account/sessions')
    const revoked = await other.browser.post(`/account/sessions/${lost.id}/revoke`)
    expect(revoked.response.status).toBe(303)

    const oldCookie = sessionCookie(lost.browser)
    const { response, html } = await lost.browser.post(
      '/beer',
      {},
      { htmx: true, headers: { 'hx-current-url': 'http://localhost/' } },
    )
    const newId = expectSessionEndedFragment(response, html, lost.id)
    expect(sessionCookie(lost.browser)).not.toBe(oldCookie)
    expect(navOf(html)).toContain('<a href="/" aria-current="page">')
    expect(await t.redis.exists(await t.sessionKey(lost.id))).toBe(0)
    expect(await t.redis.hget(await t.sessionKey(newId), 'b')).toBeNull()

    // The page's script retries once with the new session's token (from the panel): one beer, in the new session.
    lost.browser.csrfToken = csrfOf(html)!
    const retry = await lost.browser.post('/beer', {}, { htmx: true })
    expect(retry.response.status).toBe(200)
    expect(panelOf(retry.html)).toMatchObject({ sessionId: newId, beers: 1 })
    expect(retry.html).not.toContain('site-nav')
  })

  test('expired (its key gone at the idle timeout): refused the same way, nothing counted', async () => {
    const browser = new TestBrowser(t.app)
    const { html: page } = await browser.get('/')
    const { sessionId } = panelOf(page)
    await browser.post('/beer', {}, { htmx: true })
    await t.redis.del(await t.sessionKey(sessionId))
    const { response, html } = await browser.post('/beer', {}, { htmx: true })
    const newId = expectSessionEndedFragment(response, html, sessionId!)
    const { html: home } = await browser.get('/')
    expect(panelOf(home)).toMatchObject({ sessionId: newId, beers: 0 })
  })

  test('past its absolute deadline: refused the same way, and the old record is deleted, not revived', async () => {
    const user = await newUser()
    const { browser, id } = await loggedIn(user.email)
    await t.age(id, (t.config.session.absoluteSeconds + 1) * 1000)
    const { response, html } = await browser.post('/beer', {}, { htmx: true })
    const newId = expectSessionEndedFragment(response, html, id)
    expect(await t.redis.exists(await t.sessionKey(id))).toBe(0)
    const { html: home } = await browser.get('/')
    expect(panelOf(home)).toMatchObject({ sessionId: newId, beers: 0, email: undefined })
  })

  test('without JavaScript: a 403 page that says the session ended and to send the form again, with a fresh token', async () => {
    const browser = new TestBrowser(t.app)
    const { html: page } = await browser.get('/')
    const { sessionId } = panelOf(page)
    const oldToken = browser.csrfToken
    await t.redis.del(await t.sessionKey(sessionId))
    const { response, html } = await browser.post('/beer')
    expect(response.status).toBe(403)
    expect(response.headers.get('x-csrf-refused')).toBe('session-ended')
    expect(html).toStartWith('<!doctype html>')
    expect(html).toContain('Your session had ended')
    expect(html).toContain('nothing was changed')
    expect(html).toContain('send the form again')
    const token = html.match(/<meta name="csrf-token" content="([^"]*)"/)?.[1]
    expect(token).toBeTruthy()
    expect(token).not.toBe(oldToken)
    expect(navOf(html)).toContain('Log In')
    // The poured-beer cookie of Post/Redirect/Get was not set: nothing was poured.
    expect(response.headers.getSetCookie().some((cookie) => cookie.includes('poured'))).toBe(false)
    browser.csrfToken = token!
    const { html: home } = await browser.get('/')
    expect(panelOf(home).beers).toBe(0)
  })
})

describe('a login whose session has ended', () => {
  test('is refused before the password is checked and logs nobody in', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/login')
    const { sessionId } = panelOf(html)
    await t.redis.del(await t.sessionKey(sessionId))
    const auditBefore = t.audit.length
    const { response, html: answer } = await browser.post(
      '/login',
      { email: user.email, password: PASSWORD },
      { htmx: true },
    )
    expectSessionEndedFragment(response, answer, sessionId!)
    expect(response.headers.get('hx-redirect')).toBeNull()
    // The password was never judged: a right one would have remembered this browser for the account.
    expect(response.headers.getSetCookie().map((cookie) => cookie.split('=')[0])).toEqual([
      [...browser.cookies.keys()].find((name) => name.includes('session')),
    ])
    expect(await t.redis.zcard(t.indexKey(user.id))).toBe(0)
    expect(t.audit.slice(auditBefore).map((record) => record.event)).toEqual([])
    const { html: home } = await browser.get('/')
    expect(panelOf(home).email).toBeUndefined()
  })

  test('without JavaScript too: the 403 page, and nobody logged in', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/login')
    await t.redis.del(await t.sessionKey(panelOf(html).sessionId))
    const { response, html: answer } = await browser.post('/login', { email: user.email, password: PASSWORD })
    expect(response.status).toBe(403)
    expect(answer).toContain('Your session had ended')
    expect(await t.redis.zcard(t.indexKey(user.id))).toBe(0)
  })
})

/* A URL the route answers: its parameters filled in, or for a static path registered as a parameter (onlyParam), that path. */
const STATIC_AS_PARAMETER: Record<string, string> = {
  '/account/sessions/:action': '/account/sessions/revoke-others',
  '/account/security/passkeys/:action': '/account/security/passkeys/options',
}
const urlOf = (path: string) => STATIC_AS_PARAMETER[path] ?? path.replace(/:\w+/g, 'x')

describe('every state-changing route', () => {
  test('refuses a request whose session has ended, the same way', async () => {
    const routes = t.app.routes.filter((route) => route.method === 'POST' && !route.path.includes('*'))
    const posts = [...new Set(routes.map((route) => route.path))]
    expect(posts).toContain('/beer')
    expect(posts).toContain('/account/password')
    const answers: Record<string, string | number | null> = {}
    for (const path of posts) {
      const user = await newUser()
      const { browser, id } = await loggedIn(user.email)
      await t.redis.del(await t.sessionKey(id))
      const { response } = await browser.post(urlOf(path), {}, { htmx: true })
      answers[path] = response.status === 403 ? response.headers.get('x-csrf-refused') : response.status
    }
    expect(answers).toEqual(Object.fromEntries(posts.map((path) => [path, 'session-ended'])))
  })
})
