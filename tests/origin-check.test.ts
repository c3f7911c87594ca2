import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

/*
 * A POST with an Origin must come from exactly the app's origin: scheme, host
 * and port. Requests without Origin still need the CSRF token (other tests).
 */
let local: TestApp
let proxied: TestApp

beforeAll(async () => {
  local = await createTestApp('originlocal')
  proxied = await createTestApp('originproxy', { TRUST_PROXY: 'true', APP_URL: 'https://taproom.example' })
})
afterAll(async () => {
  await local.cleanup()
  await proxied.cleanup()
})

async function pourWith(t: TestApp, headers: Record<string, string>): Promise<number> {
  const browser = new TestBrowser(t.app)
  await browser.get('/')
  const { response } = await browser.post('/beer', {}, { htmx: true, headers })
  return response.status
}

describe('Origin without APP_URL: the origin the request was made to', () => {
  test('the same scheme, host and port passes', async () => {
    expect(await pourWith(local, { origin: 'http://localhost' })).toBe(200)
    expect(await pourWith(local, { origin: 'http://LOCALHOST:80' })).toBe(200)
  })

  test('another scheme, port or host, userinfo, or an opaque origin is refused', async () => {
    for (const origin of [
      'https://localhost',
      'http://localhost:8080',
      'http://localhost.evil.example',
      'http://evil.example',
      'http://user@localhost',
      'http://user:pass@localhost',
      'null',
      'not a url',
    ]) {
      expect({ origin, status: await pourWith(local, { origin }) }).toEqual({ origin, status: 403 })
    }
  })

  test('Origin: null passes only where a browser says same-origin (a form on a no-referrer page), and still needs the token', async () => {
    expect(await pourWith(local, { origin: 'null', 'sec-fetch-site': 'same-origin' })).toBe(200)
    for (const site of ['cross-site', 'same-site', 'none']) {
      expect({ site, status: await pourWith(local, { origin: 'null', 'sec-fetch-site': site }) }).toEqual({
        site,
        status: 403,
      })
    }
    const browser = new TestBrowser(local.app)
    await browser.get('/')
    const forged = await browser.post(
      '/beer',
      { _csrf: 'forged' },
      { htmx: true, headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } },
    )
    expect(forged.response.status).toBe(403)
  })

  test('X-Forwarded-Host is never read: a client cannot name the host its Origin is compared with', async () => {
    expect(await pourWith(local, { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' })).toBe(403)
  })
})

describe('Origin with APP_URL behind a proxy: exactly APP_URL', () => {
  test('APP_URL passes, whatever Host or X-Forwarded-Host say', async () => {
    expect(await pourWith(proxied, { origin: 'https://taproom.example' })).toBe(200)
    expect(await pourWith(proxied, { origin: 'https://taproom.example', 'x-forwarded-host': 'evil.example' })).toBe(200)
  })

  test('the scheme or port of APP_URL changed, or a forged forwarded host matching the Origin, is refused', async () => {
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://taproom.example' },
      { origin: 'https://taproom.example:8443' },
      { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' },
      { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example, taproom.example' },
      { origin: 'http://localhost' },
    ]) {
      expect({ headers, status: await pourWith(proxied, headers) }).toEqual({ headers, status: 403 })
    }
  })
})
