import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DEVICE_COOKIE, DeviceCookies } from '../src/auth/device-cookie.ts'
import { keyedEmailHash } from '../src/auth/email-hash.ts'
import { TestBrowser } from './support/browser.ts'
import { outboxLink } from './support/outbox.ts'
import { createTestApp, TEST_SECRET, type TestApp } from './support/test-app.ts'

let t: TestApp
const OWNER = 'owner@example.com'
const PASSWORD = 'a long and good password'

beforeAll(async () => {
  t = await createTestApp('accountcap', { TRUST_PROXY: 'true' })
  await t.services.users.create(OWNER, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

let nextIp = 1
/** A fresh browser arriving through the trusted proxy from its own address. */
async function stranger(app: TestApp = t) {
  const browser = new TestBrowser(app.app)
  const n = nextIp++
  browser.headers['x-forwarded-for'] = `10.${(n >> 8) & 255}.${n & 255}.7`
  await browser.get('/login')
  return browser
}

async function guess(browser: TestBrowser, email: string, password = 'not the password') {
  return (await browser.post('/login', { email, password })).response
}

describe('the per-account cap on failed passwords, without lockout', () => {
  test("a stranger's 100+ failures from many addresses: the owner still logs in from a known browser", async () => {
    const owner = await stranger()
    expect((await guess(owner, OWNER, PASSWORD)).status).toBe(303)
    const deviceCookie = owner.cookies.get(DEVICE_COOKIE)
    expect(deviceCookie).toBeDefined()
    await owner.post('/logout')
    await owner.get('/login')

    // 30 addresses, 4 guesses each (under the per email+IP limit of 5): 120 guesses at one account.
    const statuses: number[] = []
    for (let address = 0; address < 30; address++) {
      const attacker = await stranger()
      for (let i = 0; i < 4; i++) statuses.push((await guess(attacker, OWNER)).status)
    }
    expect(statuses.slice(0, 100).every((status) => status === 401)).toBe(true)
    expect(statuses.slice(100).every((status) => status === 429)).toBe(true)

    // A browser new to the account is refused, even with the right password: 429, Retry-After, the usual message.
    const newBrowser = await stranger()
    const refused = await newBrowser.post('/login', { email: OWNER, password: PASSWORD })
    expect(refused.response.status).toBe(429)
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(86_000)
    expect(refused.html).toContain('Too many failed attempts. Try again in 24 hours.')

    // The owner's own browser is not refused by the cap.
    expect((await guess(owner, OWNER, PASSWORD)).status).toBe(303)

    // Password reset keeps working from the new browser, and makes it a known one.
    await newBrowser.get('/password/forgot')
    await newBrowser.post('/password/forgot', { email: OWNER })
    await newBrowser.get(await outboxLink(t, OWNER, '/password/reset/'))
    await newBrowser.get('/password/reset')
    const NEW_PASSWORD = 'a brand new long password'
    const reset = await newBrowser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(reset.response.status).toBe(303)
    expect(newBrowser.cookies.get(DEVICE_COOKIE)).toBeDefined()
    await newBrowser.post('/logout')
    await newBrowser.get('/login')
    expect((await guess(newBrowser, OWNER, NEW_PASSWORD)).status).toBe(303)
  })

  test('unknown emails are capped the same way, so the cap tells nothing about which accounts exist', async () => {
    const capped = await createTestApp('accountcapunknown', {
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    })
    try {
      await capped.services.users.create('real@example.com', await capped.services.hasher.hash(PASSWORD), {
        verifiedAt: new Date(),
      })
      for (const email of ['real@example.com', 'nobody@example.com']) {
        const statuses: number[] = []
        for (let i = 0; i < 5; i++) statuses.push((await guess(await stranger(capped), email)).status)
        expect(statuses).toEqual([401, 401, 401, 429, 429])
      }
    } finally {
      await capped.cleanup()
    }
  })

  test('40 parallel guesses from 40 addresses cannot pass a cap of 5: the count is atomic with its check', async () => {
    const capped = await createTestApp('accountcapparallel', {
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
      LOGIN_MAX_CONCURRENT: '100',
    })
    try {
      await capped.services.users.create(OWNER, await capped.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
      const browsers = await Promise.all(Array.from({ length: 40 }, () => stranger(capped)))
      const statuses = await Promise.all(browsers.map((browser) => guess(browser, OWNER).then((r) => r.status)))
      expect(statuses.filter((status) => status === 401)).toHaveLength(5)
      expect(statuses.filter((status) => status === 429)).toHaveLength(35)
    } finally {
      await capped.cleanup()
    }
  })

  test("a known browser has a budget of its own (LOGIN_MAX_FAILURES_PER_DEVICE), which the account's count does not touch", async () => {
    const capped = await createTestApp('accountcapdevice', {
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES_PER_DEVICE: '3',
      LOGIN_MAX_FAILURES_PER_EMAIL_IP: '50',
    })
    try {
      await capped.services.users.create(OWNER, await capped.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
      const owner = await stranger(capped)
      expect((await guess(owner, OWNER, PASSWORD)).status).toBe(303)
      await owner.post('/logout')
      await owner.get('/login')
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await guess(owner, OWNER)).status)
      expect(statuses).toEqual([401, 401, 401, 429])
      // Those failures were counted on the browser's budget, not the account's.
      const tag = `${capped.config.redis.prefix}rl:acct:{${keyedEmailHash(TEST_SECRET)(OWNER)}}`
      expect(await capped.redis.get(tag)).toBeNull()
      const device = new DeviceCookies({ secrets: [TEST_SECRET], secure: false }).read(
        owner.cookies.get(DEVICE_COOKIE),
      )!
      expect(await capped.redis.get(`${tag}:d:${device.id}`)).toBe('3')
      // Every key of the account shares one hash tag: one slot on Redis Cluster.
      const keys = (await capped.keys()).filter((key) => key.includes(':acct:'))
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) expect(key.startsWith(tag)).toBe(true)
    } finally {
      await capped.cleanup()
    }
  })
})

describe('the device cookie', () => {
  test('set at a successful login: HttpOnly, SameSite=Lax, about a year, naming the account only through a keyed hash', async () => {
    const email = 'cookie@example.com'
    await t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    const browser = await stranger()
    const login = await browser.post('/login', { email, password: PASSWORD })
    expect(login.response.status).toBe(303)
    const header = login.response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${DEVICE_COOKIE}=`))!
    expect(header).toContain('HttpOnly')
    expect(header).toContain('SameSite=Lax')
    expect(header).toContain('Path=/')
    expect(header).toContain(`Max-Age=${365 * 24 * 60 * 60}`)
    expect(header).not.toContain('Secure')
    expect(header.toLowerCase()).not.toContain('cookie@')
    expect(header).not.toContain(keyedEmailHash(TEST_SECRET)(email))
    const failed = await (await stranger()).post('/login', { email, password: 'wrong' })
    expect(failed.response.status).toBe(401)
    expect(failed.response.headers.getSetCookie().some((cookie) => cookie.startsWith(DEVICE_COOKIE))).toBe(false)
  })

  test('Secure with COOKIE_SECURE; one cookie remembers several accounts; a tampered one is worth nothing', () => {
    const devices = new DeviceCookies({ secrets: [TEST_SECRET], secure: true })
    const first = devices.remember(undefined, 'a@example.com')
    expect(first).toContain('; Secure')
    const value = (header: string) => header.split(';')[0]!.slice(DEVICE_COOKIE.length + 1)
    const both = value(devices.remember(value(first), 'B@Example.com'))
    expect(devices.read(both)!.id).toBe(devices.read(value(first))!.id)
    expect(devices.knownDeviceId(both, 'a@example.com')).toBeDefined()
    expect(devices.knownDeviceId(both, 'b@example.com')).toBeDefined()
    expect(devices.knownDeviceId(both, 'c@example.com')).toBeUndefined()
    const [id, accounts, signature] = both.split('.')
    expect(devices.read(`${id}.${accounts}.${signature!.slice(0, -2)}AA`)).toBeUndefined()
    expect(devices.read(`${id}x.${accounts}.${signature}`)).toBeUndefined()
    expect(
      new DeviceCookies({ secrets: ['another-secret-of-enough-length-0000'], secure: true }).read(both),
    ).toBeUndefined()
    // After a rotation (new secret first, old still accepted) the browser stays known.
    const rotated = new DeviceCookies({ secrets: ['another-secret-of-enough-length-0000', TEST_SECRET], secure: true })
    expect(rotated.knownDeviceId(both, 'a@example.com')).toBeDefined()
  })
})

describe('successful logins are bounded too', () => {
  test('per IP (LOGIN_MAX_SUCCESSES_PER_IP) and per account (LOGIN_MAX_SUCCESSES_PER_ACCOUNT)', async () => {
    const limited = await createTestApp('successcap', {
      TRUST_PROXY: 'true',
      LOGIN_MAX_SUCCESSES_PER_IP: '3',
      LOGIN_MAX_SUCCESSES_PER_ACCOUNT: '4',
    })
    try {
      for (const email of ['one@example.com', 'two@example.com']) {
        await limited.services.users.create(email, await limited.services.hasher.hash(PASSWORD), {
          verifiedAt: new Date(),
        })
      }
      const office = await stranger(limited)
      const fromOneIp: number[] = []
      for (const email of ['one@example.com', 'two@example.com', 'one@example.com', 'two@example.com']) {
        await office.get('/login')
        fromOneIp.push((await guess(office, email, PASSWORD)).status)
      }
      expect(fromOneIp).toEqual([303, 303, 303, 429])

      // one@ has 2 successes; from fresh addresses it gets 2 more, then the account's bound applies.
      const browsers = [await stranger(limited), await stranger(limited), await stranger(limited)]
      const perAccount: number[] = []
      for (const browser of browsers) perAccount.push((await guess(browser, 'one@example.com', PASSWORD)).status)
      expect(perAccount).toEqual([303, 303, 429])

      // Right passwords from strangers (one who has the password but not the
      // second factor) reach the bound: a browser that signed in before still signs in.
      const owner = browsers[0]!
      await owner.post('/logout')
      await owner.get('/login')
      expect((await guess(owner, 'one@example.com', PASSWORD)).status).toBe(303)
    } finally {
      await limited.cleanup()
    }
  })
})
