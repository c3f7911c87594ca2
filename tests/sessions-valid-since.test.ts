import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import type { SessionVariables } from '../src/session/sessions.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

// A user's sessions are valid only from their "sessions valid since" time on:
// ending them (a password change, "log out everywhere else", deletion) moves
// it to now, and neither a live session nor a login begun before it survives.
let t: TestApp
const OLD_PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'green teapot 93 river'

beforeAll(async () => {
  t = await createTestApp('validsince', {
    LOGIN_MAX_SUCCESSES_PER_IP: '10000',
    LOGIN_MAX_SUCCESSES_PER_ACCOUNT: '10000',
    MAX_SESSIONS_PER_USER: '500',
  })
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  return t.services.users.create(`since${++counter}@example.com`, await t.services.hasher.hash(OLD_PASSWORD), {
    verifiedAt: new Date(),
  })
}

async function signIn(email: string, password = OLD_PASSWORD) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email, password })
  // The page after the login carries the new session's CSRF token.
  await browser.get('/')
  return { browser, status: response.status }
}

const loggedIn = async (browser: TestBrowser) => Boolean(panelOf((await browser.get('/')).html).email)

function changePassword(browser: TestBrowser) {
  return browser.post('/account/password', {
    current_password: OLD_PASSWORD,
    new_password: NEW_PASSWORD,
    new_password_confirm: NEW_PASSWORD,
  })
}

/**
 * A login that can be held after its password check and before its session
 * is created, built from the real session layer and authenticator: the
 * deterministic form of a login still running while the password changes.
 */
function heldLogin() {
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let checked!: () => void
  const passwordChecked = new Promise<void>((resolve) => {
    checked = resolve
  })
  const app = new Hono<{ Variables: SessionVariables }>()
    .use(t.services.sessions.middleware)
    .post('/held-login', async (c) => {
      const { email } = await c.req.json<{ email: string }>()
      const session = c.get('session')
      const proof = await session.startProof()
      const outcome = await t.services.deps.authenticator.login(email, OLD_PASSWORD, '127.0.0.1')
      if (!outcome.ok) return c.text(`password refused: ${outcome.reason}`)
      checked()
      await released
      const fresh = await session.signIn(outcome.user, { method: 'password', proof })
      return c.text(fresh ? 'signed in' : 'refused')
    })
  const answer = async (email: string) =>
    (await app.request('/held-login', { method: 'POST', body: JSON.stringify({ email }) })).text()
  return { answer, passwordChecked, release }
}

describe('a login in flight', () => {
  test('whose password was checked before a password change cannot finish after it', async () => {
    const user = await newUser()
    const owner = await signIn(user.email)
    const held = heldLogin()
    const attempt = held.answer(user.email)
    await held.passwordChecked
    expect((await changePassword(owner.browser)).response.status).toBe(303)
    held.release()
    expect(await attempt).toBe('refused')
    const listed = await t.services.sessions.list(user.id, null)
    expect(listed.length).toBe(1)
    expect(await loggedIn(owner.browser)).toBe(true)
  })

  test('begun before "log out everywhere else" cannot finish after it either', async () => {
    const user = await newUser()
    const owner = await signIn(user.email)
    const held = heldLogin()
    const attempt = held.answer(user.email)
    await held.passwordChecked
    expect((await owner.browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    held.release()
    expect(await attempt).toBe('refused')
  })

  test('begun after it signs in as usual', async () => {
    const user = await newUser()
    const owner = await signIn(user.email)
    expect((await owner.browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    const held = heldLogin()
    const attempt = held.answer(user.email)
    await held.passwordChecked
    held.release()
    expect(await attempt).toBe('signed in')
  })
})

describe('a poller who knows the old password', () => {
  test('keeps no session once the password change has answered', async () => {
    const user = await newUser()
    const owner = await signIn(user.email)
    let polling = true
    const pollers: TestBrowser[] = []
    const poll = async () => {
      for (let i = 0; polling && i < 200; i++) {
        const attempt = await signIn(user.email)
        pollers.push(attempt.browser)
      }
    }
    const running = [poll(), poll(), poll(), poll()]
    await Bun.sleep(100)
    expect((await changePassword(owner.browser)).response.status).toBe(303)
    polling = false
    await Promise.all(running)
    expect(pollers.length).toBeGreaterThan(4)
    const survivors = (await Promise.all(pollers.map(loggedIn))).filter(Boolean)
    expect(survivors).toEqual([])
    expect(await loggedIn(owner.browser)).toBe(true)
    // The old password is refused now (401, or 429 once the pollers' failures hit the throttle).
    expect([401, 429]).toContain((await signIn(user.email)).status)
  })
})

describe('a session the index has lost', () => {
  test('still ends with "log out everywhere else": the valid-since time is checked on every read', async () => {
    const user = await newUser()
    const lost = await signIn(user.email)
    const owner = await signIn(user.email)
    await t.redis.del(t.indexKey(user.id))
    expect(await loggedIn(lost.browser)).toBe(true)
    expect((await owner.browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    expect(await loggedIn(lost.browser)).toBe(false)
    expect(await loggedIn(owner.browser)).toBe(true)
  })
})
