import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const EMAIL = 'storm@example.com'
const PASSWORD = 'a long and good password'

beforeAll(async () => {
  // Cost 12 keeps a login in flight for a few hundred milliseconds.
  t = await createTestApp('storm', { TRUST_PROXY: 'true', BCRYPT_COST: '12', LOGIN_MAX_CONCURRENT: '2' })
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

async function browserFrom(ip: string) {
  const browser = new TestBrowser(t.app)
  browser.headers['x-forwarded-for'] = ip
  await browser.get('/login')
  return browser
}

describe('one bound on logins and sign-ups in flight', () => {
  test('beyond LOGIN_MAX_CONCURRENT, a login is answered 503 with Retry-After at once, and its attempt is given back', async () => {
    const browsers = await Promise.all(Array.from({ length: 6 }, (_, i) => browserFrom(`198.51.100.${60 + i}`)))
    const answers = browsers.map((browser) => {
      const sent = performance.now()
      return browser
        .post('/login', { email: EMAIL, password: PASSWORD })
        .then((result) => ({ ...result, ms: performance.now() - sent }))
    })
    const results = await Promise.all(answers)
    const busy = results.filter(({ response }) => response.status === 503)
    expect(results.filter(({ response }) => response.status === 303)).toHaveLength(2)
    expect(busy).toHaveLength(4)
    for (const { response, html } of busy) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(html).toContain('Too many people are logging in right now.')
      expect(html).toContain('id="login-form"')
    }
    const slowest = Math.max(...results.map(({ ms }) => ms))
    for (const { ms } of busy) expect(ms).toBeLessThan(slowest / 2)
    // A refusal for load is no guess: nothing is left in the throttle counters of the refused clients.
    for (const i of [0, 1, 2, 3, 4, 5]) {
      const count = await t.redis.get(`${t.config.redis.prefix}rl:{198.51.100.${60 + i}}`)
      expect(count === null || count === '0').toBe(true)
    }
    expect(t.services.deps.credentialGate.inFlight).toBe(0)
  })

  test('with the bound full, a flood of 1,500 logins and 1,500 sign-ups at once is answered 503 without a Redis command, and the logins in flight succeed', async () => {
    const inFlight = await Promise.all([0, 1].map((i) => browserFrom(`198.51.100.${70 + i}`)))
    const admitted = inFlight.map((browser) => browser.post('/login', { email: EMAIL, password: PASSWORD }))
    while (t.services.deps.credentialGate.inFlight < 2) await Bun.sleep(5)
    // One visitor's session and token for all of them: each request is refused, none is judged.
    const flooder = await browserFrom('198.51.100.72')
    const flood = await Promise.all([
      ...Array.from({ length: 1500 }, () => flooder.post('/login', { email: EMAIL, password: PASSWORD })),
      ...Array.from({ length: 1500 }, (_, i) =>
        flooder.post('/signup', {
          email: `flood${i}@example.com`,
          password: 'blue kettle 47 lamp',
          password_confirm: 'blue kettle 47 lamp',
        }),
      ),
    ])
    // Each refused request that spoke to Redis would hold a command in flight at once, and beyond
    // the client's bound of 1,000 Redis would be reported unavailable: a 503 error page instead.
    const login = flood.slice(0, 1500)
    const signup = flood.slice(1500)
    expect(new Set(login.map(({ response }) => response.status))).toEqual(new Set([503]))
    expect(new Set(signup.map(({ response }) => response.status))).toEqual(new Set([503]))
    expect(login.every(({ html }) => html.includes('Too many people are logging in right now.'))).toBe(true)
    expect(login.every(({ html }) => html.includes('id="login-form"'))).toBe(true)
    expect(signup.every(({ html }) => html.includes('Too many people are signing up right now.'))).toBe(true)
    const done = await Promise.all(admitted)
    for (const d of done)
      if (d.response.status !== 303)
        console.log('DEBUG', d.html.match(/form-error[^<]*<[^<]*/)?.[0], t.warnings.slice(-3))
    expect((await Promise.all(admitted)).map(({ response }) => response.status)).toEqual([303, 303])
    expect(await t.redis.get(`${t.config.redis.prefix}rl:{198.51.100.72}`)).toBeNull()
  })

  test('sign-ups share the same bound', async () => {
    const browsers = await Promise.all(Array.from({ length: 5 }, (_, i) => browserFrom(`198.51.100.${80 + i}`)))
    const results = await Promise.all(
      browsers.map((browser, i) =>
        browser.post('/signup', {
          email: `storm-signup${i}@example.com`,
          password: 'blue kettle 47 lamp',
          password_confirm: 'blue kettle 47 lamp',
        }),
      ),
    )
    const statuses = results.map(({ response }) => response.status).sort()
    expect(statuses).toEqual([200, 200, 503, 503, 503])
    const busy = results.find(({ response }) => response.status === 503)!
    expect(busy.html).toContain('Too many people are signing up right now.')
    expect(busy.response.headers.get('retry-after')).toBeTruthy()
  })
})
