import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

// Redis TIME is the only clock that decides expiry. Two instances on the
// same Redis, one 400 s behind it and one 400 s ahead, with sessions that
// may live 300 s at most: before, the one behind never indexed a session and
// the one ahead deleted sessions the others had made.
const SKEW_MS = 400_000
const PASSWORD = 'correct horse battery'
let behind: TestApp
let ahead: TestApp

beforeAll(async () => {
  const env = { SESSION_ABSOLUTE_SECONDS: '300', SESSION_IDLE_SECONDS: '120' }
  behind = await createTestApp('clockbehind', env, { localClock: () => Date.now() - SKEW_MS })
  ahead = await createTestApp(
    'clockahead',
    { ...env, REDIS_PREFIX: behind.config.redis.prefix },
    { localClock: () => Date.now() + SKEW_MS },
  )
})
afterAll(async () => {
  await ahead.closeKeepingKeys()
  await behind.cleanup()
})

/** The same browser, its cookies sent to either instance. */
function browserOn(app: TestApp, cookies: Map<string, string>) {
  const browser = new TestBrowser(app.app)
  for (const [name, value] of cookies) browser.cookies.set(name, value)
  return browser
}

describe('instances whose clocks are 400 s off', () => {
  test('a login on the instance behind is indexed and listed; the instance ahead keeps it alive', async () => {
    const user = await behind.services.users.create('skewed@example.com', await behind.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    const browser = new TestBrowser(behind.app)
    await browser.get('/login')
    expect((await browser.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(303)
    const { sessionId, email, expiresIn } = panelOf((await browser.get('/')).html)
    expect(email).toBe(user.email)
    expect(expiresIn).toBeGreaterThan(100)
    expect(expiresIn).toBeLessThanOrEqual(120)
    expect(await behind.redis.zscore(behind.indexKey(user.id), sessionId!)).not.toBeNull()
    expect((await behind.services.sessions.list(user.id, null)).map((session) => session.id)).toEqual([sessionId!])

    const elsewhere = browserOn(ahead, browser.cookies)
    const seen = panelOf((await elsewhere.get('/')).html)
    expect(seen.sessionId).toBe(sessionId!)
    expect(seen.email).toBe(user.email)
    expect(seen.expiresIn).toBeGreaterThan(100)
    expect((await elsewhere.post('/beer', { _csrf: browser.csrfToken }, { htmx: true })).response.status).toBe(200)
    expect(panelOf((await browser.get('/')).html)).toMatchObject({ sessionId, beers: 1, email: user.email })
  })

  test('a visitor’s session made by one lives on when the other reads and counts it', async () => {
    const browser = new TestBrowser(ahead.app)
    const { sessionId } = panelOf((await browser.get('/')).html)
    const elsewhere = browserOn(behind, browser.cookies)
    expect(panelOf((await elsewhere.post('/beer', { _csrf: browser.csrfToken }, { htmx: true })).html)).toMatchObject({
      sessionId,
      beers: 1,
    })
    expect(panelOf((await browser.get('/')).html)).toMatchObject({ sessionId, beers: 1 })
  })
})
