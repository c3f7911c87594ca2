import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { panelOf, TestBrowser } from './support/browser.ts'
import { linkIn, type ReceivedMail, type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { median, relativeGap, TIMED_TEST_MS, timeAlternately } from './support/timing.ts'

let t: TestApp
let smtp: SmtpTestServer
const PASSWORD = 'blue kettle 47 lamp'
const APP_URL = 'http://taproom.test'
const SENT = 'Check your inbox: we sent a link to finish signing up.'
const VERIFY_SUBJECT = 'Finish signing up to Taproom'
const TRIED_SUBJECT = 'Someone tried to sign up with your address'

beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp('signup', { BCRYPT_COST: '5', SMTP_URL: smtp.url, APP_URL })
})
afterAll(async () => {
  await t.cleanup()
  await smtp.close()
})

const mailTo = (email: string, subject: string, since = 0): Promise<ReceivedMail> =>
  smtp.waitFor((m) => m.to === email && m.subject === subject && smtp.received.indexOf(m) >= since)

const verifyPath = (mail: ReceivedMail) => linkIn(mail, `${APP_URL}/verify-email/`).slice(APP_URL.length)

/** Signs up, then follows the mailed link in the same browser: verified and logged in. */
async function signUpVerified(email: string, password = PASSWORD) {
  const since = smtp.received.length
  const result = await signUp(email, password)
  const followed = await result.browser.get(verifyPath(await mailTo(email, VERIFY_SUBJECT, since)))
  return { ...result, followed }
}

let counter = 0
const freshEmail = () => `new.user${++counter}@example.com`

async function signupPage() {
  const browser = new TestBrowser(t.app)
  const page = await browser.get('/signup')
  return { browser, ...page }
}

async function signUp(email: string, password = PASSWORD, confirm = password, options: { htmx?: boolean } = {}) {
  const { browser } = await signupPage()
  const result = await browser.post('/signup', { email, password, password_confirm: confirm }, options)
  return { browser, ...result }
}

describe('GET /signup', () => {
  test('shows form#signup-form with email, password, password_confirm and _csrf', async () => {
    const { response, html } = await signupPage()
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('vary')).toContain('HX-Request')
    const form = html.match(/<form id="signup-form"[\s\S]*?<\/form>/)![0]
    for (const name of ['email', 'password', 'password_confirm', '_csrf']) expect(form).toContain(`name="${name}"`)
    expect(form).toContain('method="post" action="/signup"')
    expect(form).toContain('hx-post="/signup"')
    expect(form).toContain('autocomplete="new-password"')
  })

  test('the nav offers Sign Up when logged out and "Your sessions" once the address is verified', async () => {
    const { html } = await signupPage()
    expect(html).toContain('<a href="/signup" aria-current="page">Sign Up</a>')
    expect(html).not.toContain('Your sessions')
    const { browser } = await signUpVerified(freshEmail())
    const after = (await browser.get('/')).html
    expect(after).toContain('<a href="/account/sessions">Your sessions</a>')
    expect(after).not.toContain('Sign Up</a>')
  })
})

describe('POST /signup', () => {
  test('answers 200 "Check your inbox" and logs nobody in; the account exists unverified, lower-cased, with a bcrypt hash of BCRYPT_COST', async () => {
    const { browser } = await signupPage()
    const before = panelOf((await browser.get('/')).html)
    const since = smtp.received.length
    const { response, html } = await browser.post('/signup', {
      email: '  Grace.Hopper@Example.COM ',
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(response.status).toBe(200)
    expect(html).toContain(SENT)
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()

    const mail = await mailTo('grace.hopper@example.com', VERIFY_SUBJECT, since)
    expect(linkIn(mail, `${APP_URL}/verify-email/`)).toMatch(/\/verify-email\/[A-Za-z0-9_-]{43}$/)
    const user = (await t.services.users.findByEmail('grace.hopper@example.com'))!
    expect(user.emailVerifiedAt).toBeNull()
    expect(bcrypt.getRounds(user.passwordHash)).toBe(5)
    expect(await bcrypt.compare(PASSWORD, user.passwordHash)).toBe(true)
    expect(panelOf((await browser.get('/')).html).sessionId).toBe(before.sessionId)
  })

  test('a new and an already registered address get the same status and page; the owner is told someone tried', async () => {
    const taken = freshEmail()
    await signUpVerified(taken)
    const original = (await t.services.users.findByEmail(taken))!
    const since = smtp.received.length
    const fresh = await signUp(freshEmail())
    const again = await signUp(taken.toUpperCase(), 'another strong phrase 12')
    expect(fresh.response.status).toBe(200)
    expect(again.response.status).toBe(200)
    const strip = (html: string) => html.replace(/content="[^"]*"|value="[^"]*"|data-[a-z-]+="[^"]*"/g, '')
    expect(strip(again.html)).toBe(strip(fresh.html))

    const notice = await mailTo(taken, TRIED_SUBJECT, since)
    expect(notice.text).toContain(
      'Someone tried to sign up with your address. If it was you, log in or reset your password.',
    )
    expect(notice.text).toContain(`${APP_URL}/password/forgot`)
    expect((await t.services.users.findByEmail(taken))!.passwordHash).toBe(original.passwordHash)
  })

  test('htmx: the form is replaced by the notice, the same for a new and a registered address', async () => {
    const taken = freshEmail()
    await signUpVerified(taken)
    const fresh = await signUp(freshEmail(), PASSWORD, PASSWORD, { htmx: true })
    const again = await signUp(taken, PASSWORD, PASSWORD, { htmx: true })
    expect(fresh.response.status).toBe(200)
    expect(fresh.html).toBe(again.html)
    expect(fresh.html).toContain(SENT)
    expect(fresh.html).not.toContain('<html')
  })

  test(
    'a new and a registered address take the same time (medians of 30 within 25%)',
    async () => {
      const taken = freshEmail()
      await t.services.users.create(taken, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
      const browser = new TestBrowser(t.app)
      await browser.get('/signup')
      let requests = 0
      const submit = async (email: string) => {
        // A fresh client address per request, so no attempt limit changes the work done.
        const i = requests++
        t.setSocketAddress(`10.30.${i % 250}.${Math.floor(i / 250) + 1}`)
        const { response } = await browser.post('/signup', { email, password: PASSWORD, password_confirm: PASSWORD })
        expect(response.status).toBe(200)
      }
      // Each request starts with the queue idle and its worker's bookkeeping
      // done: the work an earlier one caused would otherwise slow whichever
      // request comes next. A longer pause only adds noise (an idle process
      // wakes slowly).
      const idle = async () => {
        for (let w = 0; w < 200 && (await t.services.mail.queue.pending()) > 0; w++) await Bun.sleep(10)
        await Bun.sleep(5)
      }
      await timeAlternately(2, [() => submit(taken), () => submit(freshEmail())], idle)
      const [registered, unregistered] = await timeAlternately(
        30,
        [() => submit(taken), () => submit(freshEmail())],
        idle,
      )
      t.setSocketAddress('127.0.0.1')
      expect(relativeGap(median(registered), median(unregistered))).toBeLessThan(0.25)
    },
    TIMED_TEST_MS,
  )

  test('writes signup to the audit log with the user, without the email or password', async () => {
    const start = t.audit.length
    const email = freshEmail()
    const since = smtp.received.length
    await signUp(email)
    await mailTo(email, VERIFY_SUBJECT, since)
    const user = (await t.services.users.findByEmail(email))!
    const events = t.audit.slice(start)
    expect(events.some((event) => event.event === 'signup' && event.userId === user.id)).toBe(true)
    expect(JSON.stringify(events)).not.toContain(email)
    expect(JSON.stringify(events)).not.toContain(PASSWORD)
  })

  test('two sign-ups racing for one address: one account, one verification mail and one "someone tried"', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const [first, second] = await Promise.all([signUp(email), signUp(email, 'another strong phrase 12')])
    expect([first.response.status, second.response.status]).toEqual([200, 200])
    await mailTo(email, VERIFY_SUBJECT, since)
    await mailTo(email, TRIED_SUBJECT, since)
    expect(smtp.to(email).filter((m) => smtp.received.indexOf(m) >= since)).toHaveLength(2)
  })
})

describe('the verification link', () => {
  test('signing up twice in one browser: the first link still signs that browser in', async () => {
    const email = freshEmail()
    let since = smtp.received.length
    const { browser } = await signupPage()
    await browser.post('/signup', { email, password: PASSWORD, password_confirm: PASSWORD })
    const first = await mailTo(email, VERIFY_SUBJECT, since)
    since = smtp.received.length
    await browser.get('/signup')
    await browser.post('/signup', { email, password: PASSWORD, password_confirm: PASSWORD })
    await mailTo(email, TRIED_SUBJECT, since)

    const { response } = await browser.get(verifyPath(first))
    expect(response.status).toBe(303)
    expect(panelOf((await browser.get('/')).html).email).toBe(email)
  })

  test('marks the address verified and logs that browser in with a fresh session; the link then is dead', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser } = await signUp(email)
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    const before = panelOf((await browser.get('/')).html).sessionId
    const { response } = await browser.get(path)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const home = await browser.get('/')
    expect(panelOf(home.html).email).toBe(email)
    expect(panelOf(home.html).sessionId).not.toBe(before)
    expect(home.html).toContain('Welcome! Your email is verified and your account is ready.')
    expect((await t.services.users.findByEmail(email))!.emailVerifiedAt).toBeInstanceOf(Date)

    const reused = await new TestBrowser(t.app).get(path)
    expect(reused.response.status).toBe(400)
    expect(reused.html).toContain('This link is invalid or has expired.')
    expect(reused.html).toContain('Log in to get a new link')
    // Opened again by the browser it signed in, the used link offers no new link: nothing is left to verify.
    const again = await browser.get(path)
    expect(again.response.status).toBe(400)
    expect(again.html).toContain('<a href="/">Back to the home page</a>')
  })

  test('the same link followed in parallel works exactly once', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser } = await signUp(email)
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    // Four other browsers open the link (a page with a button) and press the button while the one that signed up follows it.
    const others = Array.from({ length: 4 }, () => new TestBrowser(t.app))
    for (const other of others) expect((await other.get(path)).response.status).toBe(200)
    const statuses = await Promise.all([
      browser.get(path).then(({ response }) => response.status),
      ...others.map(async (other) => (await other.post(path)).response.status),
    ])
    expect(statuses.filter((status) => status !== 400)).toHaveLength(1)
  })

  test('a mail scanner fetching the link (no cookie, GET only) uses nothing up: the browser that signed up still logs in with it', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser } = await signUp(email)
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    for (let fetch = 0; fetch < 2; fetch++) {
      const scanned = await new TestBrowser(t.app).get(path)
      expect(scanned.response.status).toBe(200)
      expect(scanned.html).toMatch(
        /<form id="confirm-link-form" method="post" action="\/verify-email\/[A-Za-z0-9_-]{43}"/,
      )
      expect(scanned.response.headers.get('referrer-policy')).toBe('no-referrer')
    }
    expect((await t.services.users.findByEmail(email))!.emailVerifiedAt).toBeNull()
    const { response } = await browser.get(path)
    expect(response.status).toBe(303)
    expect(panelOf((await browser.get('/')).html).email).toBe(email)
  })

  test('followed in another browser (pre-hijack): the address is verified, nobody is signed in and the password chosen at sign-up no longer works', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser: attacker } = await signUp(email, 'attacker-knows-this-1')
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    const owner = new TestBrowser(t.app)
    const opened = await owner.get(path)
    expect(opened.response.status).toBe(200)
    expect(opened.html).toContain('This link was opened in a browser other than the one that signed up.')
    expect((await t.services.users.findByEmail(email))!.emailVerifiedAt).toBeNull()
    const { response } = await owner.post(path)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const { html } = await owner.get('/login')
    expect(html).toContain('Your email is confirmed. To log in, set a password with “Forgot your password?”.')
    expect(html).toContain('href="/password/forgot"')
    expect(panelOf((await owner.get('/')).html).email).toBeUndefined()
    expect((await t.services.users.findByEmail(email))!.emailVerifiedAt).toBeInstanceOf(Date)

    await attacker.get('/login')
    const login = await attacker.post('/login', { email, password: 'attacker-knows-this-1' })
    expect(login.response.status).toBe(401)
    expect(panelOf((await attacker.get('/')).html).email).toBeUndefined()
    expect((await attacker.get(path)).response.status).toBe(400)
  })

  test("an attacker's own link opened in a victim's browser does not sign that browser in (login CSRF)", async () => {
    const email = freshEmail()
    const since = smtp.received.length
    await signUp(email)
    const victim = new TestBrowser(t.app)
    await victim.get('/')
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    expect((await victim.get(path)).response.status).toBe(200)
    expect(panelOf((await victim.get('/')).html).email).toBeUndefined()
    // Pressing the button verifies the address, and still signs the victim's browser in to nothing.
    expect((await victim.post(path)).response.status).toBe(303)
    expect(panelOf((await victim.get('/')).html).email).toBeUndefined()
  })
})

describe('a verification link, and what else proves the address', () => {
  test('a completed password reset voids a verification link still pending: it proves nothing more', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser } = await signUp(email)
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    const between = smtp.received.length
    await browser.get('/password/forgot')
    await browser.post('/password/forgot', { email })
    const reset = await mailTo(email, 'Reset your Taproom password', between)
    await browser.get(linkIn(reset, `${APP_URL}/password/reset/`).slice(APP_URL.length))
    const chosen = 'a fresh and unrelated passphrase'
    expect((await browser.post('/password/reset', { password: chosen, confirm: chosen })).response.status).toBe(303)
    expect((await t.services.users.findByEmail(email))!.emailVerifiedAt).toBeInstanceOf(Date)
    const elsewhere = new TestBrowser(t.app)
    const { response, html } = await elsewhere.get(path)
    expect(response.status).toBe(400)
    expect(html).toContain('This link is invalid or has expired.')
  })

  test('a button pressed after its session ended uses nothing up and changes nothing', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser } = await signUp(email)
    const path = verifyPath(await mailTo(email, VERIFY_SUBJECT, since))
    const elsewhere = new TestBrowser(t.app)
    expect((await elsewhere.get(path)).response.status).toBe(200)
    const id = panelOf((await elsewhere.get('/')).html).sessionId!
    await t.redis.del(await t.sessionKey(id))
    const late = await elsewhere.post(path)
    expect(late.response.status).toBe(403)
    expect(late.response.headers.get('referrer-policy')).toBe('no-referrer')
    expect((await t.services.users.findByEmail(email))!.emailVerifiedAt).toBeNull()
    expect((await browser.get(path)).response.status).toBe(303)
  })
})

describe('a sign-up job run again (BullMQ retries a job whose later step failed)', () => {
  test('after it made the account, it sends the verification link again, not "someone tried to sign up"', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const job = {
      email,
      passwordHash: await t.services.hasher.hash(PASSWORD),
      ip: '10.0.0.7',
      requestId: `retry-${email}`,
    }
    await t.services.mail.queue.enqueue('signup_request', job)
    await mailTo(email, VERIFY_SUBJECT, since)
    const between = smtp.received.length
    await t.services.mail.queue.enqueue('signup_request', job)
    await mailTo(email, VERIFY_SUBJECT, between)
    const subjects = smtp.received
      .slice(since)
      .filter((mail) => mail.to === email)
      .map((mail) => mail.subject)
    expect(subjects).toEqual([VERIFY_SUBJECT, VERIFY_SUBJECT])
  })

  test('another sign-up with a registered address still tells its owner, however its hash was made', async () => {
    const email = freshEmail()
    await signUpVerified(email)
    const since = smtp.received.length
    const job = {
      email,
      passwordHash: await t.services.hasher.hash(PASSWORD),
      ip: '10.0.0.8',
      requestId: `other-${email}`,
    }
    await t.services.mail.queue.enqueue('signup_request', job)
    await mailTo(email, TRIED_SUBJECT, since)
  })
})

describe('logging in before verifying', () => {
  test('the right password: 403 "Verify your email first: we sent you a new link." and a new link; the old one stays dead after it', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    const { browser: signer } = await signUp(email)
    const first = await mailTo(email, VERIFY_SUBJECT, since)
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const between = smtp.received.length
    const { response, html } = await browser.post('/login', { email, password: PASSWORD })
    expect(response.status).toBe(403)
    expect(html).toContain('Verify your email first: we sent you a new link.')
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
    const second = await mailTo(email, VERIFY_SUBJECT, between)
    expect((await new TestBrowser(t.app).get(verifyPath(first))).response.status).toBe(400)
    expect((await signer.get(verifyPath(second))).response.status).toBe(303)
    await browser.get('/login')
    expect((await browser.post('/login', { email, password: PASSWORD })).response.status).toBe(303)
  })

  test('a wrong password answers exactly like any wrong password', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    await signUp(email)
    await mailTo(email, VERIFY_SUBJECT, since)
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const unverified = await browser.post('/login', { email, password: 'not the password 1' })
    const unknown = await browser.post('/login', { email: 'nobody.at.all@example.com', password: 'not the password 1' })
    expect(unverified.response.status).toBe(401)
    expect(unknown.response.status).toBe(401)
    expect(unverified.html).toContain('Invalid email or password.')
    expect(unverified.html).not.toContain('Verify your email')
  })

  test('re-sent links are throttled: at most 3 an hour', async () => {
    const email = freshEmail()
    const since = smtp.received.length
    await signUp(email)
    await mailTo(email, VERIFY_SUBJECT, since)
    for (let i = 0; i < 5; i++) {
      const browser = new TestBrowser(t.app)
      await browser.get('/login')
      expect((await browser.post('/login', { email, password: PASSWORD })).response.status).toBe(403)
    }
    for (let w = 0; w < 200 && (await t.services.mail.queue.pending()) > 0; w++) await Bun.sleep(10)
    await Bun.sleep(100)
    expect(smtp.to(email).filter((m) => m.subject === VERIFY_SUBJECT)).toHaveLength(4)
  })
})

describe('POST /signup validation', () => {
  for (const weak of ['password', 'password123', 'qwertyuiop']) {
    test(`refuses the guessable password "${weak}" with 422 and a field message`, async () => {
      const email = freshEmail()
      const { response, html } = await signUp(email, weak)
      expect(response.status).toBe(422)
      expect(html).toContain('This password is too common or too easy to guess.')
      expect(html).toContain(`value="${email}"`)
      expect(html).not.toContain(weak === 'password' ? 'value="password"' : weak)
      expect(await t.services.users.findByEmail(email)).toBeUndefined()
    })
  }

  test("a refused password does not clear the login's count of wrong passwords for that email", async () => {
    const email = freshEmail()
    await signUpVerified(email)
    t.setSocketAddress('198.51.100.23')
    try {
      const login = async () => {
        const browser = new TestBrowser(t.app)
        await browser.get('/login')
        return (await browser.post('/login', { email, password: 'not the password' })).response.status
      }
      for (let attempt = 0; attempt < 4; attempt++) expect(await login()).toBe(401)
      expect((await signUp(email, 'password')).response.status).toBe(422)
      expect(await login()).toBe(401)
      // The sixth wrong password for this email from this address: the throttle's limit is 5.
      expect(await login()).toBe(429)
    } finally {
      t.setSocketAddress('127.0.0.1')
    }
  })

  test('refuses a password made from the email address', async () => {
    const { response, html } = await signUp('margaret.hamilton@example.com', 'margarethamilton')
    expect(response.status).toBe(422)
    expect(html).toContain('not based on your email address')
  })

  test('field messages for a bad email, a short password and a mismatched confirmation', async () => {
    const bad = await signUp('not-an-email', 'short', 'short')
    expect(bad.response.status).toBe(422)
    expect(bad.html).toContain('Enter a valid email address.')
    expect(bad.html).toContain('Password must be at least 8 characters.')
    const mismatch = await signUp(freshEmail(), PASSWORD, `${PASSWORD}!`)
    expect(mismatch.response.status).toBe(422)
    expect(mismatch.html).toContain('Passwords do not match.')
  })

  test('passwords over 72 bytes are refused, never cut short', async () => {
    const long = 'ü'.repeat(37)
    const { response, html } = await signUp(freshEmail(), long)
    expect(response.status).toBe(422)
    expect(html).toContain('Password must be at most 72 bytes.')
  })

  test('htmx: 422 answers only the form, swapped in place', async () => {
    const { response, html } = await signUp(freshEmail(), 'password', 'password', { htmx: true })
    expect(response.status).toBe(422)
    expect(html.startsWith('<form id="signup-form"')).toBe(true)
    expect(html).not.toContain('<html')
  })

  test('without the CSRF token: 403 and no account', async () => {
    const { browser } = await signupPage()
    const email = freshEmail()
    const { response } = await browser.post('/signup', {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
      _csrf: '',
    })
    expect(response.status).toBe(403)
    expect(await t.services.users.findByEmail(email)).toBeUndefined()
  })
})
