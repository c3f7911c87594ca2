import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, startRedisServer } from '../support/redis-server.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

// Real servers freeze in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(120_000)

// The app on a private redis-server that the test freezes (SIGSTOP) while a
// password change runs, at a different moment each time.
let redis: RedisServer
let t: TestApp
const OLD_PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'green teapot 93 river'

beforeAll(async () => {
  redis = await startRedisServer()
  t = await createTestApp('pwhiccup', {
    REDIS_URL: redis.url,
    REDIS_CLUSTER_NODES: '',
    LOGIN_MAX_SUCCESSES_PER_IP: '10000',
  })
})

afterAll(async () => {
  redis?.resume()
  await t?.cleanup()
  await redis?.stop()
})

async function signIn(email: string) {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  expect((await browser.post('/login', { email, password: OLD_PASSWORD })).response.status).toBe(303)
  await browser.get('/account/password')
  return browser
}

const loggedIn = async (browser: TestBrowser) => Boolean(panelOf((await browser.get('/')).html).email)

describe('a password change during a Redis hiccup', () => {
  test('leaves no old session alive once the new password holds, whichever step Redis froze at', async () => {
    const outcomes: { status: number; changed: boolean }[] = []
    for (const freezeAfterMs of [0, 10, 20, 30, 40, 50, 60, 80]) {
      const user = await t.services.users.create(
        `hiccup${freezeAfterMs}@example.com`,
        await t.services.hasher.hash(OLD_PASSWORD),
        { verifiedAt: new Date() },
      )
      const attacker = await signIn(user.email)
      const owner = await signIn(user.email)
      const change = owner.post('/account/password', {
        current_password: OLD_PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      })
      await Bun.sleep(freezeAfterMs)
      redis.pause()
      await Bun.sleep(1500)
      redis.resume()
      const { status } = (await change).response
      const changed = await bcrypt.compare(NEW_PASSWORD, (await t.services.users.findById(user.id))!.passwordHash)
      outcomes.push({ status, changed })
      expect([303, 503]).toContain(status)
      if (status === 303) expect(changed).toBe(true)
      // Once the new password holds, the attacker's session is gone, even if the answer was a 503.
      if (changed) expect(await loggedIn(attacker)).toBe(false)
    }
    // The freezes hit the change before and after the new hash was written.
    expect(outcomes.some(({ status }) => status === 503)).toBe(true)
    expect(outcomes.some(({ changed }) => changed)).toBe(true)
  })
})
