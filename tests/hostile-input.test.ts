import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
let browser: TestBrowser

beforeAll(async () => {
  t = await createTestApp('hostile', { LOGIN_MAX_FAILURES_PER_EMAIL_IP: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' })
  browser = new TestBrowser(t.app)
  await browser.get('/login')
})
afterAll(() => t.cleanup())

function postRaw(path: string, body: BodyInit, contentType?: string) {
  const headers: Record<string, string> = { 'x-csrf-token': browser.csrfToken }
  if (contentType) headers['content-type'] = contentType
  return browser.request(path, { method: 'POST', body, headers })
}

describe('request bodies', () => {
  test('over 16 KB → 413 with a readable page', async () => {
    const response = await postRaw(
      '/login',
      `email=a%40b.io&password=${'x'.repeat(17 * 1024)}`,
      'application/x-www-form-urlencoded',
    )
    expect(response.status).toBe(413)
    expect(await response.text()).toContain('The submitted form is too large.')
  })

  test('unsupported content types → 415', async () => {
    for (const type of ['application/json', 'text/plain', 'application/xml']) {
      const response = await postRaw('/login', '{"email":"a@b.io"}', type)
      expect(response.status).toBe(415)
      expect(await response.text()).toContain('application/x-www-form-urlencoded')
    }
  })

  test('multipart forms work, and a file where text belongs is refused', async () => {
    const form = new FormData()
    form.append('_csrf', browser.csrfToken)
    form.append('email', 'nobody@example.com')
    form.append('password', 'whatever it is')
    expect((await browser.request('/login', { method: 'POST', body: form })).status).toBe(401)
    const withFile = new FormData()
    withFile.append('_csrf', browser.csrfToken)
    withFile.append('email', new Blob(['x']), 'email.txt')
    withFile.append('password', 'whatever it is')
    const response = await browser.request('/login', { method: 'POST', body: withFile })
    expect(response.status).toBe(422)
    expect(await response.text()).toContain('Email must be sent once, as text.')
  })
})

describe('form fields a stranger sends', () => {
  const cases: [string, Record<string, string | string[]>, string][] = [
    [
      'repeated fields',
      { email: ['a@example.com', 'b@example.com'], password: 'pw' },
      'Email must be sent once, as text.',
    ],
    ['missing fields', {}, 'Email is required.'],
    ['empty strings', { email: '', password: '' }, 'Email is required.'],
    ['NUL bytes', { email: 'a\u0000@example.com', password: 'pw' }, 'Email must not contain NUL characters.'],
    [
      'a 10 KB email',
      { email: `${'a'.repeat(10 * 1024)}@example.com`, password: 'pw' },
      'Email must be at most 254 characters.',
    ],
    ['a unicode email', { email: 'ü@exämple.com', password: 'pw' }, 'Enter a valid email address.'],
    [
      'SQL-looking input',
      { email: "' OR 1=1; DROP TABLE users; --", password: "' OR '1'='1" },
      'Enter a valid email address.',
    ],
  ]
  for (const [name, form, message] of cases) {
    test(`${name} → 4xx with a readable message`, async () => {
      const { response, html } = await browser.post('/login', form)
      expect(response.status).toBe(422)
      expect(html).toContain(message)
    })
  }

  test('invalid UTF-8 → 4xx, never 5xx', async () => {
    const response = await postRaw(
      '/login',
      `_csrf=${browser.csrfToken}&email=%FF%FE%40x.io&password=%C3%28`,
      'application/x-www-form-urlencoded',
    )
    expect(response.status).toBe(422)
    expect(await response.text()).toContain('must be valid UTF-8 text')
  })

  test('a well-formed SQL-looking email is just an unknown user', async () => {
    const { response, html } = await browser.post('/login', { email: "admin'--@example.com", password: "x' OR '1'='1" })
    expect(response.status).toBe(401)
    expect(html).toContain('Invalid email or password.')
  })

  test('what a user typed is shown back escaped', async () => {
    const { response, html } = await browser.post('/login', { email: '<script>alert(1)</script>@x.io', password: 'x' })
    expect(response.status).toBe(422)
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@x.io')
  })
})

describe('headers and browser policy', () => {
  test('an unknown static file is a plain-text 404, not an HTML page without the security headers', async () => {
    const response = await browser.request('/static/nope.js')
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toStartWith('text/plain')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })

  test('every response carries the CSP and the other security headers: pages, static files, health checks', async () => {
    for (const path of ['/', '/login', '/logout', '/no-such-page', '/static/styles.css', '/healthz', '/readyz']) {
      const response = await browser.request(path)
      const csp = response.headers.get('content-security-policy')!
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-eval')
      expect(csp).not.toContain('unsafe-inline')
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('same-origin')
      expect(response.headers.get('strict-transport-security')).toBeNull()
      expect(response.headers.get('x-frame-options')).toBe('DENY')
    }
  })

  test('every answer after the session is loaded is no-store and varies on HX-Request; static files stay cacheable', async () => {
    for (const path of ['/', '/login', '/session', '/how-it-works', '/no-such-page']) {
      const response = await browser.request(path)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('vary')).toBe('HX-Request')
    }
    const refused = await postRaw('/login', 'x', 'text/plain')
    expect(refused.status).toBe(415)
    expect(refused.headers.get('cache-control')).toBe('no-store')
    const asset = await browser.request('/static/styles.css')
    expect(asset.headers.get('cache-control')).toStartWith('public')
  })

  test('with COOKIE_SECURE: HSTS and a __Host- session cookie marked Secure', async () => {
    const secure = await createTestApp('hostile-secure', { COOKIE_SECURE: 'true' })
    try {
      const response = await secure.app.request('/')
      expect(response.headers.get('strict-transport-security')).toContain('max-age=')
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith('__Host-taproom_session='))!
      expect(cookie).toContain('Secure')
      expect(cookie).toContain('Path=/')
      expect(cookie).not.toContain('Domain')
    } finally {
      await secure.cleanup()
    }
  })
})
