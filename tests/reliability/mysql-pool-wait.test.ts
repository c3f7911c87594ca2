import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { TestBrowser } from '../support/browser.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

setDefaultTimeout(30_000)

let t: TestApp
const EMAIL = 'waiting@example.com'
const PASSWORD = 'a long and good password'
const POOL_SIZE = 10

beforeAll(async () => {
  t = await createTestApp('poolwait')
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
})
afterAll(() => t.cleanup())

describe('every MySQL connection busy', () => {
  test('a login waits at most 3 s in all (connection wait and query), then answers 503 on its form', async () => {
    // Slow queries hold every pooled connection for 7 s, as a stuck report or a lock would.
    const busy = Array.from({ length: POOL_SIZE }, () => t.services.database.pool.query('SELECT SLEEP(7)'))
    await Bun.sleep(300)
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const started = performance.now()
    const { response, html } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
    const elapsed = performance.now() - started
    expect(response.status).toBe(503)
    expect(html).toContain('temporarily unavailable')
    expect(elapsed).toBeGreaterThan(2500)
    expect(elapsed).toBeLessThan(4500)

    await Promise.all(busy)
    // The connection that arrived after the login gave up went back to the pool: logins work again.
    await browser.get('/login')
    expect((await browser.post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(303)
  })
})
