import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { roundTrips } from './support/redis-stats.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp

beforeAll(async () => {
  t = await createTestApp('pour')
})
afterAll(() => t.cleanup())

describe('GET /', () => {
  test('has the heading, the beer form, the CSRF meta tag and same-origin scripts only', async () => {
    const { html } = await new TestBrowser(t.app).get('/')
    expect(html).toContain('Click To Generate a Craft Beer Name!')
    expect(html).toMatch(/<meta name="csrf-token" content="[A-Za-z0-9_-]{22}"/)
    const form = html.match(/<form id="beer-form"[^>]*>/)![0]
    expect(form).toContain('method="post"')
    expect(form).toContain('action="/beer"')
    expect(form).toContain('hx-post="/beer"')
    expect(html).toContain('id="beer"')
    for (const [, src] of html.matchAll(/<script[^>]*src="([^"]+)"/g)) expect(src!.startsWith('/')).toBe(true)
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/)
  })
})

describe('POST /beer', () => {
  test('htmx: a fragment with the beer and the panel swapped out of band', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const { response, html } = await browser.post('/beer', {}, { htmx: true })
    expect(response.status).toBe(200)
    expect(html).not.toContain('<html')
    expect(html).toMatch(/<p class="beer-name">[A-Z][^<]+<\/p>/)
    expect(html).toMatch(/<p class="beer-style">[A-Za-z][^<()]*<\/p>/)
    const panel = panelOf(html)
    expect(panel.oob).toBe(true)
    expect(panel.beers).toBe(1)
    expect(html).toContain('Beers viewed in this session: 1')
    expect(response.headers.get('vary')).toContain('HX-Request')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  test('without htmx, from How it works: 303 back there, its record showing the count; only that one page, and no beer held for home', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/how-it-works')
    const { response } = await browser.post('/beer', { back: '/how-it-works' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/how-it-works')
    expect(response.headers.getSetCookie().some((cookie) => cookie.includes('_poured='))).toBe(false)
    expect(panelOf((await browser.get('/')).html).beers).toBe(1)
    expect((await browser.get('/')).html).toContain('Your beer will appear here.')
    for (const back of ['https://evil.example/', '//evil.example', '/account/delete']) {
      expect((await browser.post('/beer', { back })).response.headers.get('location')).toBe('/')
    }
  })

  test('without htmx: Post/Redirect/Get — 303 to /, which shows the poured beer once, and GET /beer goes home', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const { response } = await browser.post('/beer')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    const { html: next } = await browser.get('/')
    expect(panelOf(next).beers).toBe(1)
    const name = next.match(/<p class="beer-name">([^<]+)<\/p>/)?.[1]
    expect(name).toBeTruthy()
    expect(next).toContain(`Poured: ${name}`)
    const { html: again } = await browser.get('/')
    expect(again).not.toContain('class="beer-name"')
    expect(again).toContain('Your beer will appear here.')
    expect(panelOf(again).beers).toBe(1)
    const stale = await browser.request('/beer')
    expect(stale.status).toBe(303)
    expect(stale.headers.get('location')).toBe('/')
  })

  test('a planted or malformed poured-beer cookie shows no beer and breaks nothing', async () => {
    for (const value of [
      '%5B1%2C2%5D',
      'not-json',
      '%5B%22%22%2C%22x%22%5D',
      encodeURIComponent(JSON.stringify(['x'.repeat(500), 'y'])),
    ]) {
      const response = await t.app.request('/', { headers: { cookie: `taproom_poured=${value}` } })
      expect(response.status).toBe(200)
      const html = await response.text()
      expect(html).not.toContain('class="beer-name"')
      expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('taproom_poured=;'))).toBe(true)
    }
    const shown = await t.app.request('/', {
      headers: { cookie: `taproom_poured=${encodeURIComponent(JSON.stringify(['<b>Bold</b>', 'Saison']))}` },
    })
    expect(await shown.text()).toContain('<p class="beer-name">&lt;b&gt;Bold&lt;/b&gt;</p>')
  })

  test('a pour is one Redis round trip', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    await browser.post('/beer', {}, { htmx: true })
    const trips = await roundTrips(t.redis, () => browser.post('/beer', {}, { htmx: true }))
    expect(trips).toBe(1)
  })

  test('50 concurrent pours on one session count exactly 50', async () => {
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/')
    const responses = await Promise.all(Array.from({ length: 50 }, () => browser.post('/beer', {}, { htmx: true })))
    expect(responses.every(({ response }) => response.status === 200)).toBe(true)
    const counts = responses.map(({ html }) => panelOf(html).beers).sort((a, b) => a - b)
    expect(counts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    const key = await t.sessionKey(panelOf(html).sessionId)
    expect(await t.redis.hget(key, 'b')).toBe('50')
  })

  test('the CSRF token is required: missing or wrong → 403, header or field accepted', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    expect((await browser.post('/beer', { _csrf: '' })).response.status).toBe(403)
    expect((await browser.post('/beer', { _csrf: 'A'.repeat(22) })).response.status).toBe(403)
    const viaHeader = await browser.post(
      '/beer',
      { _csrf: '' },
      { htmx: true, headers: { 'x-csrf-token': browser.csrfToken } },
    )
    expect(viaHeader.response.status).toBe(200)
    expect((await browser.post('/beer')).response.status).toBe(303)
  })

  test("another session's token does not work", async () => {
    const alice = new TestBrowser(t.app)
    const mallory = new TestBrowser(t.app)
    await alice.get('/')
    await mallory.get('/')
    expect((await alice.post('/beer', { _csrf: mallory.csrfToken })).response.status).toBe(403)
  })

  test('cross-site posts are refused by Sec-Fetch-Site and Origin even with a token', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const crossSite = await browser.post('/beer', {}, { headers: { 'sec-fetch-site': 'cross-site' } })
    expect(crossSite.response.status).toBe(403)
    const foreignOrigin = await browser.post(
      '/beer',
      {},
      { headers: { origin: 'https://evil.example', host: 'localhost' } },
    )
    expect(foreignOrigin.response.status).toBe(403)
    const sameOrigin = await browser.post(
      '/beer',
      {},
      { headers: { origin: 'http://localhost', host: 'localhost', 'sec-fetch-site': 'same-origin' } },
    )
    expect(sameOrigin.response.status).toBe(303)
  })

  test('a pour on a session that ended is refused without reviving it; the answer starts a new one, which counts nothing', async () => {
    const browser = new TestBrowser(t.app)
    const { html } = await browser.get('/')
    const { sessionId } = panelOf(html)
    await t.redis.del(await t.sessionKey(sessionId))
    const { response, html: fragment } = await browser.post('/beer', {}, { htmx: true })
    expect(response.status).toBe(403)
    expect(response.headers.get('x-csrf-refused')).toBe('session-ended')
    const panel = panelOf(fragment)
    expect(panel.sessionId).not.toBe(sessionId)
    expect(panel.beers).toBe(0)
    expect(fragment).toContain('Your session expired')
    expect(await t.redis.exists(await t.sessionKey(sessionId))).toBe(0)
  })
})

describe('beer names', () => {
  test('50 pours give at least 40 distinct names', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const names = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const { html } = await browser.post('/beer', {}, { htmx: true })
      names.add(html.match(/<p class="beer-name">([^<]+)<\/p>/)![1]!)
    }
    expect(names.size).toBeGreaterThanOrEqual(40)
  })
})
