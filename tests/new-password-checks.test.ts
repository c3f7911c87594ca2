import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { createBreachCheck } from '../src/auth/breached-passwords.ts'
import { OverloadedError } from '../src/auth/overloaded.ts'
import { weakPasswordReason } from '../src/auth/password-policy.ts'
import { createStrengthCheck } from '../src/auth/strength-check.ts'
import { STRENGTH_MAX_LENGTH } from '../src/auth/strength-limit.ts'
import { TestBrowser } from './support/browser.ts'
import { outboxLink } from './support/outbox.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

const STRENGTH_WORKER = new URL('../src/auth/strength-worker.ts', import.meta.url)
const SILENT_WORKER = new URL('./support/silent-worker.ts', import.meta.url)
const BREACHED = 'correct-horse-battery-staple-1999'
const STRONG = 'blue kettle 47 lamp'

/* A local stand-in for the Pwned Passwords range API: lists BREACHED, pads with zero counts, records what it saw. */
function pwnedStub({ delayMs = 0 } = {}) {
  const seen: string[] = []
  const sha1 = createHash('sha1').update(BREACHED).digest('hex').toUpperCase()
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      seen.push(url.pathname)
      if (delayMs) await Bun.sleep(delayMs)
      const prefix = url.pathname.split('/').pop()!
      const lines = ['0000000000000000000000000000000000A:0']
      if (prefix === sha1.slice(0, 5)) lines.push(`${sha1.slice(5)}:3861493`)
      return new Response(lines.join('\r\n'))
    },
  })
  return { url: `http://127.0.0.1:${server.port}/range`, seen, stop: () => server.stop(true) }
}

describe('the strength check (zxcvbn in a worker)', () => {
  test('judges only the first 32 characters, so a long password costs what a 32-character one does', () => {
    expect(STRENGTH_MAX_LENGTH).toBe(32)
    const digits = '1234567890'.repeat(7)
    expect(weakPasswordReason(digits)).toBe(weakPasswordReason(digits.slice(0, 32)))
    expect(weakPasswordReason(`password${'x'.repeat(60)}`)).toBe(weakPasswordReason(`password${'x'.repeat(24)}`))
  })

  test('refuses weak passwords and those made of the email, off the request thread', async () => {
    const check = createStrengthCheck({ workerUrl: STRENGTH_WORKER })
    try {
      expect(await check.weakPasswordReason('password123', [])).toContain('too common')
      expect(await check.weakPasswordReason('gracehopper1906', ['grace.hopper1906@example.com'])).toContain(
        'not based on your email',
      )
      expect(await check.weakPasswordReason(STRONG, [])).toBeNull()
    } finally {
      await check.close()
    }
  })

  test("the deadline bounds the wait for the worker, not a cold worker's start: the first check is answered", async () => {
    const check = createStrengthCheck({ workerUrl: STRENGTH_WORKER, deadlineMs: 1 })
    try {
      const first = check.weakPasswordReason('password123', [])
      const second = check.weakPasswordReason(STRONG, []).catch((error) => error)
      // The worker starts, loads its dictionaries and checks, far beyond a millisecond.
      expect(await first).toContain('too common')
      // The one behind it waited past its deadline for the worker, so it never ran.
      expect(await second).toBeInstanceOf(OverloadedError)
    } finally {
      await check.close()
    }
  })

  test('a check that hangs is answered busy once its worker counts as stuck, and the next is not wedged behind it', async () => {
    const check = createStrengthCheck({ workerUrl: SILENT_WORKER, deadlineMs: 60_000, stuckMs: 200 })
    try {
      const started = performance.now()
      expect(await check.weakPasswordReason(STRONG, []).catch((error) => error)).toBeInstanceOf(OverloadedError)
      expect(performance.now() - started).toBeGreaterThanOrEqual(190)
      expect(await check.weakPasswordReason(STRONG, []).catch((error) => error)).toBeInstanceOf(OverloadedError)
    } finally {
      await check.close()
    }
  })

  test('a flood is refused at once beyond 32 waiting checks, not queued', async () => {
    // A far deadline: on a busy machine 32 checks may take seconds, which is not what this tests.
    const check = createStrengthCheck({ workerUrl: STRENGTH_WORKER, deadlineMs: 60_000 })
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => check.weakPasswordReason(`${'9'.repeat(60)}${i}`, [])),
      )
      const refused = results.filter((r) => r.status === 'rejected')
      // One running, 32 waiting, the other 7 refused.
      expect(refused).toHaveLength(7)
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(OverloadedError)
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(33)
    } finally {
      await check.close()
    }
  })
})

describe('breached passwords (Pwned Passwords range API, local stub)', () => {
  test('only the first 5 hex digits of the SHA-1 leave the machine; a listed password is found', async () => {
    const stub = pwnedStub()
    try {
      const isBreached = createBreachCheck({ url: stub.url, warn: () => {} })
      expect(await isBreached(BREACHED)).toBe(true)
      expect(await isBreached(STRONG)).toBe(false)
      expect(stub.seen).toHaveLength(2)
      for (const path of stub.seen) expect(path).toMatch(/^\/range\/[0-9A-F]{5}$/)
    } finally {
      stub.stop()
    }
  })

  test('a padding line (count 0) is not a breach', async () => {
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: () => {
        const sha1 = createHash('sha1').update(STRONG).digest('hex').toUpperCase()
        return new Response(`${sha1.slice(5)}:0\n`)
      },
    })
    try {
      expect(await createBreachCheck({ url: `http://127.0.0.1:${server.port}`, warn: () => {} })(STRONG)).toBe(false)
    } finally {
      server.stop(true)
    }
  })

  test('fails open after 1 s with a log line that holds nothing of the password', async () => {
    const stub = pwnedStub({ delayMs: 3000 })
    const warnings: string[] = []
    try {
      const started = performance.now()
      expect(await createBreachCheck({ url: stub.url, warn: (m) => warnings.push(m) })(BREACHED)).toBe(false)
      const elapsed = performance.now() - started
      expect(elapsed).toBeGreaterThan(900)
      expect(elapsed).toBeLessThan(2500)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain('Pwned Passwords check skipped')
      const sha1 = createHash('sha1').update(BREACHED).digest('hex').toUpperCase()
      expect(warnings[0]).not.toContain(sha1.slice(0, 5))
      expect(warnings[0]).not.toContain(BREACHED)
    } finally {
      stub.stop()
    }
  })

  test('fails open when nothing listens there', async () => {
    const warnings: string[] = []
    const isBreached = createBreachCheck({ url: 'http://127.0.0.1:9/range', warn: (m) => warnings.push(m) })
    expect(await isBreached(BREACHED)).toBe(false)
    expect(warnings).toHaveLength(1)
  })
})

describe('sign-up and password change, end to end', () => {
  let t: TestApp
  let stub: ReturnType<typeof pwnedStub>
  let counter = 0
  const freshEmail = () => `checked${++counter}@example.com`

  beforeAll(async () => {
    stub = pwnedStub()
    t = await createTestApp('newpassword', {
      TRUST_PROXY: 'true',
      PWNED_PASSWORDS_URL: stub.url,
      LOGIN_MAX_FAILURES_PER_IP: '4',
    })
  })
  afterAll(async () => {
    await t.cleanup()
    stub.stop()
  })

  async function browserFrom(ip: string) {
    const browser = new TestBrowser(t.app)
    browser.headers['x-forwarded-for'] = ip
    await browser.get('/signup')
    return browser
  }
  const signUp = (browser: TestBrowser, email: string, password: string) =>
    browser.post('/signup', { email, password, password_confirm: password })

  test('a breached password is refused at sign-up with the breach message', async () => {
    const browser = await browserFrom('192.0.2.10')
    const { response, html } = await signUp(browser, freshEmail(), BREACHED)
    expect(response.status).toBe(422)
    expect(html).toContain('This password has appeared in a data breach. Choose another.')
    // A strong one goes on to the mailed link.
    expect((await signUp(browser, freshEmail(), STRONG)).response.status).toBe(200)
  })

  test('weak-password sign-ups spend the per-IP budget: the fifth is throttled before any strength check', async () => {
    const browser = await browserFrom('192.0.2.20')
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await signUp(browser, freshEmail(), 'password123')).response.status)
    expect(statuses).toEqual([422, 422, 422, 422, 429])
    const refusals = t.audit.filter((e) => e.event === 'signup_failure' && e.ip === '192.0.2.20')
    expect(refusals.map((e) => e.reason)).toEqual([
      'weak_password',
      'weak_password',
      'weak_password',
      'weak_password',
      'throttled',
    ])
  })

  test('retrying one email with better passwords is not guessing: its own count is cleared', async () => {
    const limited = await createTestApp('newpasswordretry', {
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES_PER_EMAIL_IP: '2',
    })
    try {
      const browser = new TestBrowser(limited.app)
      await browser.get('/signup')
      const email = freshEmail()
      for (let i = 0; i < 3; i++) expect((await signUp(browser, email, 'qwertyuiop')).response.status).toBe(422)
      expect((await signUp(browser, email, STRONG)).response.status).toBe(200)
    } finally {
      await limited.cleanup()
    }
  })

  test('an invalid email is refused without judging the password against it', async () => {
    const browser = await browserFrom('192.0.2.30')
    const { response, html } = await signUp(browser, `${'a'.repeat(300)}@@example`, '1'.repeat(72))
    expect(response.status).toBe(422)
    expect(html).toContain('Email must be at most 254 characters.')
    expect(html).not.toContain('too common')
  })

  test('a sign-up for a registered address writes an audit line, without the address', async () => {
    const email = freshEmail()
    const browser = await browserFrom('192.0.2.40')
    expect((await signUp(browser, email, STRONG)).response.status).toBe(200)
    await browser.get(await outboxLink(t, email, '/verify-email/'))
    const other = await browserFrom('192.0.2.41')
    expect((await signUp(other, email, STRONG)).response.status).toBe(200)
    let line: (typeof t.audit)[number] | undefined
    for (let i = 0; i < 200 && !line; i++) {
      line = t.audit.find((e) => e.event === 'signup_failure' && e.ip === '192.0.2.41')
      if (!line) await Bun.sleep(20)
    }
    expect(line?.reason).toBe('registered_email')
    expect(JSON.stringify(line)).not.toContain(email)
  })

  test('a password change to a breached password is refused, the old one stays', async () => {
    const browser = await browserFrom('192.0.2.50')
    const email = freshEmail()
    await signUp(browser, email, STRONG)
    await browser.get(await outboxLink(t, email, '/verify-email/'))
    await browser.get('/account/password')
    const { response, html } = await browser.post('/account/password', {
      current_password: STRONG,
      new_password: BREACHED,
      new_password_confirm: BREACHED,
    })
    expect(response.status).toBe(422)
    expect(html).toContain('This password has appeared in a data breach. Choose another.')
    const user = (await t.services.users.findByEmail(email))!
    expect(await t.services.hasher.verify(STRONG, user.passwordHash)).toBe(true)
  })
})
