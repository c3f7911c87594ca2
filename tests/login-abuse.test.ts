import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { clientNetwork } from '../src/auth/throttle.ts'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { median, relativeGap, TIMED_TEST_MS, timeAlternately } from './support/timing.ts'

let t: TestApp
const EMAIL = 'grace@example.com'
const PASSWORD = 'a long and good password'

beforeAll(async () => {
  t = await createTestApp('abuse', {
    TRUST_PROXY: 'true',
    LOGIN_MAX_FAILURES_PER_EMAIL_IP: '5',
    LOGIN_MAX_FAILURES_PER_IP: '12',
    BCRYPT_COST: '5',
    // The bound on logins in flight comes before the throttle: room for every parallel attempt here.
    LOGIN_MAX_CONCURRENT: '100',
  })
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

/** A browser whose requests arrive through the trusted proxy from `ip`. */
async function browserFrom(ip: string) {
  const browser = new TestBrowser(t.app)
  browser.headers['x-forwarded-for'] = `203.0.113.250, ${ip}`
  await browser.get('/login')
  return browser
}

describe('throttling failed logins', () => {
  test('after 5 failures for one email from one IP: 429 with Retry-After, even with the right password', async () => {
    const browser = await browserFrom('198.51.100.1')
    for (let i = 0; i < 5; i++) {
      expect((await browser.post('/login', { email: EMAIL, password: `wrong ${i}` })).response.status).toBe(401)
    }
    const { response, html } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
    expect(response.status).toBe(429)
    const retryAfter = Number(response.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(800)
    expect(retryAfter).toBeLessThanOrEqual(900)
    expect(html).toContain('Too many failed attempts. Try again in 15 minutes.')
    expect(html).toContain('id="login-form"')
    const throttled = t.audit.filter((event) => event.event === 'login_failure' && event.reason === 'throttled')
    expect(throttled.length).toBeGreaterThan(0)
  })

  test('the victim can still log in from another IP', async () => {
    const browser = await browserFrom('198.51.100.2')
    expect((await browser.post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(303)
  })

  test('the looser per-IP limit stops stuffing across many emails', async () => {
    const browser = await browserFrom('198.51.100.3')
    const statuses: number[] = []
    for (let i = 0; i < 14; i++) {
      statuses.push(
        (await browser.post('/login', { email: `user${i}@example.com`, password: 'guess' })).response.status,
      )
    }
    expect(statuses.slice(0, 12).every((status) => status === 401)).toBe(true)
    expect(statuses.slice(12)).toEqual([429, 429])
  })

  test('parallel attempts cannot slip past the limit: 40 at once, exactly 5 are checked', async () => {
    const browser = await browserFrom('198.51.100.4')
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => browser.post('/login', { email: EMAIL, password: `parallel ${i}` })),
    )
    const statuses = attempts.map(({ response }) => response.status)
    expect(statuses.filter((status) => status === 401)).toHaveLength(5)
    expect(statuses.filter((status) => status === 429)).toHaveLength(35)
  })

  test('a successful login gives its attempt back to the per-IP budget and clears the email count', async () => {
    const browser = await browserFrom('198.51.100.5')
    for (let i = 0; i < 4; i++) await browser.post('/login', { email: EMAIL, password: `wrong ${i}` })
    expect((await browser.post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(303)
    const tag = `${t.config.redis.prefix}rl:{198.51.100.5}`
    expect(await t.redis.get(tag)).toBe('4')
    expect(await t.redis.keys(`${tag}:e:*`)).toEqual([])
  })

  test('sign-up attempts spend the same per-IP budget, so emails cannot be tested in bulk', async () => {
    const browser = await browserFrom('198.51.100.6')
    await browser.get('/signup')
    const statuses: number[] = []
    for (let i = 0; i < 14; i++) {
      const strong = `quartz lanterns drift ${i}`
      statuses.push(
        (await browser.post('/signup', { email: EMAIL, password: strong, password_confirm: strong })).response.status,
      )
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
    expect(statuses.slice(5).every((status) => status === 429)).toBe(true)
    // New accounts count too: twelve sign-ups (the per-IP limit) and the next is refused.
    const other = await browserFrom('198.51.100.7')
    for (let i = 0; i < 12; i++) {
      const strong = `quartz lanterns drift ${i}`
      await other.get('/signup')
      expect(
        (await other.post('/signup', { email: `probe${i}@example.com`, password: strong, password_confirm: strong }))
          .response.status,
      ).toBe(200)
    }
    await other.get('/signup')
    const { response, html } = await other.post('/signup', {
      email: 'probe99@example.com',
      password: 'quartz lanterns drift 99',
      password_confirm: 'quartz lanterns drift 99',
    })
    expect(response.status).toBe(429)
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(html).toContain('Too many attempts from your network.')
  })

  test('the throttle counts IPv4 by address and IPv6 by /64, however the address is written', () => {
    expect(clientNetwork('203.0.113.9')).toBe('203.0.113.9')
    expect(clientNetwork('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:0db8:0001:0002:0:0:0:5')).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:db8::5')).toBe('2001:db8:0:0::/64')
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64')
    expect(clientNetwork('::ffff:198.51.100.9')).toBe('198.51.100.9')
    expect(clientNetwork('::FFFF:203.0.113.9')).toBe('203.0.113.9')
  })

  test('IPv6 clients are counted by their /64, so new addresses in it bring no new budget', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 13; i++) {
      const browser = await browserFrom(`2001:db8:1:2::${(i + 1).toString(16)}`)
      statuses.push(
        (await browser.post('/login', { email: `v6user${i}@example.com`, password: 'guess' })).response.status,
      )
    }
    expect(statuses.slice(0, 12).every((status) => status === 401)).toBe(true)
    expect(statuses[12]).toBe(429)
    const neighbour = await browserFrom('2001:db8:1:3::1')
    expect((await neighbour.post('/login', { email: 'v6user0@example.com', password: 'guess' })).response.status).toBe(
      401,
    )
  })

  test('forwarded addresses count only behind a trusted proxy', async () => {
    const direct = await createTestApp('abuse-direct', { TRUST_PROXY: 'false', LOGIN_MAX_FAILURES_PER_EMAIL_IP: '2' })
    try {
      const browser = new TestBrowser(direct.app)
      await browser.get('/login')
      for (let i = 0; i < 2; i++) {
        browser.headers['x-forwarded-for'] = `192.0.2.${i}`
        await browser.post('/login', { email: EMAIL, password: 'wrong' })
      }
      browser.headers['x-forwarded-for'] = '192.0.2.99'
      expect((await browser.post('/login', { email: EMAIL, password: 'wrong' })).response.status).toBe(429)
    } finally {
      await direct.cleanup()
    }
  })
})

describe('passwords and bcrypt', () => {
  const LONG = 'p'.repeat(72)

  test('a password over 72 bytes is refused at validation, never truncated into a match', async () => {
    await t.services.users.create('long@example.com', await t.services.hasher.hash(LONG), { verifiedAt: new Date() })
    const browser = await browserFrom('198.51.100.10')
    const { response, html } = await browser.post('/login', { email: 'long@example.com', password: `${LONG}extra` })
    expect(response.status).toBe(422)
    expect(html).toContain('Password must be at most 72 bytes.')
    // Multi-byte characters count as bytes: 25 × "é" (2 bytes each) = 50 bytes is fine, 37 = 74 is not.
    const multibyte = await browser.post('/login', { email: 'long@example.com', password: 'é'.repeat(37) })
    expect(multibyte.response.status).toBe(422)
    expect((await browser.post('/login', { email: 'long@example.com', password: LONG })).response.status).toBe(303)
  })

  test('a 1 MB password is refused by the body limit before any hashing', async () => {
    const browser = await browserFrom('198.51.100.11')
    const before = t.audit.length
    const { response, html } = await browser.post('/login', { email: EMAIL, password: 'x'.repeat(1024 * 1024) })
    expect(response.status).toBe(413)
    expect(html).toContain('too large')
    expect(t.audit.length).toBe(before)
  })

  test('a login re-hashes a stored hash whose cost is below BCRYPT_COST', async () => {
    const weak = await bcrypt.hash('an old weak hash', 4)
    const user = await t.services.users.create('legacy@example.com', weak, { verifiedAt: new Date() })
    const browser = await browserFrom('198.51.100.12')
    expect(
      (await browser.post('/login', { email: 'legacy@example.com', password: 'an old weak hash' })).response.status,
    ).toBe(303)
    const stored = (await t.services.users.findById(user.id))!.passwordHash
    expect(stored).not.toBe(weak)
    expect(bcrypt.getRounds(stored)).toBe(5)
    expect(await bcrypt.compare('an old weak hash', stored)).toBe(true)
  })
})

describe('no user enumeration by timing', () => {
  test(
    'unknown email and wrong password take the same bcrypt work (medians within 25%)',
    async () => {
      const timed = await createTestApp('timing', {
        BCRYPT_COST: '8',
        LOGIN_MAX_FAILURES_PER_EMAIL_IP: '1000',
        LOGIN_MAX_FAILURES_PER_IP: '1000',
      })
      try {
        await timed.services.users.create(EMAIL, await timed.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
        const browser = new TestBrowser(timed.app)
        await browser.get('/login')
        const attempt = async (email: string) => {
          const { response } = await browser.post('/login', { email, password: 'not it at all' })
          expect(response.status).toBe(401)
        }
        const [unknown, wrong] = await timeAlternately(24, [
          (i) => attempt(`nobody${i}@example.com`),
          () => attempt(EMAIL),
        ])
        const [a, b] = [median(unknown), median(wrong)]
        expect(relativeGap(a, b)).toBeLessThan(0.25)
        // Both paths really ran bcrypt at cost 8 (several milliseconds), not a shortcut.
        expect(Math.min(a, b)).toBeGreaterThan(5)
      } finally {
        await timed.cleanup()
      }
    },
    TIMED_TEST_MS,
  )
})
