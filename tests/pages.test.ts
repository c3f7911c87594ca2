import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { safeNextPath } from '../src/http/next-path.ts'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const EMAIL = 'pages@example.com'
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('pages')
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

async function loggedIn() {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  await browser.post('/login', { email: EMAIL, password: PASSWORD })
  await browser.get('/')
  return browser
}

const navOf = (html: string) => html.match(/<nav id="site-nav"[\s\S]*?<\/nav>/)?.[0] ?? ''

describe('every full page is a standards-mode HTML document', () => {
  test('starts with <!doctype html>, the templated hot paths (home, twice) included', async () => {
    const visitor = new TestBrowser(t.app)
    const user = await loggedIn()
    const pages: [TestBrowser, string][] = [
      [visitor, '/'],
      [visitor, '/'],
      [visitor, '/login'],
      [visitor, '/signup'],
      [visitor, '/logout'],
      [visitor, '/how-it-works'],
      [visitor, '/no-such-page'],
      [user, '/'],
      [user, '/'],
      [user, '/account/sessions'],
      [user, '/account/password'],
      [user, '/how-it-works'],
    ]
    for (const [browser, path] of pages) {
      const { html } = await browser.get(path)
      expect({ path, start: html.slice(0, 20) }).toEqual({ path, start: '<!doctype html><html' })
    }
  })

  test('fragments for htmx carry no doctype', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const { html } = await browser.post('/beer', {}, { htmx: true })
    expect(html).not.toContain('<!doctype')
  })
})

describe('the nav', () => {
  test('marks the current page with aria-current and offers a skip link to the main content', async () => {
    const user = await loggedIn()
    for (const path of ['/', '/how-it-works', '/account/sessions', '/account/password']) {
      const { html } = await user.get(path)
      expect(navOf(html).match(/<a href="([^"]+)" aria-current="page">/g)).toEqual([
        `<a href="${path}" aria-current="page">`,
      ])
      expect(html).toContain('<a class="skip-link" href="#main">Skip to main content</a>')
      expect(html).toContain('<main id="main" tabindex="-1">')
    }
  })

  test('GET /session for htmx sends the nav out of band, logged out once the session is gone', async () => {
    const user = await loggedIn()
    const headers = { 'hx-request': 'true', 'hx-current-url': 'http://localhost/how-it-works' }
    const live = await (await user.request('/session', { headers })).text()
    expect(live).toContain('id="session-panel"')
    expect(navOf(live)).toContain('hx-swap-oob="true"')
    expect(navOf(live)).toContain('Log Out')
    expect(navOf(live)).toContain('<a href="/how-it-works" aria-current="page">')
    // The same again, now from its view template, must read the same.
    const timeless = (html: string) => html.replace(/data-expires-(?:at|in)="\d+"|\d+:\d\d</g, '')
    expect(timeless(await (await user.request('/session', { headers })).text())).toBe(timeless(live))

    const plain = await (await user.request('/session')).text()
    expect(plain).not.toContain('site-nav')

    const id = live.match(/data-session-id="([^"]+)"/)![1]
    await t.redis.del(await t.sessionKey(id))
    const ended = await (await user.request('/session', { headers })).text()
    expect(ended).toContain('Your session has ended.')
    expect(ended).not.toContain('Logged in as')
    expect(navOf(ended)).toContain('Log In')
    expect(navOf(ended)).not.toContain('Log Out')
  })

  test('a pour that finds its session revoked is refused, but replaces the nav and says why, in the same answer', async () => {
    const user = await loggedIn()
    const { html } = await user.get('/')
    const id = html.match(/data-session-id="([^"]+)"/)![1]
    await t.redis.del(await t.sessionKey(id))
    const pour = await user.post('/beer', {}, { htmx: true, headers: { 'hx-current-url': 'http://localhost/' } })
    expect(pour.response.status).toBe(403)
    expect(pour.response.headers.get('hx-retarget')).toBe('#flash')
    expect(pour.html).toMatch(/^<p>[^<]+<\/p>/)
    expect(navOf(pour.html)).toContain('hx-swap-oob="true"')
    expect(navOf(pour.html)).toContain('Log In')
    expect(navOf(pour.html)).not.toContain('Log Out')
    // An ordinary pour (with the new session's token) leaves the nav alone.
    user.csrfToken = pour.html.match(/data-csrf-token="([^"]+)"/)![1]!
    const next = await user.post('/beer', {}, { htmx: true })
    expect(next.response.status).toBe(200)
    expect(next.html).not.toContain('site-nav')
  })
})

describe('the pour status', () => {
  test('each pour says one short line: the beer, its style and the count', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    for (let pour = 1; pour <= 2; pour++) {
      const { html } = await browser.post('/beer', {}, { htmx: true })
      const name = html.match(/<p class="beer-name">([^<]+)<\/p>/)![1]
      const style = html.match(/<p class="beer-style">([^<]+)<\/p>/)![1]
      const status = html.match(/<p id="pour-status"[^>]*>([^<]*)<\/p>/)![1]
      const article = /^[aeiou]/i.test(style!) ? 'an' : 'a'
      expect(status).toBe(
        `Poured: ${name}, ${article} ${style}. ${pour} ${pour === 1 ? 'beer' : 'beers'} this session.`,
      )
    }
  })
})

describe('a refused CSRF token', () => {
  test('is marked X-CSRF-Refused, so the page can refresh its token instead of failing', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const refused = await browser.post('/beer', { _csrf: 'A'.repeat(22) }, { htmx: true })
    expect(refused.response.status).toBe(403)
    expect(refused.response.headers.get('x-csrf-refused')).toBe('token')
    const crossSite = await browser.post('/beer', {}, { headers: { 'sec-fetch-site': 'cross-site' } })
    expect(crossSite.response.status).toBe(403)
    expect(crossSite.response.headers.get('x-csrf-refused')).toBeNull()
  })
})

describe('next: back to the page that asked for a login', () => {
  test('the login form carries it and the login lands there', async () => {
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/login?next=%2Faccount%2Fsessions')
    expect(html).toContain('<input type="hidden" name="next" value="/account/sessions"/>')
    const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD, next: '/account/sessions' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/sessions')
  })

  test('a wrong password keeps it; htmx gets it as HX-Redirect', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const wrong = await browser.post('/login', { email: EMAIL, password: 'nope nope nope', next: '/how-it-works' })
    expect(wrong.response.status).toBe(401)
    expect(wrong.html).toContain('name="next" value="/how-it-works"')
    const right = await browser.post(
      '/login',
      { email: EMAIL, password: PASSWORD, next: '/how-it-works' },
      { htmx: true },
    )
    expect(right.response.headers.get('hx-redirect')).toBe('/how-it-works')
  })

  test('anything but a path on this site is ignored: the login lands on /', async () => {
    const hostile = [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/login',
      `/${'a'.repeat(600)}`,
      ' /account',
      '/\u0000x',
      // Paths that only become protocol-relative once "." and ".." are resolved.
      '/.//evil.example/x',
      '/%2e//evil.example/x',
      '/a/..//evil.example/z',
      '/..//evil.example',
    ]
    for (const next of hostile) {
      const browser = new TestBrowser(t.app)
      await browser.get('/login')
      const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD, next })
      const location = response.headers.get('location')
      expect({ next, location }).toEqual({ next, location: '/' })
    }
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const encoded = await browser.post('/login', { email: EMAIL, password: PASSWORD, next: '/%0d%0aSet-Cookie:x=1' })
    expect(encoded.response.headers.get('location')).toBe('/%0d%0aSet-Cookie:x=1')
    expect(encoded.response.headers.getSetCookie().some((cookie) => cookie.startsWith('x='))).toBe(false)
    expect(safeNextPath('/account/sessions?tab=1')).toBe('/account/sessions?tab=1')
    expect(safeNextPath('/a/../login')).toBeUndefined()
    expect(safeNextPath(['/x'])).toBeUndefined()
  })
})
