import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Secret, TOTP } from 'otpauth'
import { Sealer } from '../src/mail/seal.ts'
import { OneTimeTokens } from '../src/recovery/one-time-tokens.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { linkIn, type ReceivedMail, type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { secretOnPage } from './support/totp.ts'

let t: TestApp
let smtp: SmtpTestServer
const PASSWORD = 'correct horse battery'
const APP_URL = 'http://taproom.test'
const CONFIRM_SUBJECT = 'Confirm your new Taproom email address'
const REQUESTED_SUBJECT = 'Your Taproom email address is about to change'
const CHANGED_SUBJECT = 'Your Taproom email address was changed'

beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp('accountemail', { SMTP_URL: smtp.url, APP_URL })
})
afterAll(async () => {
  await t.cleanup()
  await smtp.close()
})

let counter = 0
async function newUser() {
  return t.services.users.create(`mover${++counter}@example.com`, await t.services.hasher.hash(PASSWORD), {
    verifiedAt: new Date(),
  })
}

async function signIn(email: string, password = PASSWORD) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email, password })
  expect(response.status).toBe(303)
  return { browser, id: panelOf((await browser.get('/')).html).sessionId! }
}

const mailTo = (email: string, subject: string, since = 0): Promise<ReceivedMail> =>
  smtp.waitFor((m) => m.to === email && m.subject === subject && smtp.received.indexOf(m) >= since)

const confirmPath = (mail: ReceivedMail) => linkIn(mail, `${APP_URL}/account/email/confirm/`).slice(APP_URL.length)

async function askToMove(browser: TestBrowser, email: string) {
  await browser.get('/account/email')
  return browser.post('/account/email', { email })
}

/** A signed-in user who asked to move to `<label><n>@example.com`, and the path of the link mailed there. */
async function pendingMove(label: string) {
  const user = await newUser()
  const { browser } = await signIn(user.email)
  const since = smtp.received.length
  const newEmail = `${label}${counter}@example.com`
  await askToMove(browser, newEmail)
  const path = confirmPath(await mailTo(newEmail, CONFIRM_SUBJECT, since))
  return { user, browser, newEmail, path }
}

describe('GET /account/email', () => {
  test('logged out: 303 to /login', async () => {
    const { response } = await new TestBrowser(t.app).get('/account/email')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toStartWith('/login')
  })

  test('shows the current address and form#email-form with the email field', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const { response, html } = await browser.get('/account/email')
    expect(response.status).toBe(200)
    const form = html.match(/<form id="email-form"[\s\S]*?<\/form>/)![0]
    expect(form).toContain(user.email)
    expect(form).toContain('name="email"')
    expect(form).toContain('method="post" action="/account/email"')
  })
})

describe('changing the email', () => {
  test('mails a link to the new address and a notice to the current one; nothing changes until it is followed', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const since = smtp.received.length
    const newEmail = `moved${counter}@example.com`
    const { response, html } = await askToMove(browser, newEmail)
    expect(response.status).toBe(200)
    expect(html).toContain(`We sent a link to ${newEmail}.`)
    const confirm = await mailTo(newEmail, CONFIRM_SUBJECT, since)
    expect(confirmPath(confirm)).toMatch(/^\/account\/email\/confirm\/[A-Za-z0-9_-]{43}$/)
    const notice = await mailTo(user.email, REQUESTED_SUBJECT, since)
    expect(notice.text).toContain(newEmail)
    expect(notice.text).toContain('IP address: 127.0.0.1')
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
  })

  test('following the link sets the new email, ends every other session, updates this one and tells the old address', async () => {
    const user = await newUser()
    const other = await signIn(user.email)
    const { browser, id } = await signIn(user.email)
    const since = smtp.received.length
    const newEmail = `moved${counter}@example.com`
    await askToMove(browser, newEmail)
    const { response } = await browser.get(confirmPath(await mailTo(newEmail, CONFIRM_SUBJECT, since)))
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/email')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')

    const page = await browser.get('/account/email')
    expect(page.html).toContain(`Your email is now ${newEmail}. Every other session was logged out.`)
    const panel = panelOf((await browser.get('/')).html)
    expect(panel).toMatchObject({ email: newEmail, sessionId: id })
    expect(panelOf((await other.browser.get('/')).html).email).toBeUndefined()
    const stored = (await t.services.users.findById(user.id))!
    expect(stored.email).toBe(newEmail)
    expect(stored.emailVerifiedAt).toBeInstanceOf(Date)

    const told = await mailTo(user.email, CHANGED_SUBJECT, since)
    expect(told.text).toContain(newEmail)
    const login = new TestBrowser(t.app)
    await login.get('/login')
    expect((await login.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(401)
    expect((await login.post('/login', { email: newEmail, password: PASSWORD })).response.status).toBe(303)
    expect(t.audit.some((e) => e.event === 'email_changed' && e.userId === user.id)).toBe(true)
  })

  test('a link opened in a browser not logged in to the account changes nothing and asks to log in to it; there, it acts', async () => {
    const { user, browser, newEmail, path } = await pendingMove('moved')
    const elsewhere = new TestBrowser(t.app)
    // Opening it (as a mail scanner, or a stranger sent it, does) changes nothing, nor does posting to it.
    const opened = await elsewhere.get(path)
    expect(opened.response.status).toBe(200)
    expect(opened.response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(opened.html).toContain('<h1>Log in to confirm your new email</h1>')
    const loginHref = `/login?next=${encodeURIComponent(path)}`
    expect(opened.html).toContain(`<a id="link-login" class="button" href="${loginHref.replaceAll('&', '&amp;')}">`)
    expect((await elsewhere.post(path)).response.status).toBe(403)
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
    expect(panelOf((await browser.get('/')).html).email).toBe(user.email)

    // Logged in there, with the account's current address, the login goes on to the link, which acts.
    await elsewhere.get(loginHref)
    const login = await elsewhere.post('/login', { email: user.email, password: PASSWORD, next: path })
    expect(login.response.headers.get('location')).toBe(path)
    const { response } = await elsewhere.get(path)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/email')
    expect((await t.services.users.findById(user.id))!.email).toBe(newEmail)
    expect(panelOf((await elsewhere.get('/')).html).email).toBe(newEmail)
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })

  test('a link opened in a browser logged in to another account changes neither account', async () => {
    const { user, browser, newEmail, path } = await pendingMove('moved')
    const someone = await newUser()
    const { browser: theirs } = await signIn(someone.email)
    const opened = await theirs.get(path)
    expect(opened.response.status).toBe(200)
    expect(opened.html).toContain('id="link-login"')
    expect((await theirs.post(path)).response.status).toBe(403)
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
    expect((await t.services.users.findById(someone.id))!.email).toBe(someone.email)
    expect((await browser.get(path)).response.status).toBe(303)
    expect((await t.services.users.findById(user.id))!.email).toBe(newEmail)
  })

  test('a POST to the link from a session that has ended moves nothing, and the link still works', async () => {
    const { user, browser, newEmail, path } = await pendingMove('moved')
    const elsewhere = new TestBrowser(t.app)
    expect((await elsewhere.get(path)).response.status).toBe(200)
    const id = panelOf((await elsewhere.get('/')).html).sessionId!
    await t.redis.del(await t.sessionKey(id))
    const late = await elsewhere.post(path)
    expect(late.response.status).toBe(403)
    expect(late.response.headers.get('referrer-policy')).toBe('no-referrer')
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
    expect((await browser.get(path)).response.status).toBe(303)
    expect((await t.services.users.findById(user.id))!.email).toBe(newEmail)
  })

  test('while the change waits, Redis holds the new address only sealed', async () => {
    const { user, browser, newEmail, path } = await pendingMove('sealed')
    const keys = await t.keys()
    const storedAt = async (key: string) => {
      const type = await t.redis.type(key)
      if (type === 'hash') return JSON.stringify(await t.redis.hgetall(key))
      if (type === 'list') return JSON.stringify(await t.redis.lrange(key, 0, -1))
      return String(await t.redis.get(key))
    }
    const stored = await Promise.all(keys.filter((key) => key.includes(':ot:')).map(storedAt))
    expect(stored.some((value) => value.includes(user.id))).toBe(true)
    expect(stored.filter((value) => value.toLowerCase().includes(newEmail))).toEqual([])
    expect((await browser.get(path)).response.status).toBe(303)
    expect((await t.services.users.findById(user.id))!.email).toBe(newEmail)
  })

  test('a link made before addresses were sealed (the address in the clear) still works', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const newEmail = `clear${counter}@example.com`
    const tokens = new OneTimeTokens(t.redis, { prefix: t.config.redis.prefix })
    const token = await tokens.issue('email', user.id, 600, newEmail)
    expect((await browser.get(`/account/email/confirm/${token}`)).response.status).toBe(303)
    expect((await t.services.users.findById(user.id))!.email).toBe(newEmail)
  })

  test('a link whose address no configured secret opens any more (a rotation dropped it) is dead, not an error', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const dropped = new Sealer(['a-secret-this-app-no-longer-has-0123456789'], 'taproom pending email v1')
    const tokens = new OneTimeTokens(t.redis, { prefix: t.config.redis.prefix })
    const token = await tokens.issue('email', user.id, 600, dropped.seal(`lost${counter}@example.com`))
    const { response, html } = await browser.get(`/account/email/confirm/${token}`)
    expect(response.status).toBe(400)
    expect(html).toContain('This link is invalid or has expired.')
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
  })

  test('a link used as the account is deleted moves nothing and says the link is dead, not that the email changed', async () => {
    const { user, browser, newEmail, path } = await pendingMove('vanishing')
    // The account goes just after the link's use has read it.
    const users = t.services.users
    const { findById } = users
    users.findById = async (id: string) => {
      users.findById = findById
      const found = await findById.call(users, id)
      await users.delete(id)
      return found
    }
    try {
      const { response, html } = await browser.get(path)
      expect(response.status).toBe(400)
      expect(html).toContain('This link is invalid or has expired.')
    } finally {
      users.findById = findById
    }
    expect(await users.findByEmail(newEmail)).toBeUndefined()
    expect(t.audit.some((e) => e.event === 'email_changed' && e.userId === user.id)).toBe(false)
  })

  test('a link whose own session ends while it is used still moves the email, ends every session and says to log in', async () => {
    const { user, browser, newEmail, path } = await pendingMove('orphaned')
    const id = panelOf((await browser.get('/')).html).sessionId!
    // This browser's session ends (a reset elsewhere, say) just after the link's use has read the account.
    const users = t.services.users
    const { findById } = users
    users.findById = async (userId: string) => {
      users.findById = findById
      await t.redis.del(await t.sessionKey(id))
      return findById.call(users, userId)
    }
    try {
      const { response } = await browser.get(path)
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/login')
    } finally {
      users.findById = findById
    }
    expect((await t.services.users.findById(user.id))!.email).toBe(newEmail)
    expect((await browser.get('/login')).html).toContain(`Your email is now ${newEmail}. Log in with it.`)
  })

  test('an address taken meanwhile: 409 with a clear message, nothing changes', async () => {
    const { user, browser, newEmail, path } = await pendingMove('contested')
    await t.services.users.create(newEmail, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
    const { response, html } = await browser.get(path)
    expect(response.status).toBe(409)
    expect(html).toContain('That address now belongs to another account, so your email was not changed.')
    expect((await t.services.users.findById(user.id))!.email).toBe(user.email)
  })

  test('a link works once, even followed in parallel; a newer request voids the older link', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const since = smtp.received.length
    await askToMove(browser, `first${counter}@example.com`)
    const first = confirmPath(await mailTo(`first${counter}@example.com`, CONFIRM_SUBJECT, since))
    const between = smtp.received.length
    await askToMove(browser, `second${counter}@example.com`)
    const second = confirmPath(await mailTo(`second${counter}@example.com`, CONFIRM_SUBJECT, between))
    expect((await browser.get(first)).response.status).toBe(400)
    const statuses = await Promise.all(
      Array.from({ length: 5 }, async () => (await browser.get(second)).response.status),
    )
    expect(statuses.sort()).toEqual([303, 400, 400, 400, 400])
    expect((await t.services.users.findById(user.id))!.email).toBe(`second${counter}@example.com`)
  })

  test('refused: the same address (422), a malformed one (422), an unknown token (400)', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const same = await askToMove(browser, user.email.toUpperCase())
    expect(same.response.status).toBe(422)
    expect(same.html).toContain('That is already your email address.')
    const bad = await askToMove(browser, 'not an address')
    expect(bad.response.status).toBe(422)
    expect(bad.html).toContain('Enter a valid email address.')
    const dead = await browser.get(`/account/email/confirm/${'A'.repeat(43)}`)
    expect(dead.response.status).toBe(400)
    expect(dead.html).toContain('This link is invalid or has expired.')
  })

  test('a stale proof of the password: 403 "Confirm it\'s you", nothing sent', async () => {
    const user = await newUser()
    const { browser, id } = await signIn(user.email)
    await t.age(id, 601_000)
    await browser.get('/account/email')
    const { response, html } = await browser.post('/account/email', { email: `never${counter}@example.com` })
    expect(response.status).toBe(403)
    expect(html).toContain('Confirm it&#39;s you')
    for (let w = 0; w < 100 && (await t.services.mail.queue.pending()) > 0; w++) await Bun.sleep(10)
    await Bun.sleep(100)
    expect(smtp.to(`never${counter}@example.com`)).toEqual([])
    expect(smtp.to(user.email).filter((m) => m.subject === REQUESTED_SUBJECT)).toEqual([])
  })
})

describe('a sign-in from a new browser', () => {
  test('mails the owner once per browser: a browser that signed in before is not news', async () => {
    const user = await newUser()
    const subject = 'New sign-in to your Taproom account'
    const since = smtp.received.length
    const { browser } = await signIn(user.email)
    const notice = await mailTo(user.email, subject, since)
    expect(notice.text).toContain('IP address: 127.0.0.1')
    expect(notice.text).toContain(`${APP_URL}/password/forgot`)
    expect(notice.html).toContain(`href="${APP_URL}/account/sessions"`)

    const again = smtp.received.length
    await browser.post('/logout')
    await browser.get('/login')
    expect((await browser.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(303)
    for (let w = 0; w < 100 && (await t.services.mail.queue.pending()) > 0; w++) await Bun.sleep(10)
    await Bun.sleep(100)
    expect(smtp.to(user.email).filter((m) => m.subject === subject && smtp.received.indexOf(m) >= again)).toEqual([])
  })

  test('at most 3 an hour per account: sign-ins from ever new browsers cannot flood the inbox', async () => {
    const user = await newUser()
    const subject = 'New sign-in to your Taproom account'
    for (let i = 0; i < 5; i++) await signIn(user.email)
    await mailTo(user.email, subject)
    for (let w = 0; w < 100 && (await t.services.mail.queue.pending()) > 0; w++) await Bun.sleep(10)
    await Bun.sleep(100)
    expect(smtp.to(user.email).filter((m) => m.subject === subject)).toHaveLength(3)
  })
})

describe('deleting the account', () => {
  test('mails the deleted account’s address a notice with when, where and what to do', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    await browser.get('/account/delete')
    const since = smtp.received.length
    const { response } = await browser.post('/account/delete', { email: user.email })
    expect(response.status).toBe(303)
    const notice = await mailTo(user.email, 'Your Taproom account was deleted', since)
    expect(notice.text).toContain('IP address: 127.0.0.1')
    expect(notice.html).not.toMatch(/<img|<script/)
  })
})

describe('an email change and reset links', () => {
  test('a reset link mailed to the old address stops working once the email has changed', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const since = smtp.received.length
    const forgot = new TestBrowser(t.app)
    await forgot.get('/password/forgot')
    await forgot.post('/password/forgot', { email: user.email })
    const reset = await mailTo(user.email, 'Reset your Taproom password', since)
    const newEmail = `escaped${counter}@example.com`
    await askToMove(browser, newEmail)
    await browser.get(confirmPath(await mailTo(newEmail, CONFIRM_SUBJECT, since)))
    const path = linkIn(reset, `${APP_URL}/password/reset/`).slice(APP_URL.length)
    expect((await new TestBrowser(t.app).get(path)).response.status).toBe(400)
  })
})

describe('a pending email change after a credential change', () => {
  const NEW_PASSWORD = 'green teapot 93 river'

  /** An attacker who knows the password asks to move the account to their address; the path of that link. */
  async function attackerLink(email: string) {
    const attacker = await signIn(email)
    const since = smtp.received.length
    const evil = `attacker${counter}@evil.example`
    await askToMove(attacker.browser, evil)
    return confirmPath(await mailTo(evil, CONFIRM_SUBJECT, since))
  }

  async function expectDead(path: string, userId: string, email: string) {
    const { response, html } = await new TestBrowser(t.app).get(path)
    expect(response.status).toBe(400)
    expect(html).toContain('This link is invalid or has expired.')
    expect((await t.services.users.findById(userId))?.email ?? email).toBe(email)
  }

  test('a password reset voids it', async () => {
    const user = await newUser()
    const path = await attackerLink(user.email)
    const since = smtp.received.length
    const victim = new TestBrowser(t.app)
    await victim.get('/password/forgot')
    await victim.post('/password/forgot', { email: user.email })
    const reset = await mailTo(user.email, 'Reset your Taproom password', since)
    await victim.get(linkIn(reset, `${APP_URL}/password/reset/`).slice(APP_URL.length))
    const { response } = await victim.post('/password/reset', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(response.status).toBe(303)
    await expectDead(path, user.id, user.email)
  })

  test('a password change voids it', async () => {
    const user = await newUser()
    const path = await attackerLink(user.email)
    const { browser } = await signIn(user.email)
    await browser.get('/account/password')
    const { response } = await browser.post('/account/password', {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    })
    expect(response.status).toBe(303)
    await expectDead(path, user.id, user.email)
  })

  test('"log out everywhere else" voids it', async () => {
    const user = await newUser()
    const path = await attackerLink(user.email)
    const { browser } = await signIn(user.email)
    await browser.get('/account/sessions')
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    await expectDead(path, user.id, user.email)
  })

  test('turning on an authenticator app voids it, as it logs every other browser out', async () => {
    const user = await newUser()
    const path = await attackerLink(user.email)
    const { browser } = await signIn(user.email)
    await browser.get('/account/security')
    expect((await browser.post('/account/security/totp/setup')).response.status).toBe(303)
    const secret = secretOnPage((await browser.get('/account/security/totp')).html)
    const code = TOTP.generate({ secret: Secret.fromBase32(secret) })
    expect((await browser.post('/account/security/totp/confirm', { code })).response.status).toBe(200)
    expect((await t.services.deps.secondFactors.status(user.id, Date.now())).totp).toBe('on')
    await expectDead(path, user.id, user.email)
  })

  test('deleting the account voids it and leaves no pending change behind', async () => {
    const user = await newUser()
    const path = await attackerLink(user.email)
    const { browser } = await signIn(user.email)
    await browser.get('/account/delete')
    expect((await browser.post('/account/delete', { email: user.email })).response.status).toBe(303)
    expect((await t.keys()).filter((key) => key.endsWith(`ot:email:u:${user.id}`))).toEqual([])
    await expectDead(path, user.id, user.email)
  })
})

describe('the email change mail budget', () => {
  async function settled() {
    for (let w = 0; w < 100 && (await t.services.mail.queue.pending()) > 0; w++) await Bun.sleep(10)
    await Bun.sleep(100)
  }

  test('at most 3 requests an hour per account: the fourth gets the same answer and sends nothing', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const since = smtp.received.length
    const targets = Array.from({ length: 4 }, (_, i) => `budget${counter}-${i}@example.com`)
    for (const email of targets) {
      const { response, html } = await askToMove(browser, email)
      expect(response.status).toBe(200)
      expect(html).toContain(`We sent a link to ${email}.`)
    }
    await settled()
    expect(smtp.to(targets[3]!)).toEqual([])
    expect(targets.slice(0, 3).map((email) => smtp.to(email).length)).toEqual([1, 1, 1])
    const notices = smtp
      .to(user.email)
      .filter((m) => m.subject === REQUESTED_SUBJECT && smtp.received.indexOf(m) >= since)
    expect(notices).toHaveLength(3)
  })

  test('at most 3 requests an hour per new address, whichever accounts ask', async () => {
    const target = `flooded${++counter}@example.com`
    for (let i = 0; i < 4; i++) {
      const { browser } = await signIn((await newUser()).email)
      const { response, html } = await askToMove(browser, target)
      expect(response.status).toBe(200)
      expect(html).toContain(`We sent a link to ${target}.`)
    }
    await settled()
    expect(smtp.to(target)).toHaveLength(3)
  })
})
