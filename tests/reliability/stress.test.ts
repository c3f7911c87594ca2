import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, startRedisServer } from '../support/redis-server.ts'
import { createTestApp, isMailQueueBookkeeping, scanKeys, type TestApp } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// A private Redis, so that scanning every key shows only what this app wrote.
let redis: RedisServer
let t: TestApp
const USERS = 20
const PASSWORD = 'stress test password'
const users = Array.from({ length: USERS }, (_, i) => ({ email: `stress${i}@example.com`, id: '' }))

beforeAll(async () => {
  redis = await startRedisServer()
  // All 20 users log in at once: more than the default bound on logins in flight lets through.
  t = await createTestApp('stress', { REDIS_URL: redis.url, REDIS_CLUSTER_NODES: '', LOGIN_MAX_CONCURRENT: '40' })
  const hash = await t.services.hasher.hash(PASSWORD)
  for (const user of users) user.id = (await t.services.users.create(user.email, hash, { verifiedAt: new Date() })).id
})

afterAll(async () => {
  await t.cleanup()
  await redis.stop()
})

type Pour = { status: number; refused: string | null; sessionId?: string; email?: string; beers: number }

/** A pour sent with a fixed cookie, as a second tab still holding an older cookie would. */
async function pourWith(cookie: string, csrf: string): Promise<Pour> {
  const response = await t.app.request('/beer', {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf }),
    headers: {
      cookie: `${t.services.deps.sessions.cookieName}=${cookie}`,
      'content-type': 'application/x-www-form-urlencoded',
      'hx-request': 'true',
    },
  })
  const panel = panelOf(await response.text())
  const refused = response.headers.get('x-csrf-refused')
  return { status: response.status, refused, sessionId: panel.sessionId, email: panel.email, beers: panel.beers }
}

function cookieOf(browser: TestBrowser): string {
  return browser.cookies.get(t.services.deps.sessions.cookieName)!
}

async function sessionIdOf(browser: TestBrowser): Promise<string> {
  return panelOf((await browser.get('/')).html).sessionId!
}

const times = <T>(n: number, make: () => Promise<T>) => Promise.all(Array.from({ length: n }, make))

describe('stress on one Redis', () => {
  test(`${USERS} logged-in sessions × 50 concurrent pours: every count exact, every pour in its own session`, async () => {
    const browsers = users.map(() => new TestBrowser(t.app))
    await Promise.all(
      browsers.map(async (browser, i) => {
        await browser.get('/login')
        await browser.post('/login', { email: users[i]!.email, password: PASSWORD })
      }),
    )
    const ids = await Promise.all(browsers.map(sessionIdOf))

    const results = await Promise.all(
      browsers.map((browser) => times(50, () => pourWith(cookieOf(browser), browser.csrfToken))),
    )
    results.forEach((pours, i) => {
      expect(
        pours.every((pour) => pour.status === 200 && pour.sessionId === ids[i] && pour.email === users[i]!.email),
      ).toBe(true)
      expect(pours.map((pour) => pour.beers).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n + 1))
    })
    const stored = await Promise.all(ids.map(async (id) => t.redis.hget(await t.sessionKey(id), 'b')))
    expect(stored).toEqual(ids.map(() => '50'))
  })

  test('logins and logouts racing pours: counts carried exactly, nothing crosses users, no logged-out session returns', async () => {
    const outcomes = await Promise.all(
      users.map(async (user, i) => {
        const browser = new TestBrowser(t.app)
        const anonymousId = await sessionIdOf(browser)
        const anonymous = { cookie: cookieOf(browser), csrf: browser.csrfToken }
        const pourAnonymous = () => pourWith(anonymous.cookie, anonymous.csrf)

        // Every third user first fails a login, leaving throttle counters behind.
        if (i % 3 === 0) await browser.post('/login', { email: user.email, password: 'wrong password' })
        const [before, login, after] = await Promise.all([
          times(10, pourAnonymous),
          browser.post('/login', { email: user.email, password: PASSWORD }),
          times(10, pourAnonymous),
        ])
        expect(login.response.status).toBe(303)
        const loggedInId = await sessionIdOf(browser)
        const own = { cookie: cookieOf(browser), csrf: browser.csrfToken }
        const pourOwn = () => pourWith(own.cookie, own.csrf)
        const loggedIn = await times(10, pourOwn)
        const { html } = await browser.get('/session')

        const [racing, logout, late] = await Promise.all([
          times(10, pourOwn),
          browser.post('/logout'),
          times(10, pourOwn),
        ])
        expect(logout.response.status).toBe(303)
        return {
          user,
          anonymousId,
          loggedInId,
          beforeLogout: panelOf(html).beers,
          racingLogin: [...before, ...after],
          loggedIn,
          racingLogout: [...racing, ...late],
        }
      }),
    )

    for (const { user, anonymousId, loggedInId, beforeLogout, racingLogin, loggedIn, racingLogout } of outcomes) {
      const all = [...racingLogin, ...loggedIn, ...racingLogout]
      // A pour either counts in the session its cookie named; or finds it ended
      // and is refused, counting nothing, with a fresh anonymous session; or
      // finds it replaced by the login and is refused as a stale token,
      // counting nothing and starting no session.
      const ended = (pour: Pour) => pour.status === 403 && pour.refused === 'session-ended'
      const replaced = (pour: Pour) => pour.status === 403 && pour.refused === 'token' && pour.sessionId === undefined
      expect(all.every((pour) => pour.status === 200 || ended(pour) || replaced(pour))).toBe(true)
      expect(all.filter(ended).every((pour) => pour.email === undefined && pour.beers === 0)).toBe(true)
      // A logout leaves no marker.
      expect([...loggedIn, ...racingLogout].some(replaced)).toBe(false)
      expect(all.every((pour) => pour.email === undefined || pour.email === user.email)).toBe(true)
      for (const pour of racingLogin) if (pour.status === 200) expect(pour.sessionId).toBe(anonymousId)
      expect(loggedIn.every((pour) => pour.sessionId === loggedInId && pour.email === user.email)).toBe(true)
      for (const pour of racingLogout) if (pour.status === 200) expect(pour.sessionId).toBe(loggedInId)
      // Pours that reached the anonymous session before login moved with it; none was lost or doubled.
      const carried = racingLogin.filter((pour) => pour.sessionId === anonymousId).length
      expect(beforeLogout).toBe(carried + loggedIn.length)
      expect(await t.onlyReplacedMark(anonymousId)).toBe(true)
      expect(await t.redis.exists(await t.sessionKey(loggedInId))).toBe(0)
    }
  })

  test('every key is under REDIS_PREFIX and has a TTL; every logged-in session matches its user and index', async () => {
    const prefix = t.config.redis.prefix
    const everything = await scanKeys(t.redis, '*')
    expect(everything.length).toBeGreaterThan(USERS)
    expect(everything.filter((key) => !key.startsWith(prefix))).toEqual([])
    const expiring = everything.filter((key) => !isMailQueueBookkeeping(key, prefix))
    const ttls = await Promise.all(expiring.map((key) => t.redis.pttl(key)))
    expect(expiring.filter((_, i) => !(ttls[i]! > 0))).toEqual([])
    expect(everything.some((key) => key.startsWith(`${prefix}rl:`))).toBe(true)

    const emailOf = new Map(users.map((user) => [user.id, user.email]))
    for (const key of everything.filter((key) => key.startsWith(`${prefix}s:`))) {
      const [userId, email] = await t.redis.hmget(key, 'u', 'm')
      if (!userId) continue
      expect(email).toBe(emailOf.get(userId)!)
      expect(key.startsWith(`${prefix}s:{${userId}}:`)).toBe(true)
      expect(await t.redis.zscore(t.indexKey(userId), key.slice(key.lastIndexOf(':') + 1))).not.toBeNull()
    }
  })
})
