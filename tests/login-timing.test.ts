import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { median, TIMED_TEST_MS, timeAlternately } from './support/timing.ts'

let t: TestApp
const EMAIL = 'old-cost@example.com'
const ROUNDS = 9

beforeAll(async () => {
  // The account was made when BCRYPT_COST was 6; the server now runs with 10 (16 times the work).
  t = await createTestApp('logintiming', {
    BCRYPT_COST: '10',
    LOGIN_MAX_FAILURES_PER_EMAIL_IP: '100',
    LOGIN_MAX_FAILURES_PER_IP: '100',
  })
  await t.services.users.create(EMAIL, await bcrypt.hash('the real password 1', 6), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

describe('failed-login timing after BCRYPT_COST changes', () => {
  test(
    'a wrong password for an old-cost account takes as long as an unknown email',
    async () => {
      const browser = new TestBrowser(t.app)
      await browser.get('/login')
      const attempt = async (email: string) => {
        const { response } = await browser.post('/login', { email, password: 'not the password' })
        expect(response.status).toBe(401)
      }
      const [existing, unknown] = await timeAlternately(ROUNDS, [
        () => attempt(EMAIL),
        (i) => attempt(`nobody${i}@example.com`),
      ])
      // Before the fix: existing ≈ 5 ms, unknown ≈ 70 ms, no overlap at all.
      expect(median(existing)).toBeGreaterThan(median(unknown) * 0.75)
      expect(median(existing)).toBeLessThan(median(unknown) * 1.34)
      expect(Math.max(...existing)).toBeGreaterThan(Math.min(...unknown))
    },
    TIMED_TEST_MS,
  )
})

describe('failed-login timing after BCRYPT_COST is lowered', () => {
  let lowered: TestApp
  beforeAll(async () => {
    // The account was made when BCRYPT_COST was 10; the server now runs with 4 (a 64th of the work).
    lowered = await createTestApp('logintiminglow', {
      BCRYPT_COST: '4',
      LOGIN_MAX_FAILURES_PER_EMAIL_IP: '100',
      LOGIN_MAX_FAILURES_PER_IP: '100',
    })
    await lowered.services.users.create(EMAIL, await bcrypt.hash('the real password 1', 10), { verifiedAt: new Date() })
  })
  afterAll(() => lowered.cleanup())

  test(
    "a stranger's own fast failures cannot push the old cost's runs out of the floor",
    async () => {
      const browser = new TestBrowser(lowered.app)
      await browser.get('/login')
      const timed = async (email: string) => {
        const started = performance.now()
        const { response } = await browser.post('/login', { email, password: 'not the password' })
        expect(response.status).toBe(401)
        return performance.now() - started
      }
      const existing = await timed(EMAIL)
      // More fast failures than the floor remembers runs of any one cost.
      for (let i = 0; i < 40; i++) await timed(`flood${i}@example.com`)
      const unknown = await timed('nobody@example.com')
      // Before the fix: unknown ≈ 2 ms against ≈ 60 ms for the existing account.
      expect(unknown).toBeGreaterThan(existing * 0.5)
    },
    TIMED_TEST_MS,
  )
})
