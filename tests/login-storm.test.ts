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

/** Takes every slot of the bound (LOGIN_MAX_CONCURRENT, 2 here) until the returned function is called. */
function holdEverySlot(): () => Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>()
  const held = [1, 2].map(() => t.services.deps.credentialGate.run(() => promise))
  return async () => {
    resolve()
    await Promise.all(held)
  }
}

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

  test('with the bound full, a flood of 1,500 logins and 1,500 sign-ups at once is answered 503 without a Redis command', async () => {
    // Each client its own session, as in a real flood (one client retrying early would be kept waiting instead).
    const flooders: TestBrowser[] = []
    for (let i = 0; i < 3000; i += 250) {
      flooders.push(...(await Promise.all(Array.from({ length: 250 }, () => browserFrom('198.51.100.72')))))
    }
    const release = holdEverySlot()
    const flood = await Promise.all(
      flooders.map((browser, i) =>
        i < 1500
          ? browser.post('/login', { email: EMAIL, password: PASSWORD })
          : browser.post('/signup', {
              email: `flood${i}@example.com`,
              password: 'blue kettle 47 lamp',
              password_confirm: 'blue kettle 47 lamp',
            }),
      ),
    )
    await release()
    // Each refused request that spoke to Redis would hold a command in flight at once, and beyond
    // the client's bound of 1,000 Redis would be reported unavailable: a 503 error page instead.
    const login = flood.slice(0, 1500)
    const signup = flood.slice(1500)
    expect(new Set(login.map(({ response }) => response.status))).toEqual(new Set([503]))
    expect(new Set(signup.map(({ response }) => response.status))).toEqual(new Set([503]))
    expect(login.every(({ html }) => html.includes('Too many people are logging in right now.'))).toBe(true)
    expect(login.every(({ html }) => html.includes('id="login-form"'))).toBe(true)
    expect(signup.every(({ html }) => html.includes('Too many people are signing up right now.'))).toBe(true)
    expect(t.warnings.filter((line) => line.includes('redis unavailable'))).toEqual([])
    expect(await t.redis.get(`${t.config.redis.prefix}rl:{198.51.100.72}`)).toBeNull()
    const after = await browserFrom('198.51.100.73')
    expect((await after.post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(303)
  })

  test('a client that retries before its Retry-After is up waits it out, then is judged like anyone else', async () => {
    const [early, stranger] = await Promise.all([75, 76].map((i) => browserFrom(`198.51.100.${i}`)))
    const release = holdEverySlot()
    const timed = async (browser: TestBrowser) => {
      const sent = performance.now()
      const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
      return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - sent }
    }
    const refused = await timed(early!)
    expect(refused).toMatchObject({ status: 503, retryAfter: '2' })
    expect(refused.ms).toBeLessThan(1000)
    const again = timed(early!)
    const other = await timed(stranger!)
    // Another client is still refused at once; the early one is held until its Retry-After is up,
    // by when the bound has room, and is let in.
    expect(other.status).toBe(503)
    expect(other.ms).toBeLessThan(1000)
    await release()
    expect((await again).ms).toBeGreaterThan(1500)
    expect((await again).status).toBe(303)
    expect(t.services.deps.credentialGate.inFlight).toBe(0)
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
