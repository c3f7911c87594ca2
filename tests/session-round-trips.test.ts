import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TestBrowser } from './support/browser.ts'
import { commandCount, roundTrips } from './support/redis-stats.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

// What each kind of request costs in Redis round trips (and, for the record, commands).
let t: TestApp
const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  t = await createTestApp('roundtrips', { LOGIN_MAX_SUCCESSES_PER_IP: '1000', LOGIN_MAX_SUCCESSES_PER_ACCOUNT: '1000' })
})
afterAll(() => t.cleanup())

async function cost(action: () => Promise<unknown>) {
  const before = await commandCount(t.redis)
  const trips = await roundTrips(t.redis, action)
  return { trips, commands: (await commandCount(t.redis)) - before }
}

describe('Redis round trips per request', () => {
  test('a first visit, a page view and a pour of a signed-in session cost one each', async () => {
    const visitor = new TestBrowser(t.app)
    expect((await cost(() => visitor.get('/'))).trips).toBe(1)

    const user = await t.services.users.create('trips@example.com', await t.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    await browser.post('/login', { email: user.email, password: PASSWORD })
    await browser.get('/')
    const view = await cost(() => browser.get('/'))
    const pour = await cost(() => browser.post('/beer', {}, { htmx: true }))
    expect(view.trips).toBe(1)
    expect(pour.trips).toBe(1)
    console.info(`signed-in page view: ${view.commands} commands; pour: ${pour.commands} commands`)
  })

  test('/account/sessions lists 50 sessions in a bounded number of round trips', async () => {
    const user = await t.services.users.create('many@example.com', await t.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    const browsers: TestBrowser[] = []
    for (let i = 0; i < 50; i++) {
      const browser = new TestBrowser(t.app)
      await browser.get('/login')
      await browser.post('/login', { email: user.email, password: PASSWORD })
      browsers.push(browser)
    }
    const viewer = browsers.at(-1)!
    await viewer.get('/')
    let html = ''
    const listing = await cost(async () => {
      html = (await viewer.get('/account/sessions')).html
    })
    expect(html.match(/data-session-id=/g)?.length ?? 0).toBeGreaterThanOrEqual(50)
    expect(listing.trips).toBeLessThanOrEqual(2)
    console.info(`/account/sessions with 50 sessions: ${listing.trips} round trips, ${listing.commands} commands`)
  })
})
