import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const EMAIL = 'router@example.com'
const PASSWORD = 'routes and parameters'

beforeAll(async () => {
  t = await createTestApp('router')
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

describe('routing', () => {
  /*
   * Hono's SmartRouter uses the first router that takes every route. One route
   * RegExpRouter cannot take (a static segment beside a parameter that goes
   * on, like `revoke-others` beside `:id/revoke`) puts every request of the
   * app on the slower TrieRouter, silently.
   */
  test("every route fits Hono's fastest router, and the app uses it", async () => {
    const router = new RegExpRouter<string>()
    for (const { method, path } of t.app.routes) router.add(method, path, path)
    expect(() => router.match('GET', '/')).not.toThrow()
    await t.app.fetch(new Request('http://localhost/healthz'))
    expect(t.app.router.name).toBe('SmartRouter + RegExpRouter')
  })

  test('the static paths registered as parameters answer only their own name, and are logged by it', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    expect((await browser.post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(303)
    // The signed-in session's own CSRF token.
    await browser.get('/account/sessions')
    const routeLogged = (status: number) =>
      t.logs
        .map((line) => JSON.parse(line))
        .filter((record) => record.type === 'access' && record.status === status)
        .at(-1)?.route
    expect((await browser.post('/account/nothing-here')).response.status).toBe(404)
    const unrouted = routeLogged(404)
    for (const path of ['/account/sessions/revoke-other', '/account/security/passkeys/option']) {
      const { response, html } = await browser.post(path)
      expect(response.status).toBe(404)
      expect(html).toContain('There is no page at this address.')
      expect(routeLogged(404)).toBe(unrouted)
    }
    expect((await browser.post('/account/security/passkeys/options')).response.status).toBe(200)
    expect(routeLogged(200)).toBe('/account/security/passkeys/options')
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    expect(routeLogged(303)).toBe('/account/sessions/revoke-others')
  })
})
