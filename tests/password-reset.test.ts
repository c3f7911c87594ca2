import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { MAX_CONSECUTIVE_FAILURES } from '../src/auth/second-factors.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { linkIn, type ReceivedMail, type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { median, relativeGap, TIMED_TEST_MS, timeAlternately } from './support/timing.ts'
import { awayFromStepEdge, codeAt, turnOnAuthenticatorApp } from './support/totp.ts'

let t: TestApp
let smtp: SmtpTestServer
const OLD_PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'green teapot 93 river'
const SENT = 'If an account exists for that address, we sent a link to reset its password. It works for 20 minutes.'
const APP_URL = 'http://taproom.test:8080'

beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp('passwordreset', { SMTP_URL: smtp.url, APP_URL })
})
afterAll(async () => {
  await t.cleanup()
  await smtp.close()
})

let counter = 0
async function newUser() {
  return t.services.users.create(`resetter${++counter}@example.com`, await t.services.hasher.hash(OLD_PASSWORD), {
    verifiedAt: new Date(),
  })
}

async function signIn(email: string, password = OLD_PASSWORD) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email, password })
  return { browser, response }
}

async function askForLink(email: string, browser = new TestBrowser(t.app)) {
  await browser.get('/password/forgot')
  return { browser, ...(await browser.post('/password/forgot', { email })) }
}

/** The path of the reset link in the newest reset mail to `email` after `since` mails. */
async function resetMail(email: string, since = 0): Promise<ReceivedMail> {
  return smtp.waitFor(
    (m) => m.to === email && m.subject === 'Reset your Taproom password' && smtp.received.indexOf(m) >= since,
  )
}

const pathOf = (link: string) => link.slice(APP_URL.length)

async function followLink(browser: TestBrowser, mail: ReceivedMail) {
  return browser.get(pathOf(linkIn(mail, `${APP_URL}/password/reset/`)))
}

async function settle() {
  for (let i = 0; i < 200 && (await t.services.mail.queue.pending()) > 0; i++) await Bun.sleep(10)
}

describe('GET /password/forgot', () => {
  test('the login page links to it as "Forgot your password?"', async () => {
    const { html } = await new TestBrowser(t.app).get('/login')
    expect(html).toContain('<a href="/password/forgot">Forgot your password?</a>')
  })

  test('shows form#forgot-form with the email field', async () => {
    const { response, html } = await new TestBrowser(t.app).get('/password/forgot')
    expect(response.status).toBe(200)
    const form = html.match(/<form id="forgot-form"[\s\S]*?<\/form>/)![0]
    expect(form).toContain('name="email"')
    expect(form).toContain('name="_csrf"')
    expect(form).toContain('method="post" action="/password/forgot"')
  })
})

describe('POST /password/forgot', () => {
  test('a known and an unknown email get the same status and page; only the known one gets a mail, its link absolute from APP_URL', async () => {
    const user = await newUser()
    const known = await askForLink(user.email)
    const unknown = await askForLink('nobody.here@example.com')
    expect(known.response.status).toBe(200)
    expect(unknown.response.status).toBe(200)
    expect(known.html).toContain(SENT)
    const strip = (html: string) => html.replace(/content="[^"]*"|value="[^"]*"|data-[a-z-]+="[^"]*"/g, '')
    expect(strip(known.html)).toBe(strip(unknown.html))

    const mail = await resetMail(user.email)
    const link = linkIn(mail, `${APP_URL}/password/reset/`)
    expect(link).toMatch(new RegExp(`^${APP_URL}/password/reset/[A-Za-z0-9_-]{43}$`))
    expect(mail.html).toContain(`href="${link}"`)
    await settle()
    expect(smtp.to('nobody.here@example.com')).toHaveLength(0)
  })

  test(
    'a known and an unknown email take the same time (medians of 60 within 25%)',
    async () => {
      const user = await newUser()
      const browser = new TestBrowser(t.app)
      await browser.get('/password/forgot')
      let requests = 0
      const ask = async (email: string) => {
        // A fresh address per request, so no attempt limit changes the work done.
        const i = requests++
        t.setSocketAddress(`10.20.${i % 250}.${Math.floor(i / 250) + 1}`)
        const { response } = await browser.post('/password/forgot', { email })
        expect(response.status).toBe(200)
      }
      // Each request starts with the queue idle and its worker's bookkeeping
      // done: the mail work an earlier one caused would otherwise slow whichever
      // request comes next. A longer pause only adds noise (an idle process
      // wakes slowly).
      const idle = async () => {
        await settle()
        await Bun.sleep(5)
      }
      await timeAlternately(3, [() => ask(user.email), () => ask('warm.up@example.com')], idle)
      const [known, unknown] = await timeAlternately(
        60,
        [() => ask(user.email), (i) => ask(`nobody${i}@example.com`)],
        idle,
      )
      t.setSocketAddress('127.0.0.1')
      expect(relativeGap(median(known), median(unknown))).toBeLessThan(0.25)
    },
    TIMED_TEST_MS,
  )

  test('htmx: the form is replaced by the same notice for both', async () => {
    const user = await newUser()
    const browser = new TestBrowser(t.app)
    await browser.get('/password/forgot')
    const known = await browser.post('/password/forgot', { email: user.email }, { htmx: true })
    const unknown = await browser.post('/password/forgot', { email: 'ghost@example.com' }, { htmx: true })
    expect(known.response.status).toBe(200)
    expect(known.html).toBe(unknown.html)
    expect(known.html).toContain(SENT)
  })

  test('a malformed address: 422 with a field message (nothing about accounts)', async () => {
    const { response, html } = await askForLink('not an address')
    expect(response.status).toBe(422)
    expect(html).toContain('Enter a valid email address.')
  })

  test('Redis holds only the SHA-256 of the token, and not the address it went to', async () => {
    const user = await newUser()
    await askForLink(user.email)
    const token = linkIn(await resetMail(user.email), `${APP_URL}/password/reset/`)
      .split('/')
      .pop()!
    const keys = await t.keys()
    const values = await Promise.all(
      keys.filter((key) => key.includes(':ot:')).map(async (key) => JSON.stringify([key, await dump(key)])),
    )
    expect(values.join()).not.toContain(token)
    expect(values.join()).not.toContain(user.email)
    const hash = new Bun.CryptoHasher('sha256').update(token).digest('base64url')
    expect(values.join()).toContain(hash)
  })

  test('at most 3 reset mails per address per hour; the fourth request gets the same answer and no mail', async () => {
    const user = await newUser()
    for (let i = 0; i < 4; i++) {
      const browser = new TestBrowser(t.app)
      t.setSocketAddress(`10.9.0.${i + 1}`)
      const { response, html } = await askForLink(user.email, browser)
      expect(response.status).toBe(200)
      expect(html).toContain(SENT)
    }
    t.setSocketAddress('127.0.0.1')
    await settle()
    await Bun.sleep(100)
    expect(smtp.to(user.email).filter((m) => m.subject === 'Reset your Taproom password')).toHaveLength(3)
  })

  test('each request spends the per-IP budget login shares: over it, the same answer and no mail', async () => {
    const limited = await createTestApp('resetthrottle', {
      SMTP_URL: smtp.url,
      APP_URL,
      LOGIN_MAX_FAILURES_PER_IP: '2',
    })
    try {
      const user = await limited.services.users.create(
        'budget@example.com',
        await limited.services.hasher.hash(OLD_PASSWORD),
        { verifiedAt: new Date() },
      )
      const browser = new TestBrowser(limited.app)
      await browser.get('/password/forgot')
      for (const email of ['a@example.com', 'b@example.com']) await browser.post('/password/forgot', { email })
      const over = await browser.post('/password/forgot', { email: user.email })
      expect(over.response.status).toBe(200)
      expect(over.html).toContain(SENT)
      await browser.get('/login')
      expect((await browser.post('/login', { email: user.email, password: OLD_PASSWORD })).response.status).toBe(429)
      await Bun.sleep(300)
      expect(smtp.to(user.email)).toHaveLength(0)
    } finally {
      await limited.cleanup()
    }
  })
})

describe('the reset link', () => {
  test('moves the token out of the URL into this browser session: 303 to /password/reset, no-referrer', async () => {
    const user = await newUser()
    const { browser } = await askForLink(user.email)
    const followed = await followLink(browser, await resetMail(user.email))
    expect(followed.response.status).toBe(303)
    expect(followed.response.headers.get('location')).toBe('/password/reset')
    expect(followed.response.headers.get('referrer-policy')).toBe('no-referrer')

    const { response, html } = await browser.get('/password/reset')
    expect(response.status).toBe(200)
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const form = html.match(/<form id="reset-form"[\s\S]*?<\/form>/)![0]
    for (const name of ['password', 'confirm', '_csrf']) expect(form).toContain(`name="${name}"`)
    expect(form).toContain('method="post" action="/password/reset"')
    expect(html).toContain(user.email)
  })

  test('an unknown, malformed or expired token: 400 "This link is invalid or has expired." with a way to ask again', async () => {
    const browser = new TestBrowser(t.app)
    for (const token of ['A'.repeat(43), 'short', '%00%3Cscript%3E', 'A'.repeat(5000)]) {
      const { response, html } = await browser.get(`/password/reset/${token}`)
      expect(response.status).toBe(400)
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      expect(html).toContain('This link is invalid or has expired.')
      expect(html).toContain('href="/password/forgot"')
    }
    const { response } = await browser.get('/password/reset')
    expect(response.status).toBe(400)
  })

  test('expires after PASSWORD_RESET_SECONDS', async () => {
    const user = await newUser()
    await askForLink(user.email)
    const mail = await resetMail(user.email)
    const token = linkIn(mail, `${APP_URL}/password/reset/`).split('/').pop()!
    const hash = new Bun.CryptoHasher('sha256').update(token).digest('base64url')
    const ttl = await t.redis.pttl(`${t.config.redis.prefix}ot:reset:t:${hash}`)
    expect(ttl).toBeGreaterThan(1_190_000)
    expect(ttl).toBeLessThanOrEqual(1_200_000)
    await t.redis.del(`${t.config.redis.prefix}ot:reset:t:${hash}`, `${t.config.redis.prefix}ot:reset:u:${user.id}`)
    expect((await followLink(new TestBrowser(t.app), mail)).response.status).toBe(400)
  })

  test('a newer request voids the older link', async () => {
    const user = await newUser()
    const before = smtp.received.length
    await askForLink(user.email)
    const first = await resetMail(user.email, before)
    const between = smtp.received.length
    await askForLink(user.email)
    const second = await resetMail(user.email, between)
    expect((await followLink(new TestBrowser(t.app), first)).response.status).toBe(400)
    expect((await followLink(new TestBrowser(t.app), second)).response.status).toBe(303)
  })
})

describe('POST /password/reset', () => {
  async function readyToReset(user: { email: string }) {
    const since = smtp.received.length
    const { browser } = await askForLink(user.email)
    const mail = await resetMail(user.email, since)
    await followLink(browser, mail)
    await browser.get('/password/reset')
    return { browser, mail }
  }

  test('stores the new hash, ends every session on every device, logs this browser in fresh, mails a notice', async () => {
    const user = await newUser()
    const elsewhere = await signIn(user.email)
    expect(panelOf((await elsewhere.browser.get('/')).html).email).toBe(user.email)
    const { browser } = await readyToReset(user)
    const before = panelOf((await browser.get('/')).html).sessionId
    await browser.get('/password/reset')
    const since = smtp.received.length

    const { response } = await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    const home = await browser.get('/')
    expect(home.html).toContain('Your password was changed. Every other session was logged out.')
    const panel = panelOf(home.html)
    expect(panel.email).toBe(user.email)
    expect(panel.sessionId).not.toBe(before)

    // The other browser's session is gone.
    expect(panelOf((await elsewhere.browser.get('/')).html).email).toBeUndefined()
    const stored = (await t.services.users.findById(user.id))!
    expect(await bcrypt.compare(NEW_PASSWORD, stored.passwordHash)).toBe(true)
    expect((await signIn(user.email)).response.status).toBe(401)
    expect((await signIn(user.email, NEW_PASSWORD)).response.status).toBe(303)

    const notice = await smtp.waitFor(
      (m) => m.to === user.email && m.subject === 'Your password was changed' && smtp.received.indexOf(m) >= since,
    )
    expect(notice.text).toContain('IP address: 127.0.0.1')
    expect(notice.text).toContain(`${APP_URL}/password/forgot`)
    expect(t.audit.some((e) => e.event === 'password_reset' && e.userId === user.id)).toBe(true)
  })

  test('with the authenticator app on, the second step follows, and a later "log out everywhere" stops it', async () => {
    await awayFromStepEdge()
    const user = await newUser()
    const { secret } = await turnOnAuthenticatorApp(t.services.deps.secondFactors, user.id)

    const reset = async () => {
      const { browser } = await readyToReset(user)
      const { response } = await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
      expect(response.headers.get('location')).toBe('/login/verify')
      await browser.get('/login/verify')
      return browser
    }
    // Finished, the second step signs this browser in.
    const first = await reset()
    expect((await first.post('/login/verify', { code: codeAt(secret, Date.now()) })).response.status).toBe(303)
    expect(panelOf((await first.get('/')).html).email).toBe(user.email)

    // Left waiting while every session of the user is ended: it no longer signs in.
    const second = await reset()
    expect(panelOf((await first.get('/')).html).email).toBeUndefined()
    await t.services.deps.sessions.endAll(user.id)
    const late = await second.post('/login/verify', { code: codeAt(secret, Date.now() - 30_000) })
    expect(late.response.status).toBe(303)
    expect(late.response.headers.get('location')).toBe('/login')
    expect(panelOf((await second.get('/')).html).email).toBeUndefined()
  })

  test('opens the authenticator app codes that 100 wrong ones in a row locked: the guesser no longer has the password', async () => {
    await awayFromStepEdge()
    const user = await newUser()
    const factors = t.services.deps.secondFactors
    const { secret } = await turnOnAuthenticatorApp(factors, user.id)
    await t.redis.set(`${t.config.redis.prefix}mfa:{${user.id}}:consecutive`, String(MAX_CONSECUTIVE_FAILURES))
    expect((await factors.verifyAtSignIn(user.id, codeAt(secret, Date.now()), Date.now())).ok).toBe(false)

    const { browser } = await readyToReset(user)
    await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    await browser.get('/login/verify')
    expect((await browser.post('/login/verify', { code: codeAt(secret, Date.now() + 30_000) })).response.status).toBe(
      303,
    )
    expect(panelOf((await browser.get('/')).html).email).toBe(user.email)
  })

  test('an account gone while its reset ran (deleted, or a sign-up pruned unverified) signs nobody in: the link is dead', async () => {
    const user = await newUser()
    const { browser } = await readyToReset(user)
    const users = t.services.users
    const original = users.setPasswordProvingEmail
    users.setPasswordProvingEmail = async (...args) => {
      await users.delete(user.id)
      return original.apply(users, args)
    }
    try {
      const { response, html } = await browser.post('/password/reset', {
        password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      })
      expect(response.status).toBe(400)
      expect(html).toContain('This link is invalid or has expired.')
    } finally {
      users.setPasswordProvingEmail = original
    }
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })

  test('drops an authenticator app setup left unfinished: its key was shown before the reset, perhaps to someone else', async () => {
    const user = await newUser()
    const factors = t.services.deps.secondFactors
    const shown = (await factors.startEnrolment(user.id))!
    const { browser } = await readyToReset(user)
    const { response } = await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(response.headers.get('location')).toBe('/')
    expect(await factors.enrolment(user.id, Date.now())).toEqual({ state: 'none' })
    // Setting up again gives a new key.
    expect(await factors.startEnrolment(user.id)).not.toBe(shown)
  })

  test('the same policy as sign-up: mismatched, short or guessable passwords get 422 and the link stays usable', async () => {
    const user = await newUser()
    const { browser } = await readyToReset(user)
    for (const [password, confirm, message] of [
      [NEW_PASSWORD, 'something else 12', 'Passwords do not match.'],
      ['short', 'short', 'at least 8 characters'],
      ['password1', 'password1', ''],
    ] as const) {
      const { response, html } = await browser.post('/password/reset', { password, confirm })
      expect(response.status).toBe(422)
      expect(html).toContain(message)
    }
    expect(
      (await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).response.status,
    ).toBe(303)
  })

  test('a link used once is dead: a second use, in this browser or another, gets 400', async () => {
    const user = await newUser()
    const { browser, mail } = await readyToReset(user)
    expect(
      (await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).response.status,
    ).toBe(303)
    expect((await followLink(new TestBrowser(t.app), mail)).response.status).toBe(400)
    expect((await browser.get('/password/reset')).response.status).toBe(400)
    expect(
      (await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).response.status,
    ).toBe(400)
  })

  test('two browsers holding the same link, posting at once: exactly one wins', async () => {
    const user = await newUser()
    const since = smtp.received.length
    await askForLink(user.email)
    const mail = await resetMail(user.email, since)
    const browsers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const browser = new TestBrowser(t.app)
        await followLink(browser, mail)
        await browser.get('/password/reset')
        return browser
      }),
    )
    const statuses = await Promise.all(
      browsers.map(async (browser, i) => {
        const password = `${NEW_PASSWORD} ${i}`
        return (await browser.post('/password/reset', { password, confirm: password })).response.status
      }),
    )
    expect(statuses.filter((status) => status === 303)).toHaveLength(1)
    expect(statuses.filter((status) => status === 400)).toHaveLength(5)
  })

  test('a password change voids reset links asked for before it', async () => {
    const user = await newUser()
    const since = smtp.received.length
    await askForLink(user.email)
    const mail = await resetMail(user.email, since)
    const { browser } = await signIn(user.email)
    await browser.get('/account/password')
    const changed = await browser.post('/account/password', {
      current_password: OLD_PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    })
    expect(changed.response.status).toBe(303)
    expect((await followLink(new TestBrowser(t.app), mail)).response.status).toBe(400)
  })

  test('no token, address or password in any log line or audit event', async () => {
    const user = await newUser()
    const { browser, mail } = await readyToReset(user)
    await browser.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    const token = linkIn(mail, `${APP_URL}/password/reset/`).split('/').pop()!
    const everything = [...t.logs, ...t.errors, ...t.audit.map((event) => JSON.stringify(event))].join('\n')
    expect(everything).not.toContain(token)
    expect(everything).not.toContain(user.email)
    expect(everything).not.toContain(NEW_PASSWORD)
  })
})

async function dump(key: string) {
  const type = await t.redis.type(key)
  if (type === 'hash') return t.redis.hgetall(key)
  if (type === 'string') return t.redis.get(key)
  return type
}
