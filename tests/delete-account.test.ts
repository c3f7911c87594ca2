import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { authEvents } from '../src/db/schema.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { waitUntil } from './support/wait-until.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('deleteaccount')
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  const email = `leaving${++counter}@example.com`
  return t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
}

async function signIn(email: string) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  expect((await browser.post('/login', { email, password: PASSWORD })).response.status).toBe(303)
  const id = panelOf((await browser.get('/')).html).sessionId!
  return { browser, id }
}

const sessionExists = async (id: string) => t.redis.exists(await t.sessionKey(id))
const deleteForm = (html: string) => html.match(/<form id="delete-account-form"[\s\S]*?<\/form>/)?.[0] ?? ''

describe('GET /account/delete', () => {
  test('explains what happens and asks for the email; logged out it sends the browser to /login', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const { response, html } = await browser.get('/account/delete')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(html).toContain('logs out every browser signed in to it')
    expect(deleteForm(html)).toMatch(/<input[^>]*name="email"/)

    const stranger = await new TestBrowser(t.app).get('/account/delete')
    expect(stranger.response.status).toBe(303)
    expect(stranger.response.headers.get('location')).toBe('/login?next=%2Faccount%2Fdelete')
  })
})

describe('POST /account/delete', () => {
  test("a deleted account's sessions die everywhere in the same second, and its data goes with it", async () => {
    const user = await newUser()
    const others = await Promise.all(Array.from({ length: 4 }, () => signIn(user.email)))
    const { browser, id } = await signIn(user.email)
    await t.services.activity.settled()
    await browser.get('/account/delete')
    expect(await t.redis.zcard(`${t.config.redis.prefix}u:{${user.id}}`)).toBe(5)

    const { response } = await browser.post('/account/delete', { email: user.email.toUpperCase() })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('clear-site-data')).toBe('"cache", "storage"')
    const deletedAt = Date.now()

    const alive = await Promise.all([id, ...others.map((other) => other.id)].map(sessionExists))
    expect(alive).toEqual([0, 0, 0, 0, 0])
    expect(await t.redis.exists(t.indexKey(user.id))).toBe(0)
    for (const other of others) {
      const { html } = await other.browser.get('/')
      expect(panelOf(html).email).toBeUndefined()
      expect(html).toContain('Not logged in')
    }
    expect(Date.now() - deletedAt).toBeLessThan(1000)

    const home = await browser.get('/')
    expect(home.html).toContain('Your account was deleted.')
    expect(home.html).toContain('Not logged in')
    expect(await t.services.users.findById(user.id)).toBeUndefined()
    const events = await t.services.database.db.select().from(authEvents)
    expect(events.filter((event) => event.userId === user.id)).toEqual([])
    const audited = t.audit.find((event) => event.event === 'account_deleted' && event.userId === user.id)
    expect(audited).toMatchObject({ sessionId: id })
    expect(JSON.stringify(audited)).not.toContain(user.email)

    await waitUntil(() =>
      (t.services.mail.outbox?.list() ?? []).some(
        (mail) => mail.to === user.email && mail.subject === 'Your Taproom account was deleted',
      ),
    )

    const again = new TestBrowser(t.app)
    await again.get('/login')
    expect((await again.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(401)
    await again.get('/signup')
    const signup = await again.post('/signup', {
      email: user.email,
      password: 'a whole new start',
      password_confirm: 'a whole new start',
    })
    expect(signup.response.status).toBe(200)
    expect(signup.html).toContain('Check your inbox: we sent a link to finish signing up.')
  })

  test('logins racing the deletion leave no session behind', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await newUser()
      const { browser } = await signIn(user.email)
      await browser.get('/account/delete')
      const racers = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const racer = new TestBrowser(t.app)
          await racer.get('/login')
          return racer
        }),
      )
      await Promise.all([
        browser.post('/account/delete', { email: user.email }),
        ...racers.map((racer) => racer.post('/login', { email: user.email, password: PASSWORD })),
      ])
      for (const racer of racers) expect(panelOf((await racer.get('/')).html).email).toBeUndefined()
      expect(await t.redis.zcard(`${t.config.redis.prefix}u:{${user.id}}`)).toBe(0)
    }
  })

  test('the wrong email typed: 422 on the form, nothing deleted', async () => {
    const user = await newUser()
    const { browser, id } = await signIn(user.email)
    await browser.get('/account/delete')
    const wrong = await browser.post('/account/delete', { email: 'someone-else@example.com' })
    expect(wrong.response.status).toBe(422)
    expect(deleteForm(wrong.html)).toContain('That is not this account&#39;s email address.')
    const missing = await browser.post('/account/delete', {}, { htmx: true })
    expect(missing.response.status).toBe(422)
    expect(missing.html.startsWith('<form id="delete-account-form"')).toBe(true)
    expect(await t.services.users.findById(user.id)).toBeDefined()
    expect(await sessionExists(id)).toBe(1)
  })

  test('a stale proof gets the "Confirm it\'s you" form first; after confirming, the deletion goes through', async () => {
    const user = await newUser()
    const { browser, id } = await signIn(user.email)
    await t.age(id, 601_000)
    await browser.get('/account/delete')
    const stale = await browser.post('/account/delete', { email: user.email })
    expect(stale.response.status).toBe(403)
    expect(stale.html).toContain('<input type="hidden" name="next" value="/account/delete"/>')
    expect(await t.services.users.findById(user.id)).toBeDefined()

    expect(
      (await browser.post('/account/confirm', { password: PASSWORD, next: '/account/delete' })).response.status,
    ).toBe(303)
    const done = await browser.post('/account/delete', { email: user.email }, { htmx: true })
    expect(done.response.headers.get('hx-redirect')).toBe('/')
    expect(await t.services.users.findById(user.id)).toBeUndefined()
  })

  test('logged out, or without the CSRF token, nothing is deleted', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const forged = await browser.post('/account/delete', { email: user.email, _csrf: 'forged' })
    expect(forged.response.status).toBe(403)
    const stranger = new TestBrowser(t.app)
    await stranger.get('/')
    const anonymous = await stranger.post('/account/delete', { email: user.email })
    expect(anonymous.response.status).toBe(303)
    expect(anonymous.response.headers.get('location')).toBe('/login')
    expect(await t.services.users.findById(user.id)).toBeDefined()
  })
})
