import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { OneTimeTokens } from '../src/recovery/one-time-tokens.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { linkIn, type ReceivedMail, type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import { softwareRegistration } from './support/software-passkey.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { waitUntil } from './support/wait-until.ts'

/*
 * A request already under way when the owner resets the password (or signs
 * up) must not undo what the owner just did. Each test holds one request of
 * the attacker's at a point where it has passed its checks, lets the owner
 * act, then lets the request go on.
 */

let t: TestApp
let smtp: SmtpTestServer
const APP_URL = 'http://taproom.test'
const OLD_PASSWORD = 'correct horse battery'
const OWNERS_PASSWORD = 'green teapot 93 river'
const ATTACKERS_PASSWORD = 'violet anchor 58 orchard'

/* A Pwned Passwords stand-in that can hold the next range request: the password change waits there after the current password was checked. */
const pwned = {
  holdNext: false,
  held: 0,
  server: Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch() {
      if (pwned.holdNext) {
        pwned.holdNext = false
        pwned.held++
        // The app gives up on the range API after 1 s and goes on without it: that is the release.
        await Bun.sleep(1500)
      }
      return new Response('0000000000000000000000000000000000A:0')
    },
  }),
}

beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp('credraces', {
    BCRYPT_COST: '5',
    SMTP_URL: smtp.url,
    APP_URL,
    PWNED_PASSWORDS_URL: `http://127.0.0.1:${pwned.server.port}/range`,
  })
})
afterAll(async () => {
  await t.cleanup()
  await smtp.close()
  pwned.server.stop(true)
})

let counter = 0
async function newUser() {
  return t.services.users.create(`raced${++counter}@example.com`, await t.services.hasher.hash(OLD_PASSWORD), {
    verifiedAt: new Date(),
  })
}

async function signIn(email: string, password = OLD_PASSWORD) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email, password })
  expect(response.status).toBe(303)
  await browser.get('/')
  return browser
}

const mailTo = (email: string, subject: string, since: number): Promise<ReceivedMail> =>
  smtp.waitFor((m) => m.to === email && m.subject === subject && smtp.received.indexOf(m) >= since)

/** The owner asks for a reset link and opens it: the next step is choosing the password. */
async function ownerReadyToReset(email: string) {
  const owner = new TestBrowser(t.app)
  const since = smtp.received.length
  await owner.get('/password/forgot')
  await owner.post('/password/forgot', { email })
  const mail = await mailTo(email, 'Reset your Taproom password', since)
  await owner.get(linkIn(mail, `${APP_URL}/password/reset/`).slice(APP_URL.length))
  await owner.get('/password/reset')
  return owner
}

async function ownerResets(owner: TestBrowser) {
  const { response } = await owner.post('/password/reset', { password: OWNERS_PASSWORD, confirm: OWNERS_PASSWORD })
  expect(response.status).toBe(303)
  expect(response.headers.get('location')).toBe('/')
}

/**
 * A form post whose body arrives when the test says: with its length given up
 * front, the request is admitted (session, proof) and waits for the body.
 * `reading` settles once the route has begun to read it, past admission.
 */
function postWithLateBody(browser: TestBrowser, path: string, form: Record<string, string>) {
  const bytes = new TextEncoder().encode(new URLSearchParams(form).toString())
  let send!: () => void
  const { promise: reading, resolve: startedReading } = Promise.withResolvers<void>()
  // No chunk is asked for ahead (high-water mark 0): the first pull is the route reading its form.
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        send = () => {
          controller.enqueue(bytes)
          controller.close()
        }
      },
      pull: () => startedReading(),
    },
    { highWaterMark: 0 },
  )
  const answer = browser.request(path, {
    method: 'POST',
    body,
    duplex: 'half',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(bytes.length),
      'x-csrf-token': browser.csrfToken,
    },
  } as RequestInit)
  return { answer, send, reading }
}

const passwordWorks = async (email: string, password: string) =>
  bcrypt.compare(password, (await t.services.users.findByEmail(email))!.passwordHash)

describe('a reset while a stolen session is at work', () => {
  test('a password change under way when the owner resets neither sets its password nor logs the owner out', async () => {
    const user = await newUser()
    const attacker = await signIn(user.email)
    const owner = await ownerReadyToReset(user.email)

    pwned.holdNext = true
    const change = attacker.post('/account/password', {
      current_password: OLD_PASSWORD,
      new_password: ATTACKERS_PASSWORD,
      new_password_confirm: ATTACKERS_PASSWORD,
    })
    // Held at the breach check: the current password has been checked already.
    await waitUntil(() => pwned.held === 1, 5000)
    await ownerResets(owner)
    const { response } = await change

    expect(response.status).toBe(403)
    expect(await passwordWorks(user.email, OWNERS_PASSWORD)).toBe(true)
    expect(await passwordWorks(user.email, ATTACKERS_PASSWORD)).toBe(false)
    expect(panelOf((await owner.get('/')).html).email).toBe(user.email)
    expect(panelOf((await attacker.get('/')).html).email).toBeUndefined()
  })

  test('an email change admitted before the reset makes no link once its body arrives', async () => {
    const user = await newUser()
    const attacker = await signIn(user.email)
    const owner = await ownerReadyToReset(user.email)
    await attacker.get('/account/email')

    const request = postWithLateBody(attacker, '/account/email', { email: 'attacker@evil.test' })
    await request.reading
    await ownerResets(owner)
    const since = smtp.received.length
    request.send()
    const response = await request.answer

    expect(response.status).toBe(403)
    await waitUntil(async () => (await t.services.mail.queue.pending()) === 0, 5000)
    expect(smtp.received.slice(since).some((m) => m.to === 'attacker@evil.test')).toBe(false)
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
  })

  for (const indexLost of [false, true]) {
    const which = indexLost ? " (a session its user's index had lost is no less ended)" : ''
    test(`an account deletion admitted before the reset deletes nothing once its body arrives${which}`, async () => {
      const user = await newUser()
      const attacker = await signIn(user.email)
      if (indexLost) await t.redis.del(t.indexKey(user.id))
      const owner = await ownerReadyToReset(user.email)
      await attacker.get('/account/delete')

      const request = postWithLateBody(attacker, '/account/delete', { email: user.email })
      await request.reading
      await ownerResets(owner)
      request.send()

      expect((await request.answer).status).toBe(403)
      expect(await t.services.users.findById(user.id)).toBeDefined()
      expect(panelOf((await owner.get('/')).html).email).toBe(user.email)
    })
  }

  test('a passkey registration admitted before the reset leaves no passkey once its body arrives', async () => {
    const user = await newUser()
    const attacker = await signIn(user.email)
    const owner = await ownerReadyToReset(user.email)
    await attacker.get('/account/security')
    const response = await softwareRegistration(t, attacker, ['internal'])

    const request = postWithLateBody(attacker, '/account/security/passkeys', { name: 'Not yours', response })
    await request.reading
    await ownerResets(owner)
    request.send()

    expect((await request.answer).status).toBe(403)
    expect((await t.services.deps.secondFactors.status(user.id, Date.now())).passkeys).toEqual([])
    expect(panelOf((await owner.get('/')).html).email).toBe(user.email)
  })

  test('a password change while another tab logs out everywhere else: the change stands, is recorded and mailed, and the browser goes to /login', async () => {
    const user = await newUser()
    const browser = await signIn(user.email)
    await browser.get('/account/password')
    const since = smtp.received.length
    // The change waits on the row lock at its write, after it has ended the other sessions.
    const lock = await t.services.database.pool.getConnection()
    try {
      await lock.query('BEGIN')
      await lock.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [user.id])
      const change = browser.post('/account/password', {
        current_password: OLD_PASSWORD,
        new_password: OWNERS_PASSWORD,
        new_password_confirm: OWNERS_PASSWORD,
      })
      await waitUntil(async () => {
        const [rows] = await t.services.database.pool.query(
          "SELECT COUNT(*) AS waiting FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'update `users` set `password_hash`%'",
        )
        return Number((rows as { waiting: number }[])[0]!.waiting) > 0
      }, 5000)
      // "Log out everywhere else" from another tab of the same browser ends the user's sessions again.
      const tab = new TestBrowser(t.app)
      for (const [name, value] of browser.cookies) tab.cookies.set(name, value)
      await tab.get('/account/sessions')
      expect((await tab.post('/account/sessions/revoke-others')).response.status).toBe(303)
      await lock.query('COMMIT')

      const { response } = await change
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/login')
    } finally {
      await lock.query('ROLLBACK').catch(() => {})
      lock.release()
    }
    expect(await passwordWorks(user.email, OWNERS_PASSWORD)).toBe(true)
    expect(t.audit.some((e) => e.event === 'password_changed' && e.userId === user.id)).toBe(true)
    await mailTo(user.email, 'Your password was changed', since)
    expect((await browser.get('/login')).html).toContain('Your password was changed, and every session was logged out')
  })
})

describe('links a stolen session asked for', () => {
  test('revoking that one session voids the email change link it asked for', async () => {
    const user = await newUser()
    const attacker = await signIn(user.email)
    const since = smtp.received.length
    await attacker.get('/account/email')
    await attacker.post('/account/email', { email: 'attacker@evil.test' })
    const link = await mailTo('attacker@evil.test', 'Confirm your new Taproom email address', since)

    const owner = await signIn(user.email)
    await owner.get('/account/sessions')
    const attackersId = panelOf((await attacker.get('/')).html).sessionId!
    expect((await owner.post(`/account/sessions/${attackersId}/revoke`)).response.status).toBe(303)

    // Dead even where it would act: in a browser logged in to the account.
    const path = linkIn(link, `${APP_URL}/account/email/confirm/`).slice(APP_URL.length)
    expect((await owner.get(path)).response.status).toBe(400)
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
  })

  test('a link the stolen session makes while the owner revokes it, after the revoke voided links, dies too', async () => {
    const user = await newUser()
    const attacker = await signIn(user.email)
    const owner = await signIn(user.email)
    const attackersId = panelOf((await attacker.get('/')).html).sessionId!
    await owner.get('/account/sessions')
    await attacker.get('/account/email')

    // The attacker's request waits just before making its link; the owner's
    // revoke voids the account's links, then lets it make one and finish
    // (its session still live), then revokes the session.
    const tokens = OneTimeTokens.prototype
    const { issue, voidAll } = tokens
    const { promise: reached, resolve: reach } = Promise.withResolvers<void>()
    const { promise: go, resolve: release } = Promise.withResolvers<void>()
    let asked: Promise<unknown> = Promise.resolve()
    tokens.issue = async function (this: OneTimeTokens, ...args: Parameters<typeof issue>) {
      if (args[0] === 'email') {
        reach()
        await go
      }
      return issue.apply(this, args)
    }
    let voids = 0
    tokens.voidAll = async function (this: OneTimeTokens, ...args: Parameters<typeof voidAll>) {
      await voidAll.apply(this, args)
      if (++voids === 1) {
        release()
        await asked
      }
    }
    const since = smtp.received.length
    try {
      asked = attacker.post('/account/email', { email: 'attacker@evil.test' })
      await reached
      expect((await owner.post(`/account/sessions/${attackersId}/revoke`)).response.status).toBe(303)
      expect(((await asked) as { response: Response }).response.status).toBe(200)
    } finally {
      tokens.issue = issue
      tokens.voidAll = voidAll
    }
    const link = await mailTo('attacker@evil.test', 'Confirm your new Taproom email address', since)
    const path = linkIn(link, `${APP_URL}/account/email/confirm/`).slice(APP_URL.length)
    expect((await owner.get(path)).response.status).toBe(400)
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
  })

  test('a reset link made for the old address, as the email changed, does not work at the new one', async () => {
    const user = await newUser()
    // As a reset job that looked the address up just before the change would make it.
    const tokens = new OneTimeTokens(t.redis, { prefix: t.config.redis.prefix })
    const token = await tokens.issue('reset', user.id, 600, t.services.deps.emailHash(user.email))
    await t.services.users.changeEmail(user.id, `moved.${user.email}`, new Date())

    const browser = new TestBrowser(t.app)
    const { response } = await browser.get(`/password/reset/${token}`)
    expect(response.status).toBe(400)
  })
})

describe('two sign-ups of one address', () => {
  test("the owner's browser following the link does not keep, nor sign in with, a stranger's earlier password", async () => {
    const email = 'owner.signup@example.com'
    let since = smtp.received.length
    const stranger = new TestBrowser(t.app)
    await stranger.get('/signup')
    await stranger.post('/signup', { email, password: ATTACKERS_PASSWORD, password_confirm: ATTACKERS_PASSWORD })
    const link = await mailTo(email, 'Finish signing up to Taproom', since)

    since = smtp.received.length
    const owner = new TestBrowser(t.app)
    await owner.get('/signup')
    await owner.post('/signup', { email, password: OWNERS_PASSWORD, password_confirm: OWNERS_PASSWORD })
    await mailTo(email, 'Someone tried to sign up with your address', since)

    // The owner opens the first mail's link in the browser that signed up.
    const path = linkIn(link, `${APP_URL}/verify-email/`).slice(APP_URL.length)
    const opened = await owner.get(path)
    expect(opened.response.status).toBe(200)
    expect(opened.html).toContain('id="confirm-link-form"')
    expect(panelOf(opened.html).email).toBeUndefined()
    await owner.post(path)

    // The address is verified, with a password nobody knows: the owner sets theirs with a reset.
    const user = (await t.services.users.findByEmail(email))!
    expect(user.emailVerifiedAt).not.toBeNull()
    expect(await passwordWorks(email, ATTACKERS_PASSWORD)).toBe(false)
    const login = new TestBrowser(t.app)
    await login.get('/login')
    expect((await login.post('/login', { email, password: ATTACKERS_PASSWORD })).response.status).toBe(401)
  })
})

describe('a password reset and a verification link followed at the same moment', () => {
  test("the verification's lock cannot land between the reset's new password and its proof of the address", async () => {
    const users = t.services.users
    const user = await users.create('reset.and.verify@example.com', await bcrypt.hash(ATTACKERS_PASSWORD, 4), {
      verifiedAt: null,
    })
    const lockHash = await bcrypt.hash('a secret nobody knows', 4)
    // The verification's write comes right after the reset writes the password.
    const setPassword = users.setPasswordProvingEmail
    users.setPasswordProvingEmail = async (...args) => {
      const result = await setPassword.apply(users, args)
      await users.markEmailVerifiedLockingPassword(user.id, new Date(), lockHash)
      return result
    }
    try {
      await t.services.deps.recovery.setResetPassword(user, await bcrypt.hash(OWNERS_PASSWORD, 4))
    } finally {
      users.setPasswordProvingEmail = setPassword
    }
    const stored = (await users.findById(user.id))!
    expect(stored.emailVerifiedAt).not.toBeNull()
    expect(await bcrypt.compare(OWNERS_PASSWORD, stored.passwordHash)).toBe(true)
  })
})
